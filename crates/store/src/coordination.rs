//! The coordinator's space (issue 14): the files uploaded from the browser, kept for their dry
//! run and applied once, with who did it; and the change of an account's role and territory.
//! Why a table of its own beside `imports`: the store's import log is written inside the
//! import's transaction by every caller (the command line too) and knows no account; a file
//! uploaded from the browser lives longer (uploaded, looked at, then applied or left) and has
//! an author. The SQL is in `coordination_imp.rs`, included by `imp.rs` in both backends; the
//! table is created by the `0600_coordination.sql` migrations.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ImportOutcome;

/// Uploaded, only dry-run so far.
pub const RUN_STAGED: &str = "essai";
/// Being applied (taken by one request: a second click or a second coordinator waits out).
pub const RUN_APPLYING: &str = "en-cours";
/// Applied; its counts are the import's outcome.
pub const RUN_APPLIED: &str = "applique";

/// A file just uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImportRun {
    pub account_id: i64,
    pub file_name: String,
    pub stored_path: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub format: String,
}

/// One uploaded file and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRun {
    pub id: i64,
    pub account_id: Option<i64>,
    pub file_name: String,
    pub stored_path: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub format: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub applied_at: Option<DateTime<Utc>>,
    /// Zero until applied.
    pub outcome: ImportOutcome,
}
