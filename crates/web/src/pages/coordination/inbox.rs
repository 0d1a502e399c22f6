//! One inbox for the coordinator: the "signaler une erreur" reports of the territory's places
//! (marked handled once dealt with) and the moderation queue of proposed changes (decided on
//! `/moderation/{id}`, the moderation's own page). Reports are sent by the public: their text
//! is shown escaped, as everywhere.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maillage_store::accounts::Account;
use maillage_store::reports::{REPORT_HANDLED, REPORT_PENDING};
use maillage_store::PlaceReport;

use super::{coordinator, Scope};
use crate::accounts as acc;
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::pages::moderation::{queue_for, QueueItem};
use crate::AppState;

/// The pending reports of places in scope, with the place's name.
async fn reports(state: &AppState, scope: &Scope) -> Result<Vec<(PlaceReport, String)>, WebError> {
    let mut out = Vec::new();
    for r in state.store.reports(true).await? {
        if let Some(sp) = state.store.place(&r.place_id).await? {
            if scope.contains(&sp.place) {
                out.push((r, sp.place.nom.clone()));
            }
        }
    }
    Ok(out)
}

/// What waits in the inbox (for the space's home page).
pub async fn count(state: &AppState, account: &Account, scope: &Scope) -> Result<usize, WebError> {
    Ok(reports(state, scope).await?.len() + queue_for(state, account).await?.len())
}

#[derive(askama::Template)]
#[template(path = "coordination_inbox.html")]
struct InboxPage {
    layout: Layout,
    reports: Vec<(PlaceReport, String)>,
    items: Vec<QueueItem>,
    token: String,
    notice: Option<String>,
}

/// `GET /coordination/signalements`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let scope = Scope::of(&state, &viewer.account).await;
    render(&InboxPage {
        layout: Layout::new("Boîte de réception", ""),
        reports: reports(&state, &scope).await?,
        items: queue_for(&state, &viewer.account).await?,
        token: acc::form_token(&state, &viewer).await?,
        notice: None,
    })
}

/// `POST /coordination/signalements/traites` (`jeton`, one `id` per ticked report): marks the
/// reports handled. A report of a place outside the territory is left as it is.
pub async fn handled(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let mut token = String::new();
    let mut ids: Vec<i64> = Vec::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "jeton" => token = v.into_owned(),
            "id" => ids.extend(v.parse::<i64>().ok()),
            _ => {}
        }
    }
    acc::check_form_token(&state, &viewer, &token).await?;
    let scope = Scope::of(&state, &viewer.account).await;
    let pending = reports(&state, &scope).await?;
    let mut done = 0;
    for id in ids {
        if pending
            .iter()
            .any(|(r, _)| r.id == id && r.status == REPORT_PENDING)
            && state.store.set_report_status(id, REPORT_HANDLED).await?
        {
            done += 1;
        }
    }
    if done > 0 {
        acc::store(&state)?
            .audit(
                Some(viewer.account.id),
                "signalements",
                &format!("{done} signalement(s) marqué(s) traité(s)"),
            )
            .await?;
    }
    render(&InboxPage {
        layout: Layout::new("Boîte de réception", ""),
        reports: reports(&state, &scope).await?,
        items: queue_for(&state, &viewer.account).await?,
        token: acc::form_token(&state, &viewer).await?,
        notice: Some(if done == 0 {
            "Aucun signalement coché : rien n'a changé.".into()
        } else {
            format!("{done} signalement(s) marqué(s) traité(s).")
        }),
    })
}
