//! Cleaning shared by the readers of the non-standard sources (France Services, Aidants
//! Connect, CNFS structures, data·inclusion, mapping files).
//!
//! Those sources write the same facts in many ways: phone numbers as `04 50 56 87 49`,
//! `05.55.100.800` or the float `33630392518`; postal codes that lost their leading zero in a
//! spreadsheet (`2000`); SIRETs as floats. Each reader maps its columns, then hands the place
//! to [`RowCheck`], which applies the same checks to every source and collects the row's
//! issues, so that a row is either imported (maybe with warnings) or rejected with its reasons —
//! never dropped silently.

use std::collections::BTreeMap;
use std::io::Read;

use maillage_model::{is_code_insee, is_code_postal, CommuneLookup, PivotRule, Place, SourceRef};
use sha2::{Digest, Sha256};

pub(crate) use super::common::join_csv;
pub(crate) use super::common::RowCheck;
use super::common::{self, contains_markup, looks_like_email, number, Mode};
use super::ReadError;
use crate::record::{Record, SourceFile};
use crate::report::{Issue, RejectedRow, Report, Severity};

/// Trims a value; `None` when nothing is left.
pub(crate) fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The one phone normaliser, in `model` (re-exported: the readers' callers know it here).
pub use maillage_model::phone::phone_e164;

/// A five-character code (postal or INSEE) from a cell: digits that a spreadsheet turned into a
/// number lose their leading zero (`2000` for `02000`) and may gain `.0`.
pub(crate) fn code5(raw: &str) -> String {
    let t = raw.trim();
    let t = t.strip_suffix(".0").unwrap_or(t);
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{t}")
    } else {
        t.to_ascii_uppercase()
    }
}

/// E-mail addresses from a cell that may hold several (`;`, `,` or spaces between them).
pub(crate) fn emails(raw: &str) -> Vec<String> {
    raw.split([';', ',', ' ', '\n', '/'])
        .map(str::trim)
        // `-` is how several sources write "none".
        .filter(|s| !s.is_empty() && *s != "-")
        .map(str::to_string)
        .collect()
}

/// A stable short id from values, for sources that give none: importing the same file twice
/// must find the same records.
pub fn stable_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.trim().to_lowercase().as_bytes());
        h.update([0x1f]);
    }
    hex::encode(&h.finalize()[..8])
}

/// Removes a trailing `, 87000 Limoges` (or ` 84200 CARPENTRAS`) from an address line: several
/// sources write the postal code and commune into the street field. Returns the street and
/// the postal code found, if any.
pub(crate) fn split_postcode_city(address: &str) -> (String, Option<String>) {
    let a = address.trim();
    // Find the last 5-digit token followed only by letters/spaces/hyphens (the commune).
    let bytes = a.as_bytes();
    let mut i = bytes.len();
    while i >= 5 {
        let start = i - 5;
        let window = &bytes[start..i];
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_digit();
        let after_ok = i == bytes.len() || !bytes[i].is_ascii_digit();
        if window.iter().all(u8::is_ascii_digit) && before_ok && after_ok {
            let tail = &a[i..];
            if tail
                .chars()
                .all(|c| c.is_alphabetic() || " -'’.".contains(c) || c.is_ascii_digit())
                && tail.chars().filter(char::is_ascii_digit).count() <= 2
            {
                let street = a[..start]
                    .trim_end()
                    .trim_end_matches([',', '-'])
                    .trim_end();
                if !street.is_empty() {
                    return (street.to_string(), Some(a[start..i].to_string()));
                }
            }
            break;
        }
        i -= 1;
    }
    (a.to_string(), None)
}

/// What the readers of the other sources add to the one row check ([`RowCheck`]): they fill a
/// [`Place`] field by field from their own columns, then run [`RowCheck::check_place`].
impl RowCheck {
    /// A row of a source: always read for import (only the standard is validated).
    pub fn import(line: u64) -> Self {
        RowCheck::new(line, Mode::Import)
    }

    /// Sets the phone from a raw cell, warning when it is not a French number.
    pub fn phone(&mut self, place: &mut Place, field: &str, raw: &str) {
        let t = raw.trim();
        if t.is_empty() || place.telephone.is_some() {
            return;
        }
        match phone_e164(t) {
            Some(p) => place.telephone = Some(p),
            None => self.warn(
                field,
                t,
                "numéro de téléphone illisible (attendu : un numéro français à 10 chiffres) : non repris",
            ),
        }
    }

