//! Golden import tests of the non-standard sources, on the real files of the shared data.
//!
//! Each test reads one real file through `read_path` and checks its exact counts (rows,
//! records, rejected rows, warnings, itinerant places, grouped places) and a few real rows.
//! Every test asserts that no row is dropped silently: records (or grouped rows) plus
//! rejected rows equal the rows read, and every rejected row is in `rejected_rows`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use maillage_standard::read::{read_path, Format, ReadError};
use maillage_standard::{Record, Report, SourceFile};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared() -> PathBuf {
    std::env::var_os("MAILLAGE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/data"))
}

fn mapping(name: &str) -> Format {
    Format::Mapping(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("mappings")
            .join(name),
    )
}

fn import_path(path: &Path, format: Format) -> (Vec<Record>, Report) {
    let file = SourceFile {
        source: "test".into(),
        date: chrono::NaiveDate::from_ymd_opt(2024, 8, 1).unwrap(),
    };
    let mut records = Vec::new();
    let report = read_path(path, &format, &file, None, &mut |r| records.push(r))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (records, report)
}

fn import(rel: &str, format: Format) -> (Vec<Record>, Report) {
    import_path(&shared().join(rel), format)
}

/// The invariant of every import: nothing is lost without a trace.
fn assert_no_silent_drop(records: &[Record], report: &Report) {
    assert_eq!(report.rejected as usize, report.rejected_rows.len());
    assert_eq!(records.len() as u64 + report.rejected, report.rows);
}

fn by_id<'a>(records: &'a [Record], id: &str) -> &'a Record {
    records
        .iter()
        .find(|r| r.source.source_id == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}

#[test]
fn france_services_2024_golden() {
    let (records, report) = import(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
    );
    assert_eq!(report.rows, 2845);
    assert_eq!(report.rejected, 0);
    assert_no_silent_drop(&records, &report);
    assert_eq!(report.warnings().count(), 68);
    assert_eq!(
        records.iter().filter(|r| r.place.is_itinerant()).count(),
        163
    );
    assert_eq!(
        records
            .iter()
            .filter(|r| r.place.horaires.is_some())
            .count(),
        2797
    );
    // Every hours value written is valid OSM syntax.
    for r in &records {
        if let Some(h) = &r.place.horaires {
            assert!(maillage_model::hours::parse(h).is_ok(), "{h}");
        }
    }
    let first = by_id(&records, "1");
    assert_eq!(
        first.place.horaires.as_deref(),
        Some("Mo 13:30-17:00; Tu-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00")
    );
    assert_eq!(first.place.telephone.as_deref(), Some("+33450568749"));
    assert_eq!(first.place.typologie, vec!["RFS".to_string()]);
    assert_eq!(
        first.extra.get("labellisation").map(String::as_str),
        Some("2020-01-01")
    );
    assert_eq!(first.line, 2);
}

#[test]
fn tarn_et_garonne_itinerant_france_services_keep_their_stops() {
    let (records, _) = import(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
    );
    let dep = by_id(&records, "1966");
    assert!(dep.place.is_itinerant());
    assert_eq!(dep.place.code_insee.as_deref(), Some("82121"));
    let c = &dep.extra["commentaire"];
    assert!(c.starts_with("Secteur 1 : MDS de Caussade"), "{c}");
    assert_eq!(dep.extra["format_fs"], "Itinérante");
    assert_eq!(dep.extra["labellisation"], "2021-04-01");
    let moissac = by_id(&records, "1967");
    assert!(moissac.place.is_itinerant());
    assert!(moissac.extra["commentaire"].contains("semaines paires"));
    assert_eq!(
        moissac.place.horaires.as_deref(),
        Some("Mo-Fr 09:30-12:00,13:30-16:00")
    );
}

