//! Writing places out in the open-data formats re-users expect.
//!
//! The directory is published as the *standard des lieux de médiation numérique* v1.0.1 (CSV,
//! the format the national schema catalogue validates with `frictionless`; and JSON with the
//! same fields), as GeoJSON for maps, and as data·inclusion v1 (`structures` + `services`).
//! Every writer takes plain [`Place`] values and streams to any `io::Write`, so the CLI, the web
//! export endpoint and the tests all produce the same bytes.
//!
//! What a v1.0.1 export decides for values a place may lack or hold in a shape the schema
//! refuses (documented in `docs/export.md`):
//! - no `date_maj`: the *fallback date* of [`ExportOptions`] (by default the export day; the
//!   pipeline sets `date_maj` from the record's observed date at import, so this is rare);
//! - a `pivot` that is not 9 to 14 letters or digits (empty, spaces): `00000000000000`, the
//!   placeholder the national data already uses for "no SIRET";
//! - a phone that is not E.164 French (`+33…`), an INSEE code with a wrong shape: left empty
//!   rather than written invalid;
//! - `presentation_resume` longer than 280 characters: cut at 279 and ended with `…`;
//! - the v1.0.2-only label « Étapes numériques(La Poste) » moves to `autres_formations_labels`
//!   in a v1.0.1 export, so the information is kept in a field v1.0.1 accepts;
//! - a place that lacks a required value the writer cannot invent (`nom`, `commune`,
//!   `code_postal`, `adresse`, `id`, or an `id` already written) is **left out** of the standard
//!   CSV and JSON, so the file stays valid; [`write_standard_csv_report`] returns the list, for
//!   the caller to say so (Haute-Vienne has actors without an address, Aidants Connect a row
//!   without a postal code).

mod data_inclusion;

use std::io::{self, Write};

use chrono::NaiveDate;
use maillage_model::phone::{is_standard_phone, phone_e164};
use maillage_model::{
    check_pivot, is_code_insee, is_code_postal, FormationLabel, PivotCheck, PivotRule, Place,
};
use serde_json::{Map, Value};

pub use data_inclusion::{write_data_inclusion, write_data_inclusion_with, DataInclusionExport};

/// The columns of the standard v1.0.1, in the schema's order (`schema-v1.0.1.json`): the
/// catalogue's ([`maillage_model::fields`]).
pub const STANDARD_FIELDS: [&str; 32] = maillage_model::fields::FIELD_NAMES;

/// The standard's placeholder for a structure without SIRET (what national files write).
pub const PIVOT_PLACEHOLDER: &str = "00000000000000";

/// The standard's limit on `presentation_resume`, in characters.
const RESUME_MAX_CHARS: usize = 280;

/// Choices an export makes for values a place does not have.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// Written as `date_maj` for a place without one (the standard requires the field).
    pub fallback_date: NaiveDate,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            fallback_date: chrono::Utc::now().date_naive(),
        }
    }
}

/// A required field of the standard that a place cannot fill: such a row would fail
/// validation whatever the writer does, so the caller can warn before exporting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportGap {
    pub place_id: String,
    pub field: &'static str,
    pub message: String,
}

/// What a standard export wrote and what it had to leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Places written.
    pub written: usize,
    /// Why each left-out place could not be written (one entry per missing field).
    pub left_out: Vec<ExportGap>,
}

impl ExportReport {
    /// Number of places left out.
    pub fn left_out_places(&self) -> usize {
        let mut ids: Vec<&str> = self.left_out.iter().map(|g| g.place_id.as_str()).collect();
        ids.dedup();
        ids.len()
    }
}

/// The places a standard export writes (in order), and the gaps of those it leaves out: a
/// required value missing, or an id already written.
fn exportable<'a>(places: &'a [Place], report: &mut ExportReport) -> Vec<&'a Place> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(places.len());
    for place in places {
        let mut gaps = export_gaps(place);
        if gaps.is_empty() && !seen.insert(place.id.trim()) {
            gaps.push(ExportGap {
                place_id: place.id.clone(),
                field: "id",
                message: "identifiant déjà exporté : deux lieux ne peuvent pas le partager"
                    .to_string(),
            });
        }
        if gaps.is_empty() {
            out.push(place);
        } else {
            report.left_out.extend(gaps);
        }
    }
    report.written = out.len();
    out
}

