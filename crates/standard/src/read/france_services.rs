//! The France Services list published by the ANCT (`liste-fs-AAAAMMJJ.csv`), both vintages.
//!
//! Every France Services is a place of the directory, but the list is not in the standard: it
//! has one column of hours per weekday (`09:00 - 12:00 / 13:30 - 17:00`), no SIRET, no
//! services, and its own words for itinerance. The 2024 vintage says `format_fs` =
//! `Itinérante` or `Bus_équivalent` for itinerant sites and has `prise_rdv`, `type_fs`,
//! `groupe_fs`, `labellisation_fs`; the 2022 vintage has `itinerance` (`Oui`/`Non`),
//! `format_fs` (`Site principal`/`Antenne`), `groupe`, `labellisation`. Both are read here; the
//! vintage is told by the header. What the standard has no field for (labelling date, format,
//! group, comment) is kept in [`Record::extra`](crate::record::Record).
//!
//! The choices (services, fees, access modes) are written down in `docs/sources.md`.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::NaiveTime;
use maillage_model::{
    hours, CommuneLookup, Dispositif, Frais, Itinerance, ModaliteAcces, ModaliteAccompagnement,
    Place, Service,
};

use super::source_fields::{code5, file_warning, read_list, text, ListRow, RowCheck};
use super::ReadError;
use crate::record::{Record, SourceFile};
use crate::report::Report;

/// What every France Services offers by its charter (see `docs/sources.md`): help with the
/// online procedures of the partner operators, a computer with internet in free access, and
/// help to use digital tools.
pub const SERVICES: [Service; 3] = [
    Service::AideDemarches,
    Service::AccesInternet,
    Service::MaitriseOutils,
];

/// The weekday columns, Monday first. The list has no Sunday column.
const DAYS: [&str; 6] = [
    "h_lundi",
    "h_mardi",
    "h_mercredi",
    "h_jeudi",
    "h_vendredi",
    "h_samedi",
];

/// Columns without which the file is not a France Services list.
const REQUIRED: [&str; 5] = ["id_fs", "lib_fs", "adresse", "code_postal", "lib_com"];

/// Which vintage of the list a header belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vintage {
    /// `liste-fs-20221201.csv`: `itinerance`, `format_fs` (Site principal|Antenne), `groupe`,
    /// `labellisation`.
    V2022,
    /// `liste-fs-20240801.csv`: `type_fs`, `format_fs` (Fixe|Multisites|Bus_équivalent|
    /// Fixe_antenne(s)|Itinérante), `groupe_fs`, `labellisation_fs`, `prise_rdv`.
    V2024,
}

/// Whether a header is a France Services list's (for format detection).
pub fn looks_like(header: &[&str]) -> bool {
    header.contains(&"id_fs") && header.contains(&"lib_fs") && header.contains(&"h_lundi")
}

/// Reads a France Services list (either vintage) and hands one record per row.
pub fn read<R: Read>(
    input: R,
    file: &SourceFile,
    lookup: Option<&dyn CommuneLookup>,
    on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    let mut vintage = None;
    let mut report = read_list(
        input,
        &REQUIRED,
        file,
        lookup,
        &mut |row, check, extra| {
            let vintage = *vintage.get_or_insert_with(|| {
                if row.has_column("format_fs") && row.has_column("labellisation_fs") {
                    Vintage::V2024
                } else {
                    Vintage::V2022
                }
            });
            map_row(row, vintage, check, extra)
        },
        on_record,
    )?;
    let mut head = Report::default();
    file_warning(
        &mut head,
        Some("pivot"),
        "la liste France Services ne donne pas de SIRET : le champ pivot reste vide pour toutes les lignes",
    );
    report.issues.splice(0..0, head.issues);
    Ok(report)
}

