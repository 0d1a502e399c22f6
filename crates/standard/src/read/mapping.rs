//! Declarative mapping files: import any CSV or JSON source without writing Rust.
//!
//! Local sources (a métropole's SIG export, an association's spreadsheet, a bus tour) each
//! have their own columns and words. A mapping file (TOML) says, for each field of the
//! standard, which column feeds it, how the source's values translate into the standard's
//! closed lists, which constants apply to every row, how rows are grouped into places (sources
//! with one row per service), which column gives the id, and how hours are read (OSM, or
//! French free text normalised where unambiguous). The shipped examples are
//! `crates/standard/mappings/haute-vienne.toml` and `bus-charente.toml`; the syntax is
//! described in `docs/sources.md`.
//!
//! A mapping is checked when it is loaded (unknown field, a target value that is not in the
//! standard's list, a missing column at read time) so a typo fails loudly before any row is
//! imported.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use maillage_model::fields::{FieldKind, FIELDS};
use maillage_model::{
    hours, typologie_code, CommuneLookup, Dispositif, FormationLabel, Frais, Itinerance,
    ModaliteAcces, ModaliteAccompagnement, Place, PriseEnCharge, Public, Service,
};
use serde::Deserialize;

use super::source_fields::{code5, join_csv, split_postcode_city, stable_hash, text, RowCheck};
use super::ReadError;
use std::io::Cursor;

use super::common;
use crate::decode::{decode, DecodingReader};
use crate::record::{Record, SourceFile};
use crate::report::Report;

/// A mapping file, as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub source: SourceSpec,
    #[serde(default)]
    pub id: Option<IdSpec>,
    #[serde(default)]
    pub group: Option<GroupSpec>,
    #[serde(default)]
    pub geocoding: Option<GeocodingSpec>,
    /// Standard field name → how it is filled.
    pub fields: BTreeMap<String, FieldSpecs>,
    /// Key in [`Record::extra`] → source column, for facts the standard has no field for.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

/// What the file is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// A short name of the source, used when the caller gives none.
    pub name: String,
    /// `csv` or `json` (an array of objects, or an object holding one such array).
    pub format: String,
    /// CSV delimiter; found from the file when absent.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// What the producer is called (the standard's `source` field).
    #[serde(default)]
    pub producer: Option<String>,
}

/// Where the record's id comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdSpec {
    /// A column holding the source's own id.
    #[serde(default)]
    pub column: Option<String>,
    /// Columns whose values are hashed when the source has no id.
    #[serde(default)]
    pub hash: Vec<String>,
}

/// Rows that describe the same place (one row per service) are merged into one record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub by: Vec<String>,
}

/// Geocoding columns (the BAN geocoder's `result_*` columns, or any other), checked against the
/// département the source covers: a result elsewhere is a homonym, not the place.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeocodingSpec {
    pub latitude: String,
    pub longitude: String,
    #[serde(default)]
    pub code_insee: Option<String>,
    /// Départements the places can be in (`["87"]`).
    #[serde(default)]
    pub departements: Vec<String>,
}

/// One field may be fed by several specs (their values are united for list fields; the first
/// non-empty wins for single values).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldSpecs {
    Column(String),
    One(Box<FieldSpec>),
    Many(Vec<FieldSpec>),
}

impl FieldSpecs {
    fn specs(&self) -> Vec<FieldSpec> {
        match self {
            FieldSpecs::Column(c) => vec![FieldSpec {
                column: Some(c.clone()),
                ..FieldSpec::default()
            }],
            FieldSpecs::One(s) => vec![(**s).clone()],
            FieldSpecs::Many(v) => v.clone(),
        }
    }
}

/// How one field is filled.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The source column.
    #[serde(default)]
    pub column: Option<String>,
    /// Several columns: the first non-empty one is used (`tel_fixe`, then `tel_mobile`).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Several columns all read (a form's « Publics » and « Autres publics »): every value of
    /// every one, split and mapped alike, goes into the one list field.
    #[serde(default)]
    pub all_columns: Vec<String>,
    /// Used when no column gave a value for the field (a constant that a row may override).
    #[serde(default)]
    pub default: Option<OneOrMany>,
    /// For `horaires`: one column per weekday (a form's « Lundi » … « Dimanche »), each cell
    /// in French free text or OSM times; `Fermé` or empty means closed.
    #[serde(default)]
    pub days: Option<DaysSpec>,
    /// A constant: one value or a list.
    #[serde(default)]
    pub value: Option<OneOrMany>,
    /// Splits the cell into several values.
    #[serde(default)]
    pub split: Option<String>,
    /// Source value → standard value(s). Compared folded (case, accents, spaces).
    #[serde(default)]
    pub map: BTreeMap<String, OneOrMany>,
    /// Source values known to have no counterpart in the standard: skipped without a warning
    /// (write them here after checking, so that a new value still gets flagged).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// What to do with a value neither mapped nor ignored: `warn` (default) or `ignore`.
    #[serde(default)]
    pub unmapped: Option<String>,
    /// For `adresse`: remove a trailing `, 87000 Limoges` and use its postal code.
    #[serde(default)]
    pub strip_postcode_city: bool,
    /// For `horaires`: `osm` (the value must parse) or `free_text` (French text normalised
    /// where unambiguous, kept as text with a warning otherwise). Default `free_text`.
    #[serde(default)]
    pub hours: Option<String>,
    /// For `horaires`: a column whose value adds a week selector to every rule
    /// (`Semaine paire` → `week 02-52/2`).
    #[serde(default)]
    pub week: Option<WeekSpec>,
}

/// The column of each weekday, for sources that give hours day by day.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaysSpec {
    #[serde(default)]
    pub lundi: Option<String>,
    #[serde(default)]
    pub mardi: Option<String>,
    #[serde(default)]
    pub mercredi: Option<String>,
    #[serde(default)]
    pub jeudi: Option<String>,
    #[serde(default)]
    pub vendredi: Option<String>,
    #[serde(default)]
    pub samedi: Option<String>,
    #[serde(default)]
    pub dimanche: Option<String>,
}

