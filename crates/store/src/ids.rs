//! Stable place ids: `lieu-` and 12 hex digits of a SHA-256 of the place's first source record.
//!
//! Deriving the id from the source record (rather than a counter or a random value) gives the
//! same ids when the same files are imported into a fresh database, so links written from a
//! demo or a previous installation keep pointing at the same places.

use maillage_model::{Place, SourceRef};
use sha2::{Digest, Sha256};

/// A fresh id for a place with these sources; `taken` says which ids are already used (places
/// and aliases), and a counter is hashed in until the id is free.
pub(crate) fn new_place_id(
    first_source: Option<&SourceRef>,
    place: &Place,
    taken: impl Fn(&str) -> bool,
) -> String {
    let seed = match first_source {
        Some(s) => format!("{}\u{1f}{}", s.source, s.source_id),
        None => format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}",
            place.nom, place.adresse, place.code_postal, place.commune
        ),
    };
    let mut attempt = 0u64;
    loop {
        let mut hasher = Sha256::new();
        hasher.update(seed.as_bytes());
        if attempt > 0 {
            hasher.update(format!("\u{1f}{attempt}").as_bytes());
        }
        let digest = hasher.finalize();
        let id = format!("lieu-{}", hex::encode(&digest[..6]));
        if !taken(&id) {
            return id;
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str) -> SourceRef {
        SourceRef {
            source: "conseiller-numerique".into(),
            source_id: id.into(),
        }
    }

    #[test]
    fn same_source_gives_same_id() {
        let place = Place::default();
        let a = new_place_id(Some(&source("42")), &place, |_| false);
        assert_eq!(a, new_place_id(Some(&source("42")), &place, |_| false));
        assert_ne!(a, new_place_id(Some(&source("43")), &place, |_| false));
        assert!(a.starts_with("lieu-") && a.len() == 17, "{a}");
    }

    #[test]
    fn taken_id_is_skipped() {
        let place = Place::default();
        let first = new_place_id(Some(&source("42")), &place, |_| false);
        let second = new_place_id(Some(&source("42")), &place, |id| id == first);
        assert_ne!(first, second);
        assert!(second.starts_with("lieu-"));
    }
}
