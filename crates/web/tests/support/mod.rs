//! Test support: a real SQLite store filled with the real places of Tarn-et-Garonne shipped
//! in `data/` (read by the standard readers, written by `apply_import`), the real referential,
//! and a request helper that goes through the real router.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use maillage_model::Place;
use maillage_standard::read::Format;
use maillage_store::{ImportPlan, PlannedPlace, SourceRecord, Store};
use maillage_territory::Referential;
use maillage_web::AppState;
use tower::ServiceExt;

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The demo's real files, each imported as its own source.
const FILES: &[(&str, &str)] = &[
    (
        "cnfs-lieux-conseillers-numeriques-2022-12-82.json",
        "conseiller-numerique",
    ),
    ("liste-fs-20240801-82.csv", "france-services"),
    (
        "20240212-aidants-connect-structures-82.csv",
        "aidants-connect",
    ),
];

pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub referential: Arc<Referential>,
    _dir: tempfile::TempDir,
}

/// The shipped (national) referential, read once per test binary: it takes seconds to read
/// in a debug build and every test store uses the same one.
pub fn shipped_referential() -> Arc<Referential> {
    static SHIPPED: std::sync::OnceLock<Arc<Referential>> = std::sync::OnceLock::new();
    SHIPPED
        .get_or_init(|| {
            Arc::new(
                Referential::load_dir(&workspace().join("data/referentiel")).expect("referential"),
            )
        })
        .clone()
}

/// A fresh SQLite store with the real places of 82, plus `extra` places (for the escaping
/// test), and the real referential.
pub async fn store_with(extra: Vec<Place>) -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("test.sqlite").display());
    let store = maillage_store::open(&url).await.expect("open sqlite store");
    let referential = shipped_referential();
    store
        .replace_territory(&referential.communes, &referential.epcis)
        .await
        .expect("territory");
    // The demo's own path: read, check, de-duplicate, one transaction (the directory crate).
    let reads = FILES
        .iter()
        .map(|(file, source)| {
            let path = workspace().join("data/lieux").join(file);
            maillage_directory::import::read_file(
                &path,
                &Format::Auto,
                Some(source),
                Some(referential.as_ref() as &dyn maillage_model::CommuneLookup),
            )
            .unwrap_or_else(|e| panic!("{file}: {e:#}"))
        })
        .collect();
    maillage_directory::import(store.as_ref(), reads)
        .await
        .unwrap_or_else(|e| panic!("import: {e:#}"));
    if !extra.is_empty() {
        import_places(store.as_ref(), extra).await;
    }
    // The demo's tours, with its shipped routes, published as `maillage demo` does.
    let today = maillage_web::hours::now_paris().date();
    maillage_directory::tours::publish_shipped(
        store.as_ref(),
        &workspace().join("data/tours"),
        "82",
        "test",
        today,
    )
    .await
    .expect("tours publiées");
    TestStore {
        store,
        referential,
        _dir: dir,
    }
}

/// Imports hand-made places as the source "test" (one record each).
pub async fn import_places(store: &dyn Store, places: Vec<Place>) {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let places = places
        .into_iter()
        .map(|p| PlannedPlace {
            records: vec![SourceRecord {
                source: maillage_model::SourceRef {
                    source: "test".into(),
                    source_id: p.id.clone(),
                },
                place: p.clone(),
                observed: date,
            }],
            place: p,
            ..Default::default()
        })
        .collect();
    store
        .apply_import(ImportPlan {
            source: "test".into(),
            file: "test".into(),
            places,
            rejected: 0,
        })
        .await
        .expect("extra places");
}

/// A place whose text fields are hostile HTML.
pub fn hostile_place() -> Place {
    Place {
        id: "lieu-hostile".into(),
        pivot: "00000000000000".into(),
        nom: "<script>alert('nom')</script> Médiathèque".into(),
        commune: "Montauban".into(),
        code_postal: "82000".into(),
        code_insee: Some("82121".into()),
        adresse: "<img src=x onerror=alert(1)> 1 rue de la Paix".into(),
        position: Some(maillage_model::Position::new(44.0176, 1.355)),
        presentation_resume: Some("\"><script>alert('resume')</script>".into()),
        services: vec![maillage_model::Service::AideDemarches],
        horaires: Some("Mo-Fr 09:00-12:00".into()),
        ..Default::default()
    }
}

