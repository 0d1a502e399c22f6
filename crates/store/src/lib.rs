//! The store: where places, their sources, merge decisions and the territory referential live.
//!
//! [`Store`] is the one interface the rest of maillage uses. Two implementations share the
//! same SQL text where possible: SQLite (embedded default, one file) and PostgreSQL (server
//! option). Migrations are applied when a store is opened. Every write of one import happens in
//! one transaction: a failed import leaves the database as it was.
//!
//! The store never decides *what* to merge: the import pipeline (de-duplication in
//! `maillage-standard`) hands it an [`ImportPlan`]; the store applies it, keeps every source id,
//! the provenance of every field, and the operators' split decisions so that the next import
//! respects them.

pub mod accounts;
mod backend;
pub mod booking;
pub mod coordination;
mod ids;
mod open;
pub mod reports;
#[doc(hidden)]
pub mod testing;
pub mod tours;
pub mod visits;

pub use booking::{
    Attendance, BookedSlot, BookingOutcome, BookingRow, CancelOutcome, NewBooking, QueuedEmail,
    Slot, SlotAvailability, SlotQuery, SlotSource,
};
pub use open::open;
pub use reports::{NewPlaceReport, PlaceReport};
pub use tours::{
    NewTourPublication, TourEventRow, TourInput, TourInputChange, TourPlanRow, TourPublication,
    TourRow,
};
pub use visits::HomeVisitRow;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maillage_model::{Commune, Epci, Place, SourceRef};
/// The provenance types live in `maillage_model` (one home); re-exported for the store's users.
pub use maillage_model::{FieldProvenance, KeepApart, SourceRecord};
use serde::{Deserialize, Serialize};

/// Errors of the store, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "adresse de base de données non reconnue : « {0} » (attendu sqlite:CHEMIN ou postgres://…)"
    )]
    BadUrl(String),
    #[error("impossible d'ouvrir la base de données : {0}")]
    Open(String),
    #[error("erreur de la base de données : {0}")]
    Database(String),
    #[error("lieu introuvable : {0}")]
    NotFound(String),
    /// The request contradicts what is stored (a split of a place with one source, an import
    /// plan that puts together records an operator decided to keep apart…).
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn no_coordination() -> StoreError {
    StoreError::Database("ce stockage ne garde pas les imports de la coordination".into())
}

fn no_tours() -> StoreError {
    StoreError::Database("ce stockage ne garde pas les tournées".into())
}

/// Which database is behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A place as stored: the merged values plus where they came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPlace {
    pub place: Place,
    /// Every source record merged into this place, as it was read (never lost, even after a
    /// merge): the place is re-merged from these when one of them changes.
    pub records: Vec<SourceRecord>,
    /// For each field of the standard that has a value: which source gave it, and the date of
    /// that value.
    pub provenance: Vec<FieldProvenance>,
    /// Why the records were grouped, when there is more than one source.
    pub merge_reasons: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

/// What the pipeline asks the store to do for one import, applied in one transaction.
///
/// How each planned place finds its stored place: a non-empty `place.id` (or a former id kept
/// as an alias) updates that place, and an unknown non-empty id creates a place with that id;
/// an empty id updates the place that already holds one of its source records, or creates a
/// new place with a stable id (`lieu-` and 12 hex digits of a hash of its first source record).
/// Source records are never lost: an update adds the planned records to the stored ones, and
/// an existing place that holds one of the planned records is absorbed (merged) like the ids
/// in `absorbs`. A planned place whose values and records equal the stored ones is counted
/// `unchanged` and not written at all, so importing the same file twice changes nothing. A plan that would put together two records kept apart by an operator is
/// refused ([`StoreError::Conflict`]).
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// Source name and file description, recorded in the import log.
    pub source: String,
    pub file: String,
    /// Places to create or update, each with all the source records that make it up.
    pub places: Vec<PlannedPlace>,
    /// Count of rejected rows (their report is written by the caller), for the import log.
    pub rejected: u64,
}