/// French day names, Monday first (the keys of [`DaysSpec`], and the words the free-text
/// normaliser reads).
const DAY_NAMES: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

impl DaysSpec {
    /// (day index from Monday, column) for each day the mapping names.
    fn columns(&self) -> Vec<(usize, &str)> {
        [
            &self.lundi,
            &self.mardi,
            &self.mercredi,
            &self.jeudi,
            &self.vendredi,
            &self.samedi,
            &self.dimanche,
        ]
        .into_iter()
        .enumerate()
        .filter_map(|(d, c)| c.as_deref().map(|c| (d, c)))
        .collect()
    }
}

/// A week selector read from a column.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeekSpec {
    pub column: String,
    pub map: BTreeMap<String, String>,
}

/// A constant or mapped value: one or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// The standard fields a mapping can fill, from the catalogue: every field but `id` (the
/// record's id is the source's own, see `id` in the mapping file), as one value or a list.
fn mappable(list: bool) -> impl Iterator<Item = &'static str> {
    FIELDS
        .iter()
        .filter(move |f| f.name != "id" && (f.kind == FieldKind::List) == list)
        .map(|f| f.name)
}

fn is_list_field(name: &str) -> bool {
    mappable(true).any(|f| f == name)
}

/// Checks that a value belongs to the closed list of a field (free-text fields accept all).
fn valid_list_value(field: &str, v: &str) -> bool {
    match field {
        "typologie" => typologie_code(v).is_some(),
        "itinerance" => Itinerance::from_label(v).is_some(),
        "services" => Service::from_label(v).is_some(),
        "publics_specifiquement_adresses" => Public::from_label(v).is_some(),
        "prise_en_charge_specifique" => PriseEnCharge::from_label(v).is_some(),
        "frais_a_charge" => Frais::from_label(v).is_some(),
        "dispositif_programmes_nationaux" => Dispositif::from_label(v).is_some(),
        "formations_labels" => FormationLabel::from_label(v).is_some(),
        "modalites_acces" => ModaliteAcces::from_label(v).is_some(),
        "modalites_accompagnement" => ModaliteAccompagnement::from_label(v).is_some(),
        _ => true,
    }
}

impl Mapping {
    /// Reads and checks a mapping file.
    pub fn load(path: &Path) -> Result<Mapping, ReadError> {
        let bytes = std::fs::read(path).map_err(|e| {
            ReadError::Unreadable(format!(
                "fichier de correspondance {} illisible : {e}",
                path.display()
            ))
        })?;
        Mapping::parse(&decode(&bytes).text)
            .map_err(|m| ReadError::Unreadable(format!("{} : {m}", path.display())))
    }

    /// Parses and checks a mapping from its TOML text. The error is a French message.
    pub fn parse(toml_text: &str) -> Result<Mapping, String> {
        let m: Mapping = toml::from_str(toml_text)
            .map_err(|e| format!("fichier de correspondance invalide : {e}"))?;
        if !matches!(m.source.format.as_str(), "csv" | "json") {
            return Err(format!(
                "format « {} » inconnu (attendu : csv ou json)",
                m.source.format
            ));
        }
        for (field, specs) in &m.fields {
            let is_list = is_list_field(field);
            if !is_list && !mappable(false).any(|f| f == field) {
                return Err(format!(
                    "champ « {field} » inconnu du standard (champs possibles : {}, {})",
                    mappable(false).collect::<Vec<_>>().join(", "),
                    mappable(true).collect::<Vec<_>>().join(", ")
                ));
            }
            for spec in specs.specs() {
                if spec.column.is_none()
                    && spec.columns.is_empty()
                    && spec.all_columns.is_empty()
                    && spec.value.is_none()
                    && spec.default.is_none()
                    && spec.days.is_none()
                {
                    return Err(format!(
                        "champ « {field} » : il faut une colonne (column, columns, all_columns, days) ou une valeur (value, default)"
                    ));
                }
                if let Some(days) = &spec.days {
                    if field != "horaires" {
                        return Err(format!(
                            "champ « {field} » : days ne sert qu'au champ horaires"
                        ));
                    }
                    if days.columns().is_empty() {
                        return Err(format!(
                            "champ « {field} » : days doit nommer la colonne d'au moins un jour (lundi = \"…\")"
                        ));
                    }
                }
                if spec.split.as_deref() == Some("") {
                    return Err(format!("champ « {field} » : split ne peut pas être vide"));
                }
                let targets = spec
                    .map
                    .values()
                    .flat_map(OneOrMany::values)
                    .chain(spec.value.iter().flat_map(OneOrMany::values))
                    .chain(spec.default.iter().flat_map(OneOrMany::values));
                for t in targets {
                    if is_list && !valid_list_value(field, &t) {
                        return Err(format!(
                            "champ « {field} » : « {t} » n'est pas une valeur de la liste du standard"
                        ));
                    }
                }
                if let Some(h) = &spec.hours {
                    if !matches!(h.as_str(), "osm" | "free_text") {
                        return Err(format!(
                            "champ « {field} » : hours = « {h} » inconnu (osm ou free_text)"
                        ));
                    }
                }
                if let Some(u) = &spec.unmapped {
                    if !matches!(u.as_str(), "warn" | "ignore") {
                        return Err(format!(
                            "champ « {field} » : unmapped = « {u} » inconnu (warn ou ignore)"
                        ));
                    }
                }
                if let Some(w) = &spec.week {
                    for sel in w.map.values() {
                        let probe = format!("{sel} Mo 09:00-12:00");
                        if hours::parse(&probe).is_err() {
                            return Err(format!(
                                "champ « {field} » : sélecteur de semaines « {sel} » invalide en syntaxe OSM"
                            ));
                        }
                    }
                }
            }
        }
        if !m.fields.contains_key("nom") {
            return Err("le champ « nom » doit être renseigné".to_string());
        }
        Ok(m)
    }

