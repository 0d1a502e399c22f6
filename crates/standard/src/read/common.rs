//! What the readers of the standard formats (v1 and v0.1, CSV and JSON) share: opening a CSV
//! whatever its encoding and delimiter, streaming the objects of a JSON array, and checking
//! each field the same way for every format.
//!
//! The same checks serve the import and the validator ([`Mode`]). On import, a value that does
//! not follow the standard but can be corrected or dropped without losing the place (a phone
//! number to put in E.164, an unknown list value, a postal code that lost its leading zero) is
//! corrected with a *warning*; the validator reports the same thing as an *error*, because the
//! file as written does not conform. What makes a place unusable (no name, no address, no
//! valid postal code, a duplicate id, a row cut short) is an error in both: the row is
//! rejected and kept raw for the rejects file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::io::{BufReader, Cursor, Read};

use chrono::{Duration, NaiveDate};
use maillage_model::dates::{self, DateForm};
use maillage_model::hours::{self, HoursGuess};
use maillage_model::phone::{is_e164_mainland, phone_e164};
use maillage_model::{
    check_coordinates, check_in_commune, check_pivot, is_code_insee, is_code_postal,
    typologie_code, Commune, CommuneLookup, PivotCheck, PivotRule, Place, Position, PositionCheck,
    SiretCheck, SourceRef, TYPOLOGIES,
};
use sha2::{Digest, Sha256};

use super::ReadError;
use crate::decode::{sniff_delimiter, DecodingReader};
use crate::record::{Record, SourceFile};
use crate::report::{Issue, RejectedRow, Report, Severity, MAX_ISSUES};

