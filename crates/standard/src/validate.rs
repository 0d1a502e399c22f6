//! Validating a file against the standard v1.0.1/v1.0.2, fast and streaming.

use std::path::Path;

use maillage_model::CommuneLookup;

use crate::read::ReadError;
use crate::report::Report;

/// Checks a standard v1 file (CSV or JSON) and reports every problem.
pub fn validate_path(path: &Path, lookup: Option<&dyn CommuneLookup>) -> Result<Report, ReadError> {
    let file = crate::record::SourceFile {
        source: "validation".into(),
        date: chrono::NaiveDate::default(),
    };
    let format = crate::read::detect(path)?;
    crate::read::read_path(path, &format, &file, lookup, &mut |_| {})
}
