//! Test support for the readers: where the shared data is, and a small commune referential.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use maillage_model::{Commune, CommuneLookup, Position};
use maillage_standard::SourceFile;

/// The shared data directory: `MAILLAGE_SHARED_DATA`, else `<workspace>/../shared/data`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("MAILLAGE_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

pub fn shared(rel: &str) -> PathBuf {
    let p = shared_dir().join(rel);
    assert!(p.exists(), "shared data file missing: {}", p.display());
    p
}

/// The file facts used by the tests: a fixed date, so counts do not depend on the day.
pub fn file(source: &str) -> SourceFile {
    SourceFile {
        source: source.to_string(),
        date: NaiveDate::from_ymd_opt(2024, 1, 15).expect("valid date"),
    }
}

/// A handful of real communes (code, name, postal codes, centre) copied from
/// `communes/communes-2024-centroides-population.csv`, for reader tests that need a
/// referential without loading the whole COG.
pub struct TestCommunes(Vec<Commune>);

impl TestCommunes {
    pub fn new() -> Self {
        let c = |code: &str, nom: &str, dep: &str, cps: &[&str], lat: f64, lon: f64| Commune {
            code: code.into(),
            nom: nom.into(),
            departement: dep.into(),
            epci: None,
            codes_postaux: cps.iter().map(|s| s.to_string()).collect(),
            population: 0,
            centre: Some(Position::new(lat, lon)),
            ifn: None,
        };
        TestCommunes(vec![
            c("82121", "Montauban", "82", &["82000"], 44.02168, 1.36455),
            c("82112", "Moissac", "82", &["82200"], 44.12188, 1.10023),
            c("51454", "Reims", "51", &["51100"], 49.25354, 4.05511),
            c(
                "87085",
                "Limoges",
                "87",
                &["87000", "87100", "87280"],
                45.85668,
                1.22604,
            ),
            c(
                "16317",
                "Saint-Fraigne",
                "16",
                &["16140"],
                45.95009,
                -0.01591,
            ),
            c("97302", "Cayenne", "973", &["97300"], 4.94639, -52.33191),
        ])
    }
}

impl Default for TestCommunes {
    fn default() -> Self {
        Self::new()
    }
}

fn fold_name(s: &str) -> String {
    maillage_model::fold(s).replace(['-', '\''], " ")
}

impl CommuneLookup for TestCommunes {
    fn commune(&self, code_insee: &str) -> Option<&Commune> {
        self.0.iter().find(|c| c.code == code_insee)
    }

    fn find_commune(&self, code_postal: &str, nom: &str) -> Option<&Commune> {
        let candidates: Vec<&Commune> = self
            .0
            .iter()
            .filter(|c| c.codes_postaux.iter().any(|p| p == code_postal))
            .collect();
        match candidates.as_slice() {
            [one] => Some(one),
            many => many
                .iter()
                .copied()
                .find(|c| fold_name(&c.nom) == fold_name(nom)),
        }
    }
}

/// The official v1 example's header and its single row, to build test files from.
pub fn v1_example() -> (Vec<String>, Vec<String>) {
    let mut rdr = csv::Reader::from_path(shared("standard-mediation-num/exemple-valide.csv"))
        .expect("example readable");
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let row = rdr
        .records()
        .next()
        .expect("one row")
        .expect("valid row")
        .iter()
        .map(str::to_string)
        .collect();
    (header, row)
}

/// A standard v1 CSV built from the official example: one row per entry of `rows`, each the
/// example row with the given fields replaced (`id` defaults to `lieu-N`).
pub fn v1_csv(rows: &[&[(&str, &str)]], delimiter: u8) -> Vec<u8> {
    let (header, example) = v1_example();
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    w.write_record(&header).expect("write header");
    for (n, overrides) in rows.iter().enumerate() {
        let mut row = example.clone();
        row[0] = format!("lieu-{}", n + 1);
        for (field, value) in overrides.iter() {
            let i = header
                .iter()
                .position(|h| h == field)
                .unwrap_or_else(|| panic!("no field {field}"));
            row[i] = value.to_string();
        }
        w.write_record(&row).expect("write row");
    }
    w.into_inner().expect("flush")
}

/// Writes bytes to a file in a fresh temporary directory (kept alive by the returned guard).
pub fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    (dir, path)
}

/// The `frictionless` command: `MAILLAGE_FRICTIONLESS`, else `<workspace>/.venv/bin/frictionless`,
/// else on the PATH. `None` (with a loud message) only when it is absent and `CI` is unset;
/// on CI a missing tool is a failure.
pub fn frictionless() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("MAILLAGE_FRICTIONLESS").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/frictionless")),
    ];
    for c in candidates.into_iter().flatten() {
        if c.exists() {
            return Some(c);
        }
    }
    if std::process::Command::new("frictionless")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Some(PathBuf::from("frictionless"));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "frictionless is missing on CI (python3 -m venv .venv && .venv/bin/pip install frictionless)"
    );
    eprintln!("\n*** frictionless absent: test SKIPPED (install it in <workspace>/.venv) ***\n");
    None
}
