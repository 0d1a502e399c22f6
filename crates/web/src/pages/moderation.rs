//! The moderation queue of a coordinator (`/moderation`) and one change (`/moderation/{id}`):
//! the before/after of each changed field, approve, or reject with a message that is emailed
//! to the editor. "Signaler une erreur" reports of the territory's places are listed in the
//! same queue. Approving publishes through [`publish`], the same path as a direct change:
//! `apply_change` (the import's checks and provenance), then one history line (who, what,
//! when, why, source) that allows going back, and the search index reloaded.
//!
//! A coordinator only sees and decides changes of places in their territory; any other id
//! answers "not found", like an id that does not exist.

use axum::extract::{Form, Path, State};
use axum::response::Response;
use chrono::Utc;
use maillage_directory::edit::{apply_change, PlaceChange, EDIT_SOURCE};
use maillage_model::{CommuneLookup, Place};
use maillage_store::accounts::{
    Account, Change, HistoryEntry, Role, CHANGE_APPROVED, CHANGE_PENDING, CHANGE_REJECTED,
};
use maillage_store::PlaceReport;
use serde::Deserialize;

use crate::accounts::{self as acc, SignedIn};
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::pages::edit::{diff, DiffRow};
use crate::AppState;

/// Publishes new values of a place through the one write path, and records the history.
pub async fn publish(
    state: &AppState,
    account_id: Option<i64>,
    place_id: &str,
    place: Place,
    why: &str,
) -> Result<Vec<String>, WebError> {
    let before = state
        .store
        .place(place_id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("le lieu « {place_id} » n'existe plus")))?;
    let author = match account_id {
        Some(id) => format!("compte:{id}"),
        None => "compte supprimé".into(),
    };
    let change = PlaceChange {
        place_id: place_id.to_string(),
        place,
        author,
        date: Utc::now().date_naive(),
    };
    // `apply_change` holds a `&dyn CommuneLookup` (not `Sync`) across its awaits, so its
    // future cannot move between the server's threads: it runs to completion on a blocking
    // thread of the same runtime instead.
    let store = state.store.clone();
    let referential = state.referential.clone();
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::spawn_blocking(move || {
        let lookup = referential.as_deref().map(|r| r as &dyn CommuneLookup);
        handle.block_on(apply_change(store.as_ref(), lookup, change))
    })
    .await
    .map_err(|e| WebError::Unavailable(format!("publication interrompue : {e}")))?
    .map_err(|e| match e {
        maillage_directory::edit::EditError::Invalid(r) => WebError::BadRequest(format!(
            "les valeurs ne passent pas les contrôles : {}",
            maillage_directory::edit::field_errors(&r)
                .into_iter()
                .map(|(f, m)| format!("{f} : {m}"))
                .collect::<Vec<_>>()
                .join(" ; ")
        )),
        other => WebError::Unavailable(other.to_string()),
    })?;
    let after = state
        .store
        .place(place_id)
        .await?
        .map(|sp| sp.place)
        .unwrap_or_default();
    let store = acc::store(state)?;
    store
        .add_history(&HistoryEntry {
            id: 0,
            place_id: before.place.id.clone(),
            account_id,
            at: Utc::now(),
            why: why.to_string(),
            source: EDIT_SOURCE.into(),
            before_json: serde_json::to_string(&before.place).unwrap_or_default(),
            after_json: serde_json::to_string(&after).unwrap_or_default(),
            changed_fields: outcome.changed_fields.clone(),
        })
        .await?;
    state.reload().await?;
    Ok(outcome.changed_fields)
}

/// One line of the queue.
pub struct QueueItem {
    pub change: Change,
    pub nom: String,
    pub author: String,
}

fn place_of(json: &str) -> Place {
    serde_json::from_str(json).unwrap_or_default()
}

/// The pending changes a person may moderate, oldest first.
pub async fn queue_for(state: &AppState, account: &Account) -> Result<Vec<QueueItem>, WebError> {
    if !matches!(account.role, Role::Coordinateur | Role::Admin) {
        return Ok(Vec::new());
    }
    let store = acc::store(state)?;
    let mut out = Vec::new();
    for change in store.changes(Some(CHANGE_PENDING)).await? {
        let Some(sp) = state.store.place(&change.place_id).await? else {
            continue;
        };
        if !acc::can_moderate(state, account, &sp.place).await {
            continue;
        }
        let author = match change.author_id {
            Some(id) => store
                .account(id)
                .await?
                .map(|a| a.email)
                .unwrap_or_default(),
            None => String::new(),
        };
        out.push(QueueItem {
            nom: sp.place.nom.clone(),
            author,
            change,
        });
    }
    Ok(out)
}

#[derive(askama::Template)]
#[template(path = "moderation.html")]
struct QueuePage {
    layout: Layout,
    items: Vec<QueueItem>,
    reports: Vec<(PlaceReport, String)>,
}

pub(crate) fn moderator_only(account: &Account) -> Result<(), WebError> {
    if matches!(account.role, Role::Coordinateur | Role::Admin) {
        Ok(())
    } else {
        Err(WebError::NotFound(
            "cette page est réservée à la coordination".into(),
        ))
    }
}