#[test]
fn france_services_2022_golden() {
    let (records, report) = import(
        "france-services/liste-fs-20221201.csv",
        Format::FranceServices,
    );
    assert_eq!(report.rows, 2683);
    // 26 antennas with no address, commune nor postal code at all.
    assert_eq!(report.rejected, 26);
    assert_no_silent_drop(&records, &report);
    assert_eq!(report.warnings().count(), 66);
    assert_eq!(
        records.iter().filter(|r| r.place.is_itinerant()).count(),
        288
    );
    let rejected_lines: Vec<u64> = report.rejected_rows.iter().map(|r| r.line).collect();
    assert!(rejected_lines.contains(&2696), "{rejected_lines:?}");
    // `01:00 - 17:00` is not read as hours: the place keeps its text and gets no OSM value.
    let odd = records.iter().find(|r| r.line == 1342).unwrap();
    assert!(odd.place.horaires.is_none());
    assert!(odd.extra["horaires_texte"].contains("01:00 - 17:00"));
}

#[test]
fn haute_vienne_rows_are_grouped_into_places() {
    let (records, report) = import(
        "lieux-mediation-numerique/haute-vienne-limoges-metropole-acteurs-numeriques-2023.json",
        mapping("haute-vienne.toml"),
    );
    assert_eq!(report.rows, 561);
    // 5 rows with no organisation name, 1 with no commune at all.
    assert_eq!(report.rejected, 6);
    // 209 distinct (organisation, address, commune); 2 of them only had rejected rows.
    assert_eq!(records.len(), 207);
    let grouped: usize = records
        .iter()
        .map(|r| r.extra["lignes_source"].split(',').count())
        .sum();
    assert_eq!(grouped as u64 + report.rejected, report.rows);
    // 122 since the hours normaliser stopped reading the cut text « Du lundi au vendredi de
    // 9h à 12h et d » (3 rows) as Mo-Fr 09:00-12:00 (change by readers-core).
    assert_eq!(report.warnings().count(), 122);
    let geocoding_dropped = report
        .warnings()
        .filter(|i| i.message.starts_with("géocodage hors du territoire"))
        .count();
    assert_eq!(geocoding_dropped, 19);
    assert_eq!(
        records
            .iter()
            .filter(|r| r.place.horaires.is_some())
            .count(),
        44
    );
    assert!(records.iter().all(|r| r
        .place
        .position
        .is_none_or(|p| p.lat > 45.0 && p.lat < 46.5)));

    let bfm = records
        .iter()
        .find(|r| r.place.nom == "BFM Centre Ville")
        .unwrap();
    assert_eq!(bfm.place.adresse, "2 Place Aimé césaire");
    assert_eq!(bfm.place.code_postal, "87000");
    assert_eq!(bfm.place.code_insee.as_deref(), Some("87085"));
    assert_eq!(bfm.extra["lignes_source"].split(',').count(), 16);
    assert!(bfm.place.services.len() >= 3, "{:?}", bfm.place.services);

    // « Lundi au vendredi 10h/12h 14h/17h30 - sam 10h/12h » becomes OSM.
    let parenthese = records
        .iter()
        .find(|r| r.place.nom == "La parenthèse numérique")
        .unwrap();
    assert_eq!(
        parenthese.place.horaires.as_deref(),
        Some("Mo-Fr 10:00-12:00,14:00-17:30; Sa 10:00-12:00")
    );
    // A network with an empty address in three communes (and two addressed sites) stays
    // five places, not one: the grouping key has the commune.
    let ouest: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.place.nom == "Réseau des médiathèques Ouest Limousin")
        .map(|r| r.place.commune.as_str())
        .collect();
    assert_eq!(
        ouest.into_iter().collect::<Vec<_>>(),
        [
            "Cussac",
            "Marval",
            "Oradour-sur-Vayres",
            "Saint-Laurent-sur-Gorre",
            "Saint-Mathieu"
        ]
    );
}

