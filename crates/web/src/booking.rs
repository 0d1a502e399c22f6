//! The booking API (issue 15): a person lists the free slots of a place, books one without an
//! account (a name and a phone number or an email address, nothing more) and cancels from the
//! link given back, until 4 hours before. Names are fixed by the shared architecture:
//! `GET /api/v1/creneaux`, `POST /api/v1/creneaux/{id}/reservations`, `DELETE` on the
//! cancellation link (`/api/v1/reservations/{jeton}`).
//!
//! Capacity is the store's job ([`maillage_store::Store::book`], enforced by the database):
//! this layer only checks the input and turns outcomes into statuses: 201 booked, 409 full
//! (or too late), 404 unknown slot, 422 input a person can fix, each with a French message in
//! the API's error shape. The rules (input, token, confirmation) are the directory's
//! [`appointments`], shared with the no-JavaScript form of `pages::booking`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, NaiveDate};
use maillage_directory::appointments::{
    self, BookResult, Contact, BOOK_AHEAD_MINUTES, CANCEL_AHEAD_HOURS,
};
use maillage_store::{CancelOutcome, SlotAvailability, SlotQuery};
use serde_json::{json, Value};

use crate::error::{ApiError, WebError};
use crate::hours::now_paris;
use crate::AppState;

/// The longest period one listing covers (the booking window is 3 months).
const MAX_DAYS: i64 = 92;
/// Days listed when `au` is not given.
const DEFAULT_DAYS: i64 = 7;

/// The API's error shape with any status (409 and 422 are this module's own).
fn refuse(status: StatusCode, message: &str) -> Response {
    let body = json!({ "erreur": { "statut": status.as_u16(), "message": message } });
    (status, Json(body)).into_response()
}

fn slot_json(s: &SlotAvailability) -> Value {
    json!({
        "id": s.slot.id,
        "lieu": s.slot.place_id,
        "debut": s.slot.start.format("%Y-%m-%dT%H:%M").to_string(),
        "fin": s.slot.end.format("%Y-%m-%dT%H:%M").to_string(),
        "capacite": s.slot.capacity,
        "places_restantes": s.remaining,
    })
}

fn date_param(name: &str, value: &str) -> Result<NaiveDate, WebError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        WebError::BadRequest(format!(
            "le paramètre « {name} » doit être une date AAAA-MM-JJ (reçu « {value} »)"
        ))
    })
}

/// `GET /api/v1/creneaux?lieu=ID&du=DATE&au=DATE`: the slots still bookable (starting at
/// least 30 minutes from now) of one place, or of every place, from `du` (today by default)
/// to `au` included (a week later by default).
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (mut lieu, mut du, mut au) = (None, None, None);
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "lieu" if !v.trim().is_empty() => lieu = Some(v.trim().to_string()),
            "du" => du = Some(date_param("du", &v)?),
            "au" => au = Some(date_param("au", &v)?),
            _ => {}
        }
    }
    let now = now_paris();
    let du = du.unwrap_or(now.date());
    let au = au.unwrap_or(du + Duration::days(DEFAULT_DAYS));
    if au < du {
        return Err(WebError::BadRequest(
            "« au » doit être le même jour que « du » ou après".into(),
        )
        .into());
    }
    if (au - du).num_days() > MAX_DAYS {
        return Err(WebError::BadRequest(format!(
            "la période demandée dépasse {MAX_DAYS} jours ; réduisez l'écart entre « du » et « au »"
        ))
        .into());
    }
    if let Some(id) = &lieu {
        if state.store.place(id).await?.is_none() {
            return Err(
                WebError::NotFound(format!("le lieu « {id} » n'existe pas ou plus")).into(),
            );
        }
    }
    let from = du.and_time(chrono::NaiveTime::MIN);
    let from = from.max(now + Duration::minutes(BOOK_AHEAD_MINUTES));
    let to = (au + Duration::days(1)).and_time(chrono::NaiveTime::MIN);
    let slots = state
        .store
        .slots(&SlotQuery {
            place_id: lieu,
            from,
            to,
        })
        .await?;
    let list: Vec<Value> = slots.iter().map(slot_json).collect();
    Ok(Json(json!({ "creneaux": list })).into_response())
}

/// Reads the JSON body and checks it with the booking's own rules
/// ([`appointments::check_contact`]); the error is the French message of a 422.
fn read_request(headers: &HeaderMap, body: &[u8]) -> Result<Contact, String> {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json_type {
        return Err("envoyez la demande en JSON (en-tête Content-Type: application/json)".into());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| "la demande n'est pas un objet JSON lisible".to_string())?;
    let Some(obj) = value.as_object() else {
        return Err("la demande doit être un objet JSON (nom, telephone ou courriel)".into());
    };
    let text = |name: &str| -> Result<Option<&str>, String> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("« {name} » doit être un texte")),
        }
    };
    appointments::check_contact(text("nom")?, text("telephone")?, text("courriel")?)
        .map_err(|e| format!("{e} (champs « nom », « telephone », « courriel »)"))
}

/// `POST /api/v1/creneaux/{id}/reservations`.
pub async fn book(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let contact = match read_request(&headers, &body) {
        Ok(r) => r,
        Err(message) => return Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, &message)),
    };
    let result = appointments::book(
        state.store.as_ref(),
        state.sms.as_ref(),
        &id,
        &contact,
        now_paris(),
        &state.accounts.public_url,
        None,
    )
    .await
    .map_err(WebError::from)?;
    let (token, slot) = match result {
        BookResult::Booked { token, slot } => (token, slot),
        BookResult::Full => {
            return Ok(refuse(
                StatusCode::CONFLICT,
                "ce créneau est complet ; choisissez un autre créneau",
            ))
        }
        BookResult::TooLate => {
            return Ok(refuse(
                StatusCode::CONFLICT,
                "ce créneau commence dans moins de 30 minutes ou est passé ; choisissez un autre créneau",
            ))
        }
        BookResult::NoSuchSlot => {
            return Err(WebError::NotFound(format!("le créneau « {id} » n'existe pas")).into())
        }
    };
    let link = format!("/api/v1/reservations/{token}");
    let body = json!({
        "creneau": slot.as_ref().map(slot_json),
        "lien_annulation": link,
        "page": appointments::booking_path(&token),
        "agenda_ics": appointments::ics_path(&token),
        "annulable_jusqu_a": slot.map(|s| (s.slot.start - Duration::hours(CANCEL_AHEAD_HOURS))
            .format("%Y-%m-%dT%H:%M").to_string()),
    });
    Ok((StatusCode::CREATED, [(header::LOCATION, link)], Json(body)).into_response())
}

/// `DELETE /api/v1/reservations/{jeton}`: cancels, until 4 hours before the appointment.
pub async fn cancel(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let outcome = appointments::cancel(state.store.as_ref(), &token, now_paris()).await?;
    match outcome {
        CancelOutcome::Cancelled | CancelOutcome::AlreadyCancelled => {
            Ok(Json(json!({ "statut": "annulee" })).into_response())
        }
        CancelOutcome::TooLate => Ok(refuse(
            StatusCode::CONFLICT,
            "le rendez-vous commence dans moins de 4 heures : il ne peut plus être annulé en ligne ; appelez le lieu",
        )),
        CancelOutcome::NotFound => Err(WebError::NotFound(
            "ce lien d'annulation ne correspond à aucune réservation".into(),
        )
        .into()),
    }
}
