//! The itinerant France Services' calendar served from the store: the same after a restart
//! and after planning the same input again; a France Services list imported later stops the
//! permanences of a commune with a notice, on the page and in the feed.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use maillage_standard::read::Format;
use maillage_store::Store;
use maillage_web::AppState;
use support::{get, workspace};

fn today() -> chrono::NaiveDate {
    maillage_web::hours::now_paris().date()
}

/// Imports, plans and publishes the shipped tours into the base at `url`.
async fn publish_shipped(url: &str) -> Arc<dyn Store> {
    let store = maillage_store::open(url).await.expect("store");
    let dir = workspace().join("data/tours");
    let files: Vec<PathBuf> = ["sites-82.csv", "vehicules-82.csv", "evenements-82.csv"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    maillage_directory::tours::import_files(store.as_ref(), &files)
        .await
        .expect("import");
    maillage_directory::tours::plan(store.as_ref(), today(), false)
        .await
        .expect("plan");
    let v = maillage_directory::tours::publish(store.as_ref(), "test", today())
        .await
        .expect("publish");
    assert_eq!(v.version, 1);
    store
}

/// The feeds and the page a subscriber reads, DTSTAMP (the time of the request) aside.
async fn feeds(store: Arc<dyn Store>) -> Vec<String> {
    let state = AppState::new(store, None).await.expect("state");
    let router = maillage_web::router(state);
    let mut out = Vec::new();
    for uri in [
        "/itinerance/calendrier.ics?vehicule=bus-1",
        "/itinerance/calendrier.ics?vehicule=bus-2",
        "/itinerance/calendrier.ics?vehicule=bus-3",
        "/itinerance/calendrier.ics?commune=Lavit",
        "/itinerance/calendrier.ics?commune=Dunes",
        "/itinerance",
    ] {
        let a = get(&router, uri).await;
        assert_eq!(a.status, 200, "{uri}: {}", a.body);
        let body: Vec<&str> = a
            .body
            .split("\r\n")
            .filter(|l| !l.starts_with("DTSTAMP:"))
            .collect();
        out.push(body.join("\r\n"));
    }
    out
}

#[tokio::test]
async fn restart_and_planning_again_serve_the_same_feeds_byte_for_byte() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite:{}", dir.path().join("a.sqlite").display());
    let first = feeds(publish_shipped(&url).await).await;
    assert!(first[0].contains("BEGIN:VEVENT"), "{}", first[0]);
    // A restart: a new process state on the same base.
    let again = feeds(maillage_store::open(&url).await.expect("reopen")).await;
    assert_eq!(first, again);
    // The coordinator plans and publishes again the same input: the plan is kept, version 2
    // lists no change, the feeds are the same.
    let store = maillage_store::open(&url).await.expect("reopen");
    let planned = maillage_directory::tours::plan(store.as_ref(), today(), false)
        .await
        .expect("plan again");
    assert!(planned.kept);
    let v2 = maillage_directory::tours::publish(store.as_ref(), "test", today())
        .await
        .expect("publish again");
    assert_eq!((v2.version, v2.changes.len()), (2, 0));
    assert_eq!(first, feeds(store).await);
}

#[tokio::test]
async fn a_france_services_labelled_in_a_tour_commune_stops_its_permanences() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    let store = publish_shipped(&url).await;
    let state = AppState::new(store.clone(), None).await.expect("state");
    let router = maillage_web::router(state.clone());
    let before = get(&router, "/itinerance?commune=Dunes").await;
    assert!(before.body.contains("est à Dunes le "), "{}", before.body);
    assert!(!before.body.contains("ne passe plus"), "{}", before.body);

    // A France Services list naming a new France Services in Dunes (82050).
    let list = dir.path().join("liste-fs.csv");
    let header = std::fs::read_to_string(workspace().join("data/lieux/liste-fs-20240801-82.csv"))
        .expect("list")
        .lines()
        .next()
        .expect("header")
        .to_string();
    std::fs::write(
        &list,
        format!(
            "{header}\n\"9001\",\"82\",\"France services de Dunes\",\"2 place de la Halle\",\"\",\"82050\",\"82340\",\"Dunes\",\"44.0866\",\"0.7759\",\"\",\"05 63 00 00 00\",\"09:00 - 12:00\",\"\",\"\",\"\",\"\",\"\",\"Non\",\"\",\"Principal\",\"Fixe\",\"\",\"Espace labellisé 01/01/2026\"\n"
        ),
    )
    .expect("write list");
    let read = maillage_directory::import::read_file(
        &list,
        &Format::FranceServices,
        Some("france-services"),
        None,
    )
    .expect("read");
    maillage_directory::import(store.as_ref(), vec![read])
        .await
        .expect("import");

    // A new version, with the change and its notice; version 1 is kept.
    let versions = store.tour_publications().await.expect("versions");
    assert_eq!(versions.len(), 2);
    let v2 = maillage_directory::tours::published(store.as_ref())
        .await
        .expect("v2")
        .expect("some");
    assert_eq!(v2.version, 2);
    assert!(
        v2.changes.iter().any(|c| c.site_id == "82-dunes"
            && c.kind == maillage_directory::tours::ChangeKind::Stopped
            && c.notice.contains("France services de Dunes")),
        "{:?}",
        v2.changes
    );
    // Other communes do not move.
    assert!(
        v2.changes.iter().all(|c| c.site_id == "82-dunes"),
        "{:?}",
        v2.changes
    );

    // The running site picks the new version up when it reloads (the store watch does).
    state.reload().await.expect("reload");
    let page = get(&router, "/itinerance?commune=Dunes").await;
    assert!(page.body.contains("ne passe plus"), "{}", page.body);
    assert!(
        page.body.contains("France services de Dunes"),
        "{}",
        page.body
    );
    let feed = get(&router, "/itinerance/calendrier.ics?commune=Dunes").await;
    let unfolded = feed.body.replace("\r\n ", "");
    assert!(unfolded.contains("STATUS:CANCELLED"), "{unfolded}");
    assert!(unfolded.contains("France services de Dunes"), "{unfolded}");
}
