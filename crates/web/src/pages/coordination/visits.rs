//! Home visits from the site: the partners' form and list (`/espace/visites`: an agent
//! account of a fixed France Services, a mairie or an MDS asks for a visit for a person who
//! cannot travel, with the least personal data, and follows its status) and the
//! coordinator's side (`/coordination/visites`: the requests of the territory, the slots
//! proposed on tour days near that day's stops, and the choice of one). The use cases are
//! `maillage_directory::visits`; the personal data is shown only to the requester and the
//! coordination, and purged on schedule by `maillage tours visites purger`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maillage_directory::visits as dv;
use maillage_store::accounts::Role;
use maillage_tours::visits::{PartnerKind, Person, Visit};
use serde::Deserialize;

use super::coordinator;
use crate::accounts::{self as acc, Viewer};
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::AppState;

const PARTNERS: &[(&str, &str)] = &[
    ("mairie", "secrétariat de mairie"),
    ("france-services", "France Services"),
    ("mds", "maison départementale des solidarités"),
];

fn today() -> chrono::NaiveDate {
    crate::hours::now_paris().date()
}

/// One visit as listed.
pub struct VisitLine {
    pub id: String,
    pub commune: String,
    pub partner: String,
    pub name: String,
    pub reason: String,
    pub status: &'static str,
    pub slot: String,
    pub requested_on: String,
}

fn line(v: &Visit) -> VisitLine {
    VisitLine {
        id: v.id.clone(),
        commune: v.commune.clone(),
        partner: v.partner_name.clone(),
        name: v
            .person
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        reason: v.reason.clone().unwrap_or_default(),
        status: v.status.label_fr(),
        slot: v
            .slot
            .as_ref()
            .map(|s| {
                format!(
                    "le {} de {} à {}",
                    s.date.format("%d/%m/%Y"),
                    s.start.format("%H h %M"),
                    s.end.format("%H h %M")
                )
            })
            .unwrap_or_default(),
        requested_on: v.requested_on.format("%d/%m/%Y").to_string(),
    }
}

fn unavailable(e: impl std::fmt::Display) -> WebError {
    WebError::Unavailable(format!("{e:#}"))
}

