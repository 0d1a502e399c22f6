//! The demo of any département: the national source lists shipped gzip-compressed in
//! `data/lieux/national/`, read whole and kept for one département.
//!
//! The lists are national files (conseiller numérique places, France Services 2024, Aidants
//! Connect): shipping one per département would be a hundred copies of the same sources, so
//! the demo reads the national file and filters after reading, once the readers have filled
//! each place's INSEE code from the referential (a source's own département column is not
//! trusted: some lists have none, some give a neighbouring commune). A place with no INSEE
//! code is kept by its postal code.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use maillage_directory::import::FileRead;
use maillage_model::Place;
use maillage_standard::read::Format;
use maillage_territory::Referential;

/// The département of the demo when none is asked: the one whose tours are shipped.
pub const DEFAULT_DEPARTEMENT: &str = "82";

/// The shipped national lists the demo imports, with their formats.
pub fn national_files() -> Vec<(PathBuf, Format)> {
    let dir = crate::paths::data_dir().join("lieux/national");
    vec![
        (
            dir.join("cnfs-lieux-conseillers-numeriques-2022-12.json.gz"),
            Format::CnfsJson,
        ),
        (dir.join("liste-fs-20240801.csv.gz"), Format::FranceServices),
        (
            dir.join("20240212-aidants-connect-structures.csv.gz"),
            Format::AidantsConnect,
        ),
    ]
}

/// A département code as typed (`87`, `2a`, `974`), checked against the referential.
pub fn departement_code(asked: &str, referential: &Referential) -> anyhow::Result<String> {
    let code = asked.trim().to_uppercase();
    // `1` for Ain: the COG writes two digits.
    let code = if code.len() == 1 && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{code}")
    } else {
        code
    };
    if referential.has_departement(&code) {
        Ok(code)
    } else {
        anyhow::bail!(
            "le département « {} » n'est pas dans le référentiel (exemples : 82, 2A, 974)",
            asked.trim()
        )
    }
}

/// How the demo names a département in a sentence: its name when the referential knows it.
pub fn departement_label(code: &str, referential: &Referential) -> String {
    match referential.departements.get(code) {
        Some(name) if !name.is_empty() => format!("en {name}"),
        _ => format!("du département {code}"),
    }
}

/// Whether a place belongs to the département: by its INSEE code, else its postal code.
pub fn in_departement(place: &Place, code: &str) -> bool {
    if let Some(d) = place.departement() {
        return d == code;
    }
    let cp = place.code_postal.trim();
    // Corsica's postal codes start with 20 for both 2A and 2B.
    let prefix = match code {
        "2A" | "2B" => "20",
        c => c,
    };
    cp.len() == 5 && cp.starts_with(prefix)
}

/// Reads one national list (decompressed beside the demo's base, the readers want a file)
/// and keeps the records of the département. Returns the read and the national count.
pub fn read_departement(
    path: &Path,
    format: &Format,
    code: &str,
    referential: &Referential,
    scratch: &Path,
) -> anyhow::Result<(FileRead, usize)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("liste")
        .trim_end_matches(".gz");
    // Same file name without `.gz`: the reader dates the records from it.
    let plain = scratch.join(name);
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(path).with_context(|| format!("ouverture de {}", path.display()))?,
    )
    .read_to_end(&mut bytes)
    .with_context(|| format!("décompression de {}", path.display()))?;
    std::fs::write(&plain, &bytes).with_context(|| format!("écriture de {}", plain.display()))?;
    let read = maillage_directory::import::read_file(
        &plain,
        format,
        None,
        Some(referential as &dyn maillage_model::CommuneLookup),
    );
    let _ = std::fs::remove_file(&plain);
    let mut read = read?;
    let national = read.records.len();
    read.records.retain(|r| in_departement(&r.place, code));
    read.path = path.to_path_buf();
    Ok((read, national))
}
