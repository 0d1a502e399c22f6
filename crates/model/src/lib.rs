//! Domain types of maillage, shared by every other crate.
//!
//! This crate knows the vocabulary of the field (a *lieu de médiation numérique*, its services,
//! publics, fees, national schemes, hours, SIRET, INSEE codes) and nothing about files,
//! databases or HTTP. The closed value lists of the national *standard des lieux de médiation
//! numérique* v1.0.1/v1.0.2 are enums, so a value that is not in the standard cannot exist past
//! the import boundary.

pub mod dates;
pub mod fields;
pub mod french;
pub mod hours;
pub mod lists;
pub mod phone;
pub mod place;
pub mod provenance;
pub mod siret;
pub mod territory;
pub mod text;
pub mod travel;

pub use lists::*;
pub use place::*;
pub use provenance::{FieldProvenance, KeepApart, SourceRecord};
pub use siret::{check_pivot, check_siret, PivotCheck, PivotRule, SiretCheck};
pub use territory::*;
