//! Loaders shared by the tours tests: the shipped Tarn-et-Garonne files and the shared data.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use maillage_tours::input::{read_sites, read_vehicles};
use maillage_tours::{plan, Plan, PlanOptions, Site, Vehicle};

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn shared_data() -> PathBuf {
    std::env::var_os("MAILLAGE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/data"))
}

pub fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn sites() -> Vec<Site> {
    let p = workspace().join("data/tours/sites-82.csv");
    read_sites("sites-82.csv", &read(&p)).unwrap()
}

pub fn vehicles() -> Vec<Vehicle> {
    let p = workspace().join("data/tours/vehicules-82.csv");
    read_vehicles("vehicules-82.csv", &read(&p)).unwrap()
}

/// The Tarn-et-Garonne plan, solved once for all the tests of a binary.
pub fn tarn_et_garonne_plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        plan(
            &sites(),
            &vehicles(),
            &PlanOptions {
                max_generations: 300,
                ..Default::default()
            },
        )
        .unwrap()
    })
}

pub fn d(y: i32, m: u32, day: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap()
}
