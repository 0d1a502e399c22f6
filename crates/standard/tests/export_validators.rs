//! The exports checked by the validators the field uses, not by our own reading of the rules:
//! the standard CSV by the real `frictionless validate` against `schema-v1.0.1.json`, and the
//! data·inclusion JSON by `jsonschema` (Python, with format checking) against the v1 JSON
//! Schemas.
//!
//! The places are every real source file of the shared data read by our readers (conseiller
//! numérique list, France Services 2022 and 2024, Aidants Connect and CNFS structures,
//! Haute-Vienne and the Charente bus through their mapping files), plus hand-built places that
//! carry every value the writers must reshape (no `date_maj`, empty pivot, phone with spaces,
//! a 400-character summary, the v1.0.2-only label, HTML, line breaks, `|` inside a value).
//! Places the standard cannot hold (no address, no postal code, an id already written) are
//! left out by the writer and reported; everything written must pass.
//!
//! The tools live in the git-ignored venv `<root>/.venv` (`python -m venv .venv && .venv/bin/pip
//! install frictionless jsonschema rfc3986-validator`); `MAILLAGE_FRICTIONLESS` and
//! `MAILLAGE_PYTHON` point elsewhere. Without them the tests say so loudly and pass locally,
//! and fail under CI (`CI` set).

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use maillage_model::*;
use maillage_standard::read::{read_path, Format};
use maillage_standard::write::{
    write_data_inclusion_with, write_standard_csv_report, DataInclusionExport, ExportOptions,
};
use maillage_standard::{Record, SourceFile};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared() -> PathBuf {
    std::env::var_os("MAILLAGE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/data"))
}

/// A validator program, or `None` (after a loud message) when it is absent outside CI.
fn tool(env: &str, venv_relative: &str, what: &str) -> Option<PathBuf> {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv").join(venv_relative));
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "{what} introuvable ({}) : créez le venv (python3 -m venv .venv && .venv/bin/pip install \
         frictionless jsonschema rfc3986-validator) ou donnez {env}",
        path.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("\n!!!!!!!! TEST NON EXÉCUTÉ : {message} !!!!!!!!\n");
    None
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("maillage-export-{}-{name}", std::process::id()))
}

fn read(path: &Path, format: Format, source: &str) -> Vec<Record> {
    let file = SourceFile {
        source: source.into(),
        date: NaiveDate::from_ymd_opt(2024, 8, 1).expect("date"),
    };
    let mut records = Vec::new();
    read_path(path, &format, &file, None, &mut |r| records.push(r)).expect("readable source");
    records
}

/// The real places, with the ids the store would give them, and the awkward hand-built ones.
fn places() -> Vec<Place> {
    let data = shared();
    let mut out = Vec::new();
    let mapping = |name: &str| {
        Format::Mapping(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("mappings")
                .join(name),
        )
    };
    for (file, format, source) in [
        (
            "lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json",
            Format::CnfsJson,
            "cnfs",
        ),
        (
            "france-services/liste-fs-20240801.csv",
            Format::FranceServices,
            "fs2024",
        ),
        (
            "france-services/liste-fs-20221201.csv",
            Format::FranceServices,
            "fs2022",
        ),
        (
            "dispositifs/20240212-aidants-connect-structures.csv",
            Format::AidantsConnect,
            "aidants-connect",
        ),
        (
            "dispositifs/20230405-cnfs-structures.csv",
            Format::CnfsStructures,
            "cnfs-structures",
        ),
        (
            "lieux-mediation-numerique/haute-vienne-limoges-metropole-acteurs-numeriques-2023.json",
            mapping("haute-vienne.toml"),
            "haute-vienne",
        ),
        (
            "lieux-mediation-numerique/bus-france-services-charente-source.json",
            mapping("bus-charente.toml"),
            "bus-charente",
        ),
        (
            "lieux-mediation-numerique/20231003-bus-france-services-en-charente-standard-v0.1.json",
            Format::CnfsJson,
            "bus-charente-v0",
        ),
    ] {
        let records = read(&data.join(file), format, source);
        assert!(!records.is_empty(), "{file}: no records");
        for r in records {
            let mut p = r.place;
            p.id = format!("{source}-{}", r.source.source_id);
            out.push(p);
        }
    }
    out.extend(awkward_places());
    out
}

