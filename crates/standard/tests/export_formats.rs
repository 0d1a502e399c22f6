//! The shape of each export: column order against the published schema, what a v1.0.1 export
//! does with values it cannot hold, GeoJSON geometry, and round trips through our own readers
//! (what we publish, we can import again without loss).

use std::path::PathBuf;

use chrono::NaiveDate;
use maillage_model::*;
use maillage_standard::read::{read_path, Format};
use maillage_standard::write::*;
use maillage_standard::{Record, SourceFile};

fn shared() -> PathBuf {
    std::env::var_os("MAILLAGE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn options() -> ExportOptions {
    ExportOptions {
        fallback_date: day(2024, 8, 1),
    }
}

fn place() -> Place {
    Place {
        id: "lieu-1".into(),
        pivot: "43493312300029".into(),
        nom: "Espace numérique de Caussade".into(),
        commune: "Caussade".into(),
        code_postal: "82300".into(),
        code_insee: Some("82037".into()),
        adresse: "12 place de la Mairie".into(),
        position: Some(Position::new(44.161, 1.537)),
        telephone: Some("05 63 93 10 00".into()),
        courriels: vec!["epn@caussade.fr".into()],
        horaires: Some("Mo-Fr 09:00-12:00".into()),
        date_maj: Some(day(2024, 3, 1)),
        services: vec![Service::AideDemarches, Service::MaitriseOutils],
        frais_a_charge: vec![Frais::Gratuit],
        formations_labels: vec![
            FormationLabel::MonEspaceSante,
            FormationLabel::EtapesNumeriquesLaPoste,
        ],
        modalites_accompagnement: vec![ModaliteAccompagnement::Individuel],
        ..Place::default()
    }
}

fn csv_rows(places: &[Place]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut out = Vec::new();
    write_standard_csv_with(places, &mut out, &options()).expect("written");
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let headers = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect();
    (headers, rows)
}

#[test]
fn csv_header_is_the_schema_v1_0_1_field_order() {
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(shared().join("standard-mediation-num/schema-v1.0.1.json")).expect("schema"),
    )
    .expect("json");
    let names: Vec<String> = schema["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_string())
        .collect();
    let (headers, _) = csv_rows(&[place()]);
    assert_eq!(headers, names);
}

#[test]
fn v1_0_2_label_moves_to_autres_formations_labels_in_a_v1_0_1_export() {
    let (h, rows) = csv_rows(&[place()]);
    let col = |name: &str| h.iter().position(|x| x == name).expect("column");
    assert_eq!(
        rows[0][col("formations_labels")],
        "Formé à « Mon Espace Santé »"
    );
    assert_eq!(
        rows[0][col("autres_formations_labels")],
        "Étapes numériques(La Poste)"
    );
}

#[test]
fn place_without_date_maj_gets_the_fallback_date_and_placeholder_pivot() {
    let p = Place {
        date_maj: None,
        pivot: String::new(),
        ..place()
    };
    let (h, rows) = csv_rows(&[p]);
    let col = |name: &str| h.iter().position(|x| x == name).expect("column");
    assert_eq!(rows[0][col("date_maj")], "2024-08-01");
    assert_eq!(rows[0][col("pivot")], PIVOT_PLACEHOLDER);
    assert_eq!(rows[0][col("telephone")], "+33563931000");
}

#[test]
fn export_gaps_name_the_required_fields_a_place_lacks() {
    let p = Place {
        adresse: " ".into(),
        code_postal: "823".into(),
        ..place()
    };
    let gaps: Vec<&str> = export_gaps(&p).iter().map(|g| g.field).collect();
    assert_eq!(gaps, ["code_postal", "adresse"]);
    assert!(export_gaps(&place()).is_empty());
}

#[test]
fn geojson_has_one_point_per_place_with_coordinates_lon_first() {
    let without = Place {
        id: "lieu-2".into(),
        position: None,
        ..place()
    };
    let mut out = Vec::new();
    write_geojson_with(&[place(), without], &mut out, &options()).expect("written");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(v["type"], "FeatureCollection");
    let features = v["features"].as_array().expect("features");
    assert_eq!(features.len(), 1);
    assert_eq!(features[0]["geometry"]["coordinates"][0], 1.537);
    assert_eq!(features[0]["geometry"]["coordinates"][1], 44.161);
    assert_eq!(
        features[0]["properties"]["nom"],
        "Espace numérique de Caussade"
    );
    assert_eq!(features[0]["properties"]["latitude"], 44.161);
}

#[test]
fn standard_json_has_typed_coordinates_and_leaves_out_empty_fields() {
    let mut out = Vec::new();
    write_standard_json_with(&[place()], &mut out, &options()).expect("written");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    let o = &v[0];
    assert_eq!(o["latitude"], 44.161);
    assert_eq!(
        o["services"],
        "Aide aux démarches administratives|Maîtrise des outils numériques du quotidien"
    );
    assert!(o.get("presentation_detail").is_none());
    assert_eq!(o["date_maj"], "2024-03-01");
}

fn read_back(bytes: &[u8], name: &str, format: Format) -> Vec<Record> {
    let path =
        std::env::temp_dir().join(format!("maillage-roundtrip-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).expect("temp file");
    let file = SourceFile {
        source: "export".into(),
        date: day(2024, 8, 1),
    };
    let mut records = Vec::new();
    let report = read_path(&path, &format, &file, None, &mut |r| records.push(r)).expect("read");
    let _ = std::fs::remove_file(&path);
    assert_eq!(report.rejected, 0, "{:?}", report.issues);
    records
}

/// Real places (the national conseiller numérique list) written as standard CSV and JSON and
/// read again by our standard readers: the fields that matter come back the same.
#[test]
fn real_places_round_trip_through_standard_csv_and_json() {
    let file = SourceFile {
        source: "cnfs".into(),
        date: day(2022, 12, 2),
    };
    let mut places = Vec::new();
    read_path(
        &shared().join("lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json"),
        &Format::CnfsJson,
        &file,
        None,
        &mut |r: Record| {
            let mut p = r.place;
            p.id = format!("cnfs-{}", r.source.source_id);
            places.push(p);
        },
    )
    .expect("readable");
    places.truncate(400);

    let mut csv = Vec::new();
    write_standard_csv_with(&places, &mut csv, &options()).expect("csv");
    let mut json = Vec::new();
    write_standard_json_with(&places, &mut json, &options()).expect("json");
    for (bytes, name, format) in [
        (csv, "lieux.csv", Format::StandardCsv),
        (json, "lieux.json", Format::StandardJson),
    ] {
        let back = read_back(&bytes, name, format);
        assert_eq!(back.len(), places.len(), "{name}");
        for (a, r) in places.iter().zip(&back) {
            let b = &r.place;
            assert_eq!(a.nom, b.nom, "{name}");
            assert_eq!(a.code_postal, b.code_postal, "{name}");
            assert_eq!(a.services, b.services, "{name} {}", a.id);
            assert_eq!(a.frais_a_charge, b.frais_a_charge, "{name}");
            assert_eq!(
                a.modalites_accompagnement, b.modalites_accompagnement,
                "{name}"
            );
            // Hours kept as free text at import are not exported (re-users parse them).
            let exported = a
                .horaires
                .as_deref()
                .filter(|h| maillage_model::hours::is_valid(h));
            assert_eq!(exported, b.horaires.as_deref(), "{name}");
            match (a.position, b.position) {
                (Some(p), Some(q)) => assert!(p.distance_km(q) < 0.001, "{name}"),
                (None, None) => {}
                other => panic!("{name}: position {other:?}"),
            }
        }
    }
}

#[test]
fn data_inclusion_maps_each_service_and_says_only_what_v1_can_say() {
    let p = Place {
        typologie: vec!["CCAS".into(), "BIB".into()],
        dispositif_programmes_nationaux: vec![
            Dispositif::PointAccesCaf,
            Dispositif::AidantsConnect,
        ],
        frais_a_charge: vec![Frais::GratuitSousCondition],
        prise_en_charge_specifique: vec![PriseEnCharge::Illettrisme],
        modalites_acces: vec![ModaliteAcces::Telephoner, ModaliteAcces::RdvEnLigne],
        prise_rdv: None,
        ..place()
    };
    let mut out = Vec::new();
    let export = DataInclusionExport {
        options: options(),
        ..DataInclusionExport::default()
    };
    write_data_inclusion_with(&[p], &mut out, &export).expect("written");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    let s = &v["structures"][0];
    assert_eq!(s["siret"], "43493312300029");
    assert_eq!(
        s["reseaux_porteurs"],
        serde_json::json!(["aidants-connect", "ccas-cias"]),
        "a CAF access point is hosted, not run, by the CAF network; BIB has no network"
    );
    let services = v["services"].as_array().expect("services");
    assert_eq!(services.len(), 2, "one service per standard service");
    let demarches = &services[0];
    assert_eq!(demarches["id"], "lieu-1--aide-demarches");
    assert_eq!(demarches["structure_id"], "lieu-1");
    assert!(
        demarches["frais"].is_null(),
        "free under conditions is not free"
    );
    assert_eq!(demarches["frais_precisions"], "Gratuit sous condition");
    assert_eq!(demarches["publics"], serde_json::json!(["tous-publics"]));
    assert_eq!(
        demarches["publics_precisions"],
        "Prise en charge spécifique : Illettrisme"
    );
    assert_eq!(
        demarches["modes_mobilisation"],
        serde_json::json!(["telephoner"]),
        "no online booking link, so no `utiliser-lien-mobilisation`"
    );
    assert_eq!(
        demarches["thematiques"],
        serde_json::json!([
            "numerique--acceder-a-des-services-en-ligne",
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"
        ])
    );
    assert_eq!(services[1]["id"], "lieu-1--maitrise-outils");
}

#[test]
fn places_the_standard_cannot_hold_are_left_out_and_reported() {
    let no_address = Place {
        id: "lieu-2".into(),
        adresse: String::new(),
        ..place()
    };
    let same_id = Place {
        nom: "Autre lieu".into(),
        ..place()
    };
    let mut out = Vec::new();
    let report = write_standard_csv_report(&[place(), no_address, same_id], &mut out, &options())
        .expect("written");
    assert_eq!(report.written, 1);
    assert_eq!(report.left_out_places(), 2);
    let fields: Vec<(&str, &str)> = report
        .left_out
        .iter()
        .map(|g| (g.place_id.as_str(), g.field))
        .collect();
    assert_eq!(fields, [("lieu-2", "adresse"), ("lieu-1", "id")]);
    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(reader.records().count(), 1);
}

#[test]
fn a_coordinate_that_is_not_a_number_is_never_written() {
    let p = Place {
        position: Some(Position::new(f64::NAN, 1.5)),
        ..place()
    };
    let (h, rows) = csv_rows(std::slice::from_ref(&p));
    let col = |name: &str| h.iter().position(|x| x == name).expect("column");
    assert_eq!(rows[0][col("latitude")], "");
    assert_eq!(rows[0][col("longitude")], "");
    let mut out = Vec::new();
    write_geojson_with(&[p], &mut out, &options()).expect("written");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(v["features"].as_array().map(Vec::len), Some(0));
}
