//! The booking as a person does it, in a real headless Chromium (`tests/browser/booking.mjs`)
//! against the real server and a real SMTP server (`aiosmtpd` from `.venv`, writing a
//! maildir): book a slot from the place page's form, read the confirmation the outbox worker
//! sent, open its link, cancel; axe-core reports 0 violations on the place page with its
//! form, the booking's page, the form's error page and the agents' agenda. Skipped with a loud message when Chromium, node, the npm packages or aiosmtpd are
//! absent and `CI` is unset; under `CI=true` their absence is a failure.

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use maillage_notify::testing::{free_port, python, start_smtp};
use maillage_store::accounts::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_books_reads_the_confirmation_and_cancels_from_its_link() {
    let root = support::workspace();
    let mut missing = support::browser_tools_missing(&root);
    if python().is_none() {
        missing.push("aiosmtpd in .venv".into());
    }
    if support::skip_without(&missing, "booking browser test") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let maildir = dir.path().join("mail");
    let port = free_port();
    let _smtp = start_smtp(&python().expect("python"), port, &maildir);

    let app = support::app().await;
    let slots = support::publish_slots(&app, 2).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut state = app.state.clone();
    // The links in the emails point to this test server.
    state.accounts = Arc::new(maillage_web::accounts::AccountsConfig::new(&format!(
        "http://{addr}"
    )));
    // An agent of the place, signed in: the agenda is audited too.
    let session = support::signed_in(
        &app,
        "agent@exemple.fr",
        Role::Agent,
        vec!["lieu-hostile".into()],
    )
    .await;
    let mailer = maillage_notify::Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Annuaire <annuaire@localhost>",
    )
    .expect("mailer");
    let worker = tokio::spawn(maillage_notify::run_worker(
        state.store.clone(),
        mailer,
        Duration::from_millis(200),
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(maillage_web::serve_on(state, listener, async {
        let _ = stopped.await;
    }));
    let out = root.join("test-output");
    let script = root.join("tests/browser/booking.mjs");
    let cwd = root.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(format!("http://{addr}"))
            .arg(&out)
            .arg("lieu-hostile")
            .arg(&maildir)
            .arg(session)
            .current_dir(&cwd)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let _ = stop.send(());
    let _ = server.await;
    worker.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "booking browser test failed:\n{stdout}\n{stderr}"
    );
    // What the browser did is in the store: one booking, cancelled.
    let booked: Vec<_> = {
        let mut all = Vec::new();
        for s in &slots {
            all.extend(app.state.store.bookings_of_slot(&s.id).await.expect("rows"));
        }
        all
    };
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(booked[0].status, "annulee");
}
