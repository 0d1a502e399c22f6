//! The structures hosting conseillers numériques (`AAAAMMJJ-cnfs-structures.csv`, `;`).
//!
//! The ANCT's list of the employers granted conseillers numériques (CNFS): name, SIRET, commune
//! name (in a column misnamed `Commune INSEE`), INSEE code, postal code, an address line that
//! ends with the postal code and commune (`41 RUE PORTE DE MONTEUX 84200 CARPENTRAS`), and the
//! ZRR / QPV / France Services flags. No coordinates, hours or contacts. Codes sometimes lost
//! their leading zero (`6088` for `06088`). When the postal code column and the one written in
//! the address disagree (228 rows), the address's wins (it is the one in the INSEE code's
//! département far more often), unless only the column's matches that département; a warning
//! says which was kept. See `docs/sources.md`.
//!
//! The services are those of the conseiller numérique's missions (see `docs/sources.md`).

use std::collections::BTreeMap;
use std::io::Read;

use maillage_model::{CommuneLookup, Dispositif, Frais, ModaliteAccompagnement, Place, Service};

use super::source_fields::{
    code5, read_list, split_postcode_city, stable_hash, text, ListRow, RowCheck,
};
use super::ReadError;
use crate::record::{Record, SourceFile};
use crate::report::Report;

/// The three missions of a conseiller numérique France Services, as the programme states them:
/// support everyday digital uses, raise awareness of digital issues, make people autonomous in
/// their online procedures.
pub const SERVICES: [Service; 3] = [
    Service::MaitriseOutils,
    Service::ComprehensionMonde,
    Service::AideDemarches,
];

const REQUIRED: [&str; 5] = [
    "Raison sociale",
    "SIRET",
    "Code commune INSEE",
    "Code postal",
    "Adresse",
];

/// Whether a CSV header is the CNFS structures list's.
pub fn looks_like(header: &[&str]) -> bool {
    header.contains(&"Raison sociale") && header.contains(&"SIRET")
}

/// Reads the CNFS structures list: one record per structure.
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
    let (street, cp_in_address) = split_postcode_city(get("Adresse"));
    let column_cp = code5(get("Code postal"));
    let insee = code5(get("Code commune INSEE"));
    let same_dep = |cp: &str| !insee.is_empty() && cp.get(..2) == insee.get(..2);
    let code_postal = match cp_in_address {
        Some(cp) if !column_cp.is_empty() && cp != column_cp => {
            let keep_column = same_dep(&column_cp) && !same_dep(&cp);
            check.warn(
                "Code postal",
                &format!("{column_cp} (colonne) / {cp} (adresse)"),
                if keep_column {
                    "code postal de l'adresse différent de celui de la colonne : celui de la colonne (même département que le code INSEE) est retenu"
                } else {
                    "code postal de la colonne différent de celui de l'adresse : celui de l'adresse est retenu"
                },
            );
            if keep_column {
                column_cp
            } else {
                cp
            }
        }
        Some(cp) if column_cp.is_empty() => cp,
        _ => column_cp,
    };
    let mut place = Place {
        pivot: get("SIRET").to_string(),
        nom: get("Raison sociale").to_string(),
        commune: get("Commune INSEE").to_string(),
        code_postal,
        code_insee: text(get("Code commune INSEE")).map(|c| code5(&c)),
        adresse: street,
        source: Some("Conseiller numérique France Services (ANCT)".to_string()),
        services: SERVICES.to_vec(),
        frais_a_charge: vec![Frais::Gratuit],
        dispositif_programmes_nationaux: vec![Dispositif::ConseillersNumeriques],
        modalites_accompagnement: vec![
            ModaliteAccompagnement::Individuel,
            ModaliteAccompagnement::AtelierCollectif,
        ],
        ..Place::default()
    };
    if get("France services").eq_ignore_ascii_case("oui") {
        place
            .dispositif_programmes_nationaux
            .push(Dispositif::FranceServices);
    }
    // The list gives no id of its own, and a SIRET appears on several rows (one per
    // validation committee, sometimes the same day): the id is the SIRET and a hash of the
    // whole row, so that re-importing the file finds the same records and two identical
    // rows are one record.
    let siret = maillage_model::siret::normalize_siret(get("SIRET"));
    let fields: Vec<&str> = row.record.iter().collect();
    let source_id = format!("{siret}-{}", stable_hash(&fields));
    row.keep_extra(
        extra,
        &[
            (
                "nombre_conseillers",
                "Nombre de conseillers validés par le COSELEC",
            ),
            (
                "date_validation",
                "Date de validation en comité de sélection",
            ),
            ("type", "Type"),
            ("zrr", "ZRR"),
            ("qpv", "QPV"),
            ("france_services", "France services"),
        ],
    );
    (source_id, place)
}
