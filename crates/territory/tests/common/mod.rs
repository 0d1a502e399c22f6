//! Shared test support: the real referential and the real national place lists.
#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use maillage_model::{Dispositif, Place};
use maillage_standard::read::{read_path, Format};
use maillage_standard::record::SourceFile;
use maillage_territory::{shared_data_dir, Referential};

pub fn referential() -> &'static Referential {
    static R: OnceLock<Referential> = OnceLock::new();
    R.get_or_init(|| match Referential::load_shared(&shared_data_dir()) {
        Ok(r) => r,
        Err(e) => panic!("référentiel partagé illisible : {e}"),
    })
}

/// Reads a real file with the project's readers (`maillage-standard`).
pub fn read(rel: &str, format: Format, source: &str) -> Vec<Place> {
    let path = shared_data_dir().join(rel);
    let file = SourceFile {
        source: source.to_string(),
        date: NaiveDate::from_ymd_opt(2024, 8, 1).unwrap_or_default(),
    };
    let mut places = Vec::new();
    let mut n = 0usize;
    let r = referential();
    let result = read_path(&path, &format, &file, Some(r), &mut |rec| {
        n += 1;
        let mut p = rec.place;
        if p.id.is_empty() {
            p.id = format!("{}:{}", rec.source.source, rec.source.source_id);
        }
        places.push(p);
    });
    if let Err(e) = result {
        panic!("{rel} illisible : {e}");
    }
    places
}

/// The Aidants Connect structures (no coordinates: commune code only), with the project's
/// reader.
pub fn aidants_connect() -> Vec<Place> {
    read(
        "dispositifs/20240212-aidants-connect-structures.csv",
        Format::AidantsConnect,
        "aidants-connect",
    )
}

/// Every place of the national lists: conseillers numériques, France Services 2024, Aidants
/// Connect.
pub fn national_places() -> Vec<Place> {
    let mut v = conseillers_numeriques();
    v.extend(read(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
        "france-services-2024",
    ));
    v.extend(aidants_connect());
    v
}

pub fn exists(rel: &str) -> bool {
    Path::new(&shared_data_dir().join(rel)).exists()
}

/// The conseiller numérique places: with the project's reader when it handles the file, else
/// read here (id, name, commune, coordinates) so that the figures do not wait for it.
pub fn conseillers_numeriques() -> Vec<Place> {
    let rel = "lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json";
    let path = shared_data_dir().join(rel);
    let file = SourceFile {
        source: "conseiller-numerique".into(),
        date: NaiveDate::from_ymd_opt(2022, 12, 2).unwrap_or_default(),
    };
    let mut places = Vec::new();
    let ok = read_path(
        &path,
        &Format::CnfsJson,
        &file,
        Some(referential()),
        &mut |rec| {
            let mut p = rec.place;
            p.id = format!("cnfs:{}", rec.source.source_id);
            places.push(p);
        },
    );
    if ok.is_ok() && !places.is_empty() {
        return places;
    }
    let text = std::fs::read_to_string(&path).expect("liste des conseillers numériques");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("JSON");
    rows.iter()
        .map(|r| {
            let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            let f = |k: &str| r.get(k).and_then(|v| v.as_f64());
            Place {
                id: format!("cnfs:{}", s("id")),
                nom: s("nom"),
                commune: s("commune"),
                code_postal: s("code_postal"),
                position: f("latitude")
                    .zip(f("longitude"))
                    .map(|(la, lo)| maillage_model::Position::new(la, lo)),
                dispositif_programmes_nationaux: vec![Dispositif::ConseillersNumeriques],
                ..Place::default()
            }
        })
        .collect()
}
