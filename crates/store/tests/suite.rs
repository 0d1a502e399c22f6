//! The store's integration suite, written once and run on both backends.
//!
//! `check_both!(name)` turns `async fn name(store)` into two tests, `name::sqlite` (an
//! in-memory SQLite database) and `name::postgres` (a fresh database on the throwaway
//! PostgreSQL server of `maillage_store::testing`), so the two implementations cannot drift
//! apart unnoticed.

use std::sync::Arc;

use chrono::NaiveDate;
use maillage_model::{Commune, Epci, Itinerance, Place, Position, SourceRef};
use maillage_store::{
    testing, FieldProvenance, ImportOutcome, ImportPlan, PlaceFilter, PlannedPlace, SourceRecord,
    Store, StoreError, StoredPlace,
};

use maillage_store::check_both;

// ---------------------------------------------------------------------------------------
// Builders

fn sref(source: &str, id: &str) -> SourceRef {
    SourceRef {
        source: source.into(),
        source_id: id.into(),
    }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, d).expect("date")
}

fn place(nom: &str, code_insee: &str) -> Place {
    Place {
        nom: nom.into(),
        pivot: "21820121700013".into(),
        commune: "Montauban".into(),
        code_postal: format!("{}000", &code_insee[..2]),
        code_insee: Some(code_insee.into()),
        adresse: "1 rue de la République".into(),
        position: Some(Position::new(44.0176, 1.355)),
        date_maj: Some(day(1)),
        ..Place::default()
    }
}

fn record(source: &str, id: &str, place: &Place) -> SourceRecord {
    SourceRecord {
        source: sref(source, id),
        place: place.clone(),
        observed: day(1),
    }
}

/// A planned place made of one source record, with the provenance of its name.
fn single(source: &str, id: &str, place: &Place) -> PlannedPlace {
    PlannedPlace {
        place: place.clone(),
        records: vec![record(source, id, place)],
        provenance: vec![FieldProvenance {
            field: "nom".into(),
            source: source.into(),
            date: day(1),
        }],
        ..PlannedPlace::default()
    }
}

fn plan(places: Vec<PlannedPlace>) -> ImportPlan {
    ImportPlan {
        source: "conseiller-numerique".into(),
        file: "cnfs.json".into(),
        places,
        rejected: 0,
    }
}

async fn id_of(store: &Arc<dyn Store>, source: &str, id: &str) -> String {
    store
        .place_id_for_source(&sref(source, id))
        .await
        .expect("lecture")
        .expect("source connue")
}

async fn everything(store: &Arc<dyn Store>) -> Vec<StoredPlace> {
    store
        .places(&PlaceFilter::default())
        .await
        .expect("lecture")
}

fn outcome(created: u64, updated: u64, unchanged: u64, merged: u64) -> ImportOutcome {
    ImportOutcome {
        created,
        updated,
        unchanged,
        merged,
        rejected: 0,
    }
}

// ---------------------------------------------------------------------------------------
// The suite

