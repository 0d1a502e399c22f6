//! Freshness of a listing: each place is confirmed every 1, 3, 6, 12 or 16 months (6 by
//! default). When due, its editors get one reminder with a "toujours exact" link; after 12
//! months without confirmation (nor any newer date) the public page and the API say the
//! information may be out of date. A stale place is never hidden: Soliguide hid places after
//! six months without an update and had to put them back online.
//!
//! The pages here: the "toujours exact" box of the edit form (confirm without change, choose
//! the interval: `POST /espace/lieux/{id}/confirmer`) and the coordinator's dashboard
//! (`/moderation/fraicheur`: listings up to date, due and older than a year, per EPCI of the
//! territory, or per département for an administrator). The rule itself is
//! `maillage_directory::freshness`.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use maillage_model::Place;
use maillage_store::accounts::{Account, Freshness, Role, INTERVALS_MONTHS, TOKEN_CONFIRM};
use serde::Deserialize;

use crate::accounts::{self as acc, SignedIn, Viewer};
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::AppState;

pub use maillage_directory::freshness::{last_known, STALE_MONTHS};

pub struct FreshState {
    /// The listing should be confirmed now.
    pub due: bool,
    /// More than [`STALE_MONTHS`] without confirmation.
    pub stale: bool,
    pub words: String,
}