    /// Adds the e-mail addresses of a cell, warning about the ones that are not addresses.
    pub fn emails(&mut self, place: &mut Place, field: &str, raw: &str) {
        for e in emails(raw) {
            if looks_like_email(&e) {
                if !place.courriels.contains(&e) {
                    place.courriels.push(e);
                }
            } else {
                self.warn(field, &e, "adresse électronique invalide : non reprise");
            }
        }
    }

    /// Sets the position from two cells, warning when they are unreadable or outside France.
    pub fn set_position(&mut self, place: &mut Place, lat_field: &str, lat: &str, lon: &str) {
        let (la, lo) = (lat.trim(), lon.trim());
        if la.is_empty() && lo.is_empty() {
            return;
        }
        match (number(la), number(lo)) {
            (Some(a), Some(o)) => {
                if let Some(p) = self.coordinates(lat_field, &format!("{la}, {lo}"), a, o) {
                    place.position = Some(p);
                }
            }
            _ => self.warn(
                lat_field,
                &format!("{la}, {lo}"),
                "coordonnées illisibles : ignorées",
            ),
        }
    }

    /// The checks every source gets once its columns are mapped: a name and a commune are
    /// required (error), codes and SIRET are checked (warning, value dropped or flagged), the
    /// INSEE code is filled and the position compared with the commune when a referential is
    /// given.
    pub fn check_place(&mut self, place: &mut Place, lookup: Option<&dyn CommuneLookup>) {
        // Markup is stored as text and never interpreted, but a moderator should see it.
        for (field, value) in [
            ("nom", Some(place.nom.as_str())),
            ("adresse", Some(place.adresse.as_str())),
            ("presentation_resume", place.presentation_resume.as_deref()),
            ("presentation_detail", place.presentation_detail.as_deref()),
        ] {
            if let Some(v) = value.filter(|v| contains_markup(v)) {
                let v = v.to_string();
                self.warn(
                    field,
                    &v,
                    "balises HTML ou script dans le texte : gardées telles quelles comme du texte, jamais interprétées",
                );
            }
        }
        if place.nom.trim().is_empty() {
            self.error("nom", "", "nom manquant : la ligne n'est pas importée");
        }
        if !place.code_postal.is_empty() && !is_code_postal(&place.code_postal) {
            let v = std::mem::take(&mut place.code_postal);
            self.warn(
                "code_postal",
                &v,
                "code postal invalide (5 chiffres attendus) : ignoré",
            );
        }
        if let Some(c) = place.code_insee.take() {
            if is_code_insee(&c) {
                place.code_insee = Some(c);
            } else {
                self.warn("code_insee", &c, "code INSEE invalide : ignoré");
            }
        }
        if place.commune.trim().is_empty()
            && place.code_postal.is_empty()
            && place.code_insee.is_none()
        {
            self.error(
                "commune",
                "",
                "ni commune, ni code postal, ni code INSEE : le lieu ne peut pas être situé, la ligne n'est pas importée",
            );
        }
        if !place.pivot.is_empty() {
            let raw = std::mem::take(&mut place.pivot);
            place.pivot = self.pivot_under("pivot", &raw, PivotRule::SiretOnly);
        }
        if let Some(lookup) = lookup {
            self.locate(place, lookup);
        }
    }

    /// Ends the row: a record when it has no error, a rejected row otherwise. Issues go to the
    /// report either way. The caller counts `report.rows` (one per source row, even when rows
    /// are grouped into one record).
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        mut self,
        report: &mut Report,
        file: &SourceFile,
        source_id: String,
        place: Place,
        extra: BTreeMap<String, String>,
        raw: impl FnOnce() -> String,
        on_record: &mut dyn FnMut(Record),
    ) {
        let rejected = self.has_errors();
        let line = self.line;
        // Capped like the standard's reports (the two copies had drifted: only one capped).
        self.report_into(report);
        if rejected {
            report.rejected += 1;
            report.rejected_rows.push(RejectedRow { line, raw: raw() });
            return;
        }
        let observed = place.date_maj.unwrap_or(file.date);
        on_record(Record {
            source: SourceRef {
                source: file.source.clone(),
                source_id,
            },
            line,
            place,
            observed,
            extra,
        });
    }
}

/// A problem with the whole file (no line), as a warning.
pub(crate) fn file_warning(report: &mut Report, field: Option<&str>, message: impl Into<String>) {
    report.issues.push(Issue {
        severity: Severity::Warning,
        line: None,
        field: field.map(str::to_string),
        value: None,
        message: message.into(),
    });
}

/// One row of a national list, by column name.
pub(crate) struct ListRow<'r> {
    index: &'r BTreeMap<&'r str, usize>,
    pub record: &'r csv::StringRecord,
    pub line: u64,
}

