//! The booking API (issue 15): a person lists the free slots of a place, books one without an
//! account (a name and a phone number or an email address, nothing more) and cancels from the
//! link given back, until 4 hours before. Names are fixed by the shared architecture:
//! `GET /api/v1/creneaux`, `POST /api/v1/creneaux/{id}/reservations`, `DELETE` on the
//! cancellation link (`/api/v1/reservations/{jeton}`).
//!
//! Capacity is the store's job ([`maillage_store::Store::book`], enforced by the database):
//! this layer only checks the input and turns outcomes into statuses: 201 booked, 409 full
//! (or too late), 404 unknown slot, 422 input a person can fix, each with a French message in
//! the API's error shape. The cancellation token is random (256 bits from the kernel) and
//! only its SHA-256 is stored.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use maillage_store::{BookingOutcome, CancelOutcome, NewBooking, SlotAvailability, SlotQuery};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, WebError};
use crate::hours::now_paris;
use crate::AppState;

/// Bookings close this long before a slot starts (the booking window's near end).
const BOOK_AHEAD_MINUTES: i64 = 30;
/// A booking can be cancelled from its link until this long before the appointment.
const CANCEL_AHEAD_HOURS: i64 = 4;
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

/// What a person sends to book, checked.
struct Request {
    nom: String,
    telephone: Option<String>,
    courriel: Option<String>,
}

/// Reads and checks the JSON body; the error is the French message of a 422.
fn read_request(headers: &HeaderMap, body: &[u8]) -> Result<Request, String> {
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
    let text = |name: &str| -> Result<Option<String>, String> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => Err(format!("« {name} » doit être un texte")),
        }
    };
    let nom = text("nom")?.ok_or("indiquez un nom (« nom »)")?;
    if nom.chars().count() > 100 || nom.chars().any(char::is_control) {
        return Err("le nom doit tenir en 100 caractères, sans retour à la ligne".into());
    }
    let telephone = text("telephone")?;
    if let Some(t) = &telephone {
        let digits = t.chars().filter(char::is_ascii_digit).count();
        let allowed = t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '+' | '(' | ')'));
        if !allowed || !(10..=15).contains(&digits) {
            return Err(format!(
                "le numéro de téléphone « {t} » n'est pas valide (10 chiffres, par exemple 05 63 00 00 00)"
            ));
        }
    }
    let courriel = text("courriel")?;
    if let Some(c) = &courriel {
        let valid = c.len() <= 200
            && !c.chars().any(|ch| ch.is_whitespace() || ch.is_control())
            && c.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !domain.contains('@')
            });
        if !valid {
            return Err(format!(
                "l'adresse électronique « {c} » n'est pas valide (par exemple nom@exemple.fr)"
            ));
        }
    }
    if telephone.is_none() && courriel.is_none() {
        return Err(
            "indiquez un numéro de téléphone (« telephone ») ou une adresse électronique (« courriel ») pour être prévenu"
                .into(),
        );
    }
    Ok(Request {
        nom,
        telephone,
        courriel,
    })
}

/// A new cancellation token: 32 bytes from the kernel's generator, in hex.
fn new_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(hex::encode(bytes))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `POST /api/v1/creneaux/{id}/reservations`.
pub async fn book(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = match read_request(&headers, &body) {
        Ok(r) => r,
        Err(message) => return Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, &message)),
    };
    let token = new_token().map_err(|e| WebError::Unavailable(format!("jeton : {e}")))?;
    let now = now_paris();
    let outcome = state
        .store
        .book(&NewBooking {
            slot_id: id.clone(),
            name: request.nom,
            phone: request.telephone,
            email: request.courriel,
            token_hash: token_hash(&token),
            not_before: now + Duration::minutes(BOOK_AHEAD_MINUTES),
            created_at: now,
        })
        .await?;
    match outcome {
        BookingOutcome::Booked => {}
        BookingOutcome::Full => {
            return Ok(refuse(
                StatusCode::CONFLICT,
                "ce créneau est complet ; choisissez un autre créneau",
            ))
        }
        BookingOutcome::TooLate => {
            return Ok(refuse(
                StatusCode::CONFLICT,
                "ce créneau commence dans moins de 30 minutes ou est passé ; choisissez un autre créneau",
            ))
        }
        BookingOutcome::NoSuchSlot => {
            return Err(WebError::NotFound(format!("le créneau « {id} » n'existe pas")).into())
        }
    }
    // TODO(outbox): queue the confirmation (and the reminder 48 hours before) here, once the
    // email outbox table is merged; until then the person only gets this answer.
    let slot = state.store.slot(&id).await?;
    let link = format!("/api/v1/reservations/{token}");
    let body = json!({
        "creneau": slot.as_ref().map(slot_json),
        "lien_annulation": link,
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
    let now: NaiveDateTime = now_paris();
    let outcome = state
        .store
        .cancel_booking(
            &token_hash(&token),
            now + Duration::hours(CANCEL_AHEAD_HOURS),
            now,
        )
        .await?;
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
