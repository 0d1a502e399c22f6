//! The standard des lieux de médiation numérique v1.0.1/v1.0.2, CSV and JSON.

use std::io::Read;

use maillage_model::CommuneLookup;

use super::ReadError;
use crate::record::{Record, SourceFile};
use crate::report::Report;

/// Reads a standard v1 CSV.
pub fn read_csv<R: Read>(
    _input: R,
    _file: &SourceFile,
    _lookup: Option<&dyn CommuneLookup>,
    _on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    Err(ReadError::Unsupported("standard-csv (en cours)".into()))
}

/// Reads a standard v1 JSON.
pub fn read_json<R: Read>(
    _input: R,
    _file: &SourceFile,
    _lookup: Option<&dyn CommuneLookup>,
    _on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    Err(ReadError::Unsupported("standard-json (en cours)".into()))
}