    /// Every column the mapping reads (to check the file has them).
    fn columns(&self) -> Vec<String> {
        let mut cols: Vec<String> = Vec::new();
        for specs in self.fields.values() {
            for s in specs.specs() {
                cols.extend(s.column.iter().cloned());
                cols.extend(s.columns.iter().cloned());
                cols.extend(s.all_columns.iter().cloned());
                if let Some(d) = &s.days {
                    cols.extend(d.columns().into_iter().map(|(_, c)| c.to_string()));
                }
                if let Some(w) = &s.week {
                    cols.push(w.column.clone());
                }
            }
        }
        if let Some(id) = &self.id {
            cols.extend(id.column.iter().cloned());
            cols.extend(id.hash.iter().cloned());
        }
        if let Some(g) = &self.group {
            cols.extend(g.by.iter().cloned());
        }
        if let Some(g) = &self.geocoding {
            cols.push(g.latitude.clone());
            cols.push(g.longitude.clone());
            cols.extend(g.code_insee.iter().cloned());
        }
        cols.extend(self.extra.values().cloned());
        cols.sort();
        cols.dedup();
        cols
    }
}

/// One row of the source, its values as text.
struct Row {
    line: u64,
    values: HashMap<String, String>,
    raw: String,
}

impl Row {
    fn get(&self, col: &str) -> &str {
        self.values.get(col).map(|s| s.trim()).unwrap_or("")
    }
}

/// Reads a source with a mapping and hands one record per place (per group of rows when the
/// mapping groups them). A CSV is streamed: without grouping each record is handed on as soon
/// as its row is read, so memory stays bounded whatever the file's size; with grouping, one
/// pending place per group is kept until the end. A JSON file is read whole.
pub fn read<R: Read>(
    mut input: R,
    mapping: &Mapping,
    file: &SourceFile,
    lookup: Option<&dyn CommuneLookup>,
    on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    if mapping.source.format == "json" {
        let mut bytes = Vec::new();
        input
            .read_to_end(&mut bytes)
            .map_err(|e| ReadError::Unreadable(format!("lecture impossible : {e}")))?;
        let decoded = decode(&bytes);
        if decoded.text.trim().is_empty() {
            return Err(ReadError::Empty);
        }
        let (header, rows) = json_rows(&decoded.text)?;
        if rows.is_empty() {
            return Err(ReadError::Empty);
        }
        check_columns(mapping, &header)?;
        let mut report = Report {
            encoding: Some(decoded.encoding.to_string()),
            ..Report::default()
        };
        process(
            mapping,
            &mut report,
            rows.into_iter().map(Ok),
            file,
            lookup,
            on_record,
        )?;
        return Ok(report);
    }

    let mut csv_in = match mapping.source.delimiter.as_deref() {
        None => common::open_csv(input)?,
        Some(given) => {
            let delimiter = match given {
                "\\t" | "\t" => b'\t',
                s if s.len() == 1 => s.as_bytes()[0],
                other => {
                    return Err(ReadError::Unreadable(format!(
                        "séparateur « {other} » invalide dans le fichier de correspondance (un caractère attendu)"
                    )))
                }
            };
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_reader(Cursor::new(Vec::new()).chain(DecodingReader::new(input)));
            let header = reader
                .headers()
                .map_err(|e| ReadError::Unreadable(format!("en-tête illisible : {e}")))?
                .iter()
                .map(|h| h.trim().to_string())
                .collect::<Vec<_>>();
            if header.iter().all(String::is_empty) {
                return Err(ReadError::Empty);
            }
            common::CsvInput {
                reader,
                header,
                delimiter,
                encoding_of: DecodingReader::encoding,
            }
        }
    };
    check_columns(mapping, &csv_in.header)?;
    let delimiter = csv_in.delimiter;
    let mut report = Report {
        delimiter: Some(char::from(delimiter)),
        ..Report::default()
    };
    let header = std::mem::take(&mut csv_in.header);
    let rows = csv_in.reader.records().map(|rec| {
        let rec = rec.map_err(|e| {
            ReadError::Unreadable(format!(
                "CSV illisible près de la ligne {} : {e}",
                e.position().map(|p| p.line()).unwrap_or(0)
            ))
        })?;
        Ok(Row {
            line: rec.position().map(|p| p.line()).unwrap_or(0),
            values: header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect(),
            raw: join_csv(&rec, delimiter),
        })
    });
    process(mapping, &mut report, rows, file, lookup, on_record)?;
    if report.rows == 0 {
        return Err(ReadError::HeaderOnly);
    }
    report.encoding = Some(common::csv_encoding(&csv_in).to_string());
    Ok(report)
}

/// Every column the mapping names must be in the file.
fn check_columns(mapping: &Mapping, header: &[String]) -> Result<(), ReadError> {
    let missing: Vec<String> = mapping
        .columns()
        .into_iter()
        .filter(|c| !header.contains(c))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ReadError::MissingColumns(missing))
    }
}