#[test]
fn haute_vienne_ids_are_stable_across_imports() {
    let path =
        "lieux-mediation-numerique/haute-vienne-limoges-metropole-acteurs-numeriques-2023.json";
    let (a, _) = import(path, mapping("haute-vienne.toml"));
    let (b, _) = import(path, mapping("haute-vienne.toml"));
    let ids = |rs: &[Record]| {
        rs.iter()
            .map(|r| r.source.source_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(ids(&a).into_iter().collect::<BTreeSet<_>>().len(), a.len());
}

#[test]
fn charente_bus_keeps_even_and_odd_weeks() {
    let (records, report) = import(
        "lieux-mediation-numerique/bus-france-services-charente-source.json",
        mapping("bus-charente.toml"),
    );
    assert_eq!(report.rows, 12);
    assert_eq!(report.rejected, 0);
    assert_no_silent_drop(&records, &report);
    assert_eq!(report.warnings().count(), 1);
    assert!(records.iter().all(|r| r.place.is_itinerant()));
    let odd = records
        .iter()
        .filter(|r| {
            r.place
                .horaires
                .as_deref()
                .unwrap()
                .starts_with("week 01-53/2 ")
        })
        .count();
    let even = records
        .iter()
        .filter(|r| {
            r.place
                .horaires
                .as_deref()
                .unwrap()
                .starts_with("week 02-52/2 ")
        })
        .count();
    assert_eq!((odd, even), (6, 6));
    let st_fraigne = by_id(&records, "1");
    assert_eq!(
        st_fraigne.place.horaires.as_deref(),
        Some("week 01-53/2 Mo 09:30-12:30,13:30-15:30; PH off")
    );
    assert_eq!(st_fraigne.place.pivot, "40109226700020");
    assert_eq!(st_fraigne.place.telephone.as_deref(), Some("+33630392518"));
    assert_eq!(st_fraigne.place.code_postal, "16140");
    // On an odd week (ISO week 3 of 2026) the Monday stop is open, on an even week it is not.
    let at = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 1, d)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    };
    let h = st_fraigne.place.horaires.as_deref().unwrap();
    assert_eq!(maillage_model::hours::is_open_at(h, at(12)), Some(true));
    assert_eq!(maillage_model::hours::is_open_at(h, at(5)), Some(false));
    // Valence was geocoded in the Bouches-du-Rhône: the position is dropped, the commune kept.
    let valence = by_id(&records, "4");
    assert!(valence.place.position.is_none());
    assert_eq!(valence.place.code_insee.as_deref(), Some("16392"));
}

#[test]
fn aidants_connect_golden() {
    let (records, report) = import(
        "dispositifs/20240212-aidants-connect-structures.csv",
        Format::AidantsConnect,
    );
    assert_eq!(report.rows, 5227);
    // The structures marked inactive.
    assert_eq!(report.rejected, 46);
    assert_no_silent_drop(&records, &report);
    assert_eq!(report.warnings().count(), 28);
    let beta = by_id(&records, "1");
    assert_eq!(beta.place.pivot, "13002603200016");
    assert_eq!(beta.place.code_insee.as_deref(), Some("75107"));
    assert!(beta.place.position.is_none());
    assert_eq!(
        records
            .iter()
            .filter(|r| r
                .place
                .dispositif_programmes_nationaux
                .contains(&maillage_model::Dispositif::FranceServices))
            .count(),
        records
            .iter()
            .filter(|r| r.place.typologie.iter().any(|t| t == "RFS"))
            .count()
    );
    // Postal codes that lost their leading zero are padded.
    assert!(records
        .iter()
        .all(|r| r.place.code_postal.is_empty() || r.place.code_postal.len() == 5));
}

#[test]
fn cnfs_structures_golden() {
    let (records, report) = import(
        "dispositifs/20230405-cnfs-structures.csv",
        Format::CnfsStructures,
    );
    assert_eq!(report.rows, 2889);
    assert_eq!(report.rejected, 0);
    assert_no_silent_drop(&records, &report);
    assert_eq!(report.warnings().count(), 228);
    let ids: BTreeSet<&str> = records
        .iter()
        .map(|r| r.source.source_id.as_str())
        .collect();
    // 5 rows repeat another row exactly: one id (one record in the store) for each pair.
    assert_eq!(ids.len(), 2884);
    let mulhouse = records
        .iter()
        .find(|r| r.place.nom == "FACE ALSACE MULHOUSE")
        .unwrap();
    assert_eq!(mulhouse.place.adresse, "6 RUE DE LA BOURSE");
    assert_eq!(mulhouse.place.code_postal, "68100");
    assert_eq!(mulhouse.place.code_insee.as_deref(), Some("68224"));
    assert_eq!(mulhouse.place.commune, "Mulhouse");
}

