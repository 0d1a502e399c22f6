//! Booking without JavaScript (issue 15): the next free slots on a place's page with a plain
//! form (`POST /lieux/{id}/reserver`), and the page the confirmation links to
//! (`/reservation/{jeton}`: the appointment, a button to cancel until 4 hours before, its
//! `.ics`). The same rules as the API, from `maillage_directory::appointments`; this module
//! only reads forms and fills templates.
//!
//! The cancel button needs no anti-forgery token of its own: the 256-bit token in the address
//! is the secret, and another site cannot know it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{Duration, NaiveDateTime, NaiveTime};
use maillage_directory::appointments::{self, BookResult, BookingError, CANCEL_AHEAD_HOURS};
use maillage_model::french::{time_fr, weekday_date_fr};
use maillage_store::{CancelOutcome, SlotQuery};
use serde::Deserialize;

use crate::error::WebError;
use crate::hours::now_paris;
use crate::layout::{render, Layout};
use crate::security::CSRF_COOKIE;
use crate::AppState;

impl From<BookingError> for WebError {
    fn from(e: BookingError) -> Self {
        match e {
            BookingError::Store(s) => s.into(),
            other => WebError::Unavailable(other.to_string()),
        }
    }
}

/// Days of slots offered on a place's page (the API lists up to 3 months).
const OFFER_DAYS: i64 = 14;
/// At most this many slots on the page, so it stays short on a phone.
const OFFER_MAX: usize = 24;

/// One slot a person can choose.
pub struct SlotChoice {
    pub id: String,
    /// "9 h 30 – 10 h"
    pub label: String,
    pub remaining: u32,
    pub checked: bool,
}

/// The slots of one day.
pub struct OfferDay {
    /// "mardi 8 décembre"
    pub day: String,
    pub slots: Vec<SlotChoice>,
}

/// The booking form of a place: its next free slots and what the person typed.
pub struct Offer {
    pub place_id: String,
    pub days: Vec<OfferDay>,
    pub error: Option<String>,
    pub nom: String,
    pub telephone: String,
    pub courriel: String,
    /// The anti-forgery token of the place page's forms.
    pub token: String,
}

/// The next free slots of a place, for its page; `None` when it publishes none (the page
/// then says nothing about booking).
pub async fn offer(
    state: &AppState,
    place_id: &str,
    token: &str,
    chosen: &str,
) -> Result<Option<Offer>, WebError> {
    let now = now_paris();
    let from = now + Duration::minutes(appointments::BOOK_AHEAD_MINUTES);
    let to = (now.date() + Duration::days(OFFER_DAYS)).and_time(NaiveTime::MIN);
    let slots = state
        .store
        .slots(&SlotQuery {
            place_id: Some(place_id.to_string()),
            from,
            to,
        })
        .await?;
    if slots.is_empty() {
        return Ok(None);
    }
    let mut days: Vec<OfferDay> = Vec::new();
    for s in slots.iter().filter(|s| s.remaining > 0).take(OFFER_MAX) {
        let day = weekday_date_fr(s.slot.start.date());
        let choice = SlotChoice {
            id: s.slot.id.clone(),
            label: format!(
                "{} – {}",
                time_fr(s.slot.start.time()),
                time_fr(s.slot.end.time())
            ),
            remaining: s.remaining,
            checked: s.slot.id == chosen,
        };
        match days.last_mut() {
            Some(d) if d.day == day => d.slots.push(choice),
            _ => days.push(OfferDay {
                day,
                slots: vec![choice],
            }),
        }
    }
    Ok(Some(Offer {
        place_id: place_id.to_string(),
        days,
        error: None,
        nom: String::new(),
        telephone: String::new(),
        courriel: String::new(),
        token: token.to_string(),
    }))
}

/// The page of `POST /lieux/{id}/reserver` when the booking did not go through: the form
/// again, with what was typed and what to change.
#[derive(Template)]
#[template(path = "booking_form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub place_name: String,
    pub offer: Offer,
}