fn awkward_places() -> Vec<Place> {
    let base = Place {
        id: "main-1".into(),
        pivot: "".into(),
        nom: "Médiathèque <script>alert(1)</script> « Les Mots »".into(),
        commune: "Montauban".into(),
        code_postal: "82000".into(),
        code_insee: Some("82121".into()),
        adresse: "2 rue \"Jean\" Carmet,\nbâtiment B".into(),
        telephone: Some("05 63 12 34 56".into()),
        courriels: vec!["contact@mediatheque.fr".into(), "pas un courriel".into()],
        site_web: vec![
            "www.mediatheque-montauban.fr".into(),
            "voir Facebook".into(),
        ],
        presentation_resume: Some("Très long résumé. ".repeat(25)),
        presentation_detail: Some("Ligne 1\nLigne 2 | avec une barre".into()),
        date_maj: None,
        services: Service::ALL.to_vec(),
        publics_specifiquement_adresses: Public::ALL.to_vec(),
        prise_en_charge_specifique: PriseEnCharge::ALL.to_vec(),
        frais_a_charge: vec![Frais::GratuitSousCondition],
        dispositif_programmes_nationaux: Dispositif::ALL.to_vec(),
        formations_labels: FormationLabel::ALL.to_vec(),
        autres_formations_labels: vec!["Label | maison".into()],
        modalites_acces: ModaliteAcces::ALL.to_vec(),
        modalites_accompagnement: ModaliteAccompagnement::ALL.to_vec(),
        itinerance: Itinerance::ALL.to_vec(),
        typologie: vec!["BIB".into(), "MUNI".into()],
        position: Some(Position::new(44.0176, 1.355)),
        fiche_acces_libre: Some("https://acceslibre.beta.gouv.fr/app/erp/é/".into()),
        prise_rdv: Some("https://rdv.example.fr/prendre rendez-vous".into()),
        ..Place::default()
    };
    let short = Place {
        id: "main-2".into(),
        pivot: "401 092 267 00020".into(),
        nom: "AB".into(),
        commune: "Saint-Pierre".into(),
        code_postal: "97410".into(),
        code_insee: Some("97416".into()),
        adresse: "Rue des Bons Enfants".into(),
        telephone: Some("+262 262 12 34 56".into()),
        date_maj: NaiveDate::from_ymd_opt(2023, 2, 28),
        services: vec![Service::AccesInternet],
        frais_a_charge: vec![Frais::Gratuit, Frais::Payant],
        modalites_acces: vec![ModaliteAcces::PasDePublic],
        modalites_accompagnement: vec![ModaliteAccompagnement::ADistance],
        ..Place::default()
    };
    vec![base, short]
}

fn options() -> ExportOptions {
    ExportOptions {
        fallback_date: NaiveDate::from_ymd_opt(2024, 8, 1).expect("date"),
    }
}

