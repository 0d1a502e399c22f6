//! The outbox sent through a real SMTP server (`aiosmtpd` from the CI venv, started here with
//! its `Mailbox` handler, which writes each message it receives to a maildir): a message
//! queued while the server is down waits and is retried, then arrives once; a second worker
//! round (or a restart) sends nothing twice.

use std::time::{Duration, Instant};

use chrono::Utc;
use maillage_notify::testing::{free_port, python, received, start_smtp};
use maillage_notify::{send_due, Mailer};

#[tokio::test]
async fn outbox_is_sent_once_and_retried_while_the_server_is_down() {
    let Some(python) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd manque dans .venv (CI doit l'installer)"
        );
        eprintln!("aiosmtpd absent de .venv : test ignoré");
        return;
    };
    let dir = tempfile::tempdir().expect("dossier");
    let maildir = dir.path().join("mail");
    let port = free_port();
    let store = maillage_store::open("sqlite::memory:").await.expect("base");
    let outbox = store.accounts().expect("comptes");
    outbox
        .enqueue_email(
            "marie@exemple.fr",
            "Votre lien de connexion",
            "Bonjour,\nhttps://a.fr/connexion/abc",
        )
        .await
        .expect("file");
    outbox
        .enqueue_email(
            "paul@exemple.fr",
            "Modification acceptée",
            "Élément « é » <b>",
        )
        .await
        .expect("file");
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Annuaire <annuaire@exemple.fr>",
    )
    .expect("réglages");

    // Server down: both fail, nothing is lost, the next try is later.
    let now = Utc::now();
    let round = send_due(outbox, &mailer, now).await.expect("tour");
    assert_eq!((round.sent, round.failed), (0, 2));
    let waiting = outbox.outbox().await.expect("boîte");
    assert!(waiting
        .iter()
        .all(|m| m.sent_at.is_none() && m.attempts == 1));
    assert!(waiting
        .iter()
        .all(|m| m.next_try > now && m.last_error.is_some()));
    // Not due yet: a round right away does not hammer the server.
    let round = send_due(outbox, &mailer, now).await.expect("tour");
    assert_eq!((round.sent, round.failed), (0, 0));

    let _server = start_smtp(&python, port, &maildir);
    let later = now + chrono::Duration::minutes(2);
    let round = send_due(outbox, &mailer, later).await.expect("tour");
    assert_eq!((round.sent, round.failed), (2, 0));
    // A second worker, or the same after a restart: nothing leaves twice.
    let round = send_due(outbox, &mailer, later + chrono::Duration::hours(2))
        .await
        .expect("tour");
    assert_eq!((round.sent, round.failed), (0, 0));

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut mails = received(&maildir);
    while mails.len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        mails = received(&maildir);
    }
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(mails
        .iter()
        .any(|m| m.contains("To: marie@exemple.fr") && m.contains("https://a.fr/connexion/abc")));
    assert!(mails
        .iter()
        .all(|m| m.contains("From: Annuaire <annuaire@exemple.fr>")));
    let sent = outbox.outbox().await.expect("boîte");
    assert!(sent.iter().all(|m| m.sent_at.is_some() && m.attempts == 2));
}