/// The required fields of v1.0.1 a place leaves empty or invalid (`nom`, `commune`,
/// `code_postal`, `adresse`, `id`). `pivot` and `date_maj` are always filled by the writer.
pub fn export_gaps(place: &Place) -> Vec<ExportGap> {
    let mut gaps = Vec::new();
    let mut gap = |field: &'static str, message: &str| {
        gaps.push(ExportGap {
            place_id: place.id.clone(),
            field,
            message: message.to_string(),
        })
    };
    if place.id.trim().is_empty() {
        gap(
            "id",
            "identifiant vide : le lieu n'a pas encore été enregistré",
        );
    }
    if place.nom.trim().is_empty() {
        gap("nom", "nom du lieu manquant");
    }
    if place.commune.trim().is_empty() {
        gap("commune", "commune manquante");
    }
    if !is_code_postal(place.code_postal.trim()) {
        gap(
            "code_postal",
            "code postal absent ou qui n'a pas 5 chiffres",
        );
    }
    if place.adresse.trim().is_empty() {
        gap("adresse", "adresse manquante");
    }
    gaps
}

/// One place as the 32 string values of a v1.0.1 row, in [`STANDARD_FIELDS`] order.
pub fn standard_row(place: &Place, options: &ExportOptions) -> [String; 32] {
    let join = |items: Vec<&str>| items.join("|");
    let (labels_v101, labels_moved): (Vec<&FormationLabel>, Vec<&FormationLabel>) = place
        .formations_labels
        .iter()
        .partition(|l| !l.only_in_v1_0_2());
    let mut autres: Vec<String> = place
        .autres_formations_labels
        .iter()
        .map(|s| one_line(s))
        .collect();
    autres.extend(labels_moved.iter().map(|l| l.label().to_string()));
    [
        place.id.trim().to_string(),
        pivot(&place.pivot),
        place.nom.trim().to_string(),
        place.commune.trim().to_string(),
        place.code_postal.trim().to_string(),
        place
            .code_insee
            .as_deref()
            .map(str::trim)
            .filter(|c| is_code_insee(c))
            .unwrap_or("")
            .to_string(),
        place.adresse.trim().to_string(),
        opt(&place.complement_adresse),
        position(place)
            .map(|p| p.lat.to_string())
            .unwrap_or_default(),
        position(place)
            .map(|p| p.lon.to_string())
            .unwrap_or_default(),
        items(&place.typologie),
        place
            .telephone
            .as_deref()
            .and_then(e164_phone)
            .unwrap_or_default(),
        items(&place.courriels),
        items(&place.site_web),
        osm_hours(place).unwrap_or_default().to_string(),
        place
            .presentation_resume
            .as_deref()
            .map(|s| truncate_chars(s.trim(), RESUME_MAX_CHARS))
            .unwrap_or_default(),
        opt(&place.presentation_detail),
        opt(&place.source),
        join(place.itinerance.iter().map(|v| v.label()).collect()),
        opt(&place.structure_parente),
        place
            .date_maj
            .unwrap_or(options.fallback_date)
            .format("%Y-%m-%d")
            .to_string(),
        join(place.services.iter().map(|v| v.label()).collect()),
        join(
            place
                .publics_specifiquement_adresses
                .iter()
                .map(|v| v.label())
                .collect(),
        ),
        join(
            place
                .prise_en_charge_specifique
                .iter()
                .map(|v| v.label())
                .collect(),
        ),
        join(place.frais_a_charge.iter().map(|v| v.label()).collect()),
        join(
            place
                .dispositif_programmes_nationaux
                .iter()
                .map(|v| v.label())
                .collect(),
        ),
        join(labels_v101.iter().map(|v| v.label()).collect()),
        autres.join("|"),
        join(place.modalites_acces.iter().map(|v| v.label()).collect()),
        join(
            place
                .modalites_accompagnement
                .iter()
                .map(|v| v.label())
                .collect(),
        ),
        opt(&place.fiche_acces_libre),
        opt(&place.prise_rdv),
    ]
}

