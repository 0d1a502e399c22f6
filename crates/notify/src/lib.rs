//! maillage-notify: sends the email the site queues (sign-in links, moderation answers,
//! freshness reminders) through SMTP.
//!
//! Why an outbox rather than sending from the request: a person asking for a sign-in link
//! must get an answer at once even when the mail server is down, and a message must leave
//! once, not zero or two times, across restarts and with several app servers. Handlers only
//! write a row (`AccountStore::enqueue_email`); [`send_due`] claims one due row at a time (the
//! claim moves its next try past a lease in the same statement, so no other worker takes it),
//! sends it with `lettre`, then marks it sent, or pushes its next try back with a growing
//! delay ([`backoff`]). [`run_worker`] is the loop the web server spawns. Text messages go
//! through the [`sms::SmsSender`] trait.

pub mod sms;
#[doc(hidden)]
pub mod testing;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use maillage_store::accounts::{AccountStore, OutboxMessage};

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("adresse du serveur de courriel non reconnue ({0}) : {1}")]
    BadUrl(String, String),
    #[error("adresse d'expéditeur non valable : {0}")]
    BadFrom(String),
    #[error(transparent)]
    Store(#[from] maillage_store::StoreError),
}

/// How a claimed message is kept from other workers while it is being sent.
const LEASE: Duration = Duration::minutes(5);

/// The delay before the next try after `attempts` failed tries: 30 s, 1 min, 2 min… at most
/// one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 8) - 1;
    Duration::seconds(30 * (1i64 << exp)).min(Duration::hours(1))
}

/// An SMTP connection setting and the sender's address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// `url` is `smtp://[user:password@]host[:port]` (port 25 by default): a relay on the
    /// same machine or network (TLS is not built in: `smtps://` is refused, in words);
    /// `from` the sender (`Annuaire <annuaire@exemple.fr>`).
    pub fn new(url: &str, from: &str) -> Result<Mailer, NotifyError> {
        let bad = |why: &str| NotifyError::BadUrl(url.to_string(), why.to_string());
        let rest = url.strip_prefix("smtp://").ok_or_else(|| {
            bad("attendu smtp://hôte:port (le chiffrement TLS n'est pas pris en charge)")
        })?;
        let rest = rest.trim_end_matches('/');
        let (credentials, host_port) = match rest.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, rest),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("port non valable"))?),
            None => (host_port, 25),
        };
        if host.is_empty() {
            return Err(bad("hôte manquant"));
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(StdDuration::from_secs(20)));
        if let Some(c) = credentials {
            let (user, password) = c.split_once(':').unwrap_or((c, ""));
            builder =
                builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
                    user.to_string(),
                    password.to_string(),
                ));
        }
        let transport = builder.build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| NotifyError::BadFrom(format!("{from} : {e}")))?;
        Ok(Mailer { transport, from })
    }

    /// From `MAILLAGE_SMTP_URL` and `MAILLAGE_MAIL_FROM`; `None` when no server is set (the
    /// messages then wait in the outbox).
    pub fn from_env() -> Result<Option<Mailer>, NotifyError> {
        let Some(url) = std::env::var("MAILLAGE_SMTP_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let from = std::env::var("MAILLAGE_MAIL_FROM")
            .unwrap_or_else(|_| "Annuaire de l'inclusion numérique <annuaire@localhost>".into());
        Mailer::new(&url, &from).map(Some)
    }

    async fn send(&self, message: &OutboxMessage) -> Result<(), String> {
        let to = message
            .to
            .parse::<Mailbox>()
            .map_err(|e| format!("adresse du destinataire non valable : {e}"))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| format!("message non valable : {e}"))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| format!("envoi impossible : {e}"))
    }
}

/// What one round of sending did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: u32,
    pub failed: u32,
}

/// Sends every message due at `now`, one at a time. A failure does not stop the round: the
/// message is given a later try and the next one is sent (a bad address must not block the
/// queue). When the server itself is down every message fails and waits for its next try.
pub async fn send_due(
    store: &dyn AccountStore,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<Round, NotifyError> {
    let mut round = Round::default();
    while let Some(message) = store.claim_email(now, now + LEASE).await? {
        match mailer.send(&message).await {
            Ok(()) => {
                store.mark_email_sent(message.id, Utc::now()).await?;
                round.sent += 1;
            }
            Err(e) => {
                tracing::warn!(courriel = message.id, erreur = %e, "courriel non envoyé");
                store
                    .mark_email_failed(message.id, now + backoff(message.attempts), &e)
                    .await?;
                round.failed += 1;
            }
        }
    }
    Ok(round)
}

/// Sends the outbox every `every` until the task is dropped.
pub async fn run_worker(
    store: std::sync::Arc<dyn maillage_store::Store>,
    mailer: Mailer,
    every: StdDuration,
) {
    let Some(accounts) = store.accounts() else {
        tracing::warn!("ce stockage ne garde pas de courriels à envoyer");
        return;
    };
    loop {
        match send_due(accounts, &mailer, Utc::now()).await {
            Ok(r) if r.sent + r.failed > 0 => {
                tracing::info!(envoyes = r.sent, echecs = r.failed, "courriels")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(erreur = %e, "boîte d'envoi illisible"),
        }
        tokio::time::sleep(every).await;
    }
}

/// A link of the site: `MAILLAGE_PUBLIC_URL` (or `base`) without its trailing slash, then
/// `path`.
pub fn link(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(50), Duration::hours(1));
    }

    #[test]
    fn bad_settings_are_refused_in_words() {
        assert!(matches!(
            Mailer::new("ftp://x", "a@b.fr"),
            Err(NotifyError::BadUrl(..))
        ));
        assert!(matches!(
            Mailer::new("smtp://127.0.0.1:2525", "pas une adresse"),
            Err(NotifyError::BadFrom(_))
        ));
        assert_eq!(
            link("https://a.fr/", "/connexion/x"),
            "https://a.fr/connexion/x"
        );
    }
}
