//! `/espace/agenda`: the appointments of the places an agent is attached to (issue 15), today
//! and over the week, with a form to book for someone who calls or comes by, and one button
//! per outcome (seen, no-show, excused) on each appointment. Signed-in agents only; every
//! form carries the session's single-use token. The booking itself is the same use case as
//! the public form (`maillage_directory::appointments::book`), recorded with the agent's id.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use maillage_directory::appointments::{self, BookResult};
use maillage_model::french::{time_fr, weekday_date_fr};
use maillage_store::accounts::Role;
use maillage_store::{Attendance, SlotQuery};
use serde::Deserialize;

use crate::accounts::{self as acc, Viewer};
use crate::error::WebError;
use crate::hours::now_paris;
use crate::layout::{render, Layout};
use crate::pages::booking::BookForm;
use crate::AppState;

/// One appointment of the agenda.
pub struct Row {
    pub key: String,
    /// "9 h 30"
    pub time: String,
    pub place: String,
    pub name: String,
    pub contact: String,
    pub cancelled: bool,
    pub purged: bool,
    /// "Venu", "Absent", "Excusé" or empty.
    pub attendance: &'static str,
    pub by_agent: bool,
    pub token: String,
}

/// The appointments of one day.
pub struct Day {
    pub label: String,
    pub today: bool,
    pub rows: Vec<Row>,
}

/// A free slot the agent can book for someone.
pub struct FreeSlot {
    pub id: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "agenda.html")]
pub struct AgendaPage {
    pub layout: Layout,
    pub week_label: String,
    pub previous: String,
    pub next: String,
    pub days: Vec<Day>,
    pub total: usize,
    pub free: Vec<FreeSlot>,
    pub book_token: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub nom: String,
    pub telephone: String,
    pub courriel: String,
    pub no_places: bool,
}

#[derive(Deserialize, Default)]
pub struct AgendaQuery {
    #[serde(default)]
    semaine: Option<String>,
    #[serde(default)]
    fait: Option<String>,
}

/// The viewer if they may see an agenda (an agent, or an administrator); else the page to
/// show instead.
async fn agent(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Response> {
    let viewer = acc::require(state, headers).await?;
    if matches!(viewer.account.role, Role::Agent | Role::Admin) {
        Ok(viewer)
    } else {
        Err(WebError::NotFound(
            "l'agenda des rendez-vous est réservé aux agents des lieux qui prennent des rendez-vous"
                .into(),
        )
        .into_response())
    }
}

fn attendance_words(a: Option<Attendance>) -> &'static str {
    match a {
        Some(Attendance::Seen) => "Venu",
        Some(Attendance::NoShow) => "Absent",
        Some(Attendance::Excused) => "Excusé",
        None => "",
    }
}

struct Typed {
    error: Option<String>,
    nom: String,
    telephone: String,
    courriel: String,
}

async fn build(
    state: &AppState,
    viewer: &Viewer,
    monday: NaiveDate,
    notice: Option<String>,
    typed: Typed,
) -> Result<AgendaPage, WebError> {
    let places = &viewer.account.places;
    let mut names = std::collections::HashMap::new();
    for id in places {
        if let Some(p) = state.store.place(id).await? {
            names.insert(id.clone(), p.place.nom);
        }
    }
    let from = monday.and_time(NaiveTime::MIN);
    let to = from + Duration::days(7);
    let bookings = state.store.bookings_between(places, from, to).await?;
    let today = now_paris().date();
    let mut days: Vec<Day> = (0..7)
        .map(|i| {
            let d = monday + Duration::days(i);
            Day {
                label: weekday_date_fr(d),
                today: d == today,
                rows: Vec::new(),
            }
        })
        .collect();
    for b in &bookings {
        let i = (b.slot.start.date() - monday).num_days();
        let Some(day) = usize::try_from(i).ok().and_then(|i| days.get_mut(i)) else {
            continue;
        };
        let contact = [b.booking.phone.as_deref(), b.booking.email.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        day.rows.push(Row {
            key: b.key.clone(),
            time: time_fr(b.slot.start.time()),
            place: names
                .get(&b.slot.place_id)
                .cloned()
                .unwrap_or_else(|| b.slot.place_id.clone()),
            name: b.booking.name.clone(),
            contact,
            cancelled: b.booking.status == "annulee",
            purged: b.booking.purged,
            attendance: attendance_words(b.attendance),
            by_agent: b.booked_by.is_some(),
            token: acc::form_token(state, viewer).await?,
        });
    }
    // The next free slots of the agent's places, to book for someone (two weeks ahead).
    let now = now_paris();
    let mut free = Vec::new();
    for id in places {
        let slots = state
            .store
            .slots(&SlotQuery {
                place_id: Some(id.clone()),
                from: now + Duration::minutes(appointments::BOOK_AHEAD_MINUTES),
                to: now + Duration::days(14),
            })
            .await?;
        free.extend(
            slots
                .into_iter()
                .filter(|s| s.remaining > 0)
                .map(|s| FreeSlot {
                    label: format!(
                        "{} à {}, {} ({} place{} libre{})",
                        weekday_date_fr(s.slot.start.date()),
                        time_fr(s.slot.start.time()),
                        names.get(id).cloned().unwrap_or_else(|| id.clone()),
                        s.remaining,
                        if s.remaining > 1 { "s" } else { "" },
                        if s.remaining > 1 { "s" } else { "" },
                    ),
                    id: s.slot.id,
                }),
        );
    }
    free.truncate(60);
    Ok(AgendaPage {
        layout: Layout::new("Agenda des rendez-vous", ""),
        week_label: format!("Semaine du {}", weekday_date_fr(monday)),
        previous: (monday - Duration::days(7)).to_string(),
        next: (monday + Duration::days(7)).to_string(),
        total: bookings.len(),
        days,
        free,
        book_token: acc::form_token(state, viewer).await?,
        notice,
        error: typed.error,
        nom: typed.nom,
        telephone: typed.telephone,
        courriel: typed.courriel,
        no_places: places.is_empty(),
    })
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// `GET /espace/agenda[?semaine=AAAA-MM-JJ]`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AgendaQuery>,
) -> Result<Response, WebError> {
    let viewer = match agent(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let day = match q.semaine.as_deref().filter(|s| !s.is_empty()) {
        None => now_paris().date(),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            WebError::BadRequest(format!(
                "la semaine doit être une date AAAA-MM-JJ (reçu « {s} »)"
            ))
        })?,
    };
    let notice = match q.fait.as_deref() {
        Some("reserve") => Some("Le rendez-vous est réservé ; la personne est prévenue.".into()),
        Some("note") => Some("C'est noté.".into()),
        _ => None,
    };
    let typed = Typed {
        error: None,
        nom: String::new(),
        telephone: String::new(),
        courriel: String::new(),
    };
    render(&build(&state, &viewer, monday_of(day), notice, typed).await?)
}