/// A partner of the network (an agent account), or the coordination.
async fn partner(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Response> {
    let viewer = acc::require(state, headers).await?;
    if viewer.account.role == Role::Editeur {
        return Err(WebError::NotAllowed(
            "les demandes de visite à domicile sont faites par les France Services, les mairies et les maisons départementales des solidarités".into(),
        )
        .into_response());
    }
    Ok(viewer)
}

#[derive(askama::Template)]
#[template(path = "coordination_visit_request.html")]
struct RequestPage {
    layout: Layout,
    communes: Vec<(String, String)>,
    partners: &'static [(&'static str, &'static str)],
    reasons: &'static [(&'static str, &'static str)],
    mine: Vec<VisitLine>,
    token: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn request_page(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let mut communes: Vec<(String, String)> = match state.tours() {
        Some(t) => t
            .book
            .sites
            .iter()
            .map(|s| (s.code_insee.clone(), s.commune.clone()))
            .collect(),
        None => Vec::new(),
    };
    communes.sort_by(|a, b| a.1.cmp(&b.1));
    communes.dedup();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = render(&RequestPage {
        layout: Layout::new("Demander une visite à domicile", ""),
        communes,
        partners: PARTNERS,
        reasons: dv::REASONS,
        mine: dv::of_account(state.store.as_ref(), viewer.account.id)
            .await
            .map_err(unavailable)?
            .iter()
            .map(line)
            .collect(),
        token: acc::form_token(state, viewer).await?,
        error,
        notice,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// `GET /espace/visites`: the form and the partner's requests.
pub async fn requests(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let viewer = match partner(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    request_page(&state, &viewer, None, None).await
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    partenaire: String,
    #[serde(default)]
    structure: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    telephone: String,
    #[serde(default)]
    adresse: String,
    #[serde(default)]
    motif: String,
    #[serde(default)]
    besoin: String,
}

fn clip(s: &str, n: usize) -> String {
    s.trim().chars().take(n).collect()
}

/// `POST /espace/visites`: records a request.
pub async fn request(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: super::Posted<RequestForm>,
) -> Result<Response, WebError> {
    let viewer = match partner(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let f = super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    let kind = match f.partenaire.as_str() {
        "mairie" => PartnerKind::Mairie,
        "france-services" => PartnerKind::FranceServices,
        "mds" => PartnerKind::Mds,
        _ => {
            return request_page(
                &state,
                &viewer,
                Some("Choisissez le type de votre structure.".into()),
                None,
            )
            .await
        }
    };
    let Some((_, reason)) = dv::REASONS.iter().find(|(k, _)| *k == f.motif) else {
        return request_page(
            &state,
            &viewer,
            Some("Choisissez pourquoi la personne ne peut pas se déplacer.".into()),
            None,
        )
        .await;
    };
    let (nom, telephone, adresse) = (
        clip(&f.nom, 100),
        clip(&f.telephone, 30),
        clip(&f.adresse, 200),
    );
    if nom.is_empty() || telephone.is_empty() || adresse.is_empty() {
        return request_page(&state, &viewer, Some("Le nom (ou les initiales), le téléphone et l'adresse de la personne sont nécessaires pour que l'équipe du bus vienne chez elle.".into()), None).await;
    }
    let besoin = clip(&f.besoin, 200);
    let reason = if besoin.is_empty() {
        reason.to_string()
    } else {
        format!("{reason} : {besoin}")
    };
    let structure = clip(&f.structure, 120);
    let outcome = dv::request(
        state.store.as_ref(),
        dv::Request {
            account_id: viewer.account.id,
            partner_kind: kind,
            partner_name: if structure.is_empty() {
                viewer.account.email.clone()
            } else {
                structure
            },
            code_insee: f.commune.trim().to_string(),
            person: Person {
                name: nom,
                phone: telephone,
                address: adresse,
            },
            reason,
        },
        today(),
    )
    .await;
    match outcome {
        Ok(id) => {
            acc::store(&state)?
                .audit(Some(viewer.account.id), "visites", &format!("demande {id}"))
                .await?;
            request_page(&state, &viewer, None, Some("Demande enregistrée : la coordination vous proposera un jour de passage du bus.".into())).await
        }
        Err(e) => request_page(&state, &viewer, Some(format!("{e:#}")), None).await,
    }
}

#[derive(askama::Template)]
#[template(path = "coordination_visits.html")]
struct ListPage {
    layout: Layout,
    visits: Vec<VisitLine>,
}

/// The visits of the coordinator's territory (an administrator: all).
async fn in_scope(state: &AppState, viewer: &Viewer) -> Result<Vec<Visit>, WebError> {
    let all = dv::all(state.store.as_ref()).await.map_err(unavailable)?;
    Ok(
        match (viewer.account.role, viewer.account.territory.as_deref()) {
            (Role::Admin, _) => all,
            (_, Some(t)) if t.len() <= 3 => all
                .into_iter()
                .filter(|v| maillage_model::departement_of(&v.code_insee) == Some(t))
                .collect(),
            _ => Vec::new(),
        },
    )
}

/// `GET /coordination/visites`.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    render(&ListPage {
        layout: Layout::new("Visites à domicile", ""),
        visits: in_scope(&state, &viewer).await?.iter().map(line).collect(),
    })
}

#[derive(askama::Template)]
#[template(path = "coordination_visit.html")]
struct VisitPage {
    layout: Layout,
    visit: VisitLine,
    phone: String,
    address: String,
    slots: Vec<String>,
    open: bool,
    token: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn visit_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let v = in_scope(state, viewer)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| {
            WebError::NotFound(
                "cette visite n'existe pas ou ne relève pas de votre territoire".into(),
            )
        })?;
    let open = v.slot.is_none() && v.status == maillage_tours::visits::VisitStatus::Requested;
    let slots = if open {
        dv::propose(state.store.as_ref(), id, today())
            .await
            .map_err(|e| WebError::BadRequest(format!("{e:#}")))?
            .iter()
            .map(|s| {
                format!(
                    "bus {} le {} de {} à {} (+{} min de route)",
                    s.vehicle_id,
                    s.date.format("%d/%m/%Y"),
                    s.start.format("%H h %M"),
                    s.end.format("%H h %M"),
                    s.added_driving_s / 60
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = render(&VisitPage {
        layout: Layout::new(format!("Visite à domicile à {}", v.commune), ""),
        phone: v
            .person
            .as_ref()
            .map(|p| p.phone.clone())
            .unwrap_or_default(),
        address: v
            .person
            .as_ref()
            .map(|p| p.address.clone())
            .unwrap_or_default(),
        visit: line(&v),
        slots,
        open,
        token: acc::form_token(state, viewer).await?,
        error,
        notice,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// `GET /coordination/visites/{id}`: the request and the slots proposed.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    visit_page(&state, &viewer, &id, None, None).await
}

#[derive(Deserialize)]
pub struct SlotForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    choix: String,
}

/// `POST /coordination/visites/{id}`: slots the visit on the chosen proposal.
pub async fn schedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: super::Posted<SlotForm>,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let f = super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    // In scope, or "not found" (before anything is written).
    if !in_scope(&state, &viewer).await?.iter().any(|v| v.id == id) {
        return Err(WebError::NotFound(
            "cette visite n'existe pas ou ne relève pas de votre territoire".into(),
        ));
    }
    let Ok(choice) = f.choix.parse::<usize>() else {
        return visit_page(
            &state,
            &viewer,
            &id,
            Some("Choisissez un des créneaux proposés.".into()),
            None,
        )
        .await;
    };
    match dv::schedule(state.store.as_ref(), &id, choice, today()).await {
        Ok(slot) => {
            acc::store(&state)?
                .audit(
                    Some(viewer.account.id),
                    "visites",
                    &format!("{id} planifiée le {}", slot.date),
                )
                .await?;
            visit_page(&state, &viewer, &id, None, Some(format!("Visite planifiée le {} : la structure qui l'a demandée le voit dans son espace.", slot.date.format("%d/%m/%Y")))).await
        }
        Err(e) => visit_page(&state, &viewer, &id, Some(format!("{e:#}")), None).await,
    }
}