/// Maps the rows, groups them when the mapping says so, and hands the records on.
fn process(
    mapping: &Mapping,
    report: &mut Report,
    rows: impl Iterator<Item = Result<Row, ReadError>>,
    file: &SourceFile,
    lookup: Option<&dyn CommuneLookup>,
    on_record: &mut dyn FnMut(Record),
) -> Result<(), ReadError> {
    // Places in the order their first row appears; with grouping, later rows merge in.
    let mut order: Vec<String> = Vec::new();
    let mut places: HashMap<String, Pending> = HashMap::new();
    for row in rows {
        let row = row?;
        let mut check = RowCheck::import(row.line);
        let (mut place, extra) = map_row(mapping, &row, &mut check);
        check.check_place(&mut place, lookup);
        let key = match &mapping.group {
            Some(g) => stable_hash(&g.by.iter().map(|c| row.get(c)).collect::<Vec<_>>()),
            None => format!("{}", row.line),
        };
        let source_id = match &mapping.id {
            Some(IdSpec {
                column: Some(c), ..
            }) if mapping.group.is_none() => row.get(c).to_string(),
            Some(IdSpec { hash, .. }) if !hash.is_empty() && mapping.group.is_none() => {
                stable_hash(&hash.iter().map(|c| row.get(c)).collect::<Vec<_>>())
            }
            _ if mapping.group.is_some() => key.clone(),
            _ => stable_hash(&[&row.raw]),
        };
        if source_id.is_empty() {
            check.error(
                "id",
                "",
                "identifiant manquant : la ligne n'est pas importée",
            );
        }
        report.rows += 1;
        if check.has_errors() {
            let raw = row.raw.clone();
            check.finish(report, file, source_id, place, extra, || raw, on_record);
            continue;
        }
        if mapping.group.is_none() {
            // Nothing to merge into: handed on now, so a big file streams.
            let p = Pending {
                source_id,
                place,
                extra,
                check,
                lines: vec![row.line],
            };
            emit(p, false, report, file, on_record);
            continue;
        }
        match places.get_mut(&key) {
            Some(p) => p.merge(place, extra, check, &row),
            None => {
                order.push(key.clone());
                places.insert(
                    key,
                    Pending {
                        source_id,
                        place,
                        extra,
                        check,
                        lines: vec![row.line],
                    },
                );
            }
        }
    }
    for key in order {
        if let Some(p) = places.remove(&key) {
            emit(p, true, report, file, on_record);
        }
    }
    Ok(())
}