async fn create_update_unchanged(store: Arc<dyn Store>) {
    let a = place("Médiathèque Mémo", "82121");
    let b = place("France services Caussade", "82037");
    let first = plan(vec![single("cn", "1", &a), single("cn", "2", &b)]);
    assert_eq!(
        store.apply_import(first.clone()).await.unwrap(),
        outcome(2, 0, 0, 0)
    );
    let id_a = id_of(&store, "cn", "1").await;
    assert!(id_a.starts_with("lieu-"), "{id_a}");

    // Same values, ids left empty as a reader gives them: found by their source records.
    assert_eq!(
        store.apply_import(first).await.unwrap(),
        outcome(0, 0, 2, 0)
    );

    let mut a2 = a.clone();
    a2.telephone = Some("+33563000000".into());
    let second = plan(vec![single("cn", "1", &a2), single("cn", "2", &b)]);
    assert_eq!(
        store.apply_import(second).await.unwrap(),
        outcome(0, 1, 1, 0)
    );
    assert_eq!(id_of(&store, "cn", "1").await, id_a, "the id is stable");
    let stored = store.place(&id_a).await.unwrap().expect("lieu");
    assert_eq!(stored.place.telephone.as_deref(), Some("+33563000000"));
    assert_eq!(stored.place.id, id_a);
    assert_eq!(stored.records.len(), 1);
    assert_eq!(
        stored.records[0].place.telephone.as_deref(),
        Some("+33563000000")
    );
    assert_eq!(store.count_places().await.unwrap(), 2);

    // A record whose values changed while the merged place did not is an update too.
    let mut newer = single("cn", "2", &b);
    newer.records[0].observed = day(9);
    assert_eq!(
        store.apply_import(plan(vec![newer])).await.unwrap(),
        outcome(0, 1, 0, 0)
    );

    let log = store.imports(10).await.unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].outcome, outcome(0, 1, 0, 0), "most recent first");
    assert_eq!(log[3].outcome, outcome(2, 0, 0, 0));
    assert_eq!(log[3].file, "cnfs.json");
}
check_both!(create_update_unchanged);

async fn importing_twice_changes_nothing(store: Arc<dyn Store>) {
    let places: Vec<PlannedPlace> = (0..40)
        .map(|i| {
            let mut p = single("fs", &i.to_string(), &place(&format!("Lieu {i}"), "82121"));
            p.provenance.push(FieldProvenance {
                field: "adresse".into(),
                source: "fs".into(),
                date: day(2),
            });
            p
        })
        .collect();
    assert_eq!(
        store.apply_import(plan(places.clone())).await.unwrap(),
        outcome(40, 0, 0, 0)
    );
    let before = everything(&store).await;
    assert_eq!(
        store.apply_import(plan(places.clone())).await.unwrap(),
        outcome(0, 0, 40, 0)
    );
    // The pipeline may also pass the ids it found: still nothing to do.
    let mut with_ids = Vec::new();
    for mut p in places {
        p.place.id = id_of(&store, "fs", &p.records[0].source.source_id).await;
        with_ids.push(p);
    }
    assert_eq!(
        store.apply_import(plan(with_ids)).await.unwrap(),
        outcome(0, 0, 40, 0)
    );
    // Not even the modification dates move.
    assert_eq!(everything(&store).await, before);
}
check_both!(importing_twice_changes_nothing);

/// The two places a full import starts from, and a plan that fails at `broken`.
async fn failed_import_leaves_database_unchanged(store: Arc<dyn Store>) {
    let base = plan(vec![
        single("cn", "1", &place("Espace numérique", "82121")),
        single("cn", "2", &place("Bibliothèque", "82037")),
    ]);
    store.apply_import(base).await.unwrap();
    let before = everything(&store).await;
    let log_before = store.imports(100).await.unwrap();
    let id_1 = id_of(&store, "cn", "1").await;

    // Fails on a source record without an id, then on one without a source name (checks of
    // place_sources), in the middle and at the end of the plan: after the places themselves
    // and the update were written.
    for broken in ["source id", "source name"] {
        let mut places: Vec<PlannedPlace> = (0..60)
            .map(|i| {
                single(
                    "ac",
                    &format!("{i}"),
                    &place(&format!("Aidant {i}"), "82121"),
                )
            })
            .collect();
        // An update of a stored place and a merge, before the failure.
        let mut update = single("cn", "1", &place("Espace numérique (nouveau nom)", "82121"));
        update.place.id = id_1.clone();
        places.insert(10, update);
        match broken {
            "source id" => places[30].records[0].source.source_id = String::new(),
            _ => places[60].records[0].source.source = String::new(),
        }
        let err = store
            .apply_import(plan(places))
            .await
            .expect_err("the plan must fail");
        assert!(matches!(err, StoreError::Database(_)), "{broken}: {err}");
        assert_eq!(everything(&store).await, before, "{broken}");
        assert_eq!(store.count_places().await.unwrap(), 2, "{broken}");
        assert_eq!(store.imports(100).await.unwrap(), log_before, "{broken}");
        assert_eq!(
            store.place_id_for_source(&sref("ac", "0")).await.unwrap(),
            None,
            "{broken}"
        );
    }

    // An absorbed id that does not exist stops the import before anything is written.
    let mut merge = single("cn", "1", &place("Espace", "82121"));
    merge.absorbs = vec!["lieu-inconnu".into()];
    let err = store.apply_import(plan(vec![merge])).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    assert_eq!(everything(&store).await, before);
}
check_both!(failed_import_leaves_database_unchanged);

