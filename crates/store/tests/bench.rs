//! Import throughput of the store: 13,000 places (the size of the three national lists
//! together) applied in one `apply_import`, on SQLite and on PostgreSQL.
//!
//! Each figure is printed with a baseline measured in the same run: serialising the same
//! places to JSON (the least any store must do), and writing places with one transaction per
//! place (what a naive importer does). Run with:
//!
//! ```text
//! cargo test --release -p maillage-store --test bench -- --ignored --nocapture
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use maillage_model::*;
use maillage_store::{FieldProvenance, ImportPlan, PlaceFilter, PlannedPlace, SourceRecord, Store};

const PLACES: usize = 13_000;
/// Places written one transaction each for the naive baseline (all 13,000 would take long).
const NAIVE_PLACES: usize = 500;

fn take<T: Copy>(all: &[T], n: usize) -> Vec<T> {
    all.iter().copied().take(n).collect()
}

/// A place with every field filled as in the national files (sizes of real rows).
fn synthetic_place(i: usize) -> Place {
    let insee = format!("{:02}{:03}", 1 + i % 95, i % 700);
    Place {
        id: String::new(),
        pivot: format!("{:014}", 21_820_121_700_013u64 + i as u64),
        nom: format!("Espace France services numérique n°{i} de la commune"),
        commune: format!("Commune-sur-Rivière {}", i % 700),
        code_postal: format!("{:02}{:03}", 1 + i % 95, (i * 7) % 1000),
        code_insee: Some(insee),
        adresse: format!("{} avenue du Général de Gaulle", 1 + i % 200),
        complement_adresse: Some("Bâtiment B, 2e étage".into()),
        position: Some(Position::new(
            43.0 + (i % 800) as f64 / 100.0,
            -1.0 + (i % 900) as f64 / 100.0,
        )),
        typologie: vec!["MUNI".into(), "FS".into()],
        telephone: Some(format!("+3356300{:04}", i % 10_000)),
        courriels: vec![format!("contact{i}@mairie-exemple.fr")],
        site_web: vec![format!("https://www.mairie-exemple.fr/lieu/{i}")],
        horaires: Some("Mo-Fr 09:00-12:00,13:30-17:00; Sa 09:00-12:00; PH off".into()),
        presentation_resume: Some(
            "Accompagnement aux démarches administratives en ligne et aux usages du numérique."
                .into(),
        ),
        presentation_detail: Some(
            "Ateliers collectifs, accompagnement individuel sur rendez-vous, accès libre à des \
             ordinateurs, imprimante et scanner."
                .into(),
        ),
        source: Some("Conseiller numérique".into()),
        itinerance: vec![Itinerance::Fixe],
        structure_parente: Some("Communauté de communes".into()),
        date_maj: NaiveDate::from_ymd_opt(2025, 1 + (i % 12) as u32, 1 + (i % 28) as u32),
        services: take(Service::ALL, 6),
        publics_specifiquement_adresses: take(Public::ALL, 3),
        prise_en_charge_specifique: take(PriseEnCharge::ALL, 2),
        frais_a_charge: take(Frais::ALL, 1),
        dispositif_programmes_nationaux: take(Dispositif::ALL, 2),
        formations_labels: take(FormationLabel::ALL, 1),
        autres_formations_labels: vec![],
        modalites_acces: take(ModaliteAcces::ALL, 2),
        modalites_accompagnement: take(ModaliteAccompagnement::ALL, 3),
        fiche_acces_libre: None,
        prise_rdv: Some(format!("https://rdv.exemple.fr/{i}")),
    }
}

const FIELDS: &[&str] = &[
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "position",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "services",
    "publics_specifiquement_adresses",
    "modalites_acces",
    "modalites_accompagnement",
    "prise_rdv",
];