/// Splits a header line on the delimiter, honouring quotes.
pub fn split_header(line: &str, delimiter: u8) -> Vec<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    match rdr.records().next() {
        Some(Ok(rec)) => rec
            .iter()
            .map(|s| s.trim().trim_start_matches('\u{feff}').to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Import or validation: decides the severity of a deviation from the standard that the
/// import can correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Import,
    Validate,
}

/// A CSV opened for reading: decoded to UTF-8, delimiter found, header read.
pub struct CsvInput<R: Read> {
    pub reader: csv::Reader<std::io::Chain<Cursor<Vec<u8>>, DecodingReader<R>>>,
    pub header: Vec<String>,
    pub delimiter: u8,
    pub encoding_of: fn(&DecodingReader<R>) -> &'static str,
}

/// How many decoded bytes are read ahead to find the delimiter.
const SNIFF: usize = 16 * 1024;

/// Opens a CSV: decodes it, finds its delimiter from the first lines, reads the header.
/// Empty file, binary content and a file with only a header are [`ReadError`]s.
pub fn open_csv<R: Read>(input: R) -> Result<CsvInput<R>, ReadError> {
    let mut dec = DecodingReader::new(input);
    let mut head = Vec::with_capacity(SNIFF);
    (&mut dec)
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(|e| ReadError::Unreadable(e.to_string()))?;
    let head_text = String::from_utf8_lossy(&head);
    if head_text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    if looks_binary(&head_text) {
        return Err(ReadError::Unreadable(
            "le contenu n'est pas du texte (octets de contrôle) : ce n'est pas un fichier CSV"
                .into(),
        ));
    }
    let delimiter = sniff_delimiter(&head_text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(Cursor::new(head).chain(dec));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ReadError::Unreadable(format!("en-tête illisible : {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    Ok(CsvInput {
        reader,
        header,
        delimiter,
        encoding_of: DecodingReader::encoding,
    })
}

/// Text with many control characters is not a CSV (random bytes decoded as Windows-1252 are
/// still "text", but full of them).
fn looks_binary(text: &str) -> bool {
    let total = text.chars().count().max(1);
    let control = text
        .chars()
        .filter(|&c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || c == '\u{FFFD}')
        .count();
    control * 20 > total || text.contains('\0')
}

/// The encoding a CSV was read in, once read to its end.
pub fn csv_encoding<R: Read>(input: &CsvInput<R>) -> &'static str {
    (input.encoding_of)(input.reader.get_ref().get_ref().1)
}

/// The values of one row, by field name.
pub struct Fields<'a> {
    names: &'a [String],
    /// Column positions by name, computed once per CSV file (JSON objects have none).
    index: Option<&'a ColumnIndex>,
    values: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    pub fn new(names: &'a [String], values: Vec<&'a str>) -> Self {
        Fields {
            names,
            index: None,
            values,
        }
    }

    /// With a precomputed name → position map (see [`column_index`]).
    pub fn indexed(names: &'a [String], index: &'a ColumnIndex, values: Vec<&'a str>) -> Self {
        Fields {
            names,
            index: Some(index),
            values,
        }
    }

    /// The trimmed value of a field; empty when absent.
    pub fn get(&self, name: &str) -> &'a str {
        let pos = match self.index {
            Some(index) => index.position(self.names, name),
            None => self.names.iter().position(|n| n == name),
        };
        pos.and_then(|i| self.values.get(i))
            .map(|v| v.trim())
            .unwrap_or("")
    }

    /// The first non-empty of several spellings of a field, with the name found.
    pub fn get_any(&self, names: &[&'static str]) -> (&'static str, &'a str) {
        for n in names {
            let v = self.get(n);
            if !v.is_empty() {
                return (n, v);
            }
        }
        (names.first().copied().unwrap_or(""), "")
    }

    /// A stable hash of the row (names and trimmed values, sorted by name), for sources that
    /// give no id: importing the same file twice must find the same records.
    pub fn stable_id(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().map(|v| v.trim()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        pairs.sort_unstable();
        let mut h = Sha256::new();
        for (n, v) in pairs {
            h.update(n.as_bytes());
            h.update([0x1f]);
            h.update(v.as_bytes());
            h.update([0x1e]);
        }
        format!("sha256:{}", hex::encode(&h.finalize()[..16]))
    }
}

/// FNV-1a: ids are short, and SipHash showed in the validator's profile.
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Column positions by name, for the ~40 lookups each row makes: a direct-mapped table on a
/// cheap key of the name (length and three bytes), checked against the header, with a linear
/// search when two columns share a slot. (A hash map was the top of the validator's profile.)
pub struct ColumnIndex {
    /// Position + 1; 0 = no column; `COLLISION` = search linearly.
    slots: [u16; 256],
}

const COLLISION: u16 = u16::MAX;

fn slot(name: &str) -> usize {
    let b = name.as_bytes();
    match b.len() {
        0 => 0,
        n => {
            (n * 37 + usize::from(b[0]) * 11 + usize::from(b[n - 1]) * 3 + usize::from(b[n / 2]))
                & 255
        }
    }
}

impl ColumnIndex {
    pub fn new(header: &[String]) -> Self {
        let mut slots = [0u16; 256];
        for (i, h) in header.iter().enumerate() {
            let s = &mut slots[slot(h)];
            *s = match *s {
                0 if i + 1 < usize::from(COLLISION) => (i + 1) as u16,
                _ => COLLISION,
            };
        }
        ColumnIndex { slots }
    }

    fn position(&self, names: &[String], name: &str) -> Option<usize> {
        match self.slots[slot(name)] {
            0 => None,
            COLLISION => names.iter().position(|n| n == name),
            p => {
                let i = usize::from(p - 1);
                (names.get(i).map(String::as_str) == Some(name)).then_some(i)
            }
        }
    }
}

/// Column positions by name.
pub fn column_index(header: &[String]) -> ColumnIndex {
    ColumnIndex::new(header)
}

/// What the checks of one row need from the file: copied to the threads that check rows in
/// parallel (the referential and the report stay with the file, see [`FileState`]).
#[derive(Debug, Clone, Copy)]
pub struct RowEnv {
    pub mode: Mode,
    /// The latest acceptable `date_maj` (the later of the file date and today, plus a day).
    pub max_date: NaiveDate,
}

impl RowEnv {
    /// Starts a row.
    pub fn row(&self, line: u64) -> RowCheck {
        RowCheck::new(line, self.mode)
    }

    /// Checks `date_maj`: the standard's `YYYY-MM-DD`; other day-first or ISO date-time
    /// spellings are read with a correction warning. A date that cannot be read, or is before
    /// 2000 (the `1969-12-31` of a zero Unix time) or in the future, is dropped with a warning
    /// and the record takes the file's date.
    pub fn date_maj(&self, row: &mut RowCheck, field: &str, raw: &str) -> Option<NaiveDate> {
        if raw.is_empty() {
            row.violation(
                field,
                raw,
                "date de mise à jour absente (obligatoire) : la date du fichier est retenue",
            );
            return None;
        }
        let Some((date, exact)) = parse_date(raw) else {
            row.violation(
                field,
                raw,
                "date de mise à jour illisible (attendu AAAA-MM-JJ) : la date du fichier est retenue",
            );
            return None;
        };
        if !exact {
            row.violation(
                field,
                raw,
                format!("date au mauvais format (attendu AAAA-MM-JJ) : lue comme {date}"),
            );
        }
        let min = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        if date < min || date > self.max_date {
            row.warn(
                field,
                raw,
                "date de mise à jour invraisemblable (avant 2000 ou dans le futur) : ignorée, \
                 la date du fichier est retenue",
            );
            return None;
        }
        Some(date)
    }
}

/// The state of one file being read: the report, the ids already seen.
pub struct FileState<'a> {
    pub report: Report,
    pub mode: Mode,
    pub file: &'a SourceFile,
    pub lookup: Option<&'a dyn CommuneLookup>,
    /// Hash of each id seen, with its line, to report duplicates in bounded memory.
    seen_ids: HashMap<u64, u64, BuildHasherDefault<Fnv>>,
    /// The latest acceptable `date_maj` (the later of the file date and today, plus a day).
    max_date: NaiveDate,
    /// Whether the "no referential" warning was given.
    warned_no_lookup: bool,
}

