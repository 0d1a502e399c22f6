//! Home visits of the itinerant France Services (requests for people who cannot travel).
//! Added by the tours helper: the visit itself (`maillage_tours::visits::Visit`) is stored as
//! a JSON document the store does not interpret, beside the two columns the purge and the
//! lists need (status, closing date). The SQL is in `visits_imp.rs`, included by `imp.rs` in
//! both backends; the table is created by the `0200_tours_home_visits.sql` migrations.
//!
//! These rows hold personal data: `maillage tours visites purger` rewrites them without it a
//! set time after the visit, and nothing else reads them.

use serde::{Deserialize, Serialize};

/// One home visit as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeVisitRow {
    pub id: String,
    /// `requested`, `scheduled`, `done` or `cancelled`.
    pub status: String,
    /// ISO date the visit was done or cancelled.
    pub closed_on: Option<String>,
    /// The visit as JSON (written and read by `maillage-tours`).
    pub data: String,
}
