//! Freshness of the listings: when a place's listing is due for confirmation (its own
//! interval: 1, 3, 6, 12 or 16 months, 6 by default), when it is old enough to be flagged as
//! possibly out of date (12 months), and the monthly digest that tells each editor what is due.
//!
//! Why here rather than in the web: the rule is used by the public pages, the API, the
//! coordinator's dashboard, the server's daily job and `maillage fraicheur synthese`; written
//! once, none of them can drift. A stale listing is flagged, never hidden: Soliguide hid places
//! after six months without an update and had to put them back online.
//!
//! The digest is queued at most once per editor and month: the store writes the month's row
//! and the email in one transaction ([`AccountStore::enqueue_digest`]), so a second run, a
//! restart or a second app server queues nothing more.

use chrono::{Months, NaiveDate};
use maillage_model::french::date_fr;
use maillage_store::accounts::{AccountStore, Freshness};
use maillage_store::{Store, StoreError};

/// After this many months without confirmation the information is flagged as possibly old.
pub const STALE_MONTHS: u32 = 12;

/// Where a listing stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// The date the listing was last known right (confirmed, or its values' date).
    pub last: Option<NaiveDate>,
    /// The day it is (or was) due for confirmation.
    pub due_on: Option<NaiveDate>,
    /// It should be confirmed now.
    pub due: bool,
    /// More than [`STALE_MONTHS`] without confirmation (or never known right).
    pub stale: bool,
}

/// The date the listing was last known right: its confirmation, or its values' date.
pub fn last_known(f: &Freshness, date_maj: Option<NaiveDate>) -> Option<NaiveDate> {
    match (f.last_confirmed, date_maj) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

pub fn status(f: &Freshness, date_maj: Option<NaiveDate>, today: NaiveDate) -> Status {
    let Some(last) = last_known(f, date_maj) else {
        return Status {
            last: None,
            due_on: None,
            due: true,
            stale: true,
        };
    };
    let months = u32::try_from(f.interval_months).unwrap_or(6);
    let due_on = last.checked_add_months(Months::new(months)).unwrap_or(last);
    let stale_on = last
        .checked_add_months(Months::new(STALE_MONTHS))
        .unwrap_or(last);
    Status {
        last: Some(last),
        due_on: Some(due_on),
        due: today >= due_on,
        stale: today >= stale_on,
    }
}

/// What one run of the digest did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DigestRun {
    /// Digests queued now.
    pub queued: u32,
    /// Editors who already got this month's digest.
    pub already_sent: u32,
    /// Editors with nothing due (no email).
    pub nothing_due: u32,
}

/// One place of a digest.
struct DueLine {
    nom: String,
    commune: String,
    id: String,
    status: Status,
}

fn digest_body(public_url: &str, lines: &[DueLine]) -> String {
    let base = public_url.trim_end_matches('/');
    let mut body = String::from(
        "Bonjour,\n\nVoici les fiches de l'annuaire de l'inclusion numérique que vous tenez et qui sont à confirmer :\n\n",
    );
    for l in lines {
        let since = match (l.status.stale, l.status.last, l.status.due_on) {
            (_, None, _) => "jamais confirmée".to_string(),
            (true, Some(last), _) => format!(
                "dernière confirmation le {} : plus de {STALE_MONTHS} mois, la fiche est signalée comme peut-être plus à jour",
                date_fr(last)
            ),
            (false, _, Some(due)) => format!("à confirmer depuis le {}", date_fr(due)),
            (false, _, None) => "à confirmer".to_string(),
        };
        body.push_str(&format!(
            "- {} ({}) : {since}\n  Confirmer ou modifier : {base}/espace/lieux/{}/modifier\n",
            l.nom,
            l.commune,
            path_segment(&l.id)
        ));
    }
    body.push_str(&format!(
        "\nSi une fiche est toujours exacte, ouvrez-la et choisissez « Confirmer sans changement » : c'est fait en un clic.\nVotre espace : {base}/espace\n\nVous recevez ce message une fois par mois tant qu'une de vos fiches est à confirmer.\n"
    ));
    body
}

