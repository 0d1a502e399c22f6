//! The itinerant France Services in the store: the coordinator's input (sites, vehicles,
//! events), the proposed plan, and every published calendar version.
//!
//! Until now the tours lived in CSV files read by each process, and every process planned
//! its own calendar: the public calendar moved at every restart. Here the published calendar
//! is a row that only an explicit publication adds, next to the previous ones (never updated
//! nor deleted), so that every process serves the same version and the history of what
//! changed, with its public notices, is kept. The values of `maillage-tours` are stored as
//! JSON documents the store does not interpret (as for home visits). The SQL is in
//! `tours_imp.rs`, included by `imp.rs` in both backends; the tables come from the
//! `0400_tours.sql` migrations.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A site or a vehicle: its id and the value as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourRow {
    pub id: String,
    pub data: String,
}

/// An event (agent's leave, closure of a venue, labelling of a France Services).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourEventRow {
    /// `leave`, `closure` or `labelling`.
    pub kind: String,
    /// Identifies the event within its kind (a labelling: its commune).
    pub key: String,
    pub data: String,
}

/// What the coordinator gave: sites, vehicles, events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourInput {
    pub sites: Vec<TourRow>,
    pub vehicles: Vec<TourRow>,
    pub events: Vec<TourEventRow>,
}

/// The parts of the input an import replaces (`None`: kept as stored).
#[derive(Debug, Clone, Default)]
pub struct TourInputChange {
    pub sites: Option<Vec<TourRow>>,
    pub vehicles: Option<Vec<TourRow>>,
    pub events: Option<Vec<TourEventRow>>,
}

/// The proposed plan (not public until published).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourPlanRow {
    pub planned_at: DateTime<Utc>,
    /// The tour book as JSON.
    pub data: String,
}

/// A publication to add.
#[derive(Debug, Clone)]
pub struct NewTourPublication {
    /// The version the publisher started from (`None`: the first one). Another version
    /// published meanwhile makes this one a [`crate::StoreError::Conflict`].
    pub expected_previous: Option<i64>,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// The tour book as JSON.
    pub book: String,
    /// The changes against the previous version, as JSON.
    pub changes: String,
}

/// A published calendar version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourPublication {
    pub version: i64,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub book: String,
    pub changes: String,
}
