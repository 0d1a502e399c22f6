//! Booking a slot, from the request to the reminder (issue 15): the one place that checks
//! what a person typed, books, queues the confirmation, sends the 48-hour reminder and
//! purges the personal data afterwards. The API, the no-JavaScript form and the agents'
//! agenda all call these functions, so a rule ("cancel until 4 hours before", "a phone or an
//! email") is written once; capacity itself is the store's (enforced by the database).
//!
//! Confirmations and reminders go to the email outbox when the person gave an address (the
//! outbox's worker sends them, retried), else by SMS through
//! [`maillage_notify::sms::SmsSender`]. The reminder is sent exactly once: the store marks
//! the booking reminded and queues the email in one transaction, conditional on it not being
//! marked yet (see [`maillage_store::Store::mark_reminded`]), so running the job twice, on two
//! servers or after a restart queues nothing more. An SMS has no outbox: it is sent after the
//! mark is committed, so a crash between the two loses that one SMS rather than sending it
//! twice.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use maillage_model::french::{time_fr, weekday_date_year_fr};
use maillage_notify::sms::SmsSender;
use maillage_store::{
    BookedSlot, BookingOutcome, CancelOutcome, NewBooking, QueuedEmail, SlotAvailability, Store,
    StoreError,
};
use sha2::{Digest, Sha256};

/// Bookings close this long before a slot starts (the booking window's near end).
pub const BOOK_AHEAD_MINUTES: i64 = 30;
/// A booking can be cancelled from its link until this long before the appointment.
pub const CANCEL_AHEAD_HOURS: i64 = 4;
/// The reminder leaves this long before the appointment.
pub const REMINDER_HOURS: i64 = 48;
/// The name and contact of a booking are erased this long after the appointment ended (the
/// time to settle a no-show or a complaint; the counts stay).
pub const PURGE_AFTER_DAYS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("jeton d'annulation impossible à tirer : {0}")]
    Token(#[from] std::io::Error),
}

/// What a person gives to book, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

