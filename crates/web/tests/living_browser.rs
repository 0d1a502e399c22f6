//! The living directory's "done when", in a real headless Chromium (`tests/living.mjs`): a
//! structure's editor signs in with the link a real SMTP server (`aiosmtpd`) received, changes
//! the hours with the grid, sees the change wait; the coordinator signs in the same way and
//! approves it; the public page and the API show it, and so does the open-data export (checked
//! here with the same writer as `maillage export`). axe-core finds 0 violations on the sign-in
//! page, the space, the edit form and its preview, the moderation queue and the change page.
//!
//! The server is the real router on a real SQLite store of Tarn-et-Garonne's places; emails
//! leave through the real outbox worker (`maillage_notify::run_worker`), so the links are the
//! ones a person receives, built from `MAILLAGE_PUBLIC_URL`. Skipped loudly only when a tool is
//! missing outside CI.

mod support;

use std::sync::Arc;
use std::time::Duration;

use maillage_directory::edit::check_place;
use maillage_model::{CommuneLookup, Place};
use maillage_notify::testing::{free_port, python, SmtpServer};
use maillage_store::accounts::{NewAccount, Role, CHANGE_APPROVED};
use maillage_store::PlaceFilter;

/// A place of 82 the grid can show exactly, closed on Saturday morning, whose stored values
/// pass the edit's checks as they are (so the only change is the one the browser makes).
fn editable_place(app: &support::App) -> Place {
    let lookup = app.test_store.referential.as_ref() as &dyn CommuneLookup;
    let today = chrono::Utc::now().date_naive();
    app.state
        .index()
        .entries()
        .iter()
        .map(|e| (*e.place).clone())
        .filter(|p| p.departement() == Some("82") && p.id != "lieu-hostile")
        .filter(|p| {
            let h = maillage_web::hours_grid::from_osm(p.horaires.as_deref());
            p.horaires.is_some() && h.raw.is_empty() && h.grid[5].iter().all(String::is_empty)
        })
        .find(|p| check_place(p, Some(lookup), today).is_ok())
        .expect("un lieu modifiable")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editor_signs_in_by_email_edits_hours_and_the_approved_change_is_published() {
    let root = support::workspace();
    let mut missing = support::browser_tools_missing(&root);
    let python = python();
    if python.is_none() {
        missing.push("aiosmtpd dans .venv".into());
    }
    if support::skip_browser_suite("test de bout en bout de l'annuaire vivant", &missing) {
        return;
    }
    let python = python.expect("python");
    let dir = tempfile::tempdir().expect("dossier");
    let maildir = dir.path().join("courriels");
    let smtp = SmtpServer::start(&python, free_port(), &maildir).expect("aiosmtpd");

    let app = support::app().await;
    let place = editable_place(&app);
    let listener = support::listen().await;
    let base = format!("http://{}", listener.local_addr().expect("adresse"));
    let mut state = app.state.clone();
    state.accounts = Arc::new(maillage_web::accounts::AccountsConfig::new(&base));
    let accounts = state.store.accounts().expect("comptes");
    let (editor, coordinator) = ("structure@exemple.fr", "coordination@exemple.fr");
    for (email, role, territory, places) in [
        (editor, Role::Editeur, None, vec![place.id.clone()]),
        (
            coordinator,
            Role::Coordinateur,
            Some("82".to_string()),
            vec![],
        ),
    ] {
        accounts
            .create_account(&NewAccount {
                email: email.into(),
                role,
                territory,
                places,
            })
            .await
            .expect("compte");
    }
    let mailer = maillage_notify::Mailer::new(&smtp.url(), "Annuaire <annuaire@exemple.fr>")
        .expect("réglages SMTP");
    let worker = tokio::spawn(maillage_notify::run_worker(
        state.store.clone(),
        mailer,
        Duration::from_millis(200),
    ));
    let server = support::serve(state.clone(), listener);
    let out = support::workspace().join("test-output/annuaire-vivant");
    let args = vec![
        server.base.clone(),
        maildir.display().to_string(),
        place.id.clone(),
        editor.to_string(),
        coordinator.to_string(),
        out.display().to_string(),
    ];
    let stdout = support::node("crates/web/tests/living.mjs", args).await;
    server.stop().await;
    // Six pages audited on the way at least (sign-in, space, form, preview, queue, change).
    let audited = stdout
        .lines()
        .filter(|l| l.contains("violation(s)"))
        .count();
    assert!(audited >= 8, "{stdout}");

    // The store: the change is approved, recorded in the history, with provenance "saisie".
    let changes = accounts.changes(None).await.expect("modifications");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].status, CHANGE_APPROVED);
    // Only what the browser changed: the form gives every other field back as it was.
    assert_eq!(changes[0].changed_fields, vec!["horaires"]);
    assert_eq!(
        accounts.history(&place.id).await.expect("historique").len(),
        1
    );
    let stored = state
        .store
        .place(&place.id)
        .await
        .expect("lecture")
        .expect("lieu");
    let hours = stored.place.horaires.clone().unwrap_or_default();
    assert!(hours.contains("Sa 09:15-11:45"), "{hours}");
    assert!(stored
        .provenance
        .iter()
        .any(|p| p.field == "horaires" && p.source == "saisie"));
    // The export, by the writer of `maillage export --format standard-csv`.
    let places: Vec<Place> = state
        .store
        .places(&PlaceFilter {
            departement: Some("82".into()),
            ..Default::default()
        })
        .await
        .expect("lieux")
        .into_iter()
        .map(|sp| sp.place)
        .collect();
    let mut csv = Vec::new();
    maillage_standard::write::write_standard_csv(&places, &mut csv).expect("export");
    let csv = String::from_utf8(csv).expect("UTF-8");
    let line = csv
        .lines()
        .find(|l| l.contains(&place.id))
        .expect("le lieu dans l'export");
    assert!(line.contains("Sa 09:15-11:45"), "{line}");
    // Every email leaves through SMTP: two links, and the editor's notice of publication.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut outbox = accounts.outbox().await.expect("boîte");
    while outbox.iter().any(|m| m.sent_at.is_none()) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        outbox = accounts.outbox().await.expect("boîte");
    }
    worker.abort();
    assert!(outbox.iter().all(|m| m.sent_at.is_some()), "{outbox:?}");
    let received = smtp.received();
    assert!(received.len() >= 3, "{} courriel(s)", received.len());
}