/// Writes the standard v1.0.1 CSV (`,` delimiter, `|` between the values of a list, quoted
/// where needed) with the export day as the fallback `date_maj`. Places that cannot be valid
/// are left out (see [`write_standard_csv_report`] to know which).
pub fn write_standard_csv<W: Write>(places: &[Place], w: W) -> io::Result<()> {
    write_standard_csv_report(places, w, &ExportOptions::default()).map(|_| ())
}

/// [`write_standard_csv`] with explicit [`ExportOptions`].
pub fn write_standard_csv_with<W: Write>(
    places: &[Place],
    w: W,
    options: &ExportOptions,
) -> io::Result<()> {
    write_standard_csv_report(places, w, options).map(|_| ())
}

/// Writes the standard v1.0.1 CSV and says which places were left out and why.
pub fn write_standard_csv_report<W: Write>(
    places: &[Place],
    w: W,
    options: &ExportOptions,
) -> io::Result<ExportReport> {
    let mut report = ExportReport::default();
    let mut out = csv::WriterBuilder::new()
        .delimiter(b',')
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(w);
    out.write_record(STANDARD_FIELDS)?;
    for place in exportable(places, &mut report) {
        out.write_record(standard_row(place, options))?;
    }
    out.flush()?;
    Ok(report)
}

/// One place as a standard JSON object: the same fields and values as the CSV, empty optional
/// fields left out, `latitude`/`longitude` as numbers.
pub fn standard_object(place: &Place, options: &ExportOptions) -> Map<String, Value> {
    use maillage_model::fields::REQUIRED_NAMES as REQUIRED;
    let row = standard_row(place, options);
    let mut object = Map::new();
    for (field, value) in STANDARD_FIELDS.iter().zip(row) {
        match *field {
            "latitude" => {
                if let Some(p) = position(place) {
                    object.insert("latitude".into(), number(p.lat));
                }
            }
            "longitude" => {
                if let Some(p) = position(place) {
                    object.insert("longitude".into(), number(p.lon));
                }
            }
            _ if value.is_empty() && !REQUIRED.contains(field) => {}
            _ => {
                object.insert((*field).to_string(), Value::String(value));
            }
        }
    }
    object
}

/// Writes the standard as a JSON array of objects (see [`standard_object`]); places that
/// cannot be valid are left out, as in the CSV.
pub fn write_standard_json<W: Write>(places: &[Place], w: W) -> io::Result<()> {
    write_standard_json_report(places, w, &ExportOptions::default()).map(|_| ())
}

/// [`write_standard_json`] with explicit [`ExportOptions`].
pub fn write_standard_json_with<W: Write>(
    places: &[Place],
    w: W,
    options: &ExportOptions,
) -> io::Result<()> {
    write_standard_json_report(places, w, options).map(|_| ())
}

/// Writes the standard JSON and says which places were left out and why.
pub fn write_standard_json_report<W: Write>(
    places: &[Place],
    mut w: W,
    options: &ExportOptions,
) -> io::Result<ExportReport> {
    let mut report = ExportReport::default();
    // One object per line inside the array: streamable, and diffs stay readable.
    w.write_all(b"[")?;
    for (i, place) in exportable(places, &mut report).into_iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut w, &standard_object(place, options))?;
    }
    w.write_all(b"\n]\n")?;
    w.flush()?;
    Ok(report)
}

/// Writes a GeoJSON FeatureCollection of the places that have coordinates (a place without
/// them cannot be drawn; it stays in the CSV/JSON exports). Properties are the standard's
/// fields as in [`standard_object`].
pub fn write_geojson<W: Write>(places: &[Place], w: W) -> io::Result<()> {
    write_geojson_with(places, w, &ExportOptions::default())
}

