//! Browser and accessibility suite: the real server (real SQLite store of Tarn-et-Garonne's
//! places) on 127.0.0.1:0, driven by `tests/browser/run.mjs` in a real headless Chromium
//! (Debian's `chromium`, through playwright-core): axe-core reports 0 violations on every page,
//! at normal size and at 200 % zoom, no console error (CSP), a keyboard-only walk search →
//! filter → place page (with its booking form), the orientation steps, the bus poster printed on A4, the weight of a first visit, screenshots
//! in `test-output/<theme>/screenshots/`. Twice: the demo's neutral identity in our own design
//! system, then a configured département under the opt-in State theme (DSFR). Skipped with a loud message only when Chromium, node or the
//! npm packages are absent and `CI` is unset; under `CI=true` their absence is a failure.

mod support;

use std::path::Path;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_accessible_keyboard_usable_and_screenshotted() {
    let root = support::workspace();
    if support::skip_without(
        &support::browser_tools_missing(&root),
        "browser/accessibility tests",
    ) {
        return;
    }
    let (neutral, etat) = (support::app().await, support::configured("etat").await);
    for (theme, app) in [("neutre", &neutral), ("etat", &etat.0)] {
        run_suite(&root, theme, app).await;
    }
}

/// Serves `app` on a free port and runs the browser suite on it, named `theme`.
async fn run_suite(root: &Path, theme: &str, app: &support::App) {
    let index = app.state.index();
    let place_id = index
        .entries()
        .iter()
        .find(|e| e.place.horaires.is_some() && e.place.nom.starts_with("France"))
        .or_else(|| index.entries().first())
        .map(|e| e.place.id.clone())
        .expect("a place");
    // The place publishes slots, so its page is audited with the booking form.
    if let Some(hours) = index.get(&place_id).and_then(|e| e.place.horaires.clone()) {
        let rule = maillage_directory::booking::SlotRule {
            minutes: 30,
            capacity: 2,
            closures: vec![],
        };
        let now = maillage_web::hours::now_paris();
        if let Ok(slots) =
            maillage_directory::booking::slots_from_hours(&place_id, &hours, &rule, now)
        {
            app.state.store.save_slots(&slots).await.expect("slots");
        }
    }
    let commune = support::bus_commune(&app.router).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(maillage_web::serve_on(app.state.clone(), listener, async {
        let _ = stopped.await;
    }));
    let out = root.join("test-output");
    let script = root.join("tests/browser/run.mjs");
    let (dir, theme_arg) = (root.to_path_buf(), theme.to_string());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(format!("http://{addr}"))
            .arg(&out)
            .arg(place_id)
            .arg(theme_arg)
            .arg(commune)
            .current_dir(&dir)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let _ = stop.send(());
    let _ = server.await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "browser suite ({theme}) failed:\n{stdout}\n{stderr}"
    );
}