pub async fn queue(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
) -> Result<Response, WebError> {
    moderator_only(&viewer.account)?;
    let items = queue_for(&state, &viewer.account).await?;
    let mut reports = Vec::new();
    for r in state.store.reports(true).await? {
        if let Some(sp) = state.store.place(&r.place_id).await? {
            if acc::can_moderate(&state, &viewer.account, &sp.place).await {
                reports.push((r, sp.place.nom.clone()));
            }
        }
    }
    render(&QueuePage {
        layout: Layout::new("Modérer les modifications", ""),
        items,
        reports,
    })
}

#[derive(askama::Template)]
#[template(path = "moderation_change.html")]
struct ChangePage {
    layout: Layout,
    change: Change,
    nom: String,
    author: String,
    rows: Vec<DiffRow>,
    token: String,
    pending: bool,
    error: Option<String>,
}

/// The change, if this person may moderate it (else "not found").
async fn moderable(
    state: &AppState,
    account: &Account,
    id: &str,
) -> Result<(Change, Place), WebError> {
    moderator_only(account)?;
    let not_found = || {
        WebError::NotFound(
            "cette modification n'existe pas ou ne relève pas de votre territoire".into(),
        )
    };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let change = acc::store(state)?.change(id).await?.ok_or_else(not_found)?;
    let sp = state
        .store
        .place(&change.place_id)
        .await?
        .ok_or_else(not_found)?;
    if !acc::can_moderate(state, account, &sp.place).await {
        return Err(not_found());
    }
    Ok((change, sp.place))
}