impl<'a> FileState<'a> {
    pub fn new(file: &'a SourceFile, lookup: Option<&'a dyn CommuneLookup>, mode: Mode) -> Self {
        let today = chrono::Local::now().date_naive();
        FileState {
            report: Report::default(),
            mode,
            file,
            lookup,
            seen_ids: HashMap::default(),
            max_date: today.max(file.date) + Duration::days(1),
            warned_no_lookup: false,
        }
    }

    /// A problem with the whole file (no line).
    pub fn file_warning(&mut self, field: Option<String>, message: String) {
        self.report.issues.push(Issue {
            severity: Severity::Warning,
            line: None,
            field,
            value: None,
            message,
        });
    }

    /// Starts a row.
    pub fn row(&self, line: u64) -> RowCheck {
        self.env().row(line)
    }

    /// Ends a row: rejected (raw text kept) if it has an error, a record otherwise.
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        &mut self,
        mut row: RowCheck,
        source_id: String,
        id_from_file: bool,
        mut place: Place,
        extra: BTreeMap<String, String>,
        raw: impl FnOnce() -> String,
        on_record: &mut dyn FnMut(Record),
    ) {
        self.report.rows += 1;
        if id_from_file {
            // 64 bits of the id: two ids colliding by chance among a few million rows is
            // about a 1 in 10^6 event, and would only mean one spurious duplicate warning.
            let mut h = Fnv::default();
            source_id.hash(&mut h);
            match self.seen_ids.entry(h.finish()) {
                std::collections::hash_map::Entry::Occupied(first) => row.error(
                    "id",
                    &source_id,
                    format!(
                        "identifiant déjà utilisé ligne {} : chaque lieu doit avoir son propre id",
                        first.get()
                    ),
                ),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(row.line);
                }
            }
        }
        if place.code_insee.is_none() && self.lookup.is_none() && !self.warned_no_lookup {
            self.warned_no_lookup = true;
            self.file_warning(
                Some("code_insee".into()),
                "aucun référentiel des communes fourni : les codes INSEE manquants ne sont pas \
                 complétés et les positions ne sont pas comparées au centre des communes"
                    .into(),
            );
        }
        let rejected = row.has_errors();
        let line = row.line;
        row.report_into(&mut self.report);
        if rejected {
            self.report.rejected += 1;
            self.report
                .rejected_rows
                .push(RejectedRow { line, raw: raw() });
            return;
        }
        if self.mode == Mode::Validate {
            return; // the validator only reports
        }
        let observed = place.date_maj.unwrap_or(self.file.date);
        place.id.clear();
        on_record(Record {
            source: SourceRef {
                source: self.file.source.clone(),
                source_id,
            },
            line,
            place,
            observed,
            extra,
        });
    }

    /// What the row checks need.
    pub fn env(&self) -> RowEnv {
        RowEnv {
            mode: self.mode,
            max_date: self.max_date,
        }
    }

    /// Fills and checks the commune's INSEE code, and compares the position with the commune's
    /// centre (see [`RowCheck::locate`]).
    pub fn locate(&self, row: &mut RowCheck, place: &mut Place) {
        if let Some(lookup) = self.lookup {
            row.locate(place, lookup);
        }
    }

    /// Warns once about columns the format does not know (they are ignored).
    pub fn unknown_columns(&mut self, header: &[String], known: &[&str]) {
        let unknown: Vec<&str> = header
            .iter()
            .map(String::as_str)
            .filter(|h| !h.is_empty() && !known.contains(h))
            .collect();
        if !unknown.is_empty() {
            self.file_warning(
                None,
                format!(
                    "colonnes inconnues, ignorées : {}",
                    unknown
                        .iter()
                        .map(|c| format!("« {c} »"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
}

/// Reads a date: `(date, true)` for the standard's `YYYY-MM-DD`, `(date, false)` for other
/// unambiguous spellings (see [`maillage_model::dates::parse_date`], the one date parser).
pub fn parse_date(raw: &str) -> Option<(NaiveDate, bool)> {
    dates::parse_date(raw).map(|(d, form)| (d, form == DateForm::Standard))
}

/// The issues of one row, gathered before deciding whether the row is imported: the one row
/// check of every reader. Its [`Mode`] decides what a correctable deviation is: a warning when
/// importing (the value is repaired), an error when validating (the file does not conform).
/// The readers of the other sources (France Services, Aidants Connect…) add their own
/// helpers in `source_fields`, on this same type.
pub struct RowCheck {
    pub line: u64,
    mode: Mode,
    issues: Vec<Issue>,
}

impl RowCheck {
    pub fn new(line: u64, mode: Mode) -> Self {
        RowCheck {
            line,
            mode,
            issues: Vec::new(),
        }
    }

    /// Takes the issues of another row (a row merged into this place).
    pub fn absorb(&mut self, other: RowCheck) {
        self.issues.extend(other.issues);
    }

    /// A warning about another line than the row's own (a merged row).
    pub fn warn_at(&mut self, line: u64, field: &str, value: &str, message: impl Into<String>) {
        let own = self.line;
        self.line = line;
        self.warn(field, value, message);
        self.line = own;
    }

    /// Moves the row's issues to the report, at most [`MAX_ISSUES`] in all: beyond, they are
    /// only counted (a file of a million bad rows must not hold a million messages).
    pub fn report_into(&mut self, report: &mut Report) {
        if report.issues.len() + self.issues.len() <= MAX_ISSUES {
            report.issues.append(&mut self.issues);
        } else {
            for i in self.issues.drain(..) {
                match i.severity {
                    Severity::Error => report.omitted_errors += 1,
                    Severity::Warning => report.omitted_warnings += 1,
                }
            }
        }
    }

    pub fn warn(&mut self, field: &str, value: &str, message: impl Into<String>) {
        self.push(Severity::Warning, field, value, message.into());
    }

    pub fn error(&mut self, field: &str, value: &str, message: impl Into<String>) {
        self.push(Severity::Error, field, value, message.into());
    }

    /// A deviation from the standard that the import corrects: a warning on import, an error
    /// in validation.
    pub fn violation(&mut self, field: &str, value: &str, message: impl Into<String>) {
        let sev = match self.mode {
            Mode::Import => Severity::Warning,
            Mode::Validate => Severity::Error,
        };
        self.push(sev, field, value, message.into());
    }

    fn push(&mut self, severity: Severity, field: &str, value: &str, message: String) {
        self.issues.push(Issue {
            severity,
            line: Some(self.line),
            field: (!field.is_empty()).then(|| field.to_string()),
            value: (!value.is_empty()).then(|| value.to_string()),
            message,
        });
    }

    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }

    /// A required text field: an error when empty.
    pub fn required(&mut self, field: &str, raw: &str, what: &str) -> String {
        if raw.is_empty() {
            self.error(
                field,
                "",
                format!("{what} absent (champ obligatoire) : la ligne n'est pas importée"),
            );
        }
        self.text(field, raw).unwrap_or_default()
    }

    /// A free-text field, kept verbatim; markup is flagged (it is stored as text and never
    /// interpreted, but a moderator should see it).
    pub fn text(&mut self, field: &str, raw: &str) -> Option<String> {
        if raw.is_empty() {
            return None;
        }
        if contains_markup(raw) {
            self.warn(
                field,
                raw,
                "balises HTML ou script dans le texte : gardées telles quelles comme du texte, jamais interprétées",
            );
        }
        Some(raw.to_string())
    }

    /// The SIRET (`pivot`): spreadsheet damage removed; placeholders and bad keys flagged,
    /// never rejected (the standard requires a value and sources have none better).
    pub fn pivot(&mut self, field: &str, raw: &str) -> String {
        if raw.is_empty() {
            self.violation(
                field,
                raw,
                "SIRET (pivot) absent alors que le standard l'exige : lieu importé sans SIRET",
            );
            return String::new();
        }
        self.pivot_under(field, raw, PivotRule::Standard)
    }

    /// The one SIRET check of the readers, under a rule ([`PivotRule`]: a standard file may
    /// hold a SIREN or an RNA, a source's SIRET column may not). Separators are removed (a
    /// violation), placeholders and bad keys flagged (a warning, never rejected: the standard
    /// requires a value and sources have none better), a malformed value kept as written.
    pub fn pivot_under(&mut self, field: &str, raw: &str, rule: PivotRule) -> String {
        let n = match check_pivot(raw, rule) {
            PivotCheck::Siret { value, check } => {
                match check {
                    SiretCheck::Valid | SiretCheck::Malformed => {}
                    SiretCheck::Placeholder => self.warn(
                        field,
                        raw,
                        "SIRET de remplissage (pas un vrai numéro) : gardé mais signalé",
                    ),
                    SiretCheck::BadKey => self.warn(
                        field,
                        raw,
                        "SIRET dont la clé de contrôle est fausse : gardé mais signalé",
                    ),
                }
                value
            }
            // A SIREN or an RNA number (W…): what the standard's pattern allows.
            PivotCheck::SirenOrRna { value } => return value,
            PivotCheck::Malformed => {
                let message = match rule {
                    PivotRule::Standard => {
                        "SIRET mal formé (14 chiffres attendus, ou SIREN/RNA) : gardé tel quel mais signalé"
                    }
                    PivotRule::SiretOnly => {
                        "SIRET mal formé (14 chiffres attendus) : gardé tel quel mais signalé"
                    }
                };
                self.violation(field, raw, message);
                return raw.to_string();
            }
        };
        // A source's SIRET column is not the standard: cleaning it is the reader's job, not
        // a deviation to report on every row of a spreadsheet export.
        if n != raw && rule == PivotRule::Standard {
            self.violation(
                field,
                raw,
                format!("SIRET écrit avec des séparateurs : lu comme {n}"),
            );
        }
        n
    }

    /// The postal code: five digits (a code that lost its leading zero in a spreadsheet is
    /// repaired with a warning). Required: an error when absent or unreadable.
    pub fn code_postal(&mut self, field: &str, raw: &str) -> String {
        let t = raw.strip_suffix(".0").unwrap_or(raw).trim();
        if is_code_postal(t) {
            return t.to_string();
        }
        if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            let fixed = format!("0{t}");
            self.violation(
                field,
                raw,
                format!("code postal sur 4 chiffres (zéro initial perdu) : lu comme {fixed}"),
            );
            return fixed;
        }
        if t.is_empty() {
            self.error(
                field,
                "",
                "code postal absent (champ obligatoire) : la ligne n'est pas importée",
            );
        } else {
            self.error(
                field,
                raw,
                "code postal invalide (5 chiffres attendus) : la ligne n'est pas importée",
            );
        }
        raw.to_string()
    }

    /// The INSEE code: kept when well formed, dropped with a warning otherwise (it is filled
    /// again from the referential).
    pub fn code_insee(&mut self, field: &str, raw: &str) -> Option<String> {
        if raw.is_empty() {
            return None;
        }
        let t = raw.strip_suffix(".0").unwrap_or(raw).to_ascii_uppercase();
        if is_code_insee(&t) {
            return Some(t);
        }
        if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) && is_code_insee(&format!("0{t}"))
        {
            self.violation(
                field,
                raw,
                format!("code INSEE sur 4 chiffres (zéro initial perdu) : lu comme 0{t}"),
            );
            return Some(format!("0{t}"));
        }
        self.violation(
            field,
            raw,
            "code INSEE invalide (5 caractères du COG attendus) : ignoré, recherché par code postal et commune",
        );
        None
    }

    /// Latitude and longitude: both numbers, in France (overseas included). Swapped values
    /// that fall in France once swapped are corrected; other out-of-range values dropped.
    pub fn position(&mut self, lat_raw: &str, lon_raw: &str) -> Option<Position> {
        if lat_raw.is_empty() && lon_raw.is_empty() {
            return None;
        }
        let value = || format!("{lat_raw}, {lon_raw}");
        let (Some(lat), Some(lon)) = (number(lat_raw), number(lon_raw)) else {
            self.violation(
                "latitude",
                &value(),
                "coordonnées illisibles ou incomplètes (deux nombres attendus) : ignorées",
            );
            return None;
        };
        if lat_raw.contains(',') || lon_raw.contains(',') {
            self.violation(
                "latitude",
                &value(),
                "coordonnées avec une virgule décimale (un point attendu) : lues quand même",
            );
        }
        self.coordinates("latitude", &value(), lat, lon)
    }

    /// The one coordinates check ([`check_coordinates`]) with its messages: swapped values
    /// that fall in France once swapped are corrected, null and outside values dropped.
    pub fn coordinates(
        &mut self,
        field: &str,
        value: &str,
        lat: f64,
        lon: f64,
    ) -> Option<Position> {
        match check_coordinates(lat, lon) {
            PositionCheck::Fine(p) => Some(p),
            PositionCheck::Swapped(p) => {
                self.warn(
                    field,
                    value,
                    "latitude et longitude inversées (le point inversé tombe en France) : corrigées",
                );
                Some(p)
            }
            PositionCheck::Zero => {
                self.warn(field, value, "coordonnées nulles (0, 0) : ignorées");
                None
            }
            PositionCheck::Outside | PositionCheck::FarFromCommune { .. } => {
                self.warn(
                    field,
                    value,
                    "coordonnées hors de France (y compris outre-mer) : ignorées",
                );
                None
            }
        }
    }

    /// Fills and checks the commune's INSEE code against the referential, and compares the
    /// position with the commune's centre (swapped latitude/longitude are corrected): the one
    /// referential check of every reader.
    ///
    /// An unknown code is looked up again by postal code and name. A code or postal code of a
    /// département the loaded referential does not cover is kept as read (a partial
    /// referential cannot judge it), as are the overseas collectivities (Saint-Martin 97801,
    /// Saint-Barthélemy 97701, Saint-Pierre-et-Miquelon 975…, Pacific 98…), which have INSEE
    /// codes but are not communes of the COG.
    pub fn locate(&mut self, place: &mut Place, lookup: &dyn CommuneLookup) {
        if place.code_insee.as_deref().is_some_and(|c| {
            ["975", "977", "978", "98"].iter().any(|p| c.starts_with(p))
                && lookup.commune(c).is_none()
        }) {
            return;
        }
        let mut commune = None;
        if let Some(code) = place.code_insee.clone() {
            commune = lookup.commune(&code).cloned();
            let dep = maillage_model::departement_of(&code).unwrap_or_default();
            if commune.is_none() && !lookup.covers_departement(dep) {
                return;
            }
            if commune.is_none() {
                self.warn(
                    "code_insee",
                    &code,
                    "code INSEE inconnu du code officiel géographique : recherché par code postal et commune",
                );
                place.code_insee = None;
            }
        }
        if commune.is_none() {
            commune = lookup
                .find_commune(&place.code_postal, &place.commune)
                .cloned();
            let dep_of_postal = place.code_postal.get(..2).unwrap_or_default();
            let said = format!("{} {}", place.code_postal, place.commune);
            match &commune {
                Some(c) => place.code_insee = Some(c.code.clone()),
                None if place.code_postal.is_empty() && place.commune.trim().is_empty() => {}
                None if !dep_of_postal.is_empty()
                    && !dep_of_postal.starts_with("97")
                    && dep_of_postal != "20"
                    && !lookup.covers_departement(dep_of_postal) =>
                {
                    self.warn(
                        "code_insee",
                        &said,
                        "commune hors du référentiel territorial chargé : code INSEE non renseigné",
                    )
                }
                None => self.warn(
                    "code_insee",
                    &said,
                    "commune introuvable par son code postal et son nom : code INSEE non renseigné",
                ),
            }
        }
        let Some(commune) = commune else { return };
        if place.commune.trim().is_empty() {
            place.commune = commune.nom.clone();
        }
        self.position_in_commune(place, &commune);
    }

    /// Compares the place's position with its commune's centre ([`check_in_commune`]): swapped
    /// values are corrected, a position too far away is dropped (a geocoding error).
    pub fn position_in_commune(&mut self, place: &mut Place, commune: &Commune) {
        let Some(pos) = place.position else { return };
        let value = format!("{}, {}", pos.lat, pos.lon);
        match check_in_commune(pos, commune) {
            PositionCheck::Swapped(p) => {
                place.position = Some(p);
                self.warn(
                    "latitude",
                    &value,
                    format!(
                        "latitude et longitude inversées (d'après le centre de {}) : corrigées",
                        commune.nom
                    ),
                );
            }
            PositionCheck::FarFromCommune { km } => {
                place.position = None;
                self.warn(
                    "latitude",
                    &value,
                    format!(
                        "position à {km:.0} km du centre de {} : erreur de géocodage probable, position ignorée",
                        commune.nom
                    ),
                );
            }
            _ => {}
        }
    }

    /// A phone number in E.164 (`+33…`), as the standard asks.
    pub fn telephone(&mut self, field: &str, raw: &str) -> Option<String> {
        if raw.is_empty() {
            return None;
        }
        if is_e164_mainland(raw) {
            return Some(raw.to_string());
        }
        match phone_e164(raw) {
            Some(p) => {
                if p != raw {
                    self.violation(
                        field,
                        raw,
                        format!("téléphone hors du format du standard (+33…) : écrit {p}"),
                    );
                }
                Some(p)
            }
            None => {
                self.violation(
                    field,
                    raw,
                    "numéro de téléphone illisible (un numéro français attendu) : non repris",
                );
                None
            }
        }
    }

    /// E-mail addresses, separated by `|` (v1) or `;` (v0.1); invalid ones dropped.
    pub fn courriels(&mut self, field: &str, raw: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in split_list(raw, &['|', ';', ',']) {
            if looks_like_email(e) {
                if !out.iter().any(|o: &String| o == e) {
                    out.push(e.to_string());
                }
            } else {
                self.violation(field, e, "adresse électronique invalide : non reprise");
            }
        }
        out
    }

    /// Web addresses: `http(s)://`; a bare `www.…` gets `https://`.
    pub fn urls(&mut self, field: &str, raw: &str, seps: &[char]) -> Vec<String> {
        let mut out = Vec::new();
        for u in split_list(raw, seps) {
            if let Some(url) = self.url(field, u) {
                out.push(url);
            }
        }
        out
    }

    /// One web address.
    pub fn url(&mut self, field: &str, raw: &str) -> Option<String> {
        let u = raw.trim();
        if u.is_empty() {
            return None;
        }
        let starts = |p: &str| {
            u.len() >= p.len() && u.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
        };
        if (starts("https://") || starts("http://"))
            && u.len() > 10
            && !u.contains(char::is_whitespace)
        {
            return Some(u.to_string());
        }
        if !u.contains(char::is_whitespace) && u.contains('.') && !u.contains('@') {
            let fixed = format!("https://{}", u.trim_start_matches("//"));
            self.violation(
                field,
                raw,
                format!("adresse web sans http(s):// : lue comme {fixed}"),
            );
            return Some(fixed);
        }
        self.violation(field, raw, "adresse web invalide : non reprise");
        None
    }

    /// Opening hours: OSM syntax kept; French free text converted when unambiguous, kept as
    /// text otherwise (with a warning either way).
    pub fn horaires(&mut self, field: &str, raw: &str) -> Option<String> {
        if raw.is_empty() {
            return None;
        }
        if hours::is_valid(raw) {
            return Some(raw.to_string());
        }
        match hours::normalize_free_text(raw) {
            HoursGuess::Osm(osm) => {
                self.violation(
                    field,
                    raw,
                    format!("horaires en texte libre : convertis en syntaxe OSM « {osm} »"),
                );
                Some(osm)
            }
            HoursGuess::Unclear(text) => {
                self.violation(
                    field,
                    raw,
                    "horaires illisibles en syntaxe OSM et sans lecture sûre : gardés comme texte",
                );
                Some(text)
            }
        }
    }

    /// Typology codes (data·inclusion v0 list); labels are accepted and turned into codes.
    pub fn typologie(&mut self, field: &str, raw: &str, seps: &[char]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in split_list(raw, seps) {
            let exact = TYPOLOGIES.iter().map(|(c, _)| *c).find(|c| *c == v);
            match exact.or_else(|| typologie_code(v)) {
                Some(code) => {
                    if code != v {
                        self.violation(
                            field,
                            v,
                            format!("typologie écrite « {v} » : lue comme {code}"),
                        );
                    }
                    if !out.iter().any(|o| o == code) {
                        out.push(code.to_string());
                    }
                }
                None => self.violation(
                    field,
                    v,
                    format!("typologie « {v} » absente de la liste data·inclusion : ignorée"),
                ),
            }
        }
        out
    }

    /// A closed list of the standard: each value parsed (leniently on case and accents);
    /// unknown values dropped with a warning naming them.
    pub fn list<T: Copy + PartialEq + 'static>(
        &mut self,
        field: &str,
        raw: &str,
        seps: &[char],
        all: &'static [T],
        parse: impl Fn(&str) -> Option<T>,
        canonical: impl Fn(T) -> &'static str,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for v in split_list(raw, seps) {
            // Exact labels first: the lenient parse folds every label, which is slow.
            let exact = all.iter().copied().find(|x| canonical(*x) == v);
            match exact.or_else(|| parse(v)) {
                Some(x) => {
                    if canonical(x) != v {
                        self.violation(
                            field,
                            v,
                            format!("valeur écrite « {v} » : lue comme « {} »", canonical(x)),
                        );
                    }
                    if !out.contains(&x) {
                        out.push(x);
                    }
                }
                None => self.violation(
                    field,
                    v,
                    format!("valeur « {v} » absente de la liste du standard : ignorée"),
                ),
            }
        }
        out
    }
}

