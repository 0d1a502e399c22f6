//! Freshness of a listing: each place is confirmed every 1, 3, 6, 12 or 16 months (6 by
//! default). When due, its editors get one reminder with a "toujours exact" link; after 12
//! months without confirmation (nor any newer date) the public page and the API say the
//! information may be out of date. A stale place is never hidden: Soliguide hid places after
//! six months without an update and had to put them back online.

use chrono::{Months, NaiveDate, Utc};
use maillage_store::accounts::{Freshness, TOKEN_CONFIRM};

use crate::accounts as acc;
use crate::error::WebError;
use crate::AppState;

/// After this many months without confirmation the information is flagged as possibly old.
pub const STALE_MONTHS: u32 = 12;

pub struct FreshState {
    /// The listing should be confirmed now.
    pub due: bool,
    /// More than [`STALE_MONTHS`] without confirmation.
    pub stale: bool,
    pub words: String,
}

/// The date the listing was last known right: its confirmation, or its values' date.
pub fn last_known(f: &Freshness, date_maj: Option<NaiveDate>) -> Option<NaiveDate> {
    match (f.last_confirmed, date_maj) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

pub fn state(f: &Freshness, date_maj: Option<NaiveDate>, today: NaiveDate) -> FreshState {
    let Some(last) = last_known(f, date_maj) else {
        return FreshState {
            due: true,
            stale: true,
            words: "jamais confirmée".into(),
        };
    };
    let months = u32::try_from(f.interval_months).unwrap_or(6);
    let due_on = last.checked_add_months(Months::new(months)).unwrap_or(last);
    let stale_on = last
        .checked_add_months(Months::new(STALE_MONTHS))
        .unwrap_or(last);
    let date = crate::hours::french_day_month(last);
    FreshState {
        due: today >= due_on,
        stale: today >= stale_on,
        words: if today >= due_on {
            format!(
                "à confirmer (dernière confirmation : {date} {})",
                last.format("%Y")
            )
        } else {
            format!("à jour (confirmée le {date} {})", last.format("%Y"))
        },
    }
}

/// Whether a place's information may be out of date (for the public page and the API).
pub async fn is_stale(state: &AppState, place_id: &str, date_maj: Option<NaiveDate>) -> bool {
    let Some(store) = state.store.accounts() else {
        return false;
    };
    match store.freshness(place_id).await {
        Ok(f) => self::state(&f, date_maj, Utc::now().date_naive()).stale,
        Err(_) => false,
    }
}

/// "Toujours exact": the listing is confirmed today and a new reminder may be sent next time.
pub async fn confirm(
    state: &AppState,
    place_id: &str,
    account_id: Option<i64>,
) -> Result<(), WebError> {
    let store = acc::store(state)?;
    let mut f = store.freshness(place_id).await?;
    f.last_confirmed = Some(Utc::now().date_naive());
    f.reminder_sent_at = None;
    store.set_freshness(&f).await?;
    store
        .audit(
            account_id,
            "confirmation",
            &format!("fiche confirmée : {place_id}"),
        )
        .await?;
    Ok(())
}

/// Sends one reminder to the editors of every place due (and not reminded yet since its last
/// confirmation). Returns how many emails were queued.
pub async fn send_reminders(state: &AppState, today: NaiveDate) -> Result<u64, WebError> {
    let store = acc::store(state)?;
    let mut sent = 0;
    for account in store.accounts_list().await? {
        if account.disabled {
            continue;
        }
        for place_id in &account.places {
            let Some(sp) = state.store.place(place_id).await? else {
                continue;
            };
            let mut f = store.freshness(&sp.place.id).await?;
            if f.reminder_sent_at.is_some() || !self::state(&f, sp.place.date_maj, today).due {
                continue;
            }
            crate::pages::account::send_link(
                state,
                &account,
                TOKEN_CONFIRM,
                Some((&sp.place.id, &sp.place.nom)),
            )
            .await?;
            f.reminder_sent_at = Some(Utc::now());
            store.set_freshness(&f).await?;
            sent += 1;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn due_after_the_interval_stale_after_a_year() {
        let f = Freshness {
            place_id: "x".into(),
            interval_months: 6,
            last_confirmed: Some(d(2026, 1, 10)),
            reminder_sent_at: None,
        };
        let s = state(&f, Some(d(2025, 1, 1)), d(2026, 7, 9));
        assert!(!s.due && !s.stale, "{}", s.words);
        let s = state(&f, None, d(2026, 7, 10));
        assert!(s.due && !s.stale);
        assert!(state(&f, None, d(2027, 1, 10)).stale);
        // A newer date on the values counts as known right.
        assert!(!state(&f, Some(d(2026, 12, 1)), d(2027, 1, 10)).stale);
        let never = Freshness {
            last_confirmed: None,
            ..f
        };
        assert!(state(&never, None, d(2026, 1, 1)).stale);
    }
}