async fn change_page(
    state: &AppState,
    viewer: &acc::Viewer,
    change: Change,
    place: &Place,
    error: Option<String>,
) -> Result<ChangePage, WebError> {
    let author = match change.author_id {
        Some(id) => acc::store(state)?
            .account(id)
            .await?
            .map(|a| a.email)
            .unwrap_or_default(),
        None => "compte supprimé".into(),
    };
    Ok(ChangePage {
        layout: Layout::new(format!("Modification n° {}", change.id), ""),
        rows: diff(
            &place_of(&change.before_json),
            &place_of(&change.after_json),
        ),
        nom: place.nom.clone(),
        author,
        token: acc::form_token(state, viewer).await?,
        pending: change.status == CHANGE_PENDING,
        change,
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(viewer): SignedIn,
) -> Result<Response, WebError> {
    let (change, place) = moderable(&state, &viewer.account, &id).await?;
    render(&change_page(&state, &viewer, change, &place, None).await?)
}

#[derive(Deserialize)]
pub struct Decision {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    message: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(viewer): SignedIn,
    form: Result<Form<Decision>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let form = acc::form_body(form)?;
    acc::check_form_token(&state, &viewer, &form.jeton).await?;
    let (change, place) = moderable(&state, &viewer.account, &id).await?;
    let message: String = form.message.trim().chars().take(2000).collect();
    let store = acc::store(&state)?;
    if change.status != CHANGE_PENDING {
        return Ok(acc::see_other(&format!("/moderation/{}", change.id)));
    }
    let status = match form.decision.as_str() {
        "approuver" => CHANGE_APPROVED,
        "rejeter" if !message.is_empty() => CHANGE_REJECTED,
        "rejeter" => {
            let page = change_page(&state, &viewer, change, &place, Some("Expliquez en quelques mots pourquoi la modification est refusée : ce message est envoyé à la structure.".into())).await?;
            let mut r = render(&page)?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
        _ => {
            return Err(WebError::BadRequest(
                "choisissez d'accepter ou de refuser la modification".into(),
            ))
        }
    };
    if status == CHANGE_APPROVED && !change.applied {
        publish(
            &state,
            change.author_id,
            &change.place_id,
            place_of(&change.after_json),
            &format!("modification n° {} acceptée", change.id),
        )
        .await?;
    }
    if !store
        .decide_change(change.id, status, viewer.account.id, &message, Utc::now())
        .await?
    {
        return Ok(acc::see_other(&format!("/moderation/{}", change.id)));
    }
    store
        .audit(
            Some(viewer.account.id),
            "moderation",
            &format!("modification n° {} : {status}", change.id),
        )
        .await?;
    if let Some(author) = match change.author_id {
        Some(a) => store.account(a).await?,
        None => None,
    } {
        let (subject, verdict) = if status == CHANGE_APPROVED {
            (
                format!("Votre modification de « {} » est publiée", place.nom),
                "a été acceptée et est publiée",
            )
        } else {
            (
                format!("Votre modification de « {} » n'est pas publiée", place.nom),
                "n'a pas été acceptée",
            )
        };
        let note = if message.is_empty() {
            String::new()
        } else {
            format!("\nMessage de la coordination :\n{message}\n")
        };
        let body = format!(
            "Bonjour,\n\nVotre modification de la fiche « {} » {verdict}.\n{note}\nVotre espace : {}\n",
            place.nom,
            state.accounts.link("/espace")
        );
        store.enqueue_email(&author.email, &subject, &body).await?;
    }
    Ok(acc::see_other("/moderation"))
}

/// One line of a place's history, for the page.
pub struct HistoryRow {
    pub entry: HistoryEntry,
    pub author: String,
    pub rows: Vec<DiffRow>,
    /// Whether this change can be undone now: the most recent one, and the place has not
    /// changed since (an import, another edit): undoing an older one would silently throw
    /// away what came after.
    pub revertible: bool,
}

#[derive(askama::Template)]
#[template(path = "moderation_history.html")]
struct HistoryPage {
    layout: Layout,
    id: String,
    nom: String,
    entries: Vec<HistoryRow>,
    token: String,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

/// The place, if this person may moderate it (else "not found", like a place that does not
/// exist).
async fn moderable_place(state: &AppState, account: &Account, id: &str) -> Result<Place, WebError> {
    moderator_only(account)?;
    let not_found =
        || WebError::NotFound("ce lieu n'existe pas ou ne relève pas de votre territoire".into());
    let sp = state.store.place(id).await?.ok_or_else(not_found)?;
    if !acc::can_moderate(state, account, &sp.place).await {
        return Err(not_found());
    }
    Ok(sp.place)
}

#[derive(Deserialize, Default)]
pub struct HistoryQuery {
    #[serde(default)]
    fait: Option<String>,
}

/// `/moderation/lieux/{id}/historique`: every change applied to a place (who, what, when,
/// why, from which source); the latest one can be undone.
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(viewer): SignedIn,
    axum::extract::Query(query): axum::extract::Query<HistoryQuery>,
) -> Result<Response, WebError> {
    let place = moderable_place(&state, &viewer.account, &id).await?;
    let notice = query
        .fait
        .is_some()
        .then_some("La modification est annulée : la fiche est revenue à sa version d'avant.");
    render(&history_page(&state, &viewer, &place, notice, None).await?)
}

async fn history_page(
    state: &AppState,
    viewer: &acc::Viewer,
    place: &Place,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> Result<HistoryPage, WebError> {
    let store = acc::store(state)?;
    let mut entries = Vec::new();
    for (i, entry) in store.history(&place.id).await?.into_iter().enumerate() {
        let author = match entry.account_id {
            Some(a) => store
                .account(a)
                .await?
                .map(|a| a.email)
                .unwrap_or_else(|| "compte supprimé".into()),
            None => "compte supprimé".into(),
        };
        let (before, after) = (place_of(&entry.before_json), place_of(&entry.after_json));
        entries.push(HistoryRow {
            revertible: i == 0 && diff(&after, place).is_empty(),
            rows: diff(&before, &after),
            author,
            entry,
        });
    }
    Ok(HistoryPage {
        layout: Layout::new(format!("Historique de « {} »", place.nom), ""),
        id: place.id.clone(),
        nom: place.nom.clone(),
        entries,
        token: acc::form_token(state, viewer).await?,
        notice,
        error,
    })
}

#[derive(Deserialize)]
pub struct RevertForm {
    #[serde(default)]
    jeton: String,
}

/// `POST /moderation/historique/{entry}/annuler`: puts the place back as it was before that
/// change, through the one write path (checks, provenance) and recorded in the history like
/// any change.
pub async fn revert(
    State(state): State<AppState>,
    Path(entry_id): Path<String>,
    SignedIn(viewer): SignedIn,
    form: Result<Form<RevertForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let form = acc::form_body(form)?;
    acc::check_form_token(&state, &viewer, &form.jeton).await?;
    let not_found = || WebError::NotFound("cette modification n'existe pas".into());
    let entry_id: i64 = entry_id.parse().map_err(|_| not_found())?;
    let store = acc::store(&state)?;
    let entry = store.history_entry(entry_id).await?.ok_or_else(not_found)?;
    let place = moderable_place(&state, &viewer.account, &entry.place_id).await?;
    let latest = store.history(&place.id).await?.first().map(|e| e.id);
    if latest != Some(entry.id) || !diff(&place_of(&entry.after_json), &place).is_empty() {
        let page = history_page(
            &state,
            &viewer,
            &place,
            None,
            Some("La fiche a changé depuis cette modification : rien n'est annulé. Seule la modification la plus récente peut être annulée."),
        )
        .await?;
        let mut r = render(&page)?;
        *r.status_mut() = axum::http::StatusCode::CONFLICT;
        return Ok(r);
    }
    publish(
        &state,
        Some(viewer.account.id),
        &place.id,
        place_of(&entry.before_json),
        &format!(
            "annulation de la modification du {} (historique n° {})",
            entry.at.format("%d/%m/%Y %H:%M"),
            entry.id
        ),
    )
    .await?;
    store
        .audit(
            Some(viewer.account.id),
            "moderation",
            &format!("annulation de l'historique n° {} ({})", entry.id, place.id),
        )
        .await?;
    Ok(acc::see_other(&format!(
        "/moderation/lieux/{}/historique?fait=1",
        form_urlencoded::byte_serialize(place.id.as_bytes()).collect::<String>()
    )))
}
