//! The itinerant France Services from the coordinator's space: the published calendar's
//! version, the proposed plan next to it with every passage that would move (each with the
//! notice the public and the mairie will read), plan again, and publish. Two coordinators
//! publishing at once: the form carries the version its page showed; whoever publishes second
//! is told which version came in between and sees its changes, nothing is overwritten.
//!
//! Who: an administrator, or a coordinator whose territory holds every site of the tours (the
//! tours of one département are one calendar).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maillage_directory::tours::{self as dt, Change, ChangeKind};
use maillage_store::accounts::{Account, Role};
use serde::Deserialize;

use super::coordinator;
use crate::accounts::{self as acc, Viewer};
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::AppState;

/// One change, as shown.
pub struct ChangeLine {
    pub kind: &'static str,
    pub commune: String,
    pub vehicle: String,
    pub date: String,
    pub new_date: String,
    pub notice: String,
}

fn line(c: &Change) -> ChangeLine {
    ChangeLine {
        kind: match c.kind {
            ChangeKind::Added => "passage ajouté",
            ChangeKind::Moved => "passage déplacé",
            ChangeKind::Cancelled => "passage annulé",
            ChangeKind::Stopped => "permanences arrêtées",
        },
        commune: c.commune.clone(),
        vehicle: c.vehicle_id.clone(),
        date: c.date.format("%d/%m/%Y").to_string(),
        new_date: c
            .new_date
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        notice: c.notice.clone(),
    }
}

#[derive(askama::Template)]
#[template(path = "coordination_tours.html")]
struct ToursPage {
    layout: Layout,
    published: Option<i64>,
    published_line: String,
    planned_at: String,
    proposed: bool,
    passages: usize,
    changes: Vec<ChangeLine>,
    /// After a publication: the notices of the version just published.
    notices: Vec<ChangeLine>,
    /// Every site: id, "commune — venue", its rhythm in words.
    sites: Vec<(String, String, String)>,
    token: String,
    error: Option<String>,
    notice: Option<String>,
}

fn rhythm_fr(r: &maillage_tours::Rhythm) -> String {
    match r {
        maillage_tours::Rhythm::TwicePerMonth => {
            "deux passages par mois, jours choisis par le plan".into()
        }
        maillage_tours::Rhythm::Fixed(p) => p.label_fr(),
    }
}

/// Whether the account may plan and publish the tours.
async fn may_publish(state: &AppState, account: &Account) -> Result<bool, WebError> {
    if account.role == Role::Admin {
        return Ok(true);
    }
    let Some(t) = account.territory.as_deref() else {
        return Ok(false);
    };
    let input = state.store.tour_input().await?;
    let sites: Vec<maillage_tours::Site> = input
        .sites
        .iter()
        .filter_map(|r| serde_json::from_str(&r.data).ok())
        .collect();
    Ok(!sites.is_empty()
        && sites
            .iter()
            .all(|s| maillage_model::departement_of(&s.code_insee) == Some(t)))
}

