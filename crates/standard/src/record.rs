//! What a reader hands to the rest of the pipeline: one [`Record`] per place read.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use maillage_model::{Place, SourceRef};
use serde::Serialize;

/// One place read from a source file, before de-duplication.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Where it came from, with the source's own id (or a stable hash of the row when the
    /// source gives none, so that importing the same file twice finds the same records).
    pub source: SourceRef,
    /// 1-based line (CSV) or record index (JSON) in the file, for reports.
    pub line: u64,
    /// The place as read and normalised. `place.id` is empty until the store assigns one.
    pub place: Place,
    /// The date the values are valid at: the record's `date_maj` if it has one, otherwise the
    /// file's date. It decides which value wins when records are merged.
    pub observed: NaiveDate,
    /// Facts the source gives that are not fields of the standard (`labellisation`,
    /// `format_fs`, `commentaire`, `nombre_aidants`…), kept under the source's own name so
    /// that nothing read is lost and the tours and observatory can use them. Empty for the
    /// standard formats.
    pub extra: BTreeMap<String, String>,
}

/// Facts about the file being read, given by the caller.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Our name for the source (`conseiller-numerique`, `france-services`, `haute-vienne`…).
    pub source: String,
    /// The date used when a record has no `date_maj`.
    pub date: NaiveDate,
}