/// Splits a multi-valued cell on any of the separators, trimming and dropping empty values.
pub fn split_list<'s>(raw: &'s str, seps: &[char]) -> impl Iterator<Item = &'s str> + 's {
    let seps: Vec<char> = seps.to_vec();
    raw.split(move |c| seps.contains(&c))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A decimal number written with `.` (or `,`).
pub fn number(raw: &str) -> Option<f64> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    let parsed = if t.contains(',') {
        t.replace(',', ".").parse::<f64>()
    } else {
        t.parse::<f64>()
    };
    parsed.ok().filter(|v| v.is_finite())
}

/// Whether a string looks like one e-mail address.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && !domain.contains('@')
}

/// Whether text contains something a browser would read as markup (`<b>`, `</p>`,
/// `<script`), or a `javascript:` address.
pub fn contains_markup(s: &str) -> bool {
    let b = s.as_bytes();
    let tag = b
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
        && s.contains('>');
    tag || (s.contains(':')
        && s.as_bytes()
            .windows(11)
            .any(|w| w.eq_ignore_ascii_case(b"javascript:")))
}

/// Re-joins CSV fields with the file's delimiter, quoting where needed (rejects file).
pub fn join_csv(fields: &csv::StringRecord, delimiter: u8) -> String {
    let d = delimiter as char;
    fields
        .iter()
        .map(|f| {
            if f.contains(d) || f.contains('"') || f.contains('\n') || f.contains('\r') {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(&d.to_string())
}

/// A JSON value as the text a CSV cell would hold: strings as they are, numbers as written,
/// `null` empty, arrays joined with `sep`.
pub fn json_cell(v: &serde_json::Value, sep: &str) -> String {
    use serde_json::Value;
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| json_cell(i, sep))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(sep),
        Value::Object(_) => v.to_string(),
    }
}

/// How a JSON stream ended.
pub enum JsonEnd {
    /// Every element was read.
    Complete,
    /// The text broke off or went wrong after `read` elements (a truncated file): the message
    /// says where.
    Broken { read: u64, message: String },
}

/// Streams the objects of a JSON array (`[{…}, …]`, or `{"data": […]}` and the like), calling
/// `f(index, value)` for each element, in bounded memory.
pub fn for_each_json_element<R: Read>(
    input: R,
    f: &mut dyn FnMut(u64, serde_json::Value),
) -> Result<JsonEnd, ReadError> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    struct Elements<'f> {
        f: &'f mut dyn FnMut(u64, serde_json::Value),
        count: u64,
        found_array: bool,
    }

    impl<'de> Visitor<'de> for &mut Elements<'_> {
        type Value = ();
        fn expecting(&self, fmt: &mut std::fmt::Formatter) -> std::fmt::Result {
            fmt.write_str("un tableau d'objets JSON")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            self.found_array = true;
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                self.count += 1;
                (self.f)(self.count, v);
            }
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                if !self.found_array
                    && matches!(
                        key.as_str(),
                        "data" | "lieux" | "results" | "items" | "records"
                    )
                {
                    map.next_value_seed(&mut *self)?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }

    impl<'de> DeserializeSeed<'de> for &mut Elements<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    let mut dec = DecodingReader::new(input);
    // Peek at the start for the empty and not-JSON cases, then stream from there.
    let mut head = Vec::new();
    (&mut dec)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| ReadError::Unreadable(e.to_string()))?;
    let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        None => return Err(ReadError::Empty),
        Some(b'[') | Some(b'{') => {}
        Some(_) => {
            return Err(ReadError::NotFormat {
                expected: "JSON",
                detail: "le fichier ne commence pas par [ ni par {".into(),
            })
        }
    }
    let mut elements = Elements {
        f,
        count: 0,
        found_array: false,
    };
    let reader = BufReader::with_capacity(64 * 1024, Cursor::new(head).chain(dec));
    let mut de = serde_json::Deserializer::from_reader(reader);
    let result = (&mut de)
        .deserialize_any(&mut elements)
        .and_then(|()| de.end());
    match result {
        Ok(()) if elements.found_array => Ok(JsonEnd::Complete),
        Ok(()) => Err(ReadError::NotFormat {
            expected: "JSON du standard",
            detail: "aucun tableau de lieux trouvé (attendu [ {…}, … ] ou {\"data\": [ … ]})"
                .into(),
        }),
        Err(e) if elements.count == 0 => Err(ReadError::Unreadable(format!(
            "JSON invalide ligne {} colonne {} : {e}",
            e.line(),
            e.column()
        ))),
        Err(e) => Ok(JsonEnd::Broken {
            read: elements.count,
            message: format!(
                "JSON interrompu ou invalide après l'objet n° {} (ligne {} colonne {} du fichier) : {} ; \
                 les objets précédents sont lus, la suite est perdue",
                elements.count,
                e.line(),
                e.column(),
                e
            ),
        }),
    }
}

