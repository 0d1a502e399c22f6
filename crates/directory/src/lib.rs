//! maillage-directory: every use case that changes the directory, written once and called by
//! the command line and the web alike.
//!
//! - [`import`]: read files → check → de-duplicate against the store → one transaction, with
//!   the report of every rejected row.
//! - [`edit`]: one change to one place (a structure's edit, an approved moderation), through
//!   the same checks as an import and recorded as a source record of its own, so that the
//!   freshest-value merge and the provenance work as for any source, and an older file
//!   imported later never overwrites a newer value a structure gave.
//! - [`import_runs`]: imports from the coordinator's space: upload kept, dry run, apply once,
//!   history with the author.
//! - [`duplicates`]: the groups the de-duplication made and why, and the coordinator's two
//!   decisions: split a wrong merge (a keep-apart), merge two listings the rule missed.
//! - [`freshness`]: when a listing is due or possibly out of date, and the editors' monthly
//!   digest of what is due.
//! - [`split`]: an operator's keep-apart decision.
//! - [`tours`]: the itinerant France Services' input, plans and published calendar versions,
//!   and the labellings an import of places brings.
//! - [`visits`]: home visits requested by partners from the site and slotted by the
//!   coordinator into a tour day.
//! - [`booking`]: the bookable slots cut from a place's opening hours; [`appointments`]:
//!   booking one, its confirmation, the 48-hour reminder, cancellation and the purge.
//! - [`orientation`]: the diagnostic's decisions (level 1 help, level 2 operator, way).
//!
//! Invariants: nothing here knows HTTP or prints to a terminal; every write goes through the
//! [`maillage_store::Store`] in one transaction; a failed use case writes nothing.

pub mod appointments;
pub mod booking;
pub mod duplicates;
pub mod edit;
pub mod freshness;
pub mod import;
pub mod import_runs;
pub mod orientation;
pub mod tours;
pub mod visits;

pub use edit::{apply_change, check_place, ChangeOutcome, PlaceChange};
pub use import::{import, plan_import, read_file, FileRead, PlannedImport};
