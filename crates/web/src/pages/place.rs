//! `/lieux/{id}`: one place, every field in plain French, the week's hours, how to get there,
//! contact, accessibility, where the data comes from, and the "signaler une erreur" form whose
//! reports wait for moderation.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maillage_model::Place;
use serde::Deserialize;

use crate::error::WebError;
use crate::hours;
use crate::layout::{render, Layout};
use crate::pages::fmt_phone;
use crate::security::CSRF_COOKIE;
use crate::AppState;

/// One row of the week table.
pub struct DayRow {
    pub day: &'static str,
    pub text: String,
}

/// A labelled list of values ("Publics accueillis : Seniors, Jeunes").
pub struct Facet {
    pub label: &'static str,
    pub values: Vec<String>,
}

#[derive(Template)]
#[template(path = "place.html")]
pub struct PlacePage {
    /// No confirmation for 12 months: the page says the information may be out of date.
    stale: bool,
    pub layout: Layout,
    pub p: Place,
    pub typologies: Vec<String>,
    pub status: Option<hours::Status>,
    pub week: Vec<DayRow>,
    /// For an itinerant France Services: the next passages of the published calendar of its
    /// département, shown instead of office hours.
    pub passages: Vec<String>,
    /// Days of the next weeks when the place is closed against its usual week.
    pub closures: Vec<String>,
    /// Hours given as text that could not be read as OSM hours.
    pub raw_hours: Option<String>,
    pub telephone: Option<(String, String)>,
    pub facets: Vec<Facet>,
    pub route_url: Option<String>,
    pub osm_url: Option<String>,
    pub date_maj: Option<String>,
    pub sources: Vec<String>,
    pub updated_at: String,
    pub token: String,
    pub sent: bool,
    pub form_error: Option<String>,
    pub message: String,
    pub contact: String,
    pub message_max: usize,
    /// The next free slots and the booking form, when the place publishes slots.
    pub offer: Option<crate::pages::booking::Offer>,
}

pub const MESSAGE_MAX: usize = 2000;
pub const CONTACT_MAX: usize = 200;

fn french_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!(
        "{} {} {}",
        d.day(),
        maillage_model::french::month_fr(d.month()),
        d.year()
    )
}

fn week_rows(p: &Place) -> (Vec<DayRow>, Option<String>) {
    let Some(text) = p.horaires.as_deref().filter(|h| !h.trim().is_empty()) else {
        return (Vec::new(), None);
    };
    let Some(oh) = hours::parse(text) else {
        return (Vec::new(), Some(text.to_string()));
    };
    let table = hours::week_table(&oh);
    let rows = table
        .iter()
        .enumerate()
        .map(|(i, intervals)| DayRow {
            day: hours::DAYS[i],
            text: if intervals.is_empty() {
                "Fermé".to_string()
            } else {
                intervals
                    .iter()
                    .map(|(a, b)| format!("de {} à {}", hours::fmt_time(*a), hours::fmt_time(*b)))
                    .collect::<Vec<_>>()
                    .join(" et ")
            },
        })
        .collect();
    (rows, None)
}

fn facets(p: &Place) -> Vec<Facet> {
    fn labels<T: Copy>(v: &[T], f: fn(T) -> &'static str) -> Vec<String> {
        v.iter().map(|x| f(*x).to_string()).collect()
    }
    let mut out = vec![
        Facet {
            label: "Ce que propose le lieu",
            values: labels(&p.services, |s| s.label()),
        },
        Facet {
            label: "Comment y accéder",
            values: labels(&p.modalites_acces, |s| s.label()),
        },
        Facet {
            label: "Comment on vous aide",
            values: labels(&p.modalites_accompagnement, |s| s.label()),
        },
        Facet {
            label: "Ce que cela coûte",
            values: labels(&p.frais_a_charge, |s| s.label()),
        },
        Facet {
            label: "Publics accueillis en particulier",
            values: labels(&p.publics_specifiquement_adresses, |s| s.label()),
        },
        Facet {
            label: "Accompagnement adapté",
            values: labels(&p.prise_en_charge_specifique, |s| s.label()),
        },
        Facet {
            label: "Dispositifs nationaux",
            values: labels(&p.dispositif_programmes_nationaux, |s| s.label()),
        },
        Facet {
            label: "Formations et labels",
            values: labels(&p.formations_labels, |s| s.label())
                .into_iter()
                .chain(p.autres_formations_labels.iter().cloned())
                .collect(),
        },
        Facet {
            label: "Lieu fixe ou itinérant",
            values: labels(&p.itinerance, |s| s.label()),
        },
    ];
    out.retain(|f| !f.values.is_empty());
    out
}

