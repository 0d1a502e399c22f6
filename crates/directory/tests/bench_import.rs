//! Benchmark (ignored by default): import, validate and de-duplicate the three national lists
//! (conseiller numérique 4,930, France Services 2,845, Aidants Connect 5,227) into an empty
//! SQLite store, against a baseline measured in the same process: merely parsing the same
//! files (serde_json / csv into generic values). Run with
//! `cargo test --release --test bench_import -- --ignored --nocapture`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use maillage_directory::import as pipeline;
use maillage_model::CommuneLookup;
use maillage_standard::read::Format;

fn shared() -> PathBuf {
    std::env::var_os("MAILLAGE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn files() -> Vec<(PathBuf, Format)> {
    let d = shared();
    vec![
        (
            d.join("lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json"),
            Format::CnfsJson,
        ),
        (
            d.join("france-services/liste-fs-20240801.csv"),
            Format::FranceServices,
        ),
        (
            d.join("dispositifs/20240212-aidants-connect-structures.csv"),
            Format::AidantsConnect,
        ),
    ]
}

fn baseline_parse() -> usize {
    let mut n = 0;
    for (path, _) in files() {
        let bytes = std::fs::read(&path).unwrap();
        if path.extension().is_some_and(|e| e == "json") {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            n += v.as_array().map(Vec::len).unwrap_or(0);
        } else {
            let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
            n += r.records().filter(|r| r.is_ok()).count();
        }
    }
    n
}

#[test]
#[ignore]
fn bench_import_national_lists_into_empty_sqlite() {
    let referential =
        maillage_territory::Referential::load_shared(&shared()).expect("national referential");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t0 = Instant::now();
    let rows = baseline_parse();
    let baseline = t0.elapsed();

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("bench.sqlite").display());
    let t = Instant::now();
    let reads: Vec<_> = files()
        .iter()
        .map(|(p, f)| {
            pipeline::read_file(p, f, None, Some(&referential as &dyn CommuneLookup)).unwrap()
        })
        .collect();
    let read = t.elapsed();
    let records: usize = reads.iter().map(|r| r.records.len()).sum();
    let (outcome, places) = rt.block_on(async {
        let store = maillage_store::open(&url).await.unwrap();
        let (o, _) = pipeline::import(store.as_ref(), reads).await.unwrap();
        (o, store.count_places().await.unwrap())
    });
    let total = t.elapsed();
    println!(
        "rows {rows}, records {records}, places {places} ({} created, {} merged)",
        outcome.created, outcome.merged
    );
    println!(
        "baseline (parse only) {:.3} s; read+validate {:.3} s; total import {:.3} s; ratio total/baseline {:.1}",
        baseline.as_secs_f64(),
        read.as_secs_f64(),
        total.as_secs_f64(),
        total.as_secs_f64() / baseline.as_secs_f64()
    );
}