/// Maps one row to a place.
fn map_row(
    row: &ListRow,
    vintage: Vintage,
    check: &mut RowCheck,
    extra: &mut BTreeMap<String, String>,
) -> (String, Place) {
    let get = |name: &str| row.get(name);
    let source_id = row.id(
        check,
        "id_fs",
        "identifiant id_fs manquant : la ligne n'est pas importée",
    );
    let mut place = Place {
        nom: get("lib_fs").to_string(),
        adresse: get("adresse").to_string(),
        complement_adresse: text(get("complement_adresse")),
        commune: get("lib_com").to_string(),
        code_postal: code5(get("code_postal")),
        code_insee: text(get("insee_com")).map(|c| code5(&c)),
        typologie: vec!["RFS".to_string()],
        source: Some("France Services (ANCT)".to_string()),
        services: SERVICES.to_vec(),
        frais_a_charge: vec![Frais::Gratuit],
        dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
        modalites_accompagnement: vec![
            ModaliteAccompagnement::Individuel,
            ModaliteAccompagnement::EnAutonomie,
        ],
        ..Place::default()
    };
    if place.code_insee.as_deref() == Some("0NULL") {
        check.warn(
            "insee_com",
            get("insee_com"),
            "code INSEE absent (« 0null ») : ignoré",
        );
        place.code_insee = None;
    }
    if place.adresse.is_empty() {
        check.error(
            "adresse",
            "",
            "adresse manquante : la ligne n'est pas importée",
        );
    }
    check.set_position(&mut place, "latitude", get("latitude"), get("longitude"));
    if place.position.is_none() && get("latitude").is_empty() {
        check.warn(
            "latitude",
            "",
            "pas de coordonnées : le lieu ne sera pas sur la carte",
        );
    }
    check.phone(&mut place, "telephone", get("telephone"));
    check.emails(&mut place, "mail", get("mail"));

    // Hours: the six day columns make one week, written in OSM syntax.
    let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
    let mut unclear = Vec::new();
    for (i, col) in DAYS.iter().enumerate() {
        let raw = get(col);
        match day_hours(raw) {
            DayCell::Ranges {
                ranges,
                dropped_placeholder,
            } => {
                if dropped_placeholder {
                    check.warn(
                        col,
                        raw,
                        "plage « 00:00 - 00:00 » (valeur de remplissage) ignorée",
                    );
                }
                week[i] = ranges;
            }
            DayCell::Unclear => unclear.push((*col, raw)),
        }
    }
    if unclear.is_empty() {
        place.horaires = hours::week_to_osm(&week);
    } else {
        let kept: Vec<String> = DAYS
            .iter()
            .filter(|c| !get(c).is_empty())
            .map(|c| format!("{} : {}", &c[2..], get(c)))
            .collect();
        extra.insert("horaires_texte".to_string(), kept.join(" ; "));
        for (col, raw) in unclear {
            check.warn(
                col,
                raw,
                "horaire illisible : les horaires du lieu sont gardés en texte, non publiés au format OSM",
            );
        }
    }

    // Itinerance, and the facts the standard has no field for.
    let itinerant = match vintage {
        Vintage::V2024 => matches!(get("format_fs"), "Itinérante" | "Bus_équivalent"),
        Vintage::V2022 => get("itinerance").eq_ignore_ascii_case("oui"),
    };
    place.itinerance = vec![if itinerant {
        Itinerance::Itinerant
    } else {
        Itinerance::Fixe
    }];
    let (label_col, group_col) = match vintage {
        Vintage::V2024 => ("labellisation_fs", "groupe_fs"),
        Vintage::V2022 => ("labellisation", "groupe"),
    };
    let label = get(label_col);
    if !label.is_empty() {
        match labelling_date(label) {
            Some(d) => {
                extra.insert("labellisation".to_string(), d);
            }
            None => {
                check.warn(
                    label_col,
                    label,
                    "date de labellisation illisible : gardée en texte",
                );
                extra.insert("labellisation".to_string(), label.to_string());
            }
        }
    }
    row.keep_extra(
        extra,
        &[
            ("format_fs", "format_fs"),
            ("type_fs", "type_fs"),
            ("groupe", group_col),
            ("commentaire", "commentaire"),
            ("prise_rdv", "prise_rdv"),
        ],
    );
    place.presentation_detail = text(get("commentaire"));

    // How to come: by appointment when the list says so, otherwise walk in; by phone or mail
    // when the list gives them.
    if !get("prise_rdv").eq_ignore_ascii_case("oui") {
        place.modalites_acces.push(ModaliteAcces::SePresenter);
    }
    if place.telephone.is_some() {
        place.modalites_acces.push(ModaliteAcces::Telephoner);
    }
    if !place.courriels.is_empty() {
        place.modalites_acces.push(ModaliteAcces::ContacterParMail);
    }
    (source_id, place)
}

