//! maillage-territory: the territory (COG communes, EPCI, populations, fragility index,
//! polygons), distances and travel times (an estimate from distance, or a road graph built
//! from OpenStreetMap), and the coverage figures of the observatory.
//!
//! This crate knows nothing of HTTP, databases or terminals: it takes a referential and a list
//! of places and returns figures. The CLI and the web pages present them.

pub mod coverage;
pub mod export;
pub mod referential;
pub mod roads;
pub mod scenario;
pub mod sites;

/// The geometry types of the polygons, for the crates that draw them.
pub use geo;

pub use coverage::{compute, Category, Coverage, CoverageOptions};
pub use referential::{LoadReport, Referential, ReferentialError};

use std::path::PathBuf;

/// The shared data folder for tests and benchmarks: `MAILLAGE_SHARED_DATA`, else
/// `<workspace>/../shared/data`.
pub fn shared_data_dir() -> PathBuf {
    if let Ok(p) = std::env::var("MAILLAGE_SHARED_DATA") {
        return PathBuf::from(p);
    }
    workspace_root().join("../shared/data")
}

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
