//! Where the shipped data lives (`data/` of the repository), so that `maillage demo` and the
//! default referential work from the repository, from an installed binary beside a copy of
//! `data/`, or with `MAILLAGE_DATA_DIR` pointing anywhere.

use std::path::{Path, PathBuf};

/// The shipped data folder: `MAILLAGE_DATA_DIR`, else `./data`, else the `data/` folder of the
/// source tree the binary was built from.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MAILLAGE_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let here = Path::new("data");
    if here.join("referentiel").is_dir() {
        return here.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The territory referential shipped for the demo.
pub fn referentiel_dir() -> PathBuf {
    data_dir().join("referentiel")
}
