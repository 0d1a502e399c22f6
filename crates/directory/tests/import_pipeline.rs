//! The import pipeline (read → de-duplicate → one transaction) on both stores: the demo's
//! three national sources for Tarn-et-Garonne, imported, imported again, and split by an
//! operator whose decision must survive the next import.

use std::path::{Path, PathBuf};

use maillage_directory::import::{self as pipeline, FileRead};
use maillage_model::CommuneLookup;
use maillage_standard::read::Format;
use maillage_store::{PlaceFilter, Store};
use maillage_territory::Referential;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn referential() -> Referential {
    Referential::load_dir(&data().join("referentiel")).expect("shipped referential")
}

fn reads(referential: &Referential) -> Vec<FileRead> {
    let lieux = data().join("lieux");
    let lookup = Some(referential as &dyn CommuneLookup);
    [
        (
            "cnfs-lieux-conseillers-numeriques-2022-12-82.json",
            Format::CnfsJson,
        ),
        ("liste-fs-20240801-82.csv", Format::FranceServices),
        (
            "20240212-aidants-connect-structures-82.csv",
            Format::AidantsConnect,
        ),
    ]
    .into_iter()
    .map(|(f, fmt)| pipeline::read_file(&lieux.join(f), &fmt, None, lookup).expect("readable"))
    .collect()
}

async fn check_pipeline(store: &dyn Store) {
    let referential = referential();
    let first = reads(&referential);
    let records: usize = first.iter().map(|r| r.records.len()).sum();
    let (outcome, _) = pipeline::import(store, first).await.expect("first import");
    let places = store.count_places().await.unwrap() as usize;
    assert_eq!(outcome.created as usize, places);
    // The three lists describe some places twice (a France Services that is also an Aidants
    // Connect structure…): fewer places than records, and at least one merge.
    assert!(places < records, "{places} places from {records} records");
    let merged: Vec<_> = store
        .places(&PlaceFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.records.len() > 1)
        .collect();
    assert!(!merged.is_empty());
    assert!(
        merged.iter().all(|p| !p.merge_reasons.is_empty()),
        "every merge says why"
    );

    // Same files again: nothing changes.
    let (again, _) = pipeline::import(store, reads(&referential)).await.unwrap();
    assert_eq!(
        (again.created, again.updated, again.merged),
        (0, 0, 0),
        "{again:?}"
    );
    assert_eq!(again.unchanged as usize, places);

    // An operator splits a merged place; the next import keeps it apart.
    let victim = &merged[0];
    let moved = victim.records.last().unwrap().source.clone();
    let new_id = store
        .split(&victim.place.id, &moved, "deux lieux distincts")
        .await
        .unwrap();
    assert_ne!(new_id, victim.place.id);
    let (after, _) = pipeline::import(store, reads(&referential)).await.unwrap();
    assert_eq!(after.merged, 0, "{after:?}");
    let owner = store
        .place(&new_id)
        .await
        .unwrap()
        .expect("split place kept");
    assert!(owner.records.iter().any(|r| r.source == moved));
    assert_eq!(store.count_places().await.unwrap() as usize, places + 1);
}

#[tokio::test]
async fn national_sources_import_dedup_reimport_and_split_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    let store = maillage_store::open(&url).await.unwrap();
    check_pipeline(store.as_ref()).await;
}

#[tokio::test]
async fn national_sources_import_dedup_reimport_and_split_on_postgres() {
    let Some(pg) = maillage_store::testing::postgres_or_skip().await else {
        return;
    };
    let store = maillage_store::open(&pg.url).await.unwrap();
    check_pipeline(store.as_ref()).await;
}