/// A booking form as sent (the place page's and the agenda's): the slot, the person, the
/// anti-forgery token.
#[derive(Deserialize)]
pub struct BookForm {
    #[serde(default)]
    pub(crate) creneau: String,
    #[serde(default)]
    pub(crate) nom: String,
    #[serde(default)]
    pub(crate) telephone: String,
    #[serde(default)]
    pub(crate) courriel: String,
    #[serde(default)]
    pub(crate) jeton: String,
}

/// `POST /lieux/{id}/reserver`: books, then sends the person to their booking's page.
pub async fn book(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<BookForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(|_| {
        WebError::BadRequest(
            "le formulaire envoyé est illisible ; renvoyez-le depuis la page du lieu".into(),
        )
    })?;
    let cookie = crate::security::cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    if !state.security.check(&cookie, &form.jeton) {
        return Err(WebError::Forbidden);
    }
    let place =
        state.store.place(&id).await?.ok_or_else(|| {
            WebError::NotFound("ce lieu n'existe pas ou plus dans l'annuaire".into())
        })?;
    let checked = if form.creneau.trim().is_empty() {
        Err("choisissez un créneau dans la liste".to_string())
    } else {
        appointments::check_contact(Some(&form.nom), Some(&form.telephone), Some(&form.courriel))
    };
    let problem = match checked {
        Err(e) => e,
        Ok(contact) => {
            // A slot of another place is refused as unknown: the form only offers this one's.
            let slot = state.store.slot(&form.creneau).await?;
            let result = if slot.is_some_and(|s| s.slot.place_id == id) {
                appointments::book(
                    state.store.as_ref(),
                    state.sms.as_ref(),
                    &form.creneau,
                    &contact,
                    now_paris(),
                    &state.accounts.public_url,
                    None,
                )
                .await?
            } else {
                BookResult::NoSuchSlot
            };
            match result {
                BookResult::Booked { token, .. } => {
                    let to = format!("{}?reservee=1", appointments::booking_path(&token));
                    return Ok(Redirect::to(&to).into_response());
                }
                BookResult::Full => {
                    "ce créneau vient d'être complet ; choisissez-en un autre".into()
                }
                BookResult::TooLate => {
                    "ce créneau commence dans moins de 30 minutes ; choisissez-en un autre".into()
                }
                BookResult::NoSuchSlot => {
                    "ce créneau n'existe plus ; choisissez-en un autre dans la liste".into()
                }
            }
        }
    };
    let token = state.security.form_token(&cookie);
    let mut offer = offer(&state, &id, &token, &form.creneau)
        .await?
        .ok_or_else(|| {
            WebError::NotFound("ce lieu ne propose pas de rendez-vous en ligne".into())
        })?;
    offer.error = Some(capitalise(&problem));
    offer.nom = form.nom.chars().take(100).collect();
    offer.telephone = form.telephone.chars().take(30).collect();
    offer.courriel = form.courriel.chars().take(200).collect();
    let page = FormPage {
        layout: Layout::new(format!("Prendre rendez-vous : {}", place.place.nom), ""),
        place_name: place.place.nom,
        offer,
    };
    let status = if problem.contains("complet") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)?).into_response())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}

/// `/reservation/{jeton}`: the appointment as the person booked it.
#[derive(Template)]
#[template(path = "booking.html")]
pub struct BookingPage {
    pub layout: Layout,
    pub place_id: String,
    pub place_name: String,
    pub address: String,
    /// "le mardi 8 décembre 2026 à 9 h"
    pub when: String,
    pub cancelled: bool,
    /// Can still be cancelled from here.
    pub cancellable: bool,
    /// The last moment to cancel, in words ("au mardi 8 décembre 2026 à 5 h").
    pub limit: String,
    /// Just booked (the form redirected here): say so.
    pub just_booked: bool,
    /// Just cancelled from the button.
    pub just_cancelled: bool,
    pub self_path: String,
    pub ics_path: String,
    pub message: Option<String>,
}