#[test]
fn standard_csv_passes_frictionless_validate_with_zero_errors() {
    let Some(frictionless) = tool("MAILLAGE_FRICTIONLESS", "bin/frictionless", "frictionless")
    else {
        return;
    };
    let places = places();
    let csv_path = temp_path("standard.csv");
    let file = std::fs::File::create(&csv_path).expect("temp file");
    let written = write_standard_csv_report(&places, std::io::BufWriter::new(file), &options())
        .expect("written");
    println!(
        "{} places, {} written, {} left out:",
        places.len(),
        written.written,
        written.left_out_places()
    );
    for g in written.left_out.iter().take(8) {
        println!("  {} {} : {}", g.place_id, g.field, g.message);
    }
    assert_eq!(
        written.written + written.left_out_places(),
        places.len(),
        "every place is written or reported"
    );
    assert!(
        written.left_out_places() * 100 < places.len(),
        "only the few places without a required value are left out"
    );
    let schema = shared().join("standard-mediation-num/schema-v1.0.1.json");
    let output = Command::new(&frictionless)
        .arg("validate")
        .arg(&csv_path)
        .arg("--schema")
        .arg(&schema)
        .arg("--json")
        .arg("--trusted")
        .output()
        .expect("frictionless runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "frictionless output is not JSON ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut errors = Vec::new();
    for task in report["tasks"].as_array().into_iter().flatten() {
        for e in task["errors"].as_array().into_iter().flatten() {
            errors.push(e["message"].as_str().unwrap_or("?").to_string());
        }
        let rows = task["stats"]["rows"].as_u64();
        if let Some(rows) = rows {
            assert_eq!(
                rows as usize, written.written,
                "every written place is a row"
            );
        }
    }
    println!(
        "frictionless: {} rows, valid = {}, {} errors",
        written.written,
        report["valid"],
        errors.len()
    );
    for e in errors.iter().take(30) {
        println!("  {e}");
    }
    assert!(errors.is_empty(), "{} frictionless errors", errors.len());
    assert_eq!(report["valid"], serde_json::Value::Bool(true));
    let _ = std::fs::remove_file(&csv_path);
}

const JSONSCHEMA_CHECK: &str = r#"
import json, sys
from jsonschema import Draft202012Validator as V
structure, service, data = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:4])
check = V.FORMAT_CHECKER
vs, vv = V(structure, format_checker=check), V(service, format_checker=check)
errors = []
for kind, validator, items in (("structure", vs, data["structures"]), ("service", vv, data["services"])):
    for item in items:
        for e in validator.iter_errors(item):
            errors.append(f"{kind} {item.get('id')}: {'/'.join(map(str, e.path))}: {e.message}")
print(json.dumps({"structures": len(data["structures"]), "services": len(data["services"]),
                  "formats": sorted(check.checkers), "errors": errors}))
"#;

#[test]
fn data_inclusion_export_is_valid_against_the_v1_json_schemas() {
    let Some(python) = tool(
        "MAILLAGE_PYTHON",
        "bin/python",
        "python du venv (jsonschema)",
    ) else {
        return;
    };
    let places = places();
    let json_path = temp_path("data-inclusion.json");
    let file = std::fs::File::create(&json_path).expect("temp file");
    let export = DataInclusionExport {
        options: options(),
        ..DataInclusionExport::default()
    };
    write_data_inclusion_with(&places, std::io::BufWriter::new(file), &export).expect("written");
    let schemas = shared().join("data-inclusion-schema/v1");
    let output = Command::new(&python)
        .arg("-c")
        .arg(JSONSCHEMA_CHECK)
        .arg(schemas.join("structure.json"))
        .arg(schemas.join("service.json"))
        .arg(&json_path)
        .output()
        .expect("python runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "jsonschema check failed to run ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let errors = report["errors"].as_array().cloned().unwrap_or_default();
    let expected_services: usize = places.iter().map(|p| p.services.len()).sum();
    println!(
        "data·inclusion: {} structures, {} services, formats checked {}, {} errors",
        report["structures"],
        report["services"],
        report["formats"],
        errors.len()
    );
    for e in errors.iter().take(30) {
        println!("  {e}");
    }
    assert_eq!(report["structures"].as_u64(), Some(places.len() as u64));
    assert_eq!(report["services"].as_u64(), Some(expected_services as u64));
    let formats = report["formats"].to_string();
    assert!(
        formats.contains("\"uri\"")
            && formats.contains("\"email\"")
            && formats.contains("\"date\""),
        "uri, email and date formats must really be checked: {formats}"
    );
    assert!(errors.is_empty(), "{} JSON Schema errors", errors.len());
    let _ = std::fs::remove_file(&json_path);
}