#[test]
fn data_inclusion_structures_take_their_services() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data-inclusion-sample.json");
    let (records, report) = import_path(&path, Format::DataInclusion);
    assert_eq!(report.rows, 3);
    assert_eq!(report.rejected, 1);
    assert_no_silent_drop(&records, &report);
    let tournesol = by_id(&records, "dora--centre-social-le-tournesol");
    let p = &tournesol.place;
    use maillage_model::{Dispositif, ModaliteAcces as MAc, ModaliteAccompagnement as MA, Service};
    assert_eq!(
        p.services,
        vec![Service::MaitriseOutils, Service::AideDemarches]
    );
    assert_eq!(
        p.dispositif_programmes_nationaux,
        vec![Dispositif::ConseillersNumeriques]
    );
    assert_eq!(p.horaires.as_deref(), Some("Mo-Fr 08:30-12:30; PH off"));
    assert_eq!(p.telephone.as_deref(), Some("+33563000000"));
    assert_eq!(
        p.prise_rdv.as_deref(),
        Some("https://rdv.example.org/tournesol")
    );
    assert!(p.modalites_acces.contains(&MAc::RdvEnLigne));
    assert!(p.modalites_accompagnement.contains(&MA::ADistance));
    assert_eq!(tournesol.extra["reseaux_porteurs"], "fcsf");
    let caussade = by_id(&records, "france-travail--france-services-caussade");
    assert_eq!(
        caussade.place.typologie,
        vec!["RFS".to_string(), "MUNI".to_string()]
    );
    assert_eq!(caussade.place.services, vec![Service::AccesInternet]);
    // The structure's free-text hours are refused; the service's OSM hours are used.
    assert_eq!(
        caussade.place.horaires.as_deref(),
        Some("Mo-Fr 09:00-12:00,14:00-17:00")
    );
    assert!(report
        .warnings()
        .any(|i| i.message.contains("structure absente du fichier")));
}

#[test]
fn a_france_services_file_without_its_columns_is_refused() {
    let dir = std::env::temp_dir().join(format!("maillage-sources-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fs.csv");
    std::fs::write(&path, "id_fs,adresse,h_lundi\n1,rue,09:00 - 12:00\n").unwrap();
    let file = SourceFile {
        source: "test".into(),
        date: chrono::NaiveDate::from_ymd_opt(2024, 8, 1).unwrap(),
    };
    let err = read_path(&path, &Format::FranceServices, &file, None, &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, ReadError::MissingColumns(ref c) if c.contains(&"lib_fs".to_string())),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn france_services_round_trip_through_data_inclusion() {
    let (records, _) = import(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
    );
    let places: Vec<maillage_model::Place> = records
        .iter()
        .filter(|r| r.place.departement() == Some("82"))
        .map(|r| {
            let mut p = r.place.clone();
            // The store gives ids; data·inclusion needs one per structure.
            p.id = format!("fs-{}", r.source.source_id);
            p
        })
        .collect();
    assert_eq!(places.len(), 23);
    let mut json = Vec::new();
    maillage_standard::write::write_data_inclusion(&places, &mut json).unwrap();
    let dir = std::env::temp_dir().join(format!("maillage-di-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fs82.json");
    std::fs::write(&path, &json).unwrap();
    let (back, report) = import_path(&path, Format::DataInclusion);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(report.rejected, 0);
    assert_eq!(back.len(), places.len());
    for (a, b) in places.iter().zip(&back) {
        let b = &b.place;
        assert_eq!(a.nom, b.nom);
        assert_eq!(a.adresse, b.adresse);
        assert_eq!(a.commune, b.commune);
        assert_eq!(a.code_postal, b.code_postal);
        assert_eq!(a.code_insee, b.code_insee);
        assert_eq!(a.position, b.position);
        assert_eq!(a.telephone, b.telephone);
        assert_eq!(a.courriels, b.courriels);
        assert_eq!(a.horaires, b.horaires);
        assert_eq!(a.typologie, b.typologie);
        assert_eq!(
            a.dispositif_programmes_nationaux,
            b.dispositif_programmes_nationaux
        );
        assert_eq!(a.frais_a_charge, b.frais_a_charge);
        let set = |v: &[maillage_model::Service]| v.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(set(&a.services), set(&b.services), "{}", a.nom);
    }
}

/// The real referential (COG 2026, centres), loaded once for the tests that use it.
fn referential() -> &'static maillage_territory::Referential {
    static R: std::sync::OnceLock<maillage_territory::Referential> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        maillage_territory::Referential::load_shared(&shared())
            .unwrap_or_else(|e| panic!("référentiel illisible : {e}"))
    })
}

