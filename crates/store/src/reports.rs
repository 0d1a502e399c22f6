//! Error reports from the public site ("signaler une erreur" on a place page), kept until a
//! moderator reads them; never published as they are. Added by the web helper: the SQL is in
//! `reports_imp.rs`, included by `imp.rs` in both backends; the table is created by the
//! `0100_web_reports.sql` migrations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Status of a report nobody has handled yet.
pub const REPORT_PENDING: &str = "a-moderer";
/// Status of a report a coordinator marked handled (the coordinator's inbox).
pub const REPORT_HANDLED: &str = "traite";

/// A report as sent (the web layer has checked lengths, anti-forgery token and rate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlaceReport {
    pub place_id: String,
    /// 1 to 2,000 characters.
    pub message: String,
    /// How to answer, if the person wants an answer (at most 200 characters, may be empty).
    pub contact: String,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceReport {
    pub id: i64,
    pub place_id: String,
    pub message: String,
    pub contact: String,
    pub created_at: DateTime<Utc>,
    pub status: String,
}