async fn guard(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Response> {
    let viewer = coordinator(state, headers).await?;
    match may_publish(state, &viewer.account).await {
        Ok(true) => Ok(viewer),
        Ok(false) => Err(axum::response::IntoResponse::into_response(
            WebError::NotAllowed(
                "les tournées de ce département sont tenues par sa coordination".into(),
            ),
        )),
        Err(e) => Err(axum::response::IntoResponse::into_response(e)),
    }
}

fn today() -> chrono::NaiveDate {
    crate::hours::now_paris().date()
}

fn unavailable(e: impl std::fmt::Display) -> WebError {
    WebError::Unavailable(format!("{e:#}"))
}

async fn tours_page(
    state: &AppState,
    viewer: &Viewer,
    notices: Vec<ChangeLine>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<ToursPage, WebError> {
    let preview = dt::preview(state.store.as_ref(), today())
        .await
        .map_err(unavailable)?;
    let published_line = match dt::published(state.store.as_ref())
        .await
        .map_err(unavailable)?
    {
        Some(p) => dt::summary(&p),
        None => String::new(),
    };
    let mut sites: Vec<(String, String, String)> = state
        .store
        .tour_input()
        .await?
        .sites
        .iter()
        .filter_map(|r| serde_json::from_str::<maillage_tours::Site>(&r.data).ok())
        .map(|s| {
            (
                s.id.clone(),
                format!("{} — {}", s.commune, s.name),
                rhythm_fr(&s.rhythm),
            )
        })
        .collect();
    sites.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(ToursPage {
        sites,
        layout: Layout::new("Tournées des France Services itinérantes", ""),
        published: preview.published,
        published_line,
        planned_at: preview
            .planned_at
            .map(|t| t.format("%d/%m/%Y à %H:%M").to_string())
            .unwrap_or_default(),
        proposed: preview.changes.is_some(),
        passages: preview.passages,
        changes: preview.changes.iter().flatten().map(line).collect(),
        notices,
        token: acc::form_token(state, viewer).await?,
        error,
        notice,
    })
}

/// `GET /coordination/tournees`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let viewer = match guard(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    render(&tours_page(&state, &viewer, Vec::new(), None, None).await?)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    jeton: String,
    /// The published version the page showed (empty: none).
    #[serde(default)]
    version: String,
}

/// `POST /coordination/tournees/planifier`: plans the stored sites, vehicles and events again
/// (the proposal only: nothing public moves).
pub async fn plan(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: super::Posted<TokenForm>,
) -> Result<Response, WebError> {
    let viewer = match guard(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    let planned = dt::plan(state.store.as_ref(), today(), false)
        .await
        .map_err(|e| WebError::BadRequest(format!("{e:#}")))?;
    let notice = if planned.kept {
        "Rien n'a changé dans les sites, les véhicules ni les labellisations : le plan proposé garde les mêmes tournées, reposées sur les dates."
    } else {
        "Nouveau plan proposé : relisez ce qui bouge avant de publier."
    };
    render(&tours_page(&state, &viewer, Vec::new(), None, Some(notice.into())).await?)
}

/// `POST /coordination/tournees/publier`: publishes the proposed plan as the next version,
/// unless another version was published since the page was read.
pub async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: super::Posted<TokenForm>,
) -> Result<Response, WebError> {
    let viewer = match guard(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let form = super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    let seen: Option<i64> = form.version.trim().parse().ok();
    let latest = state.store.latest_tour_version().await?;
    let conflict = |latest: Option<i64>| {
        format!(
            "Une autre personne a publié la version {} du calendrier pendant que vous lisiez cette page. Rien n'a été publié : voici ce que votre publication changerait maintenant.",
            latest.map(|v| v.to_string()).unwrap_or_default()
        )
    };
    if latest != seen {
        let mut r =
            render(&tours_page(&state, &viewer, Vec::new(), Some(conflict(latest)), None).await?)?;
        *r.status_mut() = StatusCode::CONFLICT;
        return Ok(r);
    }
    let published = match dt::publish(state.store.as_ref(), &viewer.account.email, today()).await {
        Ok(p) => p,
        Err(e)
            if e.downcast_ref::<maillage_store::StoreError>()
                .is_some_and(|s| matches!(s, maillage_store::StoreError::Conflict(_))) =>
        {
            let latest = state.store.latest_tour_version().await?;
            let mut r = render(
                &tours_page(&state, &viewer, Vec::new(), Some(conflict(latest)), None).await?,
            )?;
            *r.status_mut() = StatusCode::CONFLICT;
            return Ok(r);
        }
        Err(e) => return Err(WebError::BadRequest(format!("{e:#}"))),
    };
    acc::store(&state)?
        .audit(
            Some(viewer.account.id),
            "tournees",
            &format!(
                "version {} publiée : {} changement(s)",
                published.version,
                published.changes.len()
            ),
        )
        .await?;
    state.reload().await?;
    let notices = published.changes.iter().map(line).collect();
    render(
        &tours_page(
            &state,
            &viewer,
            notices,
            None,
            Some(format!(
                "Version {} publiée : le calendrier public et son flux iCalendar la montrent dès maintenant.",
                published.version
            )),
        )
        .await?,
    )
}

#[derive(Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    rythme: String,
}

/// `POST /coordination/tournees/site`: changes the day (the rhythm) of one site; the
/// proposal follows when planned again.
pub async fn site(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: super::Posted<SiteForm>,
) -> Result<Response, WebError> {
    let viewer = match guard(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let form = super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    let rythme: String = form.rythme.trim().chars().take(100).collect();
    if let Err(e) = dt::set_site_rhythm(state.store.as_ref(), &form.site, &rythme).await {
        let mut r =
            render(&tours_page(&state, &viewer, Vec::new(), Some(format!("{e:#}")), None).await?)?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    acc::store(&state)?
        .audit(
            Some(viewer.account.id),
            "tournees",
            &format!(
                "rythme du site {} : {}",
                form.site,
                if rythme.is_empty() {
                    "au choix du plan"
                } else {
                    &rythme
                }
            ),
        )
        .await?;
    render(
        &tours_page(
            &state,
            &viewer,
            Vec::new(),
            None,
            Some("Rythme du site enregistré. Planifiez à nouveau pour voir ce qui bouge, puis publiez.".into()),
        )
        .await?,
    )
}