pub struct App {
    pub state: AppState,
    pub router: axum::Router,
    pub test_store: TestStore,
}

pub async fn app() -> App {
    let test_store = store_with(vec![hostile_place()]).await;
    let state = AppState::new(
        test_store.store.clone(),
        Some(test_store.referential.clone()),
    )
    .await
    .expect("app state");
    App {
        router: maillage_web::router(state.clone()),
        state,
        test_store,
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {}", &self.body[..self.body.len().min(300)])
        })
    }
}

pub async fn send(router: &axum::Router, request: Request<Body>) -> Answer {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 50 * 1024 * 1024)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn get(router: &axum::Router, uri: &str) -> Answer {
    send(
        router,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

/// The app with a département's identity (a temporary logo file; no real logo ships) in the
/// given theme (`neutre` or `etat`).
pub async fn configured(theme: &str) -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\"/></svg>",
    )
    .expect("logo");
    let toml = format!(
        r##"
[identite]
service = "Inclusion numérique 82"
operateur = "Département de Tarn-et-Garonne"
logo = "logo.svg"
couleur_principale = "#6a1b4d"
couleur_secondaire = "#fbe9f2"
theme = "{theme}"
licence = "odbl"
[contact]
telephone = "05 63 00 00 00"
courriel = "inclusion@example.org"
adresse = "100 boulevard Hubert Gouze, 82000 Montauban"
[mentions]
editeur = "Département de Tarn-et-Garonne, 100 boulevard Hubert Gouze, 82000 Montauban"
directeur_publication = "La présidente du conseil départemental"
hebergeur = "Hébergeur Exemple, 1 rue de l'Exemple, 75000 Paris"
[[partenaires]]
nom = "Association partenaire"
logo = "logo.svg"
lien = "https://example.org/"
"##
    );
    let id = maillage_web::identity::Identity::from_sources(Some(&toml), dir.path(), |_| None)
        .expect("identity");
    let base = app().await;
    let config = maillage_web::WebConfig {
        identity: std::sync::Arc::new(id),
        ..Default::default()
    };
    let state = maillage_web::AppState::with_config(
        base.test_store.store.clone(),
        Some(base.test_store.referential.clone()),
        config,
    )
    .await
    .expect("state");
    (
        App {
            router: maillage_web::router(state.clone()),
            state,
            test_store: base.test_store,
        },
        dir,
    )
}

/// A commune the bus serves (the first of the form's list on `/itinerance`).
pub async fn bus_commune(router: &axum::Router) -> String {
    let list = get(router, "/itinerance").await;
    let first = list.body.find("<datalist").expect("communes of the bus");
    list.body[first..]
        .split("<option value=\"")
        .nth(1)
        .expect("a commune")
        .chars()
        .take_while(|c| *c != '"')
        .collect::<String>()
        .replace("&#39;", "'")
}

/// What the browser suites need and this machine lacks (see [`browser_tools_missing`]).
pub fn missing_browser_tools() -> Vec<String> {
    browser_tools_missing(&workspace())
}

/// What the browser suites need and this machine lacks: Chromium, node, the npm packages.
pub fn browser_tools_missing(root: &std::path::Path) -> Vec<String> {
    let mut missing = Vec::new();
    let chromium =
        std::env::var("MAILLAGE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        missing.push(format!("chromium ({chromium})"));
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        missing.push("node".into());
    }
    for pkg in ["playwright-core", "axe-core"] {
        if !root.join("node_modules").join(pkg).exists() {
            missing.push(format!("npm {pkg} (npm ci)"));
        }
    }
    missing
}

/// `GET uri` with the `Cookie` header `cookie` (none when empty).
pub async fn get_as(router: &axum::Router, uri: &str, cookie: &str) -> Answer {
    let mut r = Request::get(uri);
    if !cookie.is_empty() {
        r = r.header(axum::http::header::COOKIE, cookie);
    }
    send(router, r.body(Body::empty()).expect("request")).await
}