async fn merge_keeps_absorbed_ids_as_aliases(store: Arc<dyn Store>) {
    let cn = place("EPN de Caussade", "82037");
    let fs = place("France services de Caussade", "82037");
    let ac = place("Mairie de Caussade", "82037");
    store
        .apply_import(plan(vec![
            single("cn", "7", &cn),
            single("fs", "8", &fs),
            single("ac", "9", &ac),
        ]))
        .await
        .unwrap();
    let (id_cn, id_fs, id_ac) = (
        id_of(&store, "cn", "7").await,
        id_of(&store, "fs", "8").await,
        id_of(&store, "ac", "9").await,
    );

    // Explicit merge: cn absorbs fs.
    let mut merged_place = fs.clone();
    merged_place.id = id_cn.clone();
    let merged = PlannedPlace {
        place: merged_place,
        records: vec![record("cn", "7", &cn), record("fs", "8", &fs)],
        merge_reasons: vec!["même commune, nom proche (0,91)".into()],
        absorbs: vec![id_fs.clone()],
        ..PlannedPlace::default()
    };
    assert_eq!(
        store
            .apply_import(plan(vec![merged.clone()]))
            .await
            .unwrap(),
        outcome(0, 1, 0, 1)
    );
    assert_eq!(store.count_places().await.unwrap(), 2);
    let via_alias = store.place(&id_fs).await.unwrap().expect("alias");
    assert_eq!(via_alias.place.id, id_cn);
    assert_eq!(via_alias.records.len(), 2);
    assert_eq!(
        via_alias.merge_reasons,
        vec!["même commune, nom proche (0,91)"]
    );
    assert_eq!(id_of(&store, "fs", "8").await, id_cn);
    // The same merge again: nothing to do.
    assert_eq!(
        store.apply_import(plan(vec![merged])).await.unwrap(),
        outcome(0, 0, 1, 0)
    );

    // Implicit merge: a plan that puts the ac record with the others absorbs its place, and
    // the alias of the first merge follows.
    let all = PlannedPlace {
        place: ac.clone(),
        records: vec![
            record("ac", "9", &ac),
            record("cn", "7", &cn),
            record("fs", "8", &fs),
        ],
        ..PlannedPlace::default()
    };
    assert_eq!(
        store.apply_import(plan(vec![all])).await.unwrap(),
        outcome(0, 1, 0, 1)
    );
    assert_eq!(store.count_places().await.unwrap(), 1);
    let survivor = id_of(&store, "cn", "7").await;
    assert_eq!(
        survivor, id_ac,
        "the place holding the first record is kept"
    );
    for old in [&id_cn, &id_fs, &id_ac] {
        let found = store.place(old).await.unwrap().expect("alias");
        assert_eq!(found.place.id, survivor);
        assert_eq!(found.records.len(), 3, "no source record is lost");
    }
}
check_both!(merge_keeps_absorbed_ids_as_aliases);

