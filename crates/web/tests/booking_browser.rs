//! The booking as a person does it, in a real headless Chromium (`tests/browser/booking.mjs`)
//! against the real server and a real SMTP server (`aiosmtpd` from `.venv`, writing a
//! maildir): book a slot from the place page's form, read the confirmation the outbox worker
//! sent, open its link, cancel; axe-core reports 0 violations on the place page with its
//! form, the booking's page, the form's error page, the agents' agenda and the orientation
//! steps. Skipped with a loud message when Chromium, node, the npm packages or aiosmtpd are
//! absent and `CI` is unset; under `CI=true` their absence is a failure.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use maillage_directory::booking::{slots_from_hours, SlotRule};
use maillage_store::accounts::{NewAccount, Role};

fn python(root: &Path) -> Option<PathBuf> {
    let p = root.join(".venv/bin/python");
    let ok = Command::new(&p)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(p)
}

fn missing_tools(root: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let chromium =
        std::env::var("MAILLAGE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        missing.push(format!("chromium ({chromium})"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node".into());
    }
    for pkg in ["playwright-core", "axe-core"] {
        if !root.join("node_modules").join(pkg).exists() {
            missing.push(format!("npm package {pkg}"));
        }
    }
    if python(root).is_none() {
        missing.push("aiosmtpd in .venv".into());
    }
    missing
}

/// The SMTP server, stopped when the test ends.
struct Smtp(Child);

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn start_smtp(python: &Path, port: u16, maildir: &Path) -> Smtp {
    let child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("aiosmtpd");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd does not answer");
        std::thread::sleep(Duration::from_millis(100));
    }
    Smtp(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_books_reads_the_confirmation_and_cancels_from_its_link() {
    let root = support::workspace();
    let missing = missing_tools(&root);
    if !missing.is_empty() {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("booking browser test needs: {}", missing.join(", "));
        }
        eprintln!(
            "\n!!! SKIPPED booking browser test: missing {} !!!\n",
            missing.join(", ")
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let maildir = dir.path().join("mail");
    let port = free_port();
    let _smtp = start_smtp(&python(&root).expect("python"), port, &maildir);

    let app = support::app().await;
    let now = maillage_web::hours::now_paris();
    let rule = SlotRule {
        minutes: 30,
        capacity: 2,
        closures: vec![],
    };
    let slots = slots_from_hours("lieu-hostile", "Mo-Fr 09:00-12:00", &rule, now).expect("slots");
    app.state.store.save_slots(&slots).await.expect("slots");

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
    let accounts = state.store.accounts().expect("accounts");
    let agent = accounts
        .create_account(&NewAccount {
            email: "agent@exemple.fr".into(),
            role: Role::Agent,
            territory: None,
            places: vec!["lieu-hostile".into()],
        })
        .await
        .expect("agent");
    let session = maillage_web::accounts::random_token();
    accounts
        .create_session(
            &maillage_web::accounts::hash(&session),
            agent.id,
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .expect("session");
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