/// The hours of one day cell, after the placeholders are taken out.
#[derive(Debug, PartialEq)]
enum DayCell {
    /// Open intervals (empty: closed that day).
    Ranges {
        ranges: Vec<(NaiveTime, NaiveTime)>,
        dropped_placeholder: bool,
    },
    Unclear,
}

/// Reads one day cell: `09:00 - 12:00 / 13:30 - 17:00` (2024), and the looser 2022 forms
/// (`09:00-12:00/14:00-17:00`, `08:30-12:00,13:30-17:30`, `-` for closed). `00:00 - 00:00` is
/// a placeholder the producer uses for "nothing": it is dropped, alone or beside real ranges
/// (`00:00 - 00:00 / 09:00 - 12:00`).
fn day_hours(raw: &str) -> DayCell {
    let t = raw.trim();
    if t.is_empty() || t == "-" {
        return DayCell::Ranges {
            ranges: Vec::new(),
            dropped_placeholder: false,
        };
    }
    let mut dropped_placeholder = false;
    let kept: Vec<&str> = t
        .split('/')
        .map(str::trim)
        .filter(|seg| {
            let placeholder = seg.replace(' ', "") == "00:00-00:00";
            dropped_placeholder |= placeholder;
            !placeholder
        })
        .collect();
    if kept.is_empty() {
        return DayCell::Ranges {
            ranges: Vec::new(),
            dropped_placeholder,
        };
    }
    match hours::parse_day_ranges(&kept.join(" / ")) {
        hours::DayHours::Closed => DayCell::Ranges {
            ranges: Vec::new(),
            dropped_placeholder,
        },
        hours::DayHours::Unknown => DayCell::Ranges {
            ranges: Vec::new(),
            dropped_placeholder: true,
        },
        hours::DayHours::Ranges(ranges) => DayCell::Ranges {
            ranges,
            dropped_placeholder,
        },
        hours::DayHours::Unclear(_) => DayCell::Unclear,
    }
}

/// `Espace labellisé 01/02/2020` → `2020-02-01`.
fn labelling_date(s: &str) -> Option<String> {
    let d = s.rsplit(' ').next()?;
    chrono::NaiveDate::parse_from_str(d, "%d/%m/%Y")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelling_dates() {
        assert_eq!(
            labelling_date("Espace labellisé 01/02/2020").as_deref(),
            Some("2020-02-01")
        );
        assert_eq!(labelling_date("Espace labellisé"), None);
    }

    #[test]
    fn placeholder_day_is_closed_with_a_warning() {
        assert_eq!(
            day_hours("00:00 - 00:00"),
            DayCell::Ranges {
                ranges: vec![],
                dropped_placeholder: true
            }
        );
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(
            day_hours("00:00 - 00:00 / 09:00 - 12:00"),
            DayCell::Ranges {
                ranges: vec![(t(9, 0), t(12, 0))],
                dropped_placeholder: true
            }
        );
        assert_eq!(
            day_hours("-"),
            DayCell::Ranges {
                ranges: vec![],
                dropped_placeholder: false
            }
        );
    }
}