async fn split_survives_next_import(store: Arc<dyn Store>) {
    let cn = place("Point numérique de Moissac", "82112");
    let fs = place("Maison France services de Moissac", "82112");
    let merged = PlannedPlace {
        place: cn.clone(),
        records: vec![record("cn", "1", &cn), record("fs", "2", &fs)],
        provenance: vec![
            FieldProvenance {
                field: "nom".into(),
                source: "cn".into(),
                date: day(1),
            },
            FieldProvenance {
                field: "adresse".into(),
                source: "fs".into(),
                date: day(1),
            },
        ],
        merge_reasons: vec!["même adresse".into()],
        ..PlannedPlace::default()
    };
    store
        .apply_import(plan(vec![merged.clone()]))
        .await
        .unwrap();
    let id = id_of(&store, "cn", "1").await;

    let new_id = store
        .split(&id, &sref("fs", "2"), "deux lieux distincts")
        .await
        .unwrap();
    assert_ne!(new_id, id);
    let apart = store.keep_apart().await.unwrap();
    assert_eq!(apart.len(), 1);
    assert_eq!(
        (&apart[0].a, &apart[0].b),
        (&sref("cn", "1"), &sref("fs", "2"))
    );
    assert_eq!(apart[0].reason, "deux lieux distincts");
    let split_off = store.place(&new_id).await.unwrap().expect("nouveau lieu");
    assert_eq!(
        split_off.place.nom, fs.nom,
        "the split-off place has its own values"
    );
    assert_eq!(split_off.records.len(), 1);
    assert_eq!(split_off.provenance.len(), 1);
    assert_eq!(split_off.provenance[0].field, "adresse");
    let rest = store.place(&id).await.unwrap().expect("lieu d'origine");
    assert_eq!(rest.records.len(), 1);
    assert_eq!(rest.records[0].source, sref("cn", "1"));

    // A single-source place has nothing to split.
    let err = store
        .split(&new_id, &sref("fs", "2"), "encore")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");

    // The next import, planned with the decision, keeps them apart.
    let mut fs_alone = single("fs", "2", &fs);
    fs_alone.place.id = new_id.clone();
    let next = plan(vec![single("cn", "1", &cn), fs_alone]);
    let done = store.apply_import(next).await.unwrap();
    assert_eq!(done.created + done.merged, 0);
    assert_eq!(store.count_places().await.unwrap(), 2);
    assert_eq!(store.keep_apart().await.unwrap(), apart);

    // A plan that ignores the decision is refused, and changes nothing.
    let before = everything(&store).await;
    let err = store.apply_import(plan(vec![merged])).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(err.to_string().contains("fs:2"), "{err}");
    assert_eq!(everything(&store).await, before);
}
check_both!(split_survives_next_import);

async fn provenance_is_kept_and_replaced_on_update(store: Arc<dyn Store>) {
    let p = place("Tiers-lieu", "82121");
    let mut planned = single("cn", "1", &p);
    planned.provenance = vec![
        FieldProvenance {
            field: "nom".into(),
            source: "cn".into(),
            date: day(3),
        },
        FieldProvenance {
            field: "services".into(),
            source: "cn".into(),
            date: day(3),
        },
        FieldProvenance {
            field: "services".into(),
            source: "fs".into(),
            date: day(4),
        },
    ];
    store
        .apply_import(plan(vec![planned.clone()]))
        .await
        .unwrap();
    let id = id_of(&store, "cn", "1").await;
    let mut got = store.place(&id).await.unwrap().unwrap().provenance;
    got.sort_by(|a, b| (&a.field, &a.source).cmp(&(&b.field, &b.source)));
    assert_eq!(got, planned.provenance);

    let mut changed = planned.clone();
    changed.place.nom = "Tiers-lieu La Fabrique".into();
    changed.provenance = vec![FieldProvenance {
        field: "nom".into(),
        source: "fs".into(),
        date: day(5),
    }];
    store
        .apply_import(plan(vec![changed.clone()]))
        .await
        .unwrap();
    assert_eq!(
        store.place(&id).await.unwrap().unwrap().provenance,
        changed.provenance
    );
}
check_both!(provenance_is_kept_and_replaced_on_update);