fn import_with_referential(rel: &str, format: Format) -> (Vec<Record>, Report) {
    let file = SourceFile {
        source: "test".into(),
        date: chrono::NaiveDate::from_ymd_opt(2024, 8, 1).unwrap(),
    };
    let mut records = Vec::new();
    let report = read_path(
        &shared().join(rel),
        &format,
        &file,
        Some(referential()),
        &mut |r| records.push(r),
    )
    .unwrap();
    (records, report)
}

#[test]
fn aidants_connect_insee_codes_are_filled_from_the_referential() {
    let (without, _) = import(
        "dispositifs/20240212-aidants-connect-structures.csv",
        Format::AidantsConnect,
    );
    let (with, report) = import_with_referential(
        "dispositifs/20240212-aidants-connect-structures.csv",
        Format::AidantsConnect,
    );
    assert_no_silent_drop(&with, &report);
    let missing = |rs: &[Record]| rs.iter().filter(|r| r.place.code_insee.is_none()).count();
    println!(
        "sans code INSEE : {} sans référentiel, {} avec",
        missing(&without),
        missing(&with)
    );
    assert_eq!(missing(&without), 222);
    // 216 of the 222 are found by postal code and commune name; the 6 left are reported.
    assert_eq!(missing(&with), 6);
    let not_found = report
        .warnings()
        .filter(|i| i.message.starts_with("commune introuvable"))
        .count();
    assert_eq!(not_found, 6);
}

#[test]
fn france_services_positions_agree_with_their_communes() {
    let (records, report) = import_with_referential(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
    );
    assert_no_silent_drop(&records, &report);
    let far: Vec<_> = report
        .warnings()
        .filter(|i| i.field.as_deref() == Some("latitude"))
        .map(|i| (i.line, i.message.clone()))
        .collect();
    println!("{far:#?}");
    assert_eq!(far.len(), 0);
}

#[test]
fn a_mapping_reads_a_windows_1252_csv_with_semicolons() {
    let dir = std::env::temp_dir().join(format!("maillage-map-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("asso.toml");
    std::fs::write(
        &toml,
        r#"
[source]
name = "asso"
format = "csv"

[id]
column = "num"

[fields]
nom = "Nom du lieu"
commune = "Ville"
code_postal = "CP"
adresse = "Rue"
telephone = "Tél"
horaires = "Ouverture"
services = { column = "Activités", split = ",", map = { "Démarches" = "Aide aux démarches administratives", "Initiation" = "Maîtrise des outils numériques du quotidien" } }
"#,
    )
    .unwrap();
    let csv = dir.join("asso.csv");
    let text = "num;Nom du lieu;Ville;CP;Rue;Tél;Ouverture;Activités\n\
                1;Médiathèque Élise;Moissac;82200;2 rue de l'Église;05.63.04.00.00;Du lundi au vendredi de 9h à 12h;Démarches, Initiation\n\
                2;Café <script>alert(1)</script>;Lavit;82120;Place;;les mardis matins;Jeux vidéo\n\
                3;;Lavit;82120;Place;;;\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    std::fs::write(&csv, &bytes).unwrap();
    let (records, report) = import_path(&csv, Format::Mapping(toml));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(report.rows, 3);
    assert_eq!(report.rejected, 1);
    assert_no_silent_drop(&records, &report);
    assert_eq!(report.encoding.as_deref(), Some("Windows-1252"));
    assert_eq!(report.delimiter, Some(';'));
    let m = &records[0];
    assert_eq!(m.source.source_id, "1");
    assert_eq!(m.place.nom, "Médiathèque Élise");
    assert_eq!(m.place.adresse, "2 rue de l'Église");
    assert_eq!(m.place.telephone.as_deref(), Some("+33563040000"));
    assert_eq!(m.place.horaires.as_deref(), Some("Mo-Fr 09:00-12:00"));
    assert_eq!(m.place.services.len(), 2);
    let cafe = &records[1];
    // Markup is kept as text (never interpreted) and flagged.
    assert_eq!(cafe.place.nom, "Café <script>alert(1)</script>");
    assert!(report
        .warnings()
        .any(|i| i.field.as_deref() == Some("nom") && i.line == Some(3)));
    assert!(cafe.place.horaires.is_none());
    assert_eq!(cafe.extra["horaires_texte"], "les mardis matins");
    assert!(report
        .warnings()
        .any(|i| i.value.as_deref() == Some("Jeux vidéo") && i.line == Some(3)));
    // The rejected row is kept raw, re-joined with the file's delimiter.
    assert_eq!(report.rejected_rows[0].line, 4);
    assert_eq!(report.rejected_rows[0].raw, "3;;Lavit;82120;Place;;;");
}

/// The data·inclusion fixture is realistic only if it follows the real JSON Schemas: checked
/// with Python `jsonschema` (the venv the export validators use). Skipped loudly outside CI
/// when the venv is absent.
#[test]
fn data_inclusion_fixture_follows_the_v1_json_schemas() {
    let python = std::env::var_os("MAILLAGE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv/bin/python"));
    if !python.exists() {
        let message = format!(
            "python du venv introuvable ({}) : python3 -m venv .venv && .venv/bin/pip install jsonschema rfc3986-validator",
            python.display()
        );
        if std::env::var_os("CI").is_some() {
            panic!("{message}");
        }
        eprintln!("\n!!!!!!!! TEST NON EXÉCUTÉ : {message} !!!!!!!!\n");
        return;
    }
    const CHECK: &str = r#"
import json, sys
from jsonschema import Draft202012Validator as V
structure, service, data = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:4])
vs = V(structure, format_checker=V.FORMAT_CHECKER)
vv = V(service, format_checker=V.FORMAT_CHECKER)
errors = [f"{k} {i.get('id')}: {e.message}" for k, v, items in
          (("structure", vs, data["structures"]), ("service", vv, data["services"]))
          for i in items for e in v.iter_errors(i)]
