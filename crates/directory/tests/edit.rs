//! One change to one place, through the import's checks, on both stores: the edit is
//! published, keeps its provenance, survives the re-import of an older file, and bad values
//! are refused with nothing written.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use maillage_directory::edit::{apply_change, EditError, PlaceChange, EDIT_SOURCE};
use maillage_directory::import;
use maillage_model::CommuneLookup;
use maillage_standard::read::Format;
use maillage_store::{PlaceFilter, Store};
use maillage_territory::Referential;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn france_services(referential: &Referential) -> import::FileRead {
    import::read_file(
        &data().join("lieux/liste-fs-20240801-82.csv"),
        &Format::FranceServices,
        None,
        Some(referential as &dyn CommuneLookup),
    )
    .expect("readable")
}

async fn check_edit(store: &dyn Store) {
    let referential = Referential::load_dir(&data().join("referentiel")).expect("referential");
    let lookup = Some(&referential as &dyn CommuneLookup);
    import::import(store, vec![france_services(&referential)])
        .await
        .expect("import");
    let before = store
        .places(&PlaceFilter::default())
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("a place");
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();

    // A structure fixes its hours and phone.
    let mut place = before.place.clone();
    place.horaires = Some("Mo-Fr 09:00-12:00; Sa 09:00-11:30".into());
    place.telephone = Some("05 63 00 00 00".into());
    let done = apply_change(
        store,
        lookup,
        PlaceChange {
            place_id: before.place.id.clone(),
            place,
            author: "editeur:1".into(),
            date: today,
        },
    )
    .await
    .expect("valid change");
    assert!(done.changed_fields.contains(&"horaires".to_string()));
    assert!(done.changed_fields.contains(&"telephone".to_string()));
    let after = store.place(&before.place.id).await.unwrap().unwrap();
    assert_eq!(
        after.place.horaires.as_deref(),
        Some("Mo-Fr 09:00-12:00; Sa 09:00-11:30")
    );
    // The phone went through the import's normaliser.
    assert_eq!(after.place.telephone.as_deref(), Some("+33563000000"));
    let hours = after
        .provenance
        .iter()
        .find(|p| p.field == "horaires")
        .expect("provenance of the hours");
    assert_eq!((hours.source.as_str(), hours.date), (EDIT_SOURCE, today));
    assert_eq!(
        after.records.len(),
        before.records.len() + 1,
        "sources kept"
    );

    // regression: an older file imported again never overwrites a newer value a structure gave.
    import::import(store, vec![france_services(&referential)])
        .await
        .expect("re-import");
    let again = store.place(&before.place.id).await.unwrap().unwrap();
    assert_eq!(again.place.horaires, after.place.horaires);
    assert_eq!(again.place.telephone, after.place.telephone);

    // Bad values: refused with the field named, nothing written.
    let mut bad = again.place.clone();
    bad.nom = String::new();
    bad.telephone = Some("pas un numéro".into());
    let err = apply_change(
        store,
        lookup,
        PlaceChange {
            place_id: before.place.id.clone(),
            place: bad,
            author: "editeur:1".into(),
            date: today,
        },
    )
    .await
    .expect_err("a place without a name is refused");
    match err {
        EditError::Invalid(report) => {
            assert!(report
                .issues
                .iter()
                .any(|i| i.field.as_deref() == Some("nom")))
        }
        other => panic!("unexpected {other}"),
    }
    let unchanged = store.place(&before.place.id).await.unwrap().unwrap();
    assert_eq!(unchanged.place, again.place);

    // Unknown place: a clear error, not a panic.
    let err = apply_change(
        store,
        lookup,
        PlaceChange {
            place_id: "lieu-inconnu".into(),
            place: again.place.clone(),
            author: "editeur:1".into(),
            date: today,
        },
    )
    .await
    .expect_err("unknown place");
    assert!(matches!(err, EditError::NotFound(_)));
}

#[tokio::test]
async fn an_edit_is_checked_published_and_survives_an_older_import_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    let store = maillage_store::open(&url).await.unwrap();
    check_edit(store.as_ref()).await;
}

#[tokio::test]
async fn an_edit_is_checked_published_and_survives_an_older_import_on_postgres() {
    let Some(pg) = maillage_store::testing::postgres_or_skip().await else {
        return;
    };
    let store = maillage_store::open(&pg.url).await.unwrap();
    check_edit(store.as_ref()).await;
}