fn synthetic_plan(n: usize) -> ImportPlan {
    let date = NaiveDate::from_ymd_opt(2025, 6, 1).expect("date");
    let places = (0..n)
        .map(|i| {
            let place = synthetic_place(i);
            let source = ["conseiller-numerique", "france-services", "aidants-connect"][i % 3];
            PlannedPlace {
                records: vec![SourceRecord {
                    source: SourceRef {
                        source: source.into(),
                        source_id: format!("{i}"),
                    },
                    place: place.clone(),
                    observed: date,
                }],
                provenance: FIELDS
                    .iter()
                    .map(|f| FieldProvenance {
                        field: f.to_string(),
                        source: source.into(),
                        date,
                    })
                    .collect(),
                merge_reasons: vec![],
                absorbs: vec![],
                place,
            }
        })
        .collect();
    ImportPlan {
        source: "bench".into(),
        file: "synthetic".into(),
        places,
        rejected: 0,
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

async fn measure(label: &str, url_for: impl Fn(&str) -> String, naive_url: String) {
    let plan = synthetic_plan(PLACES);

    // Baseline: serialise the same places (and their records) to JSON.
    let start = Instant::now();
    let mut bytes = 0;
    for p in &plan.places {
        bytes += serde_json::to_string(&p.place).expect("json").len();
        bytes += serde_json::to_string(&p.records[0].place)
            .expect("json")
            .len();
    }
    let json = start.elapsed();

    let store: Arc<dyn Store> = maillage_store::open(&url_for("batch"))
        .await
        .expect("store");
    let start = Instant::now();
    let first = store.apply_import(plan.clone()).await.expect("import");
    let import = start.elapsed();
    assert_eq!(first.created as usize, PLACES);
    let start = Instant::now();
    let second = store.apply_import(plan.clone()).await.expect("import");
    let again = start.elapsed();
    assert_eq!(second.unchanged as usize, PLACES);
    let start = Instant::now();
    let all = store.places(&PlaceFilter::default()).await.expect("read");
    let read = start.elapsed();
    assert_eq!(all.len(), PLACES);

    // Baseline: one transaction per place.
    let naive: Arc<dyn Store> = maillage_store::open(&naive_url).await.expect("store");
    let start = Instant::now();
    for p in plan.places.iter().take(NAIVE_PLACES) {
        naive
            .apply_import(ImportPlan {
                places: vec![p.clone()],
                ..ImportPlan::default()
            })
            .await
            .expect("import");
    }
    let per_row = start.elapsed();

    let batch_per_place = import.as_secs_f64() / PLACES as f64;
    let naive_per_place = per_row.as_secs_f64() / NAIVE_PLACES as f64;
    println!(
        "\n== {label}: {PLACES} places, {} provenance rows",
        PLACES * FIELDS.len()
    );
    println!(
        "baseline: serialise to JSON ({:.1} MB): {}",
        bytes as f64 / 1e6,
        secs(json)
    );
    println!(
        "first import (one transaction):      {}  = {:.1}x the JSON baseline",
        secs(import),
        import.as_secs_f64() / json.as_secs_f64()
    );
    println!(
        "same import again (all unchanged):   {}  = {:.1}x the JSON baseline",
        secs(again),
        again.as_secs_f64() / json.as_secs_f64()
    );
    println!(
        "read all places back:                {}  = {:.1}x the JSON baseline",
        secs(read),
        read.as_secs_f64() / json.as_secs_f64()
    );
    println!(
        "baseline: one transaction per place, {NAIVE_PLACES} places: {} ({:.0} µs/place); \
         one transaction is {:.1}x faster per place ({:.0} µs/place)",
        secs(per_row),
        naive_per_place * 1e6,
        naive_per_place / batch_per_place,
        batch_per_place * 1e6
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: cargo test --release -p maillage-store --test bench -- --ignored --nocapture"]
async fn bench_import_13000_places() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    measure(
        "SQLite (file, WAL)",
        |name| format!("sqlite:{}", path.join(format!("{name}.db")).display()),
        format!("sqlite:{}", path.join("naive.db").display()),
    )
    .await;

    if std::env::var("MAILLAGE_BENCH_ONLY").is_ok_and(|b| b == "sqlite") {
        return;
    }
    let Some(batch) = maillage_store::testing::postgres_or_skip().await else {
        return;
    };
    let naive = maillage_store::testing::postgres().await.expect("postgres");
    let url = batch.url.clone();
    measure(
        "PostgreSQL (local socket)",
        move |_| url.clone(),
        naive.url.clone(),
    )
    .await;
}
