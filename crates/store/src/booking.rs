//! Appointment booking (issue 15): the slots a place or a tour passage publishes and the
//! bookings people make without an account. Added by the booking helper; the SQL is in
//! `booking_imp.rs`, included by `imp.rs` in both backends; the tables come from the
//! `0500_booking.sql` migrations.
//!
//! The one rule that matters here is "no double booking": [`crate::Store::book`] counts and
//! inserts inside one write transaction that the database itself serialises per slot (a row
//! lock on the slot on PostgreSQL, an immediate transaction on SQLite), never a check followed
//! by a separate insert. Times are local times of the département (`NaiveDateTime`): a slot
//! "at 9:00" is at 9:00 on the wall clock of the place, whatever the season.
//!
//! `bookings` holds personal data (a name, a phone number or an email address): only what it
//! takes to call the person back, blanked by [`crate::Store::purge_bookings`] once the
//! appointment is past.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Where a slot comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotSource {
    /// Cut from the place's opening hours.
    OpeningHours,
    /// A passage of an itinerant service (the tour calendar).
    TourPassage,
}

impl SlotSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotSource::OpeningHours => "horaires",
            SlotSource::TourPassage => "passage",
        }
    }

    pub fn parse(s: &str) -> Option<SlotSource> {
        match s {
            "horaires" => Some(SlotSource::OpeningHours),
            "passage" => Some(SlotSource::TourPassage),
            _ => None,
        }
    }
}

/// One bookable slot. Its id is deterministic (chosen by whoever generates the slots), so
/// publishing the same slots twice updates them instead of duplicating them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub id: String,
    pub place_id: String,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub capacity: u32,
    pub source: SlotSource,
}

/// A slot with the number of places still free (capacity minus confirmed bookings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotAvailability {
    pub slot: Slot,
    pub remaining: u32,
}

/// Which slots to list: those of one place (or every place) starting in `[from, to)`.
#[derive(Debug, Clone)]
pub struct SlotQuery {
    pub place_id: Option<String>,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

/// A booking to make. At least one of `phone` and `email` is set (checked by the caller, who
/// also speaks to the person).
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub slot_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// SHA-256 (hex) of the cancellation token.
    pub token_hash: String,
    /// A slot starting before this time can no longer be booked (the booking window opens
    /// 30 minutes ahead).
    pub not_before: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// What became of a booking request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingOutcome {
    Booked,
    /// Every place of the slot is taken.
    Full,
    /// No slot has this id.
    NoSuchSlot,
    /// The slot starts too soon (or is past).
    TooLate,
}

/// What became of a cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    /// Already cancelled: cancelling twice is not an error for the person.
    AlreadyCancelled,
    /// The appointment starts sooner than the cancellation limit.
    TooLate,
    /// No booking has this token.
    NotFound,
}

/// A booking as stored, for the agents' agenda and the purge's tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookingRow {
    pub slot_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// `confirmee` or `annulee`.
    pub status: String,
    pub created_at: NaiveDateTime,
    pub cancelled_at: Option<NaiveDateTime>,
    pub purged: bool,
}

/// The text form of times in the booking tables (sortable as text on both backends).
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// What an agent noted after an appointment (migration 0700).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attendance {
    /// The person came.
    Seen,
    /// The person did not come and did not warn.
    NoShow,
    /// The person warned they could not come.
    Excused,
}

impl Attendance {
    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::Seen => "vu",
            Attendance::NoShow => "absent",
            Attendance::Excused => "excuse",
        }
    }

    pub fn parse(s: &str) -> Option<Attendance> {
        match s {
            "vu" => Some(Attendance::Seen),
            "absent" => Some(Attendance::NoShow),
            "excuse" => Some(Attendance::Excused),
            _ => None,
        }
    }
}

/// One booking with its slot: the cancellation page, the agents' agenda and the reminder
/// job all need both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookedSlot {
    /// The booking's key (the SHA-256 of its cancellation token): agents act on a booking by
    /// it without ever seeing the token.
    pub key: String,
    pub booking: BookingRow,
    pub slot: Slot,
    pub attendance: Option<Attendance>,
    pub reminded_at: Option<NaiveDateTime>,
    /// The account of the agent who booked for the person, if one did.
    pub booked_by: Option<i64>,
}

/// An email queued in the outbox together with the reminder's mark.
#[derive(Debug, Clone)]
pub struct QueuedEmail {
    pub to: String,
    pub subject: String,
    pub body: String,
}