async fn booking_page(
    state: &AppState,
    token: &str,
    just_booked: bool,
    just_cancelled: bool,
    message: Option<String>,
) -> Result<BookingPage, WebError> {
    let not_found = || {
        WebError::NotFound(
            "ce lien ne correspond à aucun rendez-vous : vérifiez qu'il est complet".into(),
        )
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let b = state
        .store
        .booked_slot(&appointments::token_key(token))
        .await?
        .ok_or_else(not_found)?;
    let now = now_paris();
    let (place_name, address) =
        appointments::place_of(state.store.as_ref(), &b.slot.place_id).await?;
    Ok(BookingPage {
        layout: Layout::new("Votre rendez-vous", ""),
        place_id: b.slot.place_id.clone(),
        place_name,
        address,
        when: appointments::when_fr(b.slot.start),
        cancelled: b.booking.status == "annulee",
        cancellable: appointments::cancellable(&b, now),
        limit: format!(
            "au {}",
            appointments::when_fr(b.slot.start - Duration::hours(CANCEL_AHEAD_HOURS))
                .trim_start_matches("le ")
        ),
        just_booked,
        just_cancelled,
        self_path: appointments::booking_path(token),
        ics_path: appointments::ics_path(token),
        message,
    })
}

/// `GET /reservation/{jeton}`.
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    query: axum::extract::RawQuery,
) -> Result<Response, WebError> {
    let just_booked = query.0.as_deref() == Some("reservee=1");
    let page = booking_page(&state, &token, just_booked, false, None).await?;
    let mut response = render(&page)?;
    // The address holds the secret: never sent to other sites, never cached.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /reservation/{jeton}/annuler`: the cancel button.
pub async fn cancel(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    // Unknown links get the page's own "not found" before anything is written.
    booking_page(&state, &token, false, false, None).await?;
    let outcome = appointments::cancel(state.store.as_ref(), &token, now_paris()).await?;
    let (status, done, message) = match outcome {
        CancelOutcome::Cancelled | CancelOutcome::AlreadyCancelled => (StatusCode::OK, true, None),
        CancelOutcome::TooLate => (
            StatusCode::CONFLICT,
            false,
            Some(format!(
                "Le rendez-vous commence dans moins de {CANCEL_AHEAD_HOURS} heures : il ne peut plus être annulé en ligne. Appelez le lieu pour le prévenir."
            )),
        ),
        CancelOutcome::NotFound => {
            return Err(WebError::NotFound(
                "ce lien ne correspond à aucun rendez-vous".into(),
            ))
        }
    };
    let page = booking_page(&state, &token, false, done, message).await?;
    Ok((status, render(&page)?).into_response())
}

/// `GET /reservation/{jeton}/rendez-vous.ics`: the appointment for the person's calendar.
pub async fn ics(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let key = appointments::token_key(&token);
    let b =
        state.store.booked_slot(&key).await?.ok_or_else(|| {
            WebError::NotFound("ce lien ne correspond à aucun rendez-vous".into())
        })?;
    let (place, address) = appointments::place_of(state.store.as_ref(), &b.slot.place_id).await?;
    let service = crate::identity::current().full_name();
    let body = appointments::appointment_ics(&b, &place, &address, &service, chrono::Utc::now());
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"rendez-vous.ics\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// The reminder job of `maillage serve`: every `every`, queues the reminders that are due
/// (exactly once; see `appointments::send_reminders`) and purges the personal data of old
/// bookings.
pub async fn reminder_job(state: AppState, every: std::time::Duration) {
    loop {
        let now: NaiveDateTime = now_paris();
        match appointments::send_reminders(state.store.as_ref(), state.sms.as_ref(), now).await {
            Ok(r) if r.emails + r.sms > 0 => {
                tracing::info!(courriels = r.emails, sms = r.sms, "rappels de rendez-vous")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(erreur = %e, "rappels de rendez-vous non envoyés"),
        }
        if let Err(e) = appointments::purge(state.store.as_ref(), now).await {
            tracing::warn!(erreur = %e, "purge des réservations impossible");
        }
        tokio::time::sleep(every).await;
    }
}