/// One place to write: its merged values, the source records behind it and the reasons.
#[derive(Debug, Clone, Default)]
pub struct PlannedPlace {
    /// Empty id for a new place; the store assigns a stable id. An existing id updates that
    /// place.
    pub place: Place,
    /// All the source records of the place. The store adds the new ones and updates the
    /// known ones; a stored record missing from this list stays with the place (a source
    /// record is never lost; only [`Store::split`] moves one out).
    pub records: Vec<SourceRecord>,
    pub provenance: Vec<FieldProvenance>,
    pub merge_reasons: Vec<String>,
    /// Ids of existing places absorbed into this one (their source refs move here; the old ids
    /// are kept as aliases so links keep working).
    pub absorbs: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub created: u64,
    pub updated: u64,
    /// Unchanged places (same values as stored): importing twice gives only these.
    pub unchanged: u64,
    pub merged: u64,
    pub rejected: u64,
}

/// A filter on places, used by exports and the API. Every condition set must hold.
#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
    pub departement: Option<String>,
    pub code_insee: Option<String>,
    pub code_postal: Option<String>,
    /// Only itinerant places (`Some(true)`) or only fixed ones (`Some(false)`).
    pub itinerant: Option<bool>,
    /// Words searched in the name, commune and address, ignoring case and accents; every
    /// word must appear.
    pub text: Option<String>,
    /// Only places with a position inside `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// Pagination: at most `limit` places (all when `None`), after skipping `offset`, in id
    /// order.
    pub limit: Option<u64>,
    pub offset: u64,
}

/// One line of the import log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub source: String,
    pub file: String,
    pub imported_at: DateTime<Utc>,
    pub outcome: ImportOutcome,
}