/// `POST uri` of an urlencoded form, with the `Cookie` header `cookie` (none when empty).
pub async fn post_as(
    router: &axum::Router,
    uri: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> Answer {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut r = Request::post(uri).header(
        axum::http::header::CONTENT_TYPE,
        "application/x-www-form-urlencoded",
    );
    if !cookie.is_empty() {
        r = r.header(axum::http::header::COOKIE, cookie);
    }
    send(router, r.body(Body::from(body)).expect("request")).await
}

/// Whether a browser suite must be skipped: only outside CI, loudly; under `CI=true` a
/// missing tool is a failure.
pub fn skip_browser_suite(what: &str, missing: &[String]) -> bool {
    if missing.is_empty() {
        return false;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{what} : il manque {}", missing.join(", "));
    }
    eprintln!(
        "\n!!! {what} SAUTÉ : il manque {} !!!\n",
        missing.join(", ")
    );
    true
}

/// A listener on a free port of 127.0.0.1 (bound first, so its address can go into the
/// state, e.g. as the public address of emailed links).
pub async fn listen() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
}

/// The real server on a listener, until [`Served::stop`].
pub struct Served {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub fn serve(state: AppState, listener: tokio::net::TcpListener) -> Served {
    let base = format!("http://{}", listener.local_addr().expect("adresse"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(maillage_web::serve_on(state, listener, async {
        let _ = stopped.await;
    }));
    Served { base, stop, task }
}

impl Served {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Runs `node SCRIPT ARGS…` from the workspace root on a blocking thread (the server keeps
/// answering meanwhile), prints what it wrote, and asserts it succeeded. Returns its stdout.
pub async fn node(script: &str, args: Vec<String>) -> String {
    let root = workspace();
    let script = root.join(script);
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .args(args)
            .current_dir(&root)
            .output()
    })
    .await
    .expect("join")
    .expect("node");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    stdout
}

/// Publishes the slots of the hostile test place (Mo-Fr 09:00-12:00, 30 minutes, `capacity`
/// people each) over the booking window; returns them, by start.
pub async fn publish_slots(app: &App, capacity: u32) -> Vec<maillage_store::Slot> {
    let now = maillage_web::hours::now_paris();
    let rule = maillage_directory::booking::SlotRule {
        minutes: 30,
        capacity,
        closures: vec![],
    };
    let slots = maillage_directory::booking::slots_from_hours(
        "lieu-hostile",
        "Mo-Fr 09:00-12:00",
        &rule,
        now,
    )
    .expect("slots");
    app.state.store.save_slots(&slots).await.expect("save");
    slots
}

/// The first published slot starting more than a day from now (so it can still be
/// cancelled online).
pub async fn publish_slot(app: &App, capacity: u32) -> maillage_store::Slot {
    let now = maillage_web::hours::now_paris();
    publish_slots(app, capacity)
        .await
        .into_iter()
        .find(|s| s.start > now + chrono::Duration::days(1))
        .expect("a slot after tomorrow")
}

/// A new account with a live session, written straight in the store (the sign-in itself is
/// the accounts suite's): the session id, the value of the `maillage_session` cookie.
pub async fn signed_in(
    app: &App,
    email: &str,
    role: maillage_store::accounts::Role,
    places: Vec<String>,
) -> String {
    let accounts = app.state.store.accounts().expect("accounts");
    let account = accounts
        .create_account(&maillage_store::accounts::NewAccount {
            email: email.into(),
            role,
            territory: None,
            places,
        })
        .await
        .expect("account");
    let id = maillage_web::accounts::random_token();
    accounts
        .create_session(
            &maillage_web::accounts::hash(&id),
            account.id,
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .expect("session");
    id
}

/// `true` when `what` must be skipped for lack of tools, said loudly; a failure under `CI`.
pub fn skip_without(missing: &[String], what: &str) -> bool {
    skip_browser_suite(what, missing)
}

/// A slot of the hostile place two hours from now (bookable, no longer cancellable online);
/// returns its id.
pub async fn publish_soon_slot(app: &App) -> String {
    let now = maillage_web::hours::now_paris();
    let soon = maillage_store::Slot {
        id: "lieu-hostile-bientot".into(),
        place_id: "lieu-hostile".into(),
        start: now + chrono::Duration::hours(2),
        end: now + chrono::Duration::hours(3),
        capacity: 1,
        source: maillage_store::SlotSource::OpeningHours,
    };
    app.state.store.save_slots(&[soon]).await.expect("save");
    "lieu-hostile-bientot".into()
}