/// [`write_geojson`] with explicit [`ExportOptions`].
pub fn write_geojson_with<W: Write>(
    places: &[Place],
    mut w: W,
    options: &ExportOptions,
) -> io::Result<()> {
    w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")?;
    let mut first = true;
    for place in places {
        let Some(position) = position(place) else {
            continue;
        };
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        let feature = serde_json::json!({
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [number(position.lon), number(position.lat)],
            },
            "properties": Value::Object(standard_object(place, options)),
        });
        serde_json::to_writer(&mut w, &feature)?;
    }
    w.write_all(b"\n]}\n")?;
    w.flush()
}

/// The pivot as v1.0.1 accepts it (`^[a-zA-Z0-9]{9,14}$`), separators removed; otherwise the
/// national placeholder.
fn pivot(raw: &str) -> String {
    // The one pivot rule, as a standard file allows it (SIRET, SIREN or RNA).
    match check_pivot(raw, PivotRule::Standard) {
        PivotCheck::Siret { value, .. } | PivotCheck::SirenOrRna { value } => value,
        PivotCheck::Malformed => PIVOT_PLACEHOLDER.to_string(),
    }
}

/// A French phone number in the E.164 shape the standard's pattern accepts, if it can be
/// written so without guessing.
pub fn e164_phone(raw: &str) -> Option<String> {
    phone_e164(raw).filter(|p| is_standard_phone(p))
}

/// The place's position when both coordinates are numbers (a NaN would make every format
/// invalid).
pub(crate) fn position(place: &Place) -> Option<maillage_model::Position> {
    place
        .position
        .filter(|p| p.lat.is_finite() && p.lon.is_finite())
}

fn opt(value: &Option<String>) -> String {
    value.as_deref().map(str::trim).unwrap_or("").to_string()
}

/// Free-text list items joined with `|`, each made safe with [`one_line`], empty ones dropped.
fn items(values: &[String]) -> String {
    values
        .iter()
        .map(|s| one_line(s))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("|")
}

/// A list item must not carry a `|` (it would split into two values) or a line break.
fn one_line(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| {
            if matches!(c, '|' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The place's hours when they are valid OSM `opening_hours`. Hours kept as free text at
/// import (ambiguous or cut in the source) stay in the store and on the place page, but an
/// open-data export only carries what re-users can parse.
pub(crate) fn osm_hours(place: &Place) -> Option<&str> {
    place
        .horaires
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty() && maillage_model::hours::is_valid(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_become_e164_or_nothing() {
        assert_eq!(
            e164_phone("05 63 12 34 56").as_deref(),
            Some("+33563123456")
        );
        assert_eq!(
            e164_phone("+33 5 63 12 34 56").as_deref(),
            Some("+33563123456")
        );
        // La Réunion keeps its own code (the writer once gave +33262…, the reader +262262…).
        assert_eq!(
            e164_phone("0262 12 34 56").as_deref(),
            Some("+262262123456")
        );
        assert_eq!(
            e164_phone("+262262123456").as_deref(),
            Some("+262262123456")
        );
        assert_eq!(e164_phone("3630"), None);
        assert_eq!(e164_phone("appeler la mairie"), None);
    }

    #[test]
    fn pivots_that_break_the_pattern_become_the_placeholder() {
        assert_eq!(pivot("401 092 267 00020"), "40109226700020");
        assert_eq!(pivot("13002603200016.0"), "13002603200016");
        assert_eq!(pivot(""), PIVOT_PLACEHOLDER);
        assert_eq!(pivot("W123456789"), "W123456789");
    }

    #[test]
    fn long_resume_is_cut_to_280_characters() {
        let s = "é".repeat(400);
        let t = truncate_chars(&s, 280);
        assert_eq!(t.chars().count(), 280);
        assert!(t.ends_with('…'));
    }
}