/// A place id as a URL path segment (ids are plain, but a source may bring anything).
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Queues this month's digest for every editor with a listing due on `today`, once per editor
/// and month. `public_url` starts the links (`MAILLAGE_PUBLIC_URL`).
pub async fn send_monthly_digest(
    store: &dyn Store,
    public_url: &str,
    today: NaiveDate,
) -> Result<DigestRun, StoreError> {
    let accounts: &dyn AccountStore = store
        .accounts()
        .ok_or_else(|| StoreError::Database("ce stockage ne garde pas les comptes".into()))?;
    let month = today.format("%Y-%m").to_string();
    let mut run = DigestRun::default();
    for account in accounts.accounts_list().await? {
        if account.disabled || account.places.is_empty() {
            continue;
        }
        let mut lines = Vec::new();
        for id in &account.places {
            let Some(sp) = store.place(id).await? else {
                continue;
            };
            let f = accounts.freshness(&sp.place.id).await?;
            let status = status(&f, sp.place.date_maj, today);
            if status.due {
                lines.push(DueLine {
                    nom: sp.place.nom.clone(),
                    commune: sp.place.commune.clone(),
                    id: sp.place.id.clone(),
                    status,
                });
            }
        }
        if lines.is_empty() {
            run.nothing_due += 1;
            continue;
        }
        let subject = if lines.len() == 1 {
            format!("Une fiche à confirmer : « {} »", lines[0].nom)
        } else {
            format!("{} fiches à confirmer dans l'annuaire", lines.len())
        };
        let body = digest_body(public_url, &lines);
        if accounts
            .enqueue_digest(account.id, &month, &account.email, &subject, &body)
            .await?
        {
            run.queued += 1;
        } else {
            run.already_sent += 1;
        }
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn fresh(interval: i32, last: Option<NaiveDate>) -> Freshness {
        Freshness {
            place_id: "x".into(),
            interval_months: interval,
            last_confirmed: last,
            reminder_sent_at: None,
        }
    }

    #[test]
    fn due_after_its_own_interval_stale_after_a_year() {
        let f = fresh(6, Some(d(2026, 1, 10)));
        let s = status(&f, Some(d(2025, 1, 1)), d(2026, 7, 9));
        assert!(!s.due && !s.stale);
        assert_eq!(s.due_on, Some(d(2026, 7, 10)));
        let s = status(&f, None, d(2026, 7, 10));
        assert!(s.due && !s.stale);
        assert!(status(&f, None, d(2027, 1, 10)).stale);
        // A newer date on the values counts as known right.
        assert!(!status(&f, Some(d(2026, 12, 1)), d(2027, 1, 10)).stale);
        // A monthly listing is due a month later; a 16-month one is stale before it is due.
        assert!(status(&fresh(1, Some(d(2026, 1, 10))), None, d(2026, 2, 10)).due);
        let long = status(&fresh(16, Some(d(2026, 1, 10))), None, d(2027, 2, 1));
        assert!(!long.due && long.stale);
        let never = status(&fresh(6, None), None, d(2026, 1, 1));
        assert!(never.due && never.stale && never.last.is_none());
    }

    #[test]
    fn the_digest_names_each_place_with_its_link() {
        let lines = vec![
            DueLine {
                nom: "Médiathèque".into(),
                commune: "Lavit".into(),
                id: "lieu 1".into(),
                status: status(&fresh(6, Some(d(2026, 1, 10))), None, d(2026, 8, 1)),
            },
            DueLine {
                nom: "CCAS".into(),
                commune: "Moissac".into(),
                id: "lieu-2".into(),
                status: status(&fresh(6, None), None, d(2026, 8, 1)),
            },
        ];
        let body = digest_body("https://annuaire.exemple.fr/", &lines);
        assert!(body.contains("- Médiathèque (Lavit) : à confirmer depuis le 10 juillet 2026"));
        assert!(body.contains("https://annuaire.exemple.fr/espace/lieux/lieu%201/modifier"));
        assert!(body.contains("- CCAS (Moissac) : jamais confirmée"));
        assert!(body.contains("https://annuaire.exemple.fr/espace\n"));
    }
}
