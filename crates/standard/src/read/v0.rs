//! The standard v0.1 (CSV and the conseiller numérique JSON shape), upgraded to v1.

use std::io::Read;

use maillage_model::CommuneLookup;

use super::ReadError;
use crate::record::{Record, SourceFile};
use crate::report::Report;

/// Reads a v0.1 CSV.
pub fn read_csv<R: Read>(
    _input: R,
    _file: &SourceFile,
    _lookup: Option<&dyn CommuneLookup>,
    _on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    Err(ReadError::Unsupported("v0-csv (en cours)".into()))
}

/// Reads a v0.1 JSON.
pub fn read_json<R: Read>(
    _input: R,
    _file: &SourceFile,
    _lookup: Option<&dyn CommuneLookup>,
    _on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    Err(ReadError::Unsupported("cnfs-json (en cours)".into()))
}