#[derive(Deserialize)]
pub struct AttendanceForm {
    #[serde(default)]
    reservation: String,
    #[serde(default)]
    presence: String,
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    semaine: String,
}

/// `POST /espace/agenda/presence`: seen, no-show, excused (or `efface` to clear).
pub async fn attendance(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AttendanceForm>,
) -> Result<Response, WebError> {
    let viewer = match agent(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    acc::check_form_token(&state, &viewer, &form.jeton).await?;
    let value = match form.presence.as_str() {
        "efface" => None,
        other => Some(
            Attendance::parse(other)
                .ok_or_else(|| WebError::BadRequest("choisissez venu, absent ou excusé".into()))?,
        ),
    };
    // Only a booking of one of the agent's places.
    let b = state
        .store
        .booked_slot(&form.reservation)
        .await?
        .filter(|b| viewer.account.places.contains(&b.slot.place_id))
        .ok_or_else(|| WebError::NotFound("ce rendez-vous n'est pas dans votre agenda".into()))?;
    state.store.set_attendance(&b.key, value).await?;
    let week = NaiveDate::parse_from_str(&form.semaine, "%Y-%m-%d")
        .unwrap_or_else(|_| monday_of(b.slot.start.date()));
    Ok(acc::see_other(&format!(
        "/espace/agenda?semaine={week}&fait=note"
    )))
}

/// `POST /espace/agenda/reserver`: the agent books for someone.
pub async fn book(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<BookForm>,
) -> Result<Response, WebError> {
    let viewer = match agent(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    acc::check_form_token(&state, &viewer, &form.jeton).await?;
    let slot = state.store.slot(&form.creneau).await?;
    let problem = match slot.filter(|s| viewer.account.places.contains(&s.slot.place_id)) {
        None => "choisissez un créneau de la liste".to_string(),
        Some(s) => match appointments::check_contact(
            Some(&form.nom),
            Some(&form.telephone),
            Some(&form.courriel),
        ) {
            Err(e) => e,
            Ok(contact) => {
                match appointments::book(
                    state.store.as_ref(),
                    state.sms.as_ref(),
                    &s.slot.id,
                    &contact,
                    now_paris(),
                    &state.accounts.public_url,
                    Some(viewer.account.id),
                )
                .await?
                {
                    BookResult::Booked { .. } => {
                        let week = monday_of(s.slot.start.date());
                        return Ok(acc::see_other(&format!(
                            "/espace/agenda?semaine={week}&fait=reserve"
                        )));
                    }
                    BookResult::Full => "ce créneau vient d'être complet".into(),
                    BookResult::TooLate => "ce créneau commence dans moins de 30 minutes".into(),
                    BookResult::NoSuchSlot => "ce créneau n'existe plus".into(),
                }
            }
        },
    };
    let typed = Typed {
        error: Some(format!("{problem}.")),
        nom: form.nom.chars().take(100).collect(),
        telephone: form.telephone.chars().take(30).collect(),
        courriel: form.courriel.chars().take(200).collect(),
    };
    let page = build(&state, &viewer, monday_of(now_paris().date()), None, typed).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}