print(json.dumps(errors))
"#;
    let schemas = shared().join("data-inclusion-schema/v1");
    let output = std::process::Command::new(&python)
        .arg("-c")
        .arg(CHECK)
        .arg(schemas.join("structure.json"))
        .arg(schemas.join("service.json"))
        .arg(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/data-inclusion-sample.json"),
        )
        .output()
        .expect("python runs");
    let errors: Vec<String> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "jsonschema: {e}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn france_services_list_resaved_by_a_spreadsheet_reads_the_same() {
    // The real 2024 list written back with `;` and in Windows-1252, as Excel saves a CSV.
    let original = shared().join("france-services/liste-fs-20240801.csv");
    let mut rdr = csv::Reader::from_path(&original).unwrap();
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    out.write_record(rdr.headers().unwrap()).unwrap();
    for rec in rdr.records() {
        out.write_record(&rec.unwrap()).unwrap();
    }
    let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    let dir = std::env::temp_dir().join(format!("maillage-fs1252-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("liste-fs.csv");
    std::fs::write(&path, &bytes).unwrap();
    let (resaved, report) = import_path(&path, Format::FranceServices);
    std::fs::remove_dir_all(&dir).ok();
    let (records, _) = import(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
    );
    assert_eq!(report.encoding.as_deref(), Some("Windows-1252"));
    assert_eq!(report.delimiter, Some(';'));
    assert_eq!(report.rows, 2845);
    assert_eq!(resaved.len(), records.len());
    for (a, b) in records.iter().zip(&resaved) {
        assert_eq!(a.source, b.source);
        assert_eq!(a.line, b.line);
        assert_eq!(a.place.horaires, b.place.horaires);
        assert_eq!(a.place.code_insee, b.place.code_insee);
        assert_eq!(a.place.itinerance, b.place.itinerance);
    }
    let first = by_id(&resaved, "1");
    assert_eq!(first.place.nom, "France services de Valserhône");
}

#[test]
fn data_inclusion_json_lines_read_like_the_object_form() {
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data-inclusion-sample.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();
    let mut lines = String::new();
    for key in ["structures", "services"] {
        for item in v[key].as_array().unwrap() {
            lines.push_str(&item.to_string());
            lines.push('\n');
        }
    }
    let dir = std::env::temp_dir().join(format!("maillage-dijl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("di.jsonl");
    std::fs::write(&path, lines).unwrap();
    let (from_lines, report) = import_path(&path, Format::DataInclusion);
    std::fs::remove_dir_all(&dir).ok();
    let (from_object, _) = import_path(&fixture, Format::DataInclusion);
    assert_eq!(report.rows, 3);
    assert_eq!(from_lines, from_object);
}

#[test]
fn france_services_2022_unknown_insee_code_is_found_from_the_referential() {
    let (records, report) = import_with_referential(
        "france-services/liste-fs-20221201.csv",
        Format::FranceServices,
    );
    assert_no_silent_drop(&records, &report);
    // id_fs 2004 has `insee_com` = `0null`.
    let st_etienne = by_id(&records, "2004");
    assert_eq!(st_etienne.place.code_insee.as_deref(), Some("48148"));
    let missing: Vec<String> = records
        .iter()
        .filter(|r| r.place.code_insee.is_none())
        .map(|r| {
            format!(
                "{} {} {}",
                r.source.source_id, r.place.code_postal, r.place.commune
            )
        })
        .collect();
    assert!(missing.is_empty(), "{missing:?}");
    // Saint-Martin (97801) is a collectivité d'outre-mer, not in the COG's communes: its code
    // is kept as given.
    assert_eq!(
        by_id(&records, "1684").place.code_insee.as_deref(),
        Some("97801")
    );
}

#[test]
fn unusable_files_are_errors_not_empty_imports() {
    let dir = std::env::temp_dir().join(format!("maillage-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = SourceFile {
        source: "test".into(),
        date: chrono::NaiveDate::from_ymd_opt(2024, 8, 1).unwrap(),
    };
    let fs_header = "\"id_fs\",\"insee_dep\",\"lib_fs\",\"adresse\",\"complement_adresse\",\"insee_com\",\"code_postal\",\"lib_com\",\"h_lundi\"\n";
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let haute_vienne = mapping("haute-vienne.toml");
    let cases: Vec<(&str, Vec<u8>, Format)> = vec![
        ("empty.csv", Vec::new(), Format::FranceServices),
        (
            "header.csv",
            fs_header.as_bytes().to_vec(),
            Format::FranceServices,
        ),
        ("random.csv", random.clone(), Format::FranceServices),
        ("random-ac.csv", random.clone(), Format::AidantsConnect),
        (
            "header-cnfs.csv",
            b"Raison sociale;SIRET;Code commune INSEE;Code postal;Adresse\n".to_vec(),
            Format::CnfsStructures,
        ),
        ("empty.json", b"[]".to_vec(), haute_vienne.clone()),
        ("random.json", random.clone(), haute_vienne),
        ("random-di.json", random, Format::DataInclusion),
    ];
    for (name, bytes, format) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let mut n = 0;
        let result = read_path(&path, &format, &file, None, &mut |_| n += 1);
        let err = result
            .err()
            .unwrap_or_else(|| panic!("{name}: lu sans erreur"));
        println!("{name}: {err}");
        assert!(
            matches!(
                err,
                ReadError::Empty
                    | ReadError::HeaderOnly
                    | ReadError::Unreadable(_)
                    | ReadError::NotFormat { .. }
                    | ReadError::MissingColumns(_)
            ),
            "{name}: {err:?}"
        );
        assert_eq!(n, 0, "{name}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_mapping_can_name_its_delimiter() {
    let dir = std::env::temp_dir().join(format!("maillage-tab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("tab.toml");
    std::fs::write(
        &toml,
        "[source]\nname = \"tab\"\nformat = \"csv\"\ndelimiter = \"\\t\"\n[id]\ncolumn = \"id\"\n[fields]\nnom = \"nom\"\ncommune = \"commune\"\n",
    )
    .unwrap();
    let csv = dir.join("tab.tsv");
    // Commas and semicolons inside values would fool a guess; the mapping says tab.
    std::fs::write(&csv, "id\tnom\tcommune\n7\tMairie, salle 2; étage\tLavit\n").unwrap();
    let (records, report) = import_path(&csv, Format::Mapping(toml));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(report.delimiter, Some('\t'));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].place.nom, "Mairie, salle 2; étage");
    assert_eq!(records[0].source.source_id, "7");
}
