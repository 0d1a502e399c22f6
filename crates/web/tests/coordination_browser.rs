//! The coordinator's space in a real headless Chromium (`coordination_browser.mjs`): a
//! coordinator uploads the demo's France Services list through the form, reads the dry run,
//! applies it; every page of the space passes axe-core with 0 violations, also at 200 %.
//! Skipped with a loud message only when Chromium, node or the npm packages are absent and
//! `CI` is unset.

mod support;

use std::process::Command;

use maillage_store::accounts::{NewAccount, Role};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coordination_pages_pass_axe_and_an_import_is_applied_from_the_browser() {
    let missing = support::missing_browser_tools();
    if !missing.is_empty() {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("il manque : {}", missing.join(", "));
        }
        eprintln!(
            "\n!!! test du navigateur de la coordination SAUTÉ : il manque {} !!!\n",
            missing.join(", ")
        );
        return;
    }
    let root = support::workspace();
    let mut app = support::app().await;
    let uploads = tempfile::tempdir().expect("dossier des dépôts");
    let mut config = maillage_web::accounts::AccountsConfig::new("http://annuaire.test");
    config.upload_dir = uploads.path().to_path_buf();
    app.state.accounts = std::sync::Arc::new(config);
    let accounts = app.state.store.accounts().expect("comptes");
    let coordinator = accounts
        .create_account(&NewAccount {
            email: "coordination@test.fr".into(),
            role: Role::Coordinateur,
            territory: Some("82".into()),
            places: Vec::new(),
        })
        .await
        .expect("compte");
    for (email, role) in [
        ("structure@test.fr", Role::Editeur),
        ("mairie@test.fr", Role::Agent),
    ] {
        accounts
            .create_account(&NewAccount {
                email: email.into(),
                role,
                territory: (role == Role::Agent).then(|| "82".into()),
                places: Vec::new(),
            })
            .await
            .expect("compte");
    }
    let session = maillage_web::accounts::random_token();
    accounts
        .create_session(
            &maillage_web::accounts::hash(&session),
            coordinator.id,
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .expect("session");
    // A hostile report in the inbox, and a group with its side-by-side page.
    let places = app
        .state
        .store
        .places(&maillage_store::PlaceFilter::default())
        .await
        .expect("lieux");
    let group = places
        .iter()
        .find(|p| p.records.len() > 1)
        .expect("un lieu fusionné dans la démo");
    app.state
        .store
        .add_report(&maillage_store::NewPlaceReport {
            place_id: group.place.id.clone(),
            message: "<b>Horaires</b> faux le samedi".into(),
            contact: "0563000000".into(),
        })
        .await
        .expect("signalement");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(maillage_web::serve_on(app.state.clone(), listener, async {
        let _ = stopped.await;
    }));
    let script = root.join("crates/web/tests/coordination_browser.mjs");
    let upload = root.join("data/lieux/liste-fs-20240801-82.csv");
    let paths = vec![
        "/coordination".to_string(),
        "/coordination/imports".to_string(),
        "/coordination/doublons".to_string(),
        format!("/coordination/doublons/{}", group.place.id),
        "/coordination/signalements".to_string(),
        "/coordination/comptes".to_string(),
        "/coordination/journal".to_string(),
        "/coordination/tournees".to_string(),
        "/coordination/visites".to_string(),
        "/espace/visites".to_string(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(format!("http://{addr}"))
            .arg(session)
            .arg(upload)
            .args(paths)
            .current_dir(&root)
            .output()
    })
    .await
    .expect("join")
    .expect("node");
    let _ = stop.send(());
    let _ = server.await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let runs = app.state.store.import_runs(5).await.expect("historique");
    assert_eq!(runs.len(), 1, "un dépôt depuis le navigateur");
    assert_eq!(runs[0].status, maillage_store::coordination::RUN_APPLIED);
}
