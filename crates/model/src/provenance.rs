//! Where the values of a place come from: the source records it is merged from, which source
//! gave each field, and the operators' decisions that two records are two places. One home
//! for these types, shared by the de-duplication (`standard`), the store and the directory's
//! use cases, so that they are never copied field by field from one crate's type to another's.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Place, SourceRef};

/// One source record as read (before merging), kept so that a place can be re-merged when
/// one of its sources changes, and so that no source value is ever lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub source: SourceRef,
    pub place: Place,
    /// Date the values are valid at (the record's `date_maj`, else the file's date).
    pub observed: NaiveDate,
}

/// Where one field's current value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProvenance {
    /// The standard's field name (`nom`, `horaires`, …).
    pub field: String,
    pub source: String,
    pub date: NaiveDate,
}

/// An operator's decision that two source records are *not* the same place: the
/// de-duplication of every later import respects it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeepApart {
    pub a: SourceRef,
    pub b: SourceRef,
    pub reason: String,
}
