//! The Aidants Connect structures list (`AAAAMMJJ-aidants-connect-structures.csv`).
//!
//! Aidants Connect lets a trained helper (an *aidant*) carry out an online procedure on behalf
//! of a person, with their recorded mandate. Every active structure of the list is therefore a
//! place that helps with administrative procedures. The list has no coordinates, no hours and
//! no contact: it gives the name, the SIRET (as a float: `13002603200016.0`), the INSEE code,
//! the address, a France Services flag and usage counts. Postal codes sometimes lost their
//! leading zero (`2000`). Inactive structures (`Is Active` = false) no longer offer the scheme:
//! they are rejected with a message, not imported. Decisions are in `docs/sources.md`.

use std::collections::BTreeMap;
use std::io::Read;

use maillage_model::{CommuneLookup, Dispositif, Frais, ModaliteAccompagnement, Place, Service};

use super::source_fields::{code5, read_list, split_postcode_city, text, ListRow, RowCheck};
use super::ReadError;
use crate::record::{Record, SourceFile};
use crate::report::Report;

const REQUIRED: [&str; 6] = [
    "Name",
    "ID",
    "Siret",
    "City Insee Code",
    "Address",
    "Zip Code",
];

/// Whether a CSV header is the Aidants Connect list's.
pub fn looks_like(header: &[&str]) -> bool {
    header.contains(&"Siret") && header.contains(&"City Insee Code")
}

/// Reads the Aidants Connect structures list: one record per active structure.
pub fn read<R: Read>(
    input: R,
    file: &SourceFile,
    lookup: Option<&dyn CommuneLookup>,
    on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    read_list(input, &REQUIRED, file, lookup, &mut map_row, on_record)
}

/// Maps one row of the list to a place.
fn map_row(
    row: &ListRow,
    check: &mut RowCheck,
    extra: &mut BTreeMap<String, String>,
) -> (String, Place) {
    let get = |name: &str| row.get(name);
    let source_id = row.id(
        check,
        "ID",
        "identifiant manquant : la ligne n'est pas importée",
    );
    if get("Is Active").eq_ignore_ascii_case("false") {
        check.error(
            "Is Active",
            get("Is Active"),
            "structure inactive dans Aidants Connect : elle ne propose plus le dispositif, la ligne n'est pas importée",
        );
    }
    let zip = code5(get("Zip Code"));
    let (street, cp_in_address) = split_postcode_city(get("Address"));
    let mut place = Place {
        pivot: get("Siret").to_string(),
        nom: get("Name").to_string(),
        commune: get("City").to_string(),
        code_postal: if zip.is_empty() {
            cp_in_address.unwrap_or_default()
        } else {
            zip
        },
        code_insee: text(get("City Insee Code")).map(|c| code5(&c)),
        adresse: street,
        source: Some("Aidants Connect".to_string()),
        services: vec![Service::AideDemarches],
        frais_a_charge: vec![Frais::Gratuit],
        dispositif_programmes_nationaux: vec![Dispositif::AidantsConnect],
        modalites_accompagnement: vec![ModaliteAccompagnement::Individuel],
        ..Place::default()
    };
    if get("France Services Label").eq_ignore_ascii_case("true") {
        place
            .dispositif_programmes_nationaux
            .push(Dispositif::FranceServices);
        place.typologie.push("RFS".to_string());
    }
    if place.pivot.is_empty() {
        check.warn("Siret", "", "SIRET manquant");
    }
    row.keep_extra(
        extra,
        &[
            ("uuid", "UUID"),
            ("nombre_aidants", "Nombre d'aidants"),
            (
                "nombre_usagers_uniques",
                "Question 110 → Nombre D'usagers Uniques",
            ),
            (
                "nombre_demarches",
                "Question 109 → Nombre De Demarche Par Structure",
            ),
        ],
    );
    (source_id, place)
}