/// The rule of `maillage_directory::freshness`, with the words of the pages.
pub fn state(f: &Freshness, date_maj: Option<NaiveDate>, today: NaiveDate) -> FreshState {
    let s = maillage_directory::freshness::status(f, date_maj, today);
    let Some(last) = s.last else {
        return FreshState {
            due: true,
            stale: true,
            words: "jamais confirmée".into(),
        };
    };
    let date = crate::hours::french_day_month(last);
    FreshState {
        due: s.due,
        stale: s.stale,
        words: if s.due {
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

/// The "toujours exact" box of the edit form.
pub struct ConfirmBox {
    pub token: String,
    pub interval: i32,
    pub words: String,
    /// Every interval a place may choose, with its words.
    pub choices: Vec<(i32, String)>,
}

pub async fn confirm_box(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
) -> Result<ConfirmBox, WebError> {
    let f = acc::store(state)?.freshness(&place.id).await?;
    Ok(ConfirmBox {
        token: acc::form_token(state, viewer).await?,
        interval: f.interval_months,
        words: self::state(&f, place.date_maj, Utc::now().date_naive()).words,
        choices: INTERVALS_MONTHS
            .iter()
            .map(|m| {
                let words = if *m == 1 {
                    "chaque mois".to_string()
                } else {
                    format!("tous les {m} mois")
                };
                (*m, words)
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    intervalle: String,
    #[serde(default)]
    action: String,
}

/// `POST /espace/lieux/{id}/confirmer`: sets the place's confirmation interval and, with
/// `action=confirmer`, confirms the listing without change.
pub async fn confirm_place(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(viewer): SignedIn,
    form: Result<Form<ConfirmForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let form = acc::form_body(form)?;
    acc::check_form_token(&state, &viewer, &form.jeton).await?;
    let place = crate::pages::edit::editable(&state, &viewer, &id).await?;
    let store = acc::store(&state)?;
    let mut f = store.freshness(&place.id).await?;
    if !form.intervalle.is_empty() {
        let interval = form
            .intervalle
            .parse::<i32>()
            .ok()
            .filter(|m| INTERVALS_MONTHS.contains(m))
            .ok_or_else(|| {
                WebError::BadRequest(
                    "choisissez une des fréquences proposées : 1, 3, 6, 12 ou 16 mois".into(),
                )
            })?;
        if interval != f.interval_months {
            f.interval_months = interval;
            store.set_freshness(&f).await?;
            store
                .audit(
                    Some(viewer.account.id),
                    "confirmation",
                    &format!(
                        "fréquence de confirmation de {} : {interval} mois",
                        place.id
                    ),
                )
                .await?;
        }
    }
    if form.action == "confirmer" {
        confirm(&state, &place.id, Some(viewer.account.id)).await?;
        return Ok(acc::see_other("/espace?envoye=confirme"));
    }
    Ok(acc::see_other("/espace?envoye=frequence"))
}

/// One line of the dashboard: a territory (an EPCI, or a département) and its listings.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FreshRow {
    pub name: String,
    pub total: usize,
    /// Confirmed within their interval.
    pub fresh: usize,
    /// Due, confirmed less than a year ago.
    pub due: usize,
    /// More than a year without confirmation (flagged on the public page), or never.
    pub stale: usize,
}

impl FreshRow {
    fn add(&mut self, s: &FreshState) {
        self.total += 1;
        match (s.due, s.stale) {
            (_, true) => self.stale += 1,
            (true, false) => self.due += 1,
            (false, false) => self.fresh += 1,
        }
    }
}

/// A listing to chase, on the dashboard.
pub struct LatePlace {
    pub id: String,
    pub nom: String,
    pub commune: String,
    pub words: String,
    pub stale: bool,
    last: Option<NaiveDate>,
}

/// The listings of a moderator's territory by EPCI (by département for an administrator),
/// and the late ones, oldest first. `today` is a parameter so tests can move in time.
pub async fn dashboard_data(
    state: &AppState,
    account: &Account,
    today: NaiveDate,
) -> Result<(Vec<FreshRow>, FreshRow, Vec<LatePlace>), WebError> {
    let store = acc::store(state)?;
    let freshness: HashMap<String, Freshness> = store
        .freshness_all()
        .await?
        .into_iter()
        .map(|f| (f.place_id.clone(), f))
        .collect();
    let (communes, epcis) = match &state.referential {
        Some(r) => (r.communes.clone(), r.epcis.clone()),
        None => (
            state.store.communes(None).await?,
            state.store.epcis().await?,
        ),
    };
    let epci_of: HashMap<&str, &str> = communes
        .iter()
        .filter_map(|c| c.epci.as_deref().map(|e| (c.code.as_str(), e)))
        .collect();
    let epci_name: HashMap<&str, &str> = epcis
        .iter()
        .map(|e| (e.code.as_str(), e.nom.as_str()))
        .collect();
    let territory = account.territory.as_deref().unwrap_or("");
    let mut rows: HashMap<String, FreshRow> = HashMap::new();
    let mut total = FreshRow {
        name: "Tout le territoire".into(),
        ..Default::default()
    };
    let mut late = Vec::new();
    let index = state.index();
    for entry in index.entries() {
        let p = &entry.place;
        let epci = p
            .code_insee
            .as_deref()
            .and_then(|c| epci_of.get(c).copied());
        let inside = match account.role {
            Role::Admin => true,
            Role::Coordinateur if territory.len() <= 3 => p.departement() == Some(territory),
            Role::Coordinateur => epci == Some(territory),
            Role::Editeur | Role::Agent => false,
        };
        if !inside {
            continue;
        }
        let default = Freshness {
            place_id: p.id.clone(),
            interval_months: maillage_store::accounts::DEFAULT_INTERVAL_MONTHS,
            last_confirmed: None,
            reminder_sent_at: None,
        };
        let f = freshness.get(&p.id).unwrap_or(&default);
        let s = self::state(f, p.date_maj, today);
        let group = if account.role == Role::Admin {
            format!("Département {}", p.departement().unwrap_or("inconnu"))
        } else {
            epci.and_then(|e| epci_name.get(e).copied())
                .unwrap_or("Sans intercommunalité connue")
                .to_string()
        };
        rows.entry(group.clone())
            .or_insert_with(|| FreshRow {
                name: group,
                ..Default::default()
            })
            .add(&s);
        total.add(&s);
        if s.due {
            late.push(LatePlace {
                id: p.id.clone(),
                nom: p.nom.clone(),
                commune: p.commune.clone(),
                words: s.words.clone(),
                stale: s.stale,
                last: last_known(f, p.date_maj),
            });
        }
    }
    let mut rows: Vec<FreshRow> = rows.into_values().collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    // Never confirmed first, then the oldest.
    late.sort_by(|a, b| a.last.cmp(&b.last).then_with(|| a.nom.cmp(&b.nom)));
    Ok((rows, total, late))
}

/// How many late listings the dashboard names (the counts cover them all).
const LATE_SHOWN: usize = 200;

#[derive(askama::Template)]
#[template(path = "fraicheur.html")]
struct DashboardPage {
    layout: Layout,
    rows: Vec<FreshRow>,
    total: FreshRow,
    late: Vec<LatePlace>,
    more: usize,
    by_departement: bool,
}

/// `/moderation/fraicheur`: the coordinator's freshness dashboard.
pub async fn dashboard(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
) -> Result<Response, WebError> {
    crate::pages::moderation::moderator_only(&viewer.account)?;
    let (rows, total, mut late) =
        dashboard_data(&state, &viewer.account, Utc::now().date_naive()).await?;
    let more = late.len().saturating_sub(LATE_SHOWN);
    late.truncate(LATE_SHOWN);
    render(&DashboardPage {
        layout: Layout::new("Fraîcheur des fiches", ""),
        by_departement: viewer.account.role == Role::Admin,
        rows,
        total,
        late,
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn the_state_says_when_it_was_confirmed_in_words() {
        let f = Freshness {
            place_id: "x".into(),
            interval_months: 6,
            last_confirmed: Some(d(2026, 1, 10)),
            reminder_sent_at: None,
        };
        let s = state(&f, None, d(2026, 7, 9));
        assert!(
            !s.due && s.words.starts_with("à jour (confirmée le"),
            "{}",
            s.words
        );
        let s = state(&f, None, d(2026, 7, 10));
        assert!(s.due && s.words.starts_with("à confirmer"), "{}", s.words);
        let never = Freshness {
            last_confirmed: None,
            ..f
        };
        assert_eq!(state(&never, None, d(2026, 1, 1)).words, "jamais confirmée");
    }
}