async fn build(state: &AppState, id: &str, token: String) -> Result<PlacePage, WebError> {
    let stored =
        state.store.place(id).await?.ok_or_else(|| {
            WebError::NotFound("ce lieu n'existe pas ou plus dans l'annuaire".into())
        })?;
    let p = stored.place;
    let now = hours::now_paris();
    let parsed = p.horaires.as_deref().and_then(hours::parse);
    let status = parsed.as_ref().and_then(|oh| hours::status(oh, now));
    let closures = parsed
        .as_ref()
        .map(|oh| hours::exceptional_closures(oh, now.date(), 45))
        .unwrap_or_default();
    let (week, raw_hours) = week_rows(&p);
    let passages = match (state.tours(), p.departement()) {
        (Some(tours), Some(dep)) if p.is_itinerant() => {
            tours.next_in_departement(dep, now.date(), 6)
        }
        _ => Vec::new(),
    };
    let route_url = p.position.map(|pos| {
        format!(
            "https://www.openstreetmap.org/directions?to={:.6}%2C{:.6}",
            pos.lat, pos.lon
        )
    });
    let osm_url = p.position.map(|pos| {
        format!(
            "https://www.openstreetmap.org/?mlat={:.6}&mlon={:.6}#map=17/{:.6}/{:.6}",
            pos.lat, pos.lon, pos.lat, pos.lon
        )
    });
    let mut sources: Vec<String> = stored
        .records
        .iter()
        .map(|r| crate::display::source(&r.source.source))
        .collect();
    sources.sort();
    sources.dedup();
    let stale = crate::pages::freshness::is_stale(state, &p.id, p.date_maj).await;
    let offer = crate::pages::booking::offer(state, &p.id, &token, "").await?;
    Ok(PlacePage {
        offer,
        stale,
        layout: Layout::new(p.nom.clone(), ""),
        typologies: p
            .typologie
            .iter()
            .map(|t| maillage_model::typologie_label(t).unwrap_or(t).to_string())
            .collect(),
        status,
        closures,
        week,
        passages,
        raw_hours,
        telephone: p.telephone.as_ref().map(|t| (t.clone(), fmt_phone(t))),
        facets: facets(&p),
        route_url,
        osm_url,
        date_maj: p.date_maj.map(french_date),
        sources,
        updated_at: french_date(stored.updated_at.date_naive()),
        token,
        sent: false,
        form_error: None,
        message: String::new(),
        contact: String::new(),
        message_max: MESSAGE_MAX,
        p,
    })
}

/// Gives the visitor an anti-forgery cookie if they have none; returns its value and whether
/// it must be set.
pub(crate) fn csrf_cookie(state: &AppState, headers: &HeaderMap) -> (String, bool) {
    match crate::security::cookie(headers, CSRF_COOKIE).filter(|c| c.len() == 32) {
        Some(c) => (c, false),
        None => (state.security.new_cookie_value(), true),
    }
}

pub(crate) fn with_cookie(mut response: Response, value: &str, set: bool) -> Response {
    if set {
        let cookie =
            format!("{CSRF_COOKIE}={value}; Path=/lieux; HttpOnly; SameSite=Strict; Max-Age=86400");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    response
}

/// `GET /lieux/{id}`.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (cookie, set) = csrf_cookie(&state, &headers);
    let page = build(&state, &id, state.security.form_token(&cookie)).await?;
    Ok(with_cookie(render(&page)?, &cookie, set))
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    jeton: String,
}

/// `POST /lieux/{id}/signaler`: an error report, kept for moderation.
pub async fn report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
    form: Result<Form<ReportForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(|_| {
        WebError::BadRequest(
            "le formulaire envoyé est illisible ; renvoyez-le depuis la page du lieu".into(),
        )
    })?;
    let headers = &parts.headers;
    let cookie = crate::security::cookie(headers, CSRF_COOKIE).unwrap_or_default();
    if !state.security.check(&cookie, &form.jeton) {
        return Err(WebError::Forbidden);
    }
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    let message = form.message.trim().to_string();
    let contact = form.contact.trim().to_string();
    let problem = if message.chars().count() < 5 {
        Some("Décrivez l'erreur en quelques mots (5 caractères au moins).".to_string())
    } else if message.chars().count() > MESSAGE_MAX {
        Some(format!(
            "Le message est trop long : {MESSAGE_MAX} caractères au plus."
        ))
    } else if contact.chars().count() > CONTACT_MAX {
        Some(format!(
            "Le contact est trop long : {CONTACT_MAX} caractères au plus."
        ))
    } else {
        None
    };
    let mut page = build(&state, &id, state.security.form_token(&cookie)).await?;
    if let Some(problem) = problem {
        page.form_error = Some(problem);
        page.message = message.chars().take(MESSAGE_MAX).collect();
        page.contact = contact.chars().take(CONTACT_MAX).collect();
        let mut response = render(&page)?;
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    if !state.security.allow_report(ip) {
        return Err(WebError::TooManyRequests);
    }
    crate::reports::save(&state, &page.p.id, &message, &contact).await?;
    page.sent = true;
    Ok(render(&page)?.into_response())
}
