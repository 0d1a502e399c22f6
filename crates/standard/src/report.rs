//! Validation and import reports: each problem with its line, field, value and a plain message.
//!
//! Errors mean the row was not imported (it goes to the rejects file); warnings mean it was
//! imported and flagged. A file-level problem (unreadable, missing required column) has no line.

use serde::Serialize;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Imported, but flagged (value corrected, dropped or kept as text).
    Warning,
    /// The row is not imported; it is written to the rejects file.
    Error,
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    /// 1-based line of the file (the header is line 1 in CSV; in JSON, the 1-based index of the
    /// record). `None` for problems with the whole file.
    pub line: Option<u64>,
    /// Field (column) name, as it appears in the source.
    pub field: Option<String>,
    /// The offending value, as read.
    pub value: Option<String>,
    /// A plain French message saying what is wrong and, where possible, what to do.
    pub message: String,
}

/// Everything found while reading a file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub issues: Vec<Issue>,
    /// Rows read (data rows, header excluded).
    pub rows: u64,
    /// Rows rejected (at least one error).
    pub rejected: u64,
    /// The raw text of each rejected row (CSV: re-joined with the file's delimiter; JSON: the
    /// object), for the rejects file.
    pub rejected_rows: Vec<RejectedRow>,
    /// The encoding the file was read in (`UTF-8`, `UTF-8 (BOM)`, `Windows-1252`), when known.
    pub encoding: Option<String>,
    /// The CSV delimiter found, when the file is a CSV.
    pub delimiter: Option<char>,
    /// Row-level problems not kept in `issues` because the report already holds
    /// [`MAX_ISSUES`] (a huge file with a systematic problem must not fill memory with
    /// messages): warnings and errors, counted.
    pub omitted_warnings: u64,
    pub omitted_errors: u64,
}

/// How many row-level issues a report keeps (beyond, they are only counted).
pub const MAX_ISSUES: usize = 100_000;

/// A row that was not imported, as it was in the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectedRow {
    /// 1-based line (CSV, where the row starts) or record index (JSON).
    pub line: u64,
    pub raw: String,
}

impl Report {
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }

    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none() && self.omitted_errors == 0
    }

    /// Every error, including the ones only counted (see [`MAX_ISSUES`]).
    pub fn error_count(&self) -> u64 {
        self.errors().count() as u64 + self.omitted_errors
    }

    /// Every warning, including the ones only counted.
    pub fn warning_count(&self) -> u64 {
        self.warnings().count() as u64 + self.omitted_warnings
    }
}