/// The storage interface. See the crate documentation.
#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;

    /// Applies an import plan in one transaction.
    async fn apply_import(&self, plan: ImportPlan) -> Result<ImportOutcome>;

    /// One place by id (or by a former id absorbed in a merge).
    async fn place(&self, id: &str) -> Result<Option<StoredPlace>>;

    /// All places matching a filter, ordered by id.
    async fn places(&self, filter: &PlaceFilter) -> Result<Vec<StoredPlace>>;

    async fn count_places(&self) -> Result<u64>;

    /// How many places match a filter (its `limit` and `offset` are ignored), for pagination.
    async fn count_matching(&self, filter: &PlaceFilter) -> Result<u64>;

    /// The id of the place that holds this source record, if any: how the import pipeline
    /// finds the stored counterpart of an incoming record.
    async fn place_id_for_source(&self, source: &SourceRef) -> Result<Option<String>>;

    /// The import log, most recent first.
    async fn imports(&self, limit: u64) -> Result<Vec<ImportRecord>>;

    /// Splits one source record out of a merged place into a place of its own, and records
    /// that it must be kept apart from the other records of that place on future imports.
    /// Returns the new place's id.
    async fn split(&self, place_id: &str, source: &SourceRef, reason: &str) -> Result<String>;

    /// Every keep-apart decision, for the de-duplication of the next import.
    async fn keep_apart(&self) -> Result<Vec<KeepApart>>;

    /// Replaces the territory referential (communes and EPCI) in one transaction.
    async fn replace_territory(&self, communes: &[Commune], epcis: &[Epci]) -> Result<()>;

    async fn communes(&self, departement: Option<&str>) -> Result<Vec<Commune>>;

    async fn epcis(&self) -> Result<Vec<Epci>>;

    /// Saves an error report sent from the public site, for moderation; returns its id.
    /// (Added by the web helper; see [`reports`].)
    async fn add_report(&self, report: &NewPlaceReport) -> Result<i64> {
        let _ = report;
        Err(StoreError::Database(
            "ce stockage ne garde pas les signalements".into(),
        ))
    }

    /// Error reports, oldest first; only those waiting for moderation when `pending_only`.
    async fn reports(&self, pending_only: bool) -> Result<Vec<PlaceReport>> {
        let _ = pending_only;
        Ok(Vec::new())
    }

    /// Creates or replaces a home visit (added by the tours helper; see [`visits`]).
    async fn save_home_visit(&self, row: &HomeVisitRow) -> Result<()> {
        let _ = row;
        Err(StoreError::Database(
            "ce stockage ne garde pas les visites à domicile".into(),
        ))
    }

    /// Every home visit, by id.
    async fn home_visits(&self) -> Result<Vec<HomeVisitRow>> {
        Ok(Vec::new())
    }

    /// Accounts, sessions, outbox, moderation and freshness (the living directory; see
    /// [`accounts`]); `None` for a store that does not keep them.
    fn accounts(&self) -> Option<&dyn accounts::AccountStore> {
        None
    }

    /// Replaces the parts of the tours' input that `change` gives, in one transaction (see
    /// [`tours`]).
    async fn replace_tour_input(&self, change: &TourInputChange) -> Result<()> {
        let _ = change;
        Err(no_tours())
    }

    /// Adds events not already stored (same kind and key); returns how many were new.
    async fn add_tour_events(&self, events: &[TourEventRow]) -> Result<u64> {
        let _ = events;
        Err(no_tours())
    }

    /// The tours' input, sites and vehicles by id, events by kind and key.
    async fn tour_input(&self) -> Result<TourInput> {
        Ok(TourInput::default())
    }

    /// Replaces the proposed plan.
    async fn save_tour_plan(&self, row: &TourPlanRow) -> Result<()> {
        let _ = row;
        Err(no_tours())
    }

    async fn tour_plan(&self) -> Result<Option<TourPlanRow>> {
        Ok(None)
    }

    /// Adds the next calendar version and returns its number; a
    /// [`StoreError::Conflict`] when the latest version is not `expected_previous` (another
    /// coordinator published meanwhile). Previous versions are kept.
    async fn publish_tours(&self, publication: &NewTourPublication) -> Result<i64> {
        let _ = publication;
        Err(no_tours())
    }

    /// A published version, or the latest one when `version` is `None`.
    async fn tour_publication(&self, version: Option<i64>) -> Result<Option<TourPublication>> {
        let _ = version;
        Ok(None)
    }

    /// Every published version, oldest first.
    async fn tour_publications(&self) -> Result<Vec<TourPublication>> {
        Ok(Vec::new())
    }

    /// The number of the latest published version (cheap: for change detection).
    async fn latest_tour_version(&self) -> Result<Option<i64>> {
        Ok(None)
    }

    // Appointment booking (added by the booking helper; see [`booking`]).

    /// Creates or updates slots by id (publishing the same slots twice changes nothing).
    async fn save_slots(&self, slots: &[Slot]) -> Result<u64> {
        let _ = slots;
        Err(StoreError::Database(
            "ce stockage ne garde pas les créneaux".into(),
        ))
    }

    /// The slots of a query, by start time, with the places still free.
    async fn slots(&self, query: &SlotQuery) -> Result<Vec<SlotAvailability>> {
        let _ = query;
        Ok(Vec::new())
    }

    async fn slot(&self, id: &str) -> Result<Option<SlotAvailability>> {
        let _ = id;
        Ok(None)
    }

    /// Books one place of a slot. Capacity is enforced by the database in one transaction
    /// (see [`booking`]): of concurrent requests for the last place, exactly one is `Booked`.
    async fn book(&self, booking: &NewBooking) -> Result<BookingOutcome> {
        let _ = booking;
        Err(StoreError::Database(
            "ce stockage ne prend pas de réservations".into(),
        ))
    }

    /// Cancels the booking whose token hashes to `token_hash`, if its slot starts at or
    /// after `limit`.
    async fn cancel_booking(
        &self,
        token_hash: &str,
        limit: chrono::NaiveDateTime,
        now: chrono::NaiveDateTime,
    ) -> Result<CancelOutcome> {
        let _ = (token_hash, limit, now);
        Ok(CancelOutcome::NotFound)
    }

    /// Blanks the personal data (name, phone, email) of every booking whose slot ended
    /// before `ended_before`; returns how many bookings were purged.
    async fn purge_bookings(
        &self,
        ended_before: chrono::NaiveDateTime,
        now: chrono::NaiveDateTime,
    ) -> Result<u64> {
        let _ = (ended_before, now);
        Ok(0)
    }

    // The coordinator's space (issue 14; see [`coordination`]).

    /// Records a file uploaded for an import (status [`coordination::RUN_STAGED`]).
    async fn add_import_run(&self, run: &coordination::NewImportRun) -> Result<i64> {
        let _ = run;
        Err(no_coordination())
    }

    async fn import_run(&self, id: i64) -> Result<Option<coordination::ImportRun>> {
        let _ = id;
        Ok(None)
    }

    /// The uploaded files, most recent first.
    async fn import_runs(&self, limit: u64) -> Result<Vec<coordination::ImportRun>> {
        let _ = limit;
        Ok(Vec::new())
    }

    /// Moves a run from status `from` to `to`; `false` when it was not in `from` (another
    /// request took it first): how one apply wins over a double click.
    async fn set_import_run_status(&self, id: i64, from: &str, to: &str) -> Result<bool> {
        let _ = (id, from, to);
        Err(no_coordination())
    }

    /// Marks a run applied with what the import did.
    async fn finish_import_run(&self, id: i64, outcome: &ImportOutcome) -> Result<()> {
        let _ = (id, outcome);
        Err(no_coordination())
    }

    /// Changes an account's role and territory; `false` when the account does not exist.
    async fn set_account_access(
        &self,
        account_id: i64,
        role: accounts::Role,
        territory: Option<&str>,
    ) -> Result<bool> {
        let _ = (account_id, role, territory);
        Err(no_coordination())
    }

    /// Sets the status of an error report (`traite` once a coordinator handled it); `false`
    /// when there is no such report.
    async fn set_report_status(&self, id: i64, status: &str) -> Result<bool> {
        let _ = (id, status);
        Err(no_coordination())
    }

    /// The bookings of one slot (the agents' agenda), oldest first.
    async fn bookings_of_slot(&self, slot_id: &str) -> Result<Vec<BookingRow>> {
        let _ = slot_id;
        Ok(Vec::new())
    }

    // Booking follow-up (migration 0700: reminders, the agents' agenda; see [`booking`]).

    /// The booking whose key (hash of its cancellation token) is `key`, with its slot.
    async fn booked_slot(&self, key: &str) -> Result<Option<BookedSlot>> {
        let _ = key;
        Ok(None)
    }

    /// Every booking (confirmed or cancelled) of the slots of these places starting in
    /// `[from, to)`, by start time: the agents' agenda.
    async fn bookings_between(
        &self,
        place_ids: &[String],
        from: chrono::NaiveDateTime,
        to: chrono::NaiveDateTime,
    ) -> Result<Vec<BookedSlot>> {
        let _ = (place_ids, from, to);
        Ok(Vec::new())
    }

    /// Notes (or clears) what became of an appointment; `false` when no booking has this key.
    async fn set_attendance(&self, key: &str, attendance: Option<Attendance>) -> Result<bool> {
        let _ = (key, attendance);
        Ok(false)
    }

    /// Records who booked for the person (an agent's account).
    async fn set_booked_by(&self, key: &str, account_id: i64) -> Result<()> {
        let _ = (key, account_id);
        Ok(())
    }

    /// Confirmed, not purged, not yet reminded bookings whose slot starts in `(now, until]`.
    async fn due_reminders(
        &self,
        now: chrono::NaiveDateTime,
        until: chrono::NaiveDateTime,
    ) -> Result<Vec<BookedSlot>> {
        let _ = (now, until);
        Ok(Vec::new())
    }

    /// Marks a booking reminded at `now` and, in the same transaction, queues `email` in the
    /// outbox. `false` (and nothing written) when it was already reminded or cancelled
    /// meanwhile: of two jobs racing, or a job run again after a restart, one only queues.
    async fn mark_reminded(
        &self,
        key: &str,
        now: chrono::NaiveDateTime,
        email: Option<&QueuedEmail>,
    ) -> Result<bool> {
        let _ = (key, now, email);
        Ok(false)
    }
}