/// Records a broken JSON stream as one rejected row after the last complete object.
pub fn json_broken(state: &mut FileState, read: u64, message: String) {
    let line = read + 1;
    state.report.rows += 1;
    state.report.rejected += 1;
    state.report.issues.push(Issue {
        severity: Severity::Error,
        line: Some(line),
        field: None,
        value: None,
        message: message.clone(),
    });
    state
        .report
        .rejected_rows
        .push(RejectedRow { line, raw: message });
}

/// Checks that the required columns are present; a header sharing none of the format's
/// columns is "not this format", one missing some is "missing required columns".
pub fn check_columns(
    header: &[String],
    known: &[&str],
    required: &[&str],
    format_name: &'static str,
) -> Result<(), ReadError> {
    let has = |c: &str| header.iter().any(|h| h == c);
    if !known.iter().any(|k| has(k)) {
        let shown: String = header
            .iter()
            .take(6)
            .map(|h| h.chars().take(30).collect::<String>())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ReadError::NotFormat {
            expected: format_name,
            detail: format!("aucune colonne attendue dans l'en-tête (trouvé : {shown})"),
        });
    }
    let missing: Vec<String> = required
        .iter()
        .filter(|c| !has(c))
        .map(|c| c.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ReadError::MissingColumns(missing))
    }
}

/// The column names used in messages, sorted, for the unknown-keys warning of JSON files.
pub fn unknown_keys_warning(state: &mut FileState, unknown: BTreeSet<String>) {
    if unknown.is_empty() {
        return;
    }
    let list: Vec<String> = unknown.iter().map(|k| format!("« {k} »")).collect();
    state.file_warning(
        None,
        format!("champs inconnus, ignorés : {}", list.join(", ")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_other_spellings_are_read_but_flagged() {
        let d = NaiveDate::from_ymd_opt(2024, 4, 2).expect("valid");
        assert_eq!(parse_date("2024-04-02"), Some((d, true)));
        assert_eq!(parse_date("02/04/2024"), Some((d, false)));
        assert_eq!(parse_date("2024-04-02T10:00:00Z"), Some((d, false)));
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("demain"), None);
    }

    #[test]
    fn markup_is_recognised() {
        assert!(contains_markup("<script>alert(1)</script>"));
        assert!(contains_markup("Bienvenue <b>ici</b>"));
        assert!(contains_markup("javascript:alert(1)"));
        assert!(!contains_markup("enfants < 12 ans et > 6 ans"));
    }
}