impl<'r> ListRow<'r> {
    /// The trimmed value of a column; empty when the column is absent.
    pub fn get(&self, name: &str) -> &'r str {
        self.index
            .get(name)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
            .trim()
    }

    /// Whether the file has this column.
    pub fn has_column(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The row's own identifier, from its column: an error when empty (a record must be
    /// found again on the next import).
    pub fn id(&self, check: &mut RowCheck, column: &str, message: &str) -> String {
        let id = self.get(column).to_string();
        if id.is_empty() {
            check.error(column, "", message);
        }
        id
    }

    /// Keeps the non-empty values of columns the standard has no field for, under our names
    /// (`(key, column)` pairs), in the record's extra fields.
    pub fn keep_extra(&self, extra: &mut BTreeMap<String, String>, columns: &[(&str, &str)]) {
        for (key, col) in columns {
            if let Some(v) = text(self.get(col)) {
                extra.insert(key.to_string(), v);
            }
        }
    }
}

/// What a national list's reader makes of one row: the source's id and the place (extra
/// fields and issues go to the `extra` and `check` it is given).
pub(crate) type MapRow<'m> =
    dyn FnMut(&ListRow, &mut RowCheck, &mut BTreeMap<String, String>) -> (String, Place) + 'm;

/// Reads a national list (France Services, Aidants Connect, CNFS structures): the CSV opened
/// whatever its encoding and delimiter (a list re-saved by a spreadsheet, Windows-1252 and
/// `;`, reads the same), the required columns checked, each row mapped by `map` and then
/// checked like every source's ([`RowCheck::check_place`]), then imported or rejected with its
/// raw text. A CSV broken mid-file (a bad quote) stops the read
/// with where it broke: the rest cannot be trusted to be split right.
pub(crate) fn read_list<R: Read>(
    input: R,
    required: &[&str],
    file: &SourceFile,
    lookup: Option<&dyn CommuneLookup>,
    map: &mut MapRow,
    on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    let mut input = common::open_csv(input)?;
    let delimiter = input.delimiter;
    let header = std::mem::take(&mut input.header);
    if header.iter().all(String::is_empty) {
        return Err(ReadError::Empty);
    }
    let missing: Vec<String> = required
        .iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ReadError::MissingColumns(missing));
    }
    let index: BTreeMap<&str, usize> = header
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let mut report = Report::default();
    let mut record = csv::StringRecord::new();
    loop {
        match input.reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(ReadError::Unreadable(format!(
                    "CSV illisible près de la ligne {line} : {e}"
                )));
            }
        }
        let row = ListRow {
            index: &index,
            record: &record,
            line: record.position().map(|p| p.line()).unwrap_or(0),
        };
        let mut check = RowCheck::import(row.line);
        let mut extra = BTreeMap::new();
        let (source_id, mut place) = map(&row, &mut check, &mut extra);
        check.check_place(&mut place, lookup);
        report.rows += 1;
        check.finish(
            &mut report,
            file,
            source_id,
            place,
            extra,
            || join_csv(&record, delimiter),
            on_record,
        );
    }
    if report.rows == 0 {
        return Err(ReadError::HeaderOnly);
    }
    report.encoding = Some(common::csv_encoding(&input).to_string());
    report.delimiter = Some(char::from(delimiter));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_that_lost_their_leading_zero() {
        assert_eq!(code5("2000"), "02000");
        assert_eq!(code5("6088"), "06088");
        assert_eq!(code5("16317"), "16317");
        assert_eq!(code5("2a004"), "2A004");
    }

    #[test]
    fn postcode_and_city_split_from_the_street() {
        assert_eq!(
            split_postcode_city("3 Cours Gay Lussac, 87000 Limoges"),
            ("3 Cours Gay Lussac".to_string(), Some("87000".to_string()))
        );
        assert_eq!(
            split_postcode_city("41 RUE PORTE DE MONTEUX 84200 CARPENTRAS"),
            (
                "41 RUE PORTE DE MONTEUX".to_string(),
                Some("84200".to_string())
            )
        );
        assert_eq!(
            split_postcode_city("71 RUE ARCHEREAU 75019 PARIS 19"),
            ("71 RUE ARCHEREAU".to_string(), Some("75019".to_string()))
        );
        assert_eq!(
            split_postcode_city("PL DE LA MAIRIE"),
            ("PL DE LA MAIRIE".to_string(), None)
        );
    }

    #[test]
    fn stable_hash_ignores_case_and_spaces() {
        assert_eq!(
            stable_hash(&["BFM", " Limoges"]),
            stable_hash(&["bfm", "limoges "])
        );
        assert_ne!(stable_hash(&["a", "bc"]), stable_hash(&["ab", "c"]));
    }
}