fn filled(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Checks a name and a phone number or an email address; the error is a French sentence the
/// person can act on (the API and the form show it as is).
pub fn check_contact(
    name: Option<&str>,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<Contact, String> {
    let name = filled(name).ok_or("indiquez votre nom")?;
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("le nom doit tenir en 100 caractères, sans retour à la ligne".into());
    }
    let phone = filled(phone);
    if let Some(t) = &phone {
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
    let email = filled(email);
    if let Some(c) = &email {
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
    if phone.is_none() && email.is_none() {
        return Err(
            "indiquez un numéro de téléphone ou une adresse électronique pour être prévenu".into(),
        );
    }
    Ok(Contact { name, phone, email })
}

/// A new cancellation token: 32 bytes from the kernel's generator, in hex.
pub fn new_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// The key a booking is stored under: the SHA-256 of its token (a leaked database does not
/// let anyone cancel).
pub fn token_key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The page of a booking (shows it, cancels it), as a path of the site.
pub fn booking_path(token: &str) -> String {
    format!("/reservation/{token}")
}

/// The booking's calendar file, as a path of the site.
pub fn ics_path(token: &str) -> String {
    format!("/reservation/{token}/rendez-vous.ics")
}

/// What became of a booking request.
#[derive(Debug, Clone)]
pub enum BookResult {
    /// Booked: the token (only the person gets it) and the slot as it is now.
    Booked {
        token: String,
        slot: Option<SlotAvailability>,
    },
    Full,
    TooLate,
    NoSuchSlot,
}

/// Where and when, in words, for the messages and the pages.
pub fn when_fr(start: NaiveDateTime) -> String {
    format!(
        "le {} à {}",
        weekday_date_year_fr(start.date()),
        time_fr(start.time())
    )
}

async fn place_words(store: &dyn Store, place_id: &str) -> Result<(String, String), StoreError> {
    Ok(match store.place(place_id).await? {
        Some(p) => {
            let address = [
                p.place.adresse.trim(),
                &p.place.code_postal,
                &p.place.commune,
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
            (p.place.nom, address)
        }
        None => ("le lieu du rendez-vous".to_string(), String::new()),
    })
}

/// Books one place of `slot_id` for `contact` and sends the confirmation (email through the
/// outbox, else SMS). `public_url` starts the links in the messages; `booked_by` is the agent
/// who booked for the person, if one did.
pub async fn book(
    store: &dyn Store,
    sms: &dyn SmsSender,
    slot_id: &str,
    contact: &Contact,
    now: NaiveDateTime,
    public_url: &str,
    booked_by: Option<i64>,
) -> Result<BookResult, BookingError> {
    let token = new_token()?;
    let key = token_key(&token);
    let outcome = store
        .book(&NewBooking {
            slot_id: slot_id.to_string(),
            name: contact.name.clone(),
            phone: contact.phone.clone(),
            email: contact.email.clone(),
            token_hash: key.clone(),
            not_before: now + Duration::minutes(BOOK_AHEAD_MINUTES),
            created_at: now,
        })
        .await?;
    match outcome {
        BookingOutcome::Booked => {}
        BookingOutcome::Full => return Ok(BookResult::Full),
        BookingOutcome::TooLate => return Ok(BookResult::TooLate),
        BookingOutcome::NoSuchSlot => return Ok(BookResult::NoSuchSlot),
    }
    if let Some(agent) = booked_by {
        store.set_booked_by(&key, agent).await?;
    }
    let slot = store.slot(slot_id).await?;
    if let Some(s) = &slot {
        let (place, address) = place_words(store, &s.slot.place_id).await?;
        let base = public_url.trim_end_matches('/');
        let when = when_fr(s.slot.start);
        let limit = when_fr(s.slot.start - Duration::hours(CANCEL_AHEAD_HOURS));
        if let (Some(email), Some(accounts)) = (&contact.email, store.accounts()) {
            let body = format!(
                "Bonjour {name},\n\nVotre rendez-vous est réservé {when}, à {place}{at}.\n\n\
                 Pour l'ajouter à votre agenda : {base}{ics}\n\
                 Pour le voir ou l'annuler (jusqu'au {limit}) : {base}{page}\n\n\
                 Vous recevrez un rappel deux jours avant.\n",
                name = contact.name,
                at = if address.is_empty() {
                    String::new()
                } else {
                    format!(" ({address})")
                },
                ics = ics_path(&token),
                page = booking_path(&token),
                limit = limit.trim_start_matches("le "),
            );
            accounts
                .enqueue_email(email, &format!("Rendez-vous réservé {when}"), &body)
                .await?;
        } else if let Some(phone) = &contact.phone {
            let text = format!(
                "Rendez-vous réservé {when} à {place}. Pour l'annuler : {base}{}",
                booking_path(&token)
            );
            if let Err(e) = sms.send(phone, &text) {
                tracing::warn!(erreur = %e, "SMS de confirmation non envoyé");
            }
        }
    }
    Ok(BookResult::Booked { token, slot })
}

/// Cancels from the person's link, until [`CANCEL_AHEAD_HOURS`] before the appointment.
pub async fn cancel(
    store: &dyn Store,
    token: &str,
    now: NaiveDateTime,
) -> Result<CancelOutcome, StoreError> {
    store
        .cancel_booking(
            &token_key(token),
            now + Duration::hours(CANCEL_AHEAD_HOURS),
            now,
        )
        .await
}

/// Whether a booking can still be cancelled from its link at `now`.
pub fn cancellable(b: &BookedSlot, now: NaiveDateTime) -> bool {
    b.booking.status == "confirmee" && b.slot.start >= now + Duration::hours(CANCEL_AHEAD_HOURS)
}

/// What one run of the reminder job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReminderRound {
    pub emails: u32,
    pub sms: u32,
}

/// Queues the reminder of every confirmed booking starting within [`REMINDER_HOURS`] of
/// `now` that has not had one (see the module's note on "exactly once"). The reminder does
/// not repeat the cancellation link: only its hash is stored, so it points to the
/// confirmation and gives the place's phone instead.
pub async fn send_reminders(
    store: &dyn Store,
    sms: &dyn SmsSender,
    now: NaiveDateTime,
) -> Result<ReminderRound, StoreError> {
    let mut round = ReminderRound::default();
    let due = store
        .due_reminders(now, now + Duration::hours(REMINDER_HOURS))
        .await?;
    for b in due {
        let (place, address) = place_words(store, &b.slot.place_id).await?;
        let when = when_fr(b.slot.start);
        if let Some(email) = &b.booking.email {
            let body = format!(
                "Bonjour {name},\n\nRappel : vous avez rendez-vous {when}, à {place}{at}.\n\n\
                 Si vous ne pouvez pas venir, annulez avec le lien du courriel de confirmation \
                 (jusqu'à 4 heures avant), ou prévenez le lieu.\n",
                name = b.booking.name,
                at = if address.is_empty() {
                    String::new()
                } else {
                    format!(" ({address})")
                },
            );
            let mail = QueuedEmail {
                to: email.clone(),
                subject: format!("Rappel : rendez-vous {when}"),
                body,
            };
            if store.mark_reminded(&b.key, now, Some(&mail)).await? {
                round.emails += 1;
            }
        } else if let Some(phone) = &b.booking.phone {
            if store.mark_reminded(&b.key, now, None).await? {
                let text = format!("Rappel : rendez-vous {when} à {place}.");
                match sms.send(phone, &text) {
                    Ok(()) => round.sms += 1,
                    Err(e) => tracing::warn!(erreur = %e, "SMS de rappel non envoyé"),
                }
            }
        }
    }
    Ok(round)
}

/// Erases the name and contact of the bookings whose appointment ended more than
/// [`PURGE_AFTER_DAYS`] ago; the rows stay, so the counts (booked, seen, no-show) remain.
pub async fn purge(store: &dyn Store, now: NaiveDateTime) -> Result<u64, StoreError> {
    store
        .purge_bookings(now - Duration::days(PURGE_AFTER_DAYS), now)
        .await
}

fn utc_of(local: NaiveDateTime) -> DateTime<Utc> {
    // A wall-clock time that does not exist (the spring gap) or exists twice (autumn) takes
    // its earliest reading; a booking is never cut on those hours in practice.
    chrono_tz::Europe::Paris
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// The booking as an iCalendar file (RFC 5545, times in UTC so no VTIMEZONE is needed): what
/// the confirmation links to, for the person's own calendar.
pub fn appointment_ics(
    b: &BookedSlot,
    place: &str,
    address: &str,
    service: &str,
    now: DateTime<Utc>,
) -> String {
    use maillage_tours::publish::{fold, ical_text};
    let mut out = String::new();
    let utc = |t: NaiveDateTime| utc_of(t).format("%Y%m%dT%H%M%SZ").to_string();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//maillage//rendez-vous//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
    ] {
        fold(l, &mut out);
    }
    // The key is already a hash: it names the event without revealing the token.
    fold(
        &format!("UID:{}@maillage", &b.key[..b.key.len().min(32)]),
        &mut out,
    );
    fold(
        &format!("DTSTAMP:{}", now.format("%Y%m%dT%H%M%SZ")),
        &mut out,
    );
    fold(&format!("DTSTART:{}", utc(b.slot.start)), &mut out);
    fold(&format!("DTEND:{}", utc(b.slot.end)), &mut out);
    fold(
        &format!("SUMMARY:{}", ical_text(&format!("Rendez-vous : {place}"))),
        &mut out,
    );
    if !address.is_empty() {
        fold(&format!("LOCATION:{}", ical_text(address)), &mut out);
    }
    fold(
        &format!(
            "DESCRIPTION:{}",
            ical_text(&format!("Rendez-vous pris sur {service}."))
        ),
        &mut out,
    );
    let status = if b.booking.status == "annulee" {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    fold(&format!("STATUS:{status}"), &mut out);
    fold("END:VEVENT", &mut out);
    fold("END:VCALENDAR", &mut out);
    out
}

/// The place's name and address in words (for the pages and the calendar file).
pub async fn place_of(store: &dyn Store, place_id: &str) -> Result<(String, String), StoreError> {
    place_words(store, place_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_needs_a_name_and_a_way_to_reach_the_person() {
        assert_eq!(
            check_contact(Some(" Ada "), Some("05 63 00 00 00"), Some("")),
            Ok(Contact {
                name: "Ada".into(),
                phone: Some("05 63 00 00 00".into()),
                email: None
            })
        );
        let e = check_contact(Some(""), Some("05 63 00 00 00"), None).expect_err("no name");
        assert!(e.contains("nom"), "{e}");
        let e = check_contact(Some("Ada"), None, None).expect_err("no contact");
        assert!(e.contains("téléphone ou une adresse"), "{e}");
        let e = check_contact(Some("Ada"), Some("05 63"), None).expect_err("short");
        assert!(e.contains("« 05 63 »"), "{e}");
        let e = check_contact(Some("Ada"), None, Some("ada@")).expect_err("email");
        assert!(e.contains("nom@exemple.fr"), "{e}");
    }

    #[test]
    fn the_token_is_random_and_only_its_hash_names_the_booking() {
        let (a, b) = (new_token().expect("a"), new_token().expect("b"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_key(&a), token_key(&a));
        assert_ne!(token_key(&a), a);
    }

    #[test]
    fn winter_and_summer_appointments_are_converted_to_utc() {
        let winter = chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date");
        assert_eq!(utc_of(winter).format("%H:%M").to_string(), "08:00");
        let summer = chrono::NaiveDate::from_ymd_opt(2027, 7, 8)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date");
        assert_eq!(utc_of(summer).format("%H:%M").to_string(), "07:00");
    }
}