async fn territory_is_replaced_whole(store: Arc<dyn Store>) {
    let commune = |code: &str, dep: &str| Commune {
        code: code.into(),
        nom: format!("Commune {code}"),
        departement: dep.into(),
        epci: Some("200066058".into()),
        codes_postaux: vec!["82000".into(), "82001".into()],
        population: 61_372,
        centre: Some(Position::new(44.0176, 1.355)),
        ifn: Some(4.25),
    };
    let epci = Epci {
        code: "200066058".into(),
        nom: "CA du Grand Montauban".into(),
        kind: "CA".into(),
        population: 80_000,
        communes: vec!["82121".into(), "82075".into()],
        ifn: None,
    };
    let first = vec![
        commune("82121", "82"),
        commune("82075", "82"),
        commune("46042", "46"),
    ];
    store
        .replace_territory(&first, std::slice::from_ref(&epci))
        .await
        .unwrap();
    assert_eq!(store.communes(None).await.unwrap().len(), 3);
    let in_82 = store.communes(Some("82")).await.unwrap();
    assert_eq!(in_82, vec![commune("82075", "82"), commune("82121", "82")]);
    assert_eq!(store.epcis().await.unwrap(), vec![epci]);

    let mut no_centre = commune("2A004", "2A");
    no_centre.centre = None;
    no_centre.epci = None;
    store
        .replace_territory(std::slice::from_ref(&no_centre), &[])
        .await
        .unwrap();
    assert_eq!(store.communes(None).await.unwrap(), vec![no_centre]);
    assert!(store.epcis().await.unwrap().is_empty());
}
check_both!(territory_is_replaced_whole);

