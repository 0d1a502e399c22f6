//! Territorial vocabulary: communes, EPCI, départements, identified by their INSEE (COG) codes.

use serde::{Deserialize, Serialize};

use crate::place::Position;

/// A commune of the COG, with what the observatory needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commune {
    /// INSEE code (`82121`).
    pub code: String,
    pub nom: String,
    pub departement: String,
    /// SIREN of its EPCI, when it belongs to one.
    pub epci: Option<String>,
    /// Postal codes of the commune.
    pub codes_postaux: Vec<String>,
    /// Population municipale (INSEE populations légales).
    pub population: u32,
    pub centre: Option<Position>,
    /// Indice de fragilité numérique, 0 to 10 (10 most fragile), when known.
    pub ifn: Option<f64>,
}

/// An intercommunalité (EPCI à fiscalité propre).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Epci {
    /// SIREN of the EPCI.
    pub code: String,
    pub nom: String,
    /// `CC`, `CA`, `CU`, `METRO`, …
    pub kind: String,
    pub population: u32,
    pub communes: Vec<String>,
    pub ifn: Option<f64>,
}

/// The département code of an INSEE commune code: `82121` → `82`, `2A004` → `2A`,
/// `97411` → `974`.
pub fn departement_of(code_insee: &str) -> Option<&str> {
    if code_insee.len() != 5 || !code_insee.is_char_boundary(2) {
        return None;
    }
    if code_insee.starts_with("97") || code_insee.starts_with("98") {
        Some(&code_insee[..3])
    } else {
        Some(&code_insee[..2])
    }
}

/// Whether a string has the shape of an INSEE commune code (the standard's pattern).
pub fn is_code_insee(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 5 {
        return false;
    }
    let head_ok =
        (b[0].is_ascii_digit() && b[1].is_ascii_digit() && !(b[0] == b'2' && b[1] == b'0'))
            || (b[0] == b'2' && (b[1] == b'A' || b[1] == b'B'));
    head_ok && b[2..].iter().all(u8::is_ascii_digit)
}

/// Whether a string is a French postal code (five digits).
pub fn is_code_postal(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Looks communes up in the referential, for the readers: fill a missing `code_insee`, check
/// that coordinates fall near the commune (and detect swapped latitude/longitude).
///
/// Implemented by `maillage-territory`; readers take it as an option so they also run without
/// a referential (then nothing is filled and a warning says so).
pub trait CommuneLookup {
    /// The commune with this INSEE code (current COG).
    fn commune(&self, code_insee: &str) -> Option<&Commune>;
    /// The commune with this postal code and name. Names are compared folded (case, accents,
    /// hyphens, `St`/`Saint`, leading article, `CEDEX`), and a postal code shared by several
    /// communes is resolved by the name. With an empty or unknown name and a postal code of a
    /// single commune, that commune.
    fn find_commune(&self, code_postal: &str, nom: &str) -> Option<&Commune>;
    /// Whether the referential holds the communes of this département. A referential may be
    /// partial (the demo ships 82 and its neighbours): a code it does not cover is not
    /// "unknown", only unchecked.
    fn covers_departement(&self, _departement: &str) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(departement_of("82121"), Some("82"));
        assert_eq!(departement_of("2A004"), Some("2A"));
        assert_eq!(departement_of("97411"), Some("974"));
        assert!(is_code_insee("2B033"));
        assert!(!is_code_insee("20033"));
        assert!(!is_code_insee("8212"));
        assert!(is_code_postal("82000"));
        assert!(!is_code_postal("8200"));
    }
}
