//! Text messages (issue 15): a person who booked with a phone number and no email address is
//! reminded by SMS. No SMS provider is chosen yet (each département has its own contract), so
//! the sending goes through [`SmsSender`], and the one implementation shipped, [`LogSms`],
//! writes the message to the server's log: a deployment plugs its provider in without
//! touching the booking code, and tests see exactly what would have left.

use std::sync::Mutex;

/// Sends one text message to a phone number (as the person typed it).
pub trait SmsSender: Send + Sync {
    fn send(&self, to: &str, text: &str) -> Result<(), String>;
}

/// Writes each message to the log (`tracing`) instead of sending it, and keeps the last ones
/// so a test or an operator can read them.
#[derive(Debug, Default)]
pub struct LogSms {
    sent: Mutex<Vec<(String, String)>>,
}

/// How many messages [`LogSms`] keeps in memory (the log has them all).
const KEPT: usize = 100;

impl LogSms {
    /// The messages "sent" so far (at most the last hundred), oldest first.
    pub fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl SmsSender for LogSms {
    fn send(&self, to: &str, text: &str) -> Result<(), String> {
        // The number is personal data: the log shows its last two digits only.
        let tail: String = to
            .chars()
            .filter(char::is_ascii_digit)
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        tracing::info!(destinataire = %format!("…{tail}"), texte = %text, "SMS (journal)");
        let mut sent = self
            .sent
            .lock()
            .map_err(|_| "journal des SMS verrouillé".to_string())?;
        if sent.len() == KEPT {
            sent.remove(0);
        }
        sent.push((to.to_string(), text.to_string()));
        Ok(())
    }
}