async fn filters_select_places(store: Arc<dyn Store>) {
    let mut bus = place("Bus numérique du Quercy", "46042");
    bus.itinerance = vec![Itinerance::Itinerant];
    bus.commune = "Cahors".into();
    bus.position = Some(Position::new(44.4475, 1.4419));
    let mut no_position = place("Médiathèque de Castelsarrasin", "82033");
    no_position.position = None;
    no_position.commune = "Castelsarrasin".into();
    let mut corsica = place("Espace public numérique d'Ajaccio", "2A004");
    corsica.code_postal = "20000".into();
    store
        .apply_import(plan(vec![
            single("cn", "1", &place("Médiathèque Mémo", "82121")),
            single("cn", "2", &place("Maison des services", "82121")),
            single("cn", "3", &bus),
            single("cn", "4", &no_position),
            single("cn", "5", &corsica),
        ]))
        .await
        .unwrap();
    let names = |places: Vec<StoredPlace>| {
        let mut n: Vec<String> = places.into_iter().map(|p| p.place.nom).collect();
        n.sort();
        n
    };
    let query = |filter: PlaceFilter| {
        let store = store.clone();
        async move {
            let found = store.places(&filter).await.unwrap();
            assert_eq!(
                store.count_matching(&filter).await.unwrap(),
                if filter.limit.is_some() || filter.offset > 0 {
                    store
                        .count_matching(&PlaceFilter {
                            limit: None,
                            offset: 0,
                            ..filter.clone()
                        })
                        .await
                        .unwrap()
                } else {
                    found.len() as u64
                }
            );
            names(found)
        }
    };

    let dep82 = query(PlaceFilter {
        departement: Some("82".into()),
        ..PlaceFilter::default()
    })
    .await;
    assert_eq!(
        dep82,
        vec![
            "Maison des services",
            "Médiathèque Mémo",
            "Médiathèque de Castelsarrasin"
        ]
    );
    assert_eq!(
        query(PlaceFilter {
            departement: Some("2A".into()),
            ..PlaceFilter::default()
        })
        .await,
        vec!["Espace public numérique d'Ajaccio"]
    );
    assert_eq!(
        query(PlaceFilter {
            code_insee: Some("82121".into()),
            ..PlaceFilter::default()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        query(PlaceFilter {
            itinerant: Some(true),
            ..PlaceFilter::default()
        })
        .await,
        vec!["Bus numérique du Quercy"]
    );
    // Accents and case do not matter; every word must match; LIKE wildcards are literal.
    assert_eq!(
        query(PlaceFilter {
            text: Some("MEDIATHEQUE castelsarrasin".into()),
            ..PlaceFilter::default()
        })
        .await,
        vec!["Médiathèque de Castelsarrasin"]
    );
    assert!(query(PlaceFilter {
        text: Some("%".into()),
        ..PlaceFilter::default()
    })
    .await
    .is_empty());
    // Around Cahors: the bus only (and not the place without a position).
    assert_eq!(
        query(PlaceFilter {
            bbox: Some([1.3, 44.3, 1.6, 44.6]),
            ..PlaceFilter::default()
        })
        .await,
        vec!["Bus numérique du Quercy"]
    );
    // Pages in id order cover everything once.
    let mut paged = Vec::new();
    for page in 0..3 {
        paged.extend(
            query(PlaceFilter {
                limit: Some(2),
                offset: page * 2,
                ..PlaceFilter::default()
            })
            .await,
        );
    }
    paged.sort();
    assert_eq!(paged, names(everything(&store).await));
}
check_both!(filters_select_places);

async fn html_and_unicode_are_stored_verbatim(store: Arc<dyn Store>) {
    let mut p = place("<script>alert('lieu')</script> & « Cie »", "97411");
    p.code_postal = "97400".into();
    p.commune = "Saint-Denis".into();
    p.presentation_resume = Some("<b>gras</b> <img src=x onerror=alert(1)> l’Œuvre".into());
    p.presentation_detail =
        Some("Ligne 1\nLigne 2\t— 😀 中文 العربية \u{202f}; '; DROP TABLE places; --".into());
    p.adresse = "3 rue de l’Église\u{a0}bis".into();
    store
        .apply_import(plan(vec![single("cn", "<id>&\"'", &p)]))
        .await
        .unwrap();
    let id = id_of(&store, "cn", "<id>&\"'").await;
    let mut expected = p.clone();
    expected.id = id.clone();
    let stored = store.place(&id).await.unwrap().expect("lieu");
    assert_eq!(stored.place, expected);
    assert_eq!(stored.records[0].place, p);
    assert_eq!(store.count_places().await.unwrap(), 1);
    let found = store
        .places(&PlaceFilter {
            departement: Some("974".into()),
            text: Some("l'oeuvre".into()),
            ..PlaceFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        found.len(),
        0,
        "the search looks at name, commune and address only"
    );
    let found = store
        .places(&PlaceFilter {
            text: Some("église <SCRIPT>".into()),
            ..PlaceFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
}
check_both!(html_and_unicode_are_stored_verbatim);

#[tokio::test]
async fn sqlite_file_is_created_and_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sous-dossier-absent").join("maillage.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let url = format!("sqlite:{}", path.display());
    {
        let store = maillage_store::open(&url).await.unwrap();
        store
            .apply_import(plan(vec![single("cn", "1", &place("Lieu", "82121"))]))
            .await
            .unwrap();
    }
    assert!(path.exists());
    let again = maillage_store::open(&url).await.unwrap();
    assert_eq!(
        again.count_places().await.unwrap(),
        1,
        "migrations run once"
    );
    assert_eq!(again.backend(), maillage_store::Backend::Sqlite);
}

#[tokio::test]
async fn bad_urls_are_refused_in_french() {
    let err = maillage_store::open("maillage.db").await.err().unwrap();
    assert!(err.to_string().contains("sqlite:CHEMIN"), "{err}");
    let err = maillage_store::open("sqlite:/nonexistent-dir/x/y.db")
        .await
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Open(_)), "{err}");
}

#[tokio::test]
async fn postgres_server_gives_fresh_databases() {
    let Some(a) = testing::postgres_or_skip().await else {
        return;
    };
    let b = testing::postgres().await.unwrap();
    assert_ne!(a.name, b.name);
    let sa = maillage_store::open(&a.url).await.unwrap();
    let sb = maillage_store::open(&b.url).await.unwrap();
    assert_eq!(sa.backend(), maillage_store::Backend::Postgres);
    sa.apply_import(plan(vec![single("cn", "1", &place("Lieu", "82121"))]))
        .await
        .unwrap();
    assert_eq!(sa.count_places().await.unwrap(), 1);
    assert_eq!(sb.count_places().await.unwrap(), 0);
}

/// A record equal to its place is stored once (as NULL); it must keep its own values when the
/// place changes, is merged into another one, or when another record changes the place.
async fn records_keep_their_own_values(store: Arc<dyn Store>) {
    let a = place("Cyber-base de Nègrepelisse", "82134");
    let b = place("Cyberbase Nègrepelisse (mairie)", "82134");
    let c = place("Mairie de Nègrepelisse", "82134");
    store
        .apply_import(plan(vec![
            single("cn", "a", &a),
            single("fs", "b", &b),
            single("ac", "c", &c),
        ]))
        .await
        .unwrap();
    let (id_a, id_b) = (
        id_of(&store, "cn", "a").await,
        id_of(&store, "fs", "b").await,
    );
    let record_of = |stored: &StoredPlace, source: &str| {
        stored
            .records
            .iter()
            .find(|r| r.source.source == source)
            .map(|r| r.place.clone())
            .expect("record")
    };

    // Merge b into a, the plan listing only a's record: b's record moves with its values.
    let mut merged = single("cn", "a", &a);
    merged.place.id = id_a.clone();
    merged.place.telephone = Some("+33563000001".into());
    merged.absorbs = vec![id_b.clone()];
    store
        .apply_import(plan(vec![merged.clone()]))
        .await
        .unwrap();
    let stored = store.place(&id_a).await.unwrap().unwrap();
    assert_eq!(stored.records.len(), 2);
    assert_eq!(record_of(&stored, "fs"), b);
    assert_eq!(record_of(&stored, "cn"), a);

    // c's place changes through a plan that does not list c's record: the record stays.
    let id_c = id_of(&store, "ac", "c").await;
    let mut renamed = PlannedPlace {
        place: Place {
            id: id_c.clone(),
            nom: "Mairie — espace numérique".into(),
            ..c.clone()
        },
        records: vec![record("cn2", "z", &c)],
        ..PlannedPlace::default()
    };
    renamed.records[0].place.nom = "Autre".into();
    store.apply_import(plan(vec![renamed])).await.unwrap();
    let stored = store.place(&id_c).await.unwrap().unwrap();
    assert_eq!(stored.place.nom, "Mairie — espace numérique");
    assert_eq!(record_of(&stored, "ac"), c);
    assert_eq!(record_of(&stored, "cn2").nom, "Autre");

    // Splitting b out again gives it its own values back.
    let split = store
        .split(&id_b, &sref("fs", "b"), "pas le même lieu")
        .await
        .unwrap();
    assert_eq!(
        store.place(&split).await.unwrap().unwrap().place,
        Place {
            id: split.clone(),
            ..b.clone()
        }
    );
}
check_both!(records_keep_their_own_values);

// ---------------------------------------------------------------------------------------
// Tours (sites, vehicles, events, plan, published versions)

fn tour_row(id: &str, data: &str) -> maillage_store::TourRow {
    maillage_store::TourRow {
        id: id.into(),
        data: data.into(),
    }
}

fn publication(expected: Option<i64>, by: &str) -> maillage_store::NewTourPublication {
    maillage_store::NewTourPublication {
        expected_previous: expected,
        published_at: chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .expect("date")
            .with_timezone(&chrono::Utc),
        published_by: by.into(),
        period_from: day(1),
        period_to: NaiveDate::from_ymd_opt(2027, 2, 28).expect("date"),
        book: format!("{{\"par\":\"{by}\"}}"),
        changes: "[]".into(),
    }
}

check_both!(tour_input_is_replaced_by_part_and_events_are_added_once);
async fn tour_input_is_replaced_by_part_and_events_are_added_once(store: Arc<dyn Store>) {
    let event = |key: &str| maillage_store::TourEventRow {
        kind: "labelling".into(),
        key: key.into(),
        data: format!("{{\"code_insee\":\"{key}\"}}"),
    };
    store
        .replace_tour_input(&maillage_store::TourInputChange {
            sites: Some(vec![tour_row("b", "{}"), tour_row("a", "{\"é\":\"<b>\"}")]),
            vehicles: Some(vec![tour_row("bus-1", "{}")]),
            events: Some(vec![event("82096")]),
        })
        .await
        .expect("first input");
    // Only the vehicles are replaced: sites and events stay.
    store
        .replace_tour_input(&maillage_store::TourInputChange {
            vehicles: Some(vec![tour_row("bus-2", "{}")]),
            ..Default::default()
        })
        .await
        .expect("vehicles");
    let input = store.tour_input().await.expect("input");
    assert_eq!(
        input.sites,
        vec![tour_row("a", "{\"é\":\"<b>\"}"), tour_row("b", "{}")]
    );
    assert_eq!(input.vehicles, vec![tour_row("bus-2", "{}")]);
    let added = store
        .add_tour_events(&[event("82096"), event("82194")])
        .await
        .expect("events");
    assert_eq!(added, 1, "the labelling of 82096 was already there");
    assert_eq!(store.tour_input().await.expect("input").events.len(), 2);
    // A duplicate id fails the whole replacement.
    let err = store
        .replace_tour_input(&maillage_store::TourInputChange {
            sites: Some(vec![tour_row("x", "{}"), tour_row("x", "{}")]),
            ..Default::default()
        })
        .await
        .expect_err("duplicate");
    assert!(err.to_string().contains("« x » en double"), "{err}");
    assert_eq!(store.tour_input().await.expect("input").sites.len(), 2);
    // The proposed plan is one row, replaced.
    assert_eq!(store.tour_plan().await.expect("plan"), None);
    for data in ["{\"v\":1}", "{\"v\":2}"] {
        store
            .save_tour_plan(&maillage_store::TourPlanRow {
                planned_at: chrono::Utc::now(),
                data: data.into(),
            })
            .await
            .expect("save plan");
    }
    assert_eq!(
        store.tour_plan().await.expect("plan").map(|p| p.data),
        Some("{\"v\":2}".into())
    );
}

check_both!(publications_keep_every_version_and_refuse_a_stale_one);
async fn publications_keep_every_version_and_refuse_a_stale_one(store: Arc<dyn Store>) {
    assert_eq!(store.latest_tour_version().await.expect("latest"), None);
    assert_eq!(
        store
            .publish_tours(&publication(None, "coordinatrice"))
            .await
            .expect("v1"),
        1
    );
    // Two coordinators who both read version 1 publish at once: one wins, the other is told.
    let (alice, bob) = (publication(Some(1), "alice"), publication(Some(1), "bob"));
    let (a, b) = tokio::join!(store.publish_tours(&alice), store.publish_tours(&bob));
    let (won, lost) = match (a, b) {
        (Ok(v), Err(e)) | (Err(e), Ok(v)) => (v, e),
        other => panic!("exactly one must win: {other:?}"),
    };
    assert_eq!(won, 2);
    assert!(matches!(lost, StoreError::Conflict(_)), "{lost:?}");
    assert!(lost.to_string().contains("publié entre-temps"), "{lost}");
    // A publisher who never saw any version cannot overwrite version 1 either.
    assert!(matches!(
        store.publish_tours(&publication(None, "carole")).await,
        Err(StoreError::Conflict(_))
    ));
    let all = store.tour_publications().await.expect("all");
    assert_eq!(
        all.iter().map(|p| p.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(all[0].published_by, "coordinatrice");
    assert_eq!(
        all[0].period_to,
        NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
    );
    let latest = store
        .tour_publication(None)
        .await
        .expect("latest")
        .expect("some");
    assert_eq!(latest.version, 2);
    assert_eq!(
        latest.book,
        format!("{{\"par\":\"{}\"}}", latest.published_by)
    );
    assert_eq!(
        store.tour_publication(Some(1)).await.expect("v1"),
        Some(all[0].clone())
    );
    assert_eq!(store.latest_tour_version().await.expect("latest"), Some(2));
}
