//! Reading and writing the open-data formats of the field.
//!
//! Native format: the *standard des lieux de médiation numérique* v1 (CSV and JSON), plus the
//! formats the sources really come in: v0.1 (and the national conseiller numérique JSON), the
//! France Services list (2022 and 2024 vintages), data·inclusion, and a declarative mapping
//! file for anything else. Files are decoded whatever their encoding and delimiter, each row is
//! mapped to a [`maillage_model::Place`], and every problem is reported with its line, field and
//! value ([`report`]). De-duplication ([`dedup`]) groups records that describe the same place.
//!
//! This crate reads bytes and writes bytes; it knows nothing of databases or HTTP.

pub mod decode;
pub mod dedup;
pub mod read;
pub mod record;
pub mod report;
pub mod validate;
pub mod write;

pub use record::{Record, SourceFile};
pub use report::{Issue, RejectedRow, Report, Severity};
