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

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use maillage_model::{Commune, Epci, Place, SourceRef};
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
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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

/// Where one field's current value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldProvenance {
    pub field: String,
    pub source: String,
    pub date: NaiveDate,
}

/// What the pipeline asks the store to do for one import, applied in one transaction.
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

/// One source record as read (before merging), kept so that a place can be re-merged when
/// one of its sources changes, and so that no source value is ever lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub source: SourceRef,
    pub place: Place,
    /// Date the values are valid at (the record's `date_maj`, else the file's date).
    pub observed: NaiveDate,
}

/// One place to write: its merged values, the source records behind it and the reasons.
#[derive(Debug, Clone)]
pub struct PlannedPlace {
    /// Empty id for a new place; the store assigns a stable id. An existing id updates that
    /// place.
    pub place: Place,
    /// All the source records of the place (the store replaces the stored set with these).
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

/// A filter on places, used by exports and the API.
#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
    pub departement: Option<String>,
    pub code_insee: Option<String>,
}

/// An operator's decision that two source records are *not* the same place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeepApart {
    pub a: SourceRef,
    pub b: SourceRef,
    pub reason: String,
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
}