/// Ends a place: the lines it was built from (grouped sources), a warning when no service of
/// the standard was recognised, then the record.
fn emit(
    mut p: Pending,
    grouped: bool,
    report: &mut Report,
    file: &SourceFile,
    on_record: &mut dyn FnMut(Record),
) {
    if grouped {
        p.extra.insert(
            "lignes_source".to_string(),
            p.lines
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    if p.place.services.is_empty() {
        p.check.warn(
            "services",
            "",
            "aucun service du standard reconnu pour ce lieu (le standard en demande au moins un)",
        );
    }
    p.check.finish(
        report,
        file,
        p.source_id,
        p.place,
        p.extra,
        String::new,
        on_record,
    );
}

/// A place being built from one or more rows.
struct Pending {
    source_id: String,
    place: Place,
    extra: BTreeMap<String, String>,
    check: RowCheck,
    lines: Vec<u64>,
}

impl Pending {
    /// Merges a later row of the same place: lists are united, a single value is kept from
    /// the first row that has one (a different later value is reported).
    fn merge(&mut self, other: Place, extra: BTreeMap<String, String>, check: RowCheck, row: &Row) {
        self.lines.push(row.line);
        self.check.absorb(check);
        let p = &mut self.place;
        macro_rules! unite {
            ($($f:ident),*) => {$(
                for v in other.$f {
                    if !p.$f.contains(&v) {
                        p.$f.push(v);
                    }
                }
            )*};
        }
        unite!(
            typologie,
            courriels,
            site_web,
            itinerance,
            services,
            publics_specifiquement_adresses,
            prise_en_charge_specifique,
            frais_a_charge,
            dispositif_programmes_nationaux,
            formations_labels,
            autres_formations_labels,
            modalites_acces,
            modalites_accompagnement
        );
        macro_rules! first {
            ($($f:ident),*) => {$(
                match (&p.$f, other.$f) {
                    (None, Some(v)) => p.$f = Some(v),
                    (Some(a), Some(b)) if *a != b => self.check.warn_at(
                        row.line,
                        stringify!($f),
                        &b.to_string(),
                        format!("autre valeur pour le même lieu que la ligne {} : « {} » gardé", self.lines[0], a),
                    ),
                    _ => {}
                }
            )*};
        }
        // Sources with one row per service describe each service in the comment: all the
        // distinct texts are kept, one per line.
        match (&mut p.presentation_detail, other.presentation_detail) {
            (None, Some(v)) => p.presentation_detail = Some(v),
            (Some(cur), Some(v)) if !cur.lines().any(|l| l == v) => {
                cur.push('\n');
                cur.push_str(&v);
            }
            _ => {}
        }
        first!(
            telephone,
            horaires,
            presentation_resume,
            structure_parente,
            fiche_acces_libre,
            prise_rdv,
            complement_adresse,
            code_insee
        );
        if p.position.is_none() {
            p.position = other.position;
        }
        if p.pivot.is_empty() {
            p.pivot = other.pivot;
        }
        if p.code_postal.is_empty() {
            p.code_postal = other.code_postal;
        }
        for (k, v) in extra {
            match self.extra.get_mut(&k) {
                None => {
                    self.extra.insert(k, v);
                }
                Some(cur) => {
                    if !cur.split(" | ").any(|x| x == v) {
                        cur.push_str(" | ");
                        cur.push_str(&v);
                    }
                }
            }
        }
    }
}

/// Maps one row to a place with the mapping's rules.
fn map_row(
    mapping: &Mapping,
    row: &Row,
    check: &mut RowCheck,
) -> (Place, BTreeMap<String, String>) {
    let mut place = Place {
        source: mapping
            .source
            .producer
            .clone()
            .or_else(|| Some(mapping.source.name.clone())),
        ..Place::default()
    };
    let mut extra = BTreeMap::new();
    let mut lat = String::new();
    let mut lon = String::new();
    for (field, specs) in &mapping.fields {
        let mut values: Vec<String> = Vec::new();
        let specs = specs.specs();
        for spec in &specs {
            if let Some(v) = &spec.value {
                values.extend(v.values());
            }
            if let (Some(days), "horaires") = (&spec.days, field.as_str()) {
                values.extend(read_week(days, row, check, &mut extra));
            }
            for (col, cell) in cells(spec, row) {
                map_cell(
                    field,
                    spec,
                    &col,
                    cell,
                    row,
                    check,
                    &mut place,
                    &mut extra,
                    &mut values,
                );
            }
        }
        if values.is_empty() {
            values = specs
                .iter()
                .find_map(|s| s.default.as_ref())
                .map(OneOrMany::values)
                .unwrap_or_default();
        }
        if values.is_empty() {
            continue;
        }
        set_field(&mut place, field, values, check, &mut lat, &mut lon);
    }
    if !lat.is_empty() || !lon.is_empty() {
        check.set_position(&mut place, "latitude", &lat, &lon);
    }
    if let Some(g) = &mapping.geocoding {
        geocode(g, row, &mut place, check);
    }
    for (key, col) in &mapping.extra {
        if let Some(v) = text(row.get(col)) {
            extra.insert(key.clone(), v);
        }
    }
    (place, extra)
}

/// Maps one non-empty cell of a field into `values`: hours read, an address stripped of its
/// postal code and city, or a cell split and translated value by value.
#[allow(clippy::too_many_arguments)]
fn map_cell(
    field: &str,
    spec: &FieldSpec,
    col: &str,
    cell: &str,
    row: &Row,
    check: &mut RowCheck,
    place: &mut Place,
    extra: &mut BTreeMap<String, String>,
    values: &mut Vec<String>,
) {
    let is_list = is_list_field(field);
    if field == "horaires" {
        if let Some(h) = read_hours(spec, col, cell, row, check, extra) {
            values.push(h);
        }
        return;
    }
    if field == "adresse" && spec.strip_postcode_city {
        let (street, cp) = split_postcode_city(cell);
        if let Some(cp) = cp {
            if place.code_postal.is_empty() {
                place.code_postal = cp;
            }
        }
        values.push(street);
        return;
    }
    let parts: Vec<String> = match &spec.split {
        Some(sep) => split_quoted(cell, sep),
        None => vec![cell.to_string()],
    };
    for part in parts.iter().filter(|p| !p.is_empty()) {
        values.extend(translate(field, spec, col, part, is_list, check));
    }
}

/// The non-empty cells a spec reads, with their column: its column, or the first non-empty
/// of its `columns`, then every non-empty one of its `all_columns`.
fn cells<'r>(spec: &FieldSpec, row: &'r Row) -> Vec<(String, &'r str)> {
    let first = spec
        .column
        .iter()
        .chain(&spec.columns)
        .map(|c| (c.clone(), row.get(c)))
        .find(|(_, v)| !v.is_empty());
    let all = spec
        .all_columns
        .iter()
        .map(|c| (c.clone(), row.get(c)))
        .filter(|(_, v)| !v.is_empty());
    first.into_iter().chain(all).collect()
}

/// Splits a multi-choice cell on `sep`, reading quoted values the way form tools write them:
/// `"a","b"`, `a,"b, c",d`, and the export whose outer quotes the CSV layer already took
/// (`a","b`). A separator inside quotes belongs to the value; stray quotes at a value's ends
/// are dropped; values are trimmed and empty ones left out.
pub fn split_quoted(cell: &str, sep: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: &str| {
        let v = v.trim().trim_matches('"').trim();
        if !v.is_empty() {
            out.push(v.to_string());
        }
    };
    if sep.is_empty() {
        push(cell);
        return out;
    }
    let mut rest = cell;
    loop {
        let r = rest.trim_start();
        if let Some(q) = r.strip_prefix('"') {
            // A quoted value ends at a quote followed by the separator or the end of the cell;
            // other quotes are part of it.
            let mut from = 0;
            let mut end: Option<(usize, Option<usize>)> = None;
            while let Some(i) = q[from..].find('"') {
                let at = from + i;
                let after = q[at + 1..].trim_start();
                if after.is_empty() {
                    end = Some((at, None));
                    break;
                }
                if after.starts_with(sep) {
                    end = Some((at, Some(q.len() - after.len() + sep.len())));
                    break;
                }
                from = at + 1;
            }
            match end {
                Some((at, Some(next))) => {
                    push(&q[..at]);
                    rest = &q[next..];
                }
                Some((at, None)) => {
                    push(&q[..at]);
                    break;
                }
                // Never closed: the rest of the cell is the value.
                None => {
                    push(q);
                    break;
                }
            }
        } else {
            match r.find(sep) {
                Some(i) => {
                    push(&r[..i]);
                    rest = &r[i + sep.len()..];
                }
                None => {
                    push(r);
                    break;
                }
            }
        }
    }
    out
}

/// Words of a weekday cell meaning "closed that day" (compared folded).
const CLOSED_WORDS: &[&str] = &["ferme", "fermee", "closed", "off", "-"];

/// Reads one day's cell: its intervals (none when closed), or `None` when no safe reading
/// exists. Tried in order: times only (`9h à 12h et 14h à 17h`, `09:00-12:00,14:00-17:00`),
/// then OSM rules for that day, then French free text read as that day's.
fn read_day(day: usize, cell: &str) -> Option<Vec<(chrono::NaiveTime, chrono::NaiveTime)>> {
    let t = cell.trim();
    if t.is_empty() || CLOSED_WORDS.contains(&maillage_model::fold(t).as_str()) {
        return Some(Vec::new());
    }
    if let hours::DayHours::Ranges(r) = hours::parse_day_ranges(t) {
        return Some(r);
    }
    let osm_day = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"][day];
    let candidates = [
        format!("{osm_day} {t}"),
        match hours::normalize_free_text(&format!("{} {t}", DAY_NAMES[day])) {
            hours::HoursGuess::Osm(s) => s,
            hours::HoursGuess::Unclear(_) => String::new(),
        },
    ];
    for osm in candidates.iter().filter(|c| hours::parse(c).is_ok()) {
        let week = hours::week_table(osm);
        // A cell of Monday's column that names other days is not Monday's hours.
        let only_this_day = week
            .iter()
            .enumerate()
            .all(|(d, r)| d == day || r.is_empty());
        if only_this_day && !week[day].is_empty() {
            return Some(week[day].clone());
        }
    }
    None
}

/// Combines one column per weekday into one OSM value (`Mo 09:00-12:00,14:00-17:00; Tu …`).
/// A cell with no safe reading is reported (line, column, value) and the week is then kept
/// as text in `horaires_texte` rather than published with that day wrongly shown closed.
fn read_week(
    days: &DaysSpec,
    row: &Row,
    check: &mut RowCheck,
    extra: &mut BTreeMap<String, String>,
) -> Option<String> {
    let mut week: [Vec<(chrono::NaiveTime, chrono::NaiveTime)>; 7] = Default::default();
    let mut unclear = false;
    let mut as_text = Vec::new();
    for (d, col) in days.columns() {
        let cell = row.get(col);
        if !cell.is_empty() {
            as_text.push(format!("{} : {cell}", DAY_NAMES[d]));
        }
        match read_day(d, cell) {
            Some(r) => week[d] = r,
            None => {
                unclear = true;
                check.warn(
                    col,
                    cell,
                    format!(
                        "horaires du {} sans lecture sûre : horaires de la semaine gardés en texte, non publiés au format OSM",
                        DAY_NAMES[d]
                    ),
                );
            }
        }
    }
    if unclear {
        extra.insert("horaires_texte".to_string(), as_text.join(" ; "));
        return None;
    }
    hours::week_to_osm(&week)
}

/// Translates one source value with the spec's map. Unmapped list values are warned about
/// (or skipped when the spec says so); free-text fields keep unmapped values as they are.
fn translate(
    field: &str,
    spec: &FieldSpec,
    col: &str,
    value: &str,
    is_list: bool,
    check: &mut RowCheck,
) -> Vec<String> {
    let f = maillage_model::fold(value);
    if let Some((_, to)) = spec
        .map
        .iter()
        .find(|(from, _)| maillage_model::fold(from) == f)
    {
        return to.values();
    }
    if spec.ignore.iter().any(|i| maillage_model::fold(i) == f) {
        return Vec::new();
    }
    let closed = is_list && !matches!(field, "courriels" | "site_web" | "autres_formations_labels");
    if closed && !valid_list_value(field, value) {
        if spec.unmapped.as_deref() != Some("ignore") {
            check.warn(
                col,
                value,
                format!("valeur sans correspondance dans la liste « {field} » du standard : non reprise"),
            );
        }
        return Vec::new();
    }
    vec![value.to_string()]
}

/// Reads the hours cell: OSM as given, or French free text normalised; a week selector is
/// added to every rule when the spec has one.
fn read_hours(
    spec: &FieldSpec,
    col: &str,
    cell: &str,
    row: &Row,
    check: &mut RowCheck,
    extra: &mut BTreeMap<String, String>,
) -> Option<String> {
    let f = maillage_model::fold(cell);
    if spec.ignore.iter().any(|i| maillage_model::fold(i) == f) {
        extra.insert("horaires_texte".to_string(), cell.to_string());
        return None;
    }
    let osm = match spec.hours.as_deref() {
        Some("osm") => match hours::parse(cell) {
            Ok(_) => cell.to_string(),
            Err(e) => {
                check.warn(
                    col,
                    cell,
                    format!("horaires invalides en syntaxe OSM ({e}) : gardés en texte"),
                );
                extra.insert("horaires_texte".to_string(), cell.to_string());
                return None;
            }
        },
        _ => match hours::normalize_free_text(cell) {
            hours::HoursGuess::Osm(s) => s,
            hours::HoursGuess::Unclear(t) => {
                check.warn(
                    col,
                    cell,
                    "horaires en texte libre sans lecture sûre : gardés en texte, non publiés au format OSM",
                );
                extra.insert("horaires_texte".to_string(), t);
                return None;
            }
        },
    };
    let Some(week) = &spec.week else {
        return Some(osm);
    };
    let w = row.get(&week.column);
    if w.is_empty() {
        return Some(osm);
    }
    let fw = maillage_model::fold(w);
    match week.map.iter().find(|(k, _)| maillage_model::fold(k) == fw) {
        Some((_, sel)) => {
            let combined = with_week_selector(&osm, sel);
            match hours::parse(&combined) {
                Ok(_) => Some(combined),
                Err(e) => {
                    check.warn(&week.column, w, format!("semaines non combinables avec les horaires ({e}) : horaires sans semaines"));
                    Some(osm)
                }
            }
        }
        None => {
            check.warn(
                &week.column,
                w,
                "valeur de semaines inconnue du fichier de correspondance : horaires repris sans elle",
            );
            Some(osm)
        }
    }
}

/// Adds a week selector (`week 02-52/2`) before every rule that opens on weekdays, leaving
/// `PH off` and the like alone: `Mo 09:30-12:30; PH off` → `week 02-52/2 Mo 09:30-12:30; PH off`.
pub fn with_week_selector(osm: &str, selector: &str) -> String {
    osm.split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            let starts_with_day = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
                .iter()
                .any(|d| r.starts_with(d));
            let starts_with_time = r.as_bytes().first().is_some_and(u8::is_ascii_digit);
            if starts_with_day || starts_with_time {
                format!("{selector} {r}")
            } else {
                r.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Puts mapped values into the place, parsing closed lists.
fn set_field(
    place: &mut Place,
    field: &str,
    values: Vec<String>,
    check: &mut RowCheck,
    lat: &mut String,
    lon: &mut String,
) {
    fn push_parsed<T: PartialEq>(
        list: &mut Vec<T>,
        values: &[String],
        parse: fn(&str) -> Option<T>,
    ) {
        for v in values {
            if let Some(x) = parse(v) {
                if !list.contains(&x) {
                    list.push(x);
                }
            }
        }
    }
    let first = values[0].clone();
    match field {
        "pivot" => place.pivot = first,
        "nom" => place.nom = first,
        "commune" => place.commune = first,
        "code_postal" => place.code_postal = code5(&first),
        "code_insee" => place.code_insee = Some(code5(&first)),
        "adresse" => place.adresse = first,
        "complement_adresse" => place.complement_adresse = Some(first),
        "latitude" => *lat = first,
        "longitude" => *lon = first,
        "telephone" => check.phone(place, "telephone", &first),
        "horaires" => place.horaires = Some(first),
        "presentation_resume" => place.presentation_resume = Some(first),
        "presentation_detail" => place.presentation_detail = Some(first),
        "source" => place.source = Some(first),
        "structure_parente" => place.structure_parente = Some(first),
        "fiche_acces_libre" => place.fiche_acces_libre = Some(first),
        "prise_rdv" => place.prise_rdv = Some(first),
        "date_maj" => match parse_date(&first) {
            Some(d) => place.date_maj = Some(d),
            None => check.warn(
                "date_maj",
                &first,
                "date illisible (attendu AAAA-MM-JJ ou JJ/MM/AAAA) : ignorée",
            ),
        },
        "typologie" => {
            for v in &values {
                if let Some(c) = typologie_code(v) {
                    if !place.typologie.iter().any(|t| t == c) {
                        place.typologie.push(c.to_string());
                    }
                }
            }
        }
        "courriels" => {
            for v in &values {
                check.emails(place, "courriels", v);
            }
        }
        "site_web" => {
            for v in values {
                if !place.site_web.contains(&v) {
                    place.site_web.push(v);
                }
            }
        }
        "autres_formations_labels" => {
            for v in values {
                if !place.autres_formations_labels.contains(&v) {
                    place.autres_formations_labels.push(v);
                }
            }
        }
        "itinerance" => push_parsed(&mut place.itinerance, &values, Itinerance::from_label),
        "services" => push_parsed(&mut place.services, &values, Service::from_label),
        "publics_specifiquement_adresses" => push_parsed(
            &mut place.publics_specifiquement_adresses,
            &values,
            Public::from_label,
        ),
        "prise_en_charge_specifique" => push_parsed(
            &mut place.prise_en_charge_specifique,
            &values,
            PriseEnCharge::from_label,
        ),
        "frais_a_charge" => push_parsed(&mut place.frais_a_charge, &values, Frais::from_label),
        "dispositif_programmes_nationaux" => push_parsed(
            &mut place.dispositif_programmes_nationaux,
            &values,
            Dispositif::from_label,
        ),
        "formations_labels" => push_parsed(
            &mut place.formations_labels,
            &values,
            FormationLabel::from_label,
        ),
        "modalites_acces" => push_parsed(
            &mut place.modalites_acces,
            &values,
            ModaliteAcces::from_label,
        ),
        "modalites_accompagnement" => push_parsed(
            &mut place.modalites_accompagnement,
            &values,
            ModaliteAccompagnement::from_label,
        ),
        _ => {}
    }
}

/// The one date parser of maillage (`model::dates`).
use maillage_model::dates::parse_date_any as parse_date;

/// Takes position and INSEE code from geocoding columns, unless the result lies outside the
/// source's départements (a homonym: « Saint-Paul » found in Guadeloupe for a Haute-Vienne
/// village).
fn geocode(g: &GeocodingSpec, row: &Row, place: &mut Place, check: &mut RowCheck) {
    let (lat, lon) = (row.get(&g.latitude), row.get(&g.longitude));
    if lat.is_empty() && lon.is_empty() {
        return;
    }
    let code = g
        .code_insee
        .as_deref()
        .map(|c| code5(row.get(c)))
        .filter(|c| !c.is_empty());
    if let Some(code) = &code {
        let dep = maillage_model::departement_of(code).unwrap_or("");
        if !g.departements.is_empty() && !g.departements.iter().any(|d| d == dep) {
            check.warn(
                &g.latitude,
                &format!("{lat}, {lon} ({code})"),
                format!(
                    "géocodage hors du territoire de la source ({}) : commune homonyme probable, position et code INSEE ignorés",
                    g.departements.join(", ")
                ),
            );
            return;
        }
    }
    if place.position.is_none() {
        check.set_position(place, &g.latitude, lat, lon);
    }
    if place.code_insee.is_none() {
        place.code_insee = code;
    }
}

/// What a column name says it holds, for [`template`]: (field, words any of which names it,
/// words that rule it out). Compared on the folded name's words.
const GUESSES: &[(&str, &[&str], &[&str])] = &[
    (
        "courriels",
        &["courriel", "mail", "email", "e-mail", "mel"],
        &[],
    ),
    ("site_web", &["site", "web", "internet", "url"], &["mail"]),
    (
        "telephone",
        &["telephone", "tel", "tél", "portable", "mobile"],
        &[],
    ),
    ("code_postal", &["cp", "postal"], &[]),
    (
        "commune",
        &["commune", "ville", "localite"],
        &["code", "insee"],
    ),
    (
        "adresse",
        &["adresse", "rue", "voie"],
        &["mail", "courriel", "web", "site"],
    ),
    (
        "nom",
        &["nom", "denomination", "structure", "organisme"],
        &["contact", "referent", "prenom"],
    ),
];

/// Writes a mapping template for a CSV file from its header: the obvious columns (name,
/// address, postal code, commune, phone, e-mail, web site, one column per weekday) are filled
/// in, the others are kept in `[extra]` and listed in comments with a sample of how to map a
/// closed list. The result loads with [`Mapping::parse`] and reads the file; a person then
/// checks it and maps the remaining columns (see `docs/mapping.md`).
pub fn template<R: Read>(input: R, name: &str) -> Result<String, ReadError> {
    let csv_in = common::open_csv(input)?;
    let header: Vec<String> = csv_in
        .header
        .iter()
        .filter(|h| !h.is_empty())
        .cloned()
        .collect();
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut used: Vec<&str> = Vec::new();
    let mut fields: Vec<(&str, &str)> = Vec::new();
    let mut days: Vec<(&str, &str)> = Vec::new();
    for h in &header {
        let f = maillage_model::fold(h);
        if let Some(d) = DAY_NAMES
            .iter()
            .find(|d| f == **d || f.starts_with(&format!("{d} ")))
        {
            if !days.iter().any(|(x, _)| x == d) {
                days.push((d, h));
                used.push(h);
            }
        }
    }
    for (field, words, not) in GUESSES {
        let found = header.iter().find(|h| {
            let f = maillage_model::fold(h);
            let ws: Vec<&str> = f
                .split(|c: char| !c.is_alphanumeric() && c != '-')
                .filter(|w| !w.is_empty())
                .collect();
            !used.contains(&h.as_str())
                && ws.iter().any(|w| words.contains(w))
                && !ws.iter().any(|w| not.contains(w))
        });
        if let Some(h) = found {
            used.push(h);
            fields.push((field, h));
        }
    }
    let mut out = String::new();
    out.push_str("# Fichier de correspondance écrit par `maillage mapping init` : à relire.\n");
    out.push_str("# Chaque option est décrite, avec un exemple, dans docs/mapping.md.\n\n");
    out.push_str("[source]\n");
    out.push_str(&format!("name = {}\nformat = \"csv\"\n", q(name)));
    out.push_str(&format!(
        "delimiter = {}\n",
        q(&char::from(csv_in.delimiter).to_string())
    ));
    out.push_str("# producer = \"Qui publie ce fichier\"\n\n");
    let id_cols: Vec<String> = ["nom", "adresse", "commune"]
        .iter()
        .filter_map(|f| fields.iter().find(|(x, _)| x == f).map(|(_, h)| q(h)))
        .collect();
    if !id_cols.is_empty() {
        out.push_str(
            "# Pas d'identifiant dans le fichier : le lieu est reconnu d'un import à l'autre par\n",
        );
        out.push_str("# ces colonnes (ou `column = \"…\"` si le fichier a un identifiant).\n");
        out.push_str(&format!("[id]\nhash = [{}]\n\n", id_cols.join(", ")));
    }
    out.push_str("[fields]\n");
    if !fields.iter().any(|(f, _)| *f == "nom") {
        if let Some(first) = header.iter().find(|h| !used.contains(&h.as_str())) {
            out.push_str("# Colonne du nom non reconnue : la première colonne, à vérifier.\n");
            used.push(first);
            fields.insert(0, ("nom", first));
        }
    }
    for (field, h) in &fields {
        out.push_str(&format!("{field} = {}\n", q(h)));
    }
    if !days.is_empty() {
        out.push_str("\n# Une colonne par jour, en texte libre (« 9h à 12h et 14h à 17h », « Fermé ») ou OSM.\n");
        out.push_str("[fields.horaires.days]\n");
        for (d, h) in &days {
            out.push_str(&format!("{d} = {}\n", q(h)));
        }
    }
    let rest: Vec<&String> = header
        .iter()
        .filter(|h| !used.contains(&h.as_str()))
        .collect();
    if !rest.is_empty() {
        out.push_str(
            "\n# Colonnes non reconnues, gardées telles quelles ci-dessous. Pour en relier une à\n",
        );
        out.push_str("# une liste du standard, par exemple :\n");
        out.push_str(&format!(
            "# [fields.services]\n# column = {}\n# split = \",\"\n# map = {{ \"valeur de la source\" = \"Aide aux démarches administratives\" }}\n",
            q(rest[0])
        ));
        out.push_str("\n[extra]\n");
        for h in rest {
            out.push_str(&format!("{} = {}\n", q(h), q(h)));
        }
    }
    Ok(out)
}

/// Rows of a JSON file: an array of objects, or an object holding one array of objects.
fn json_rows(text: &str) -> Result<(Vec<String>, Vec<Row>), ReadError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ReadError::Unreadable(format!(
            "JSON illisible (ligne {}, colonne {}) : {e}",
            e.line(),
            e.column()
        ))
    })?;
    let items = match v {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => o
            .into_iter()
            .find_map(|(_, v)| match v {
                serde_json::Value::Array(a) => Some(a),
                _ => None,
            })
            .ok_or_else(|| ReadError::NotFormat {
                expected: "JSON",
                detail: "le JSON ne contient pas de liste d'objets".to_string(),
            })?,
        _ => {
            return Err(ReadError::NotFormat {
                expected: "JSON",
                detail: "le JSON n'est pas une liste d'objets".to_string(),
            })
        }
    };
    let mut header: Vec<String> = Vec::new();
    let mut rows = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let serde_json::Value::Object(obj) = &item else {
            return Err(ReadError::NotFormat {
                expected: "JSON",
                detail: format!("l'élément {} du JSON n'est pas un objet", i + 1),
            });
        };
        let mut values = HashMap::new();
        for (k, v) in obj {
            if !header.contains(k) {
                header.push(k.clone());
            }
            let s = match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                other => other.to_string(),
            };
            values.insert(k.clone(), s);
        }
        rows.push(Row {
            line: i as u64 + 1,
            values,
            raw: item.to_string(),
        });
    }
    Ok((header, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_selector_goes_before_each_day_rule() {
        assert_eq!(
            with_week_selector("Mo 09:30-12:30,13:30-15:30; PH off", "week 01-53/2"),
            "week 01-53/2 Mo 09:30-12:30,13:30-15:30; PH off"
        );
        assert!(hours::parse("week 02-52/2 Tu 09:30-12:00; PH off").is_ok());
    }

    #[test]
    fn a_typo_in_a_mapping_fails_at_load() {
        let bad = r#"
            [source]
            name = "x"
            format = "csv"
            [fields]
            nom = "nom"
            services = { column = "s", map = { "a" = "Aide aux démarches administratves" } }
        "#;
        let err = Mapping::parse(bad).unwrap_err();
        assert!(err.contains("Aide aux démarches administratves"), "{err}");
        let unknown = r#"
            [source]
            name = "x"
            format = "csv"
            [fields]
            nom = "nom"
            servises = "s"
        "#;
        assert!(Mapping::parse(unknown).unwrap_err().contains("servises"));
    }
}
