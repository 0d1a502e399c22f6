//! maillage-directory: every use case that changes the directory, written once and called by
//! the command line and the web alike.
//!
//! - [`import`]: read files → check → de-duplicate against the store → one transaction, with
//!   the report of every rejected row.
//! - [`edit`]: one change to one place (a structure's edit, an approved moderation), through
//!   the same checks as an import and recorded as a source record of its own, so that the
//!   freshest-value merge and the provenance work as for any source, and an older file
//!   imported later never overwrites a newer value a structure gave.
//! - [`split`]: an operator's keep-apart decision.
//! - [`tours`]: the itinerant France Services' input, plans and published calendar versions,
//!   and the labellings an import of places brings.
//! - [`booking`]: the bookable slots cut from a place's opening hours; [`appointments`]:
//!   booking one, its confirmation, the 48-hour reminder, cancellation and the purge.
//! - [`orientation`]: the diagnostic's decisions (level 1 help, level 2 operator, way).
//!
//! Invariants: nothing here knows HTTP or prints to a terminal; every write goes through the
//! [`maillage_store::Store`] in one transaction; a failed use case writes nothing.

pub mod appointments;
pub mod booking;
pub mod edit;
pub mod import;
pub mod orientation;
pub mod tours;

pub use edit::{apply_change, check_place, ChangeOutcome, PlaceChange};
pub use import::{import, plan_import, read_file, FileRead, PlannedImport};
