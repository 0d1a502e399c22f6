//! Validating a file against the standard des lieux de médiation numérique, fast and streaming.
//!
//! `maillage validate` answers the question a producer asks before publishing: does my file
//! follow the standard? It runs exactly the checks of the import (same code, [`Mode::Validate`]),
//! with one difference: what the import silently repairs (a phone number not in E.164, a
//! postal code that lost its zero, `;` between list values, an unknown list value) is an
//! *error* here, because the file as written does not conform. It streams: memory does not
//! grow with the file (only a hash per `id`, to find duplicates).

use std::fs::File;
use std::path::Path;

use maillage_model::CommuneLookup;

use crate::read::common::Mode;
use crate::read::standard_v1::{read_csv_with, read_json_with, V1};
use crate::read::v0::V0;
use crate::read::{detect, Format, ReadError};
use crate::record::SourceFile;
use crate::report::Report;

/// Checks a standard file (v1.0.1/v1.0.2 CSV or JSON; v0.1 is checked against v0.1 with a
/// warning that it is an old version) and reports every problem.
pub fn validate_path(path: &Path, lookup: Option<&dyn CommuneLookup>) -> Result<Report, ReadError> {
    let file = SourceFile {
        source: "validation".into(),
        date: chrono::Local::now().date_naive(),
    };
    let format = detect(path)?;
    let open = || {
        File::open(path).map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut ignore = |_| {};
    let mut report = match format {
        Format::StandardCsv => {
            read_csv_with(&V1, open()?, &file, lookup, Mode::Validate, &mut ignore)?
        }
        Format::StandardJson => {
            read_json_with(&V1, open()?, &file, lookup, Mode::Validate, &mut ignore)?
        }
        Format::V0Csv => read_csv_with(&V0, open()?, &file, lookup, Mode::Validate, &mut ignore)?,
        Format::CnfsJson => {
            read_json_with(&V0, open()?, &file, lookup, Mode::Validate, &mut ignore)?
        }
        other => {
            return Err(ReadError::NotFormat {
                expected: "standard des lieux de médiation numérique",
                detail: format!(
                    "ce fichier ressemble au format « {other} », que `validate` ne vérifie pas ; \
                     importez-le avec `maillage import`"
                ),
            })
        }
    };
    if matches!(format, Format::V0Csv | Format::CnfsJson) {
        report.issues.insert(
            0,
            crate::report::Issue {
                severity: crate::report::Severity::Warning,
                line: None,
                field: None,
                value: None,
                message: "fichier à l'ancienne version 0.1 du standard : vérifié selon la v0.1 ; \
                          `maillage import` le convertit en v1"
                    .into(),
            },
        );
    }
    Ok(report)
}
