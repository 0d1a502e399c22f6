//! The observatory pages in a real headless Chromium with axe-core: 0 accessibility
//! violations, no console error. Skipped with a loud message only when Chromium, node or the
//! npm packages are absent and `CI` is unset.

mod support;

use std::path::Path;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observatoire_pages_pass_axe_in_chromium() {
    let root = support::workspace();
    let chromium =
        std::env::var("MAILLAGE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut missing = Vec::new();
    if !Path::new(&chromium).exists() {
        missing.push("chromium".to_string());
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node".into());
    }
    for pkg in ["playwright-core", "axe-core"] {
        if !root.join("node_modules").join(pkg).exists() {
            missing.push(format!("npm {pkg} (npm ci)"));
        }
    }
    if !missing.is_empty() {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("il manque : {}", missing.join(", "));
        }
        eprintln!(
            "\n!!! test d'accessibilité de l'observatoire SAUTÉ : il manque {} !!!\n",
            missing.join(", ")
        );
        return;
    }
    let app = support::app().await;
    let epci = app
        .test_store
        .referential
        .communes
        .iter()
        .find(|c| c.code == "82121")
        .and_then(|c| c.epci.clone())
        .expect("EPCI de Montauban");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(maillage_web::serve_on(app.state.clone(), listener, async {
        let _ = stopped.await;
    }));
    let script = root.join("crates/web/tests/observatoire_axe.mjs");
    let paths = vec![
        "/observatoire".to_string(),
        "/observatoire?departement=82&categorie=france_services&seuil=20&tri=population&ordre=desc"
            .to_string(),
        format!("/observatoire/epci/{epci}"),
        "/observatoire?departement=82&categorie=france_services&seuil=10&ouvrir=82114".to_string(),
        "/observatoire?departement=81".to_string(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(format!("http://{addr}"))
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
}
