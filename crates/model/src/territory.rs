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

/// How a position read from a file stands against the territory: the one position check of
/// maillage (the standard reader, the sources' readers and the mapping engine each had theirs,
/// with different limits).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PositionCheck {
    /// Where it should be.
    Fine(Position),
    /// Latitude and longitude were swapped: the swapped point is.
    Swapped(Position),
    /// `0, 0`: a geocoder's "not found".
    Zero,
    /// Outside France (overseas included), swapped or not; or too far from its commune.
    Outside,
    /// Farther from its commune's centre than any point of the commune can be.
    FarFromCommune { km: f64 },
}

/// How far from its centre a point of a commune can be: a metropolitan commune is at most
/// ~20 km across (30 km leaves room for a centre off-middle), Guyane's communes are far larger.
pub fn commune_radius_km(code_insee: &str) -> f64 {
    if code_insee.starts_with("973") {
        200.0
    } else {
        30.0
    }
}

/// Checks coordinates alone: in France (overseas included), swapped, null or outside.
pub fn check_coordinates(lat: f64, lon: f64) -> PositionCheck {
    if lat == 0.0 && lon == 0.0 {
        return PositionCheck::Zero;
    }
    let p = Position::new(lat, lon);
    if p.in_france() {
        return PositionCheck::Fine(p);
    }
    let swapped = Position::new(lon, lat);
    if swapped.in_france() {
        PositionCheck::Swapped(swapped)
    } else {
        PositionCheck::Outside
    }
}

/// Checks a position against its commune's centre: near, swapped (the swapped point is near),
/// or far. A commune without a centre cannot be checked: the position is `Fine`.
pub fn check_in_commune(pos: Position, commune: &Commune) -> PositionCheck {
    let Some(centre) = commune.centre else {
        return PositionCheck::Fine(pos);
    };
    let limit = commune_radius_km(&commune.code);
    let km = pos.distance_km(centre);
    if km <= limit {
        return PositionCheck::Fine(pos);
    }
    let swapped = Position::new(pos.lon, pos.lat);
    if swapped.distance_km(centre) <= limit {
        PositionCheck::Swapped(swapped)
    } else {
        PositionCheck::FarFromCommune { km }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commune(code: &str, lat: f64, lon: f64) -> Commune {
        Commune {
            code: code.into(),
            nom: "X".into(),
            departement: code[..2].into(),
            epci: None,
            codes_postaux: vec![],
            population: 0,
            centre: Some(Position::new(lat, lon)),
            ifn: None,
        }
    }

    /// The sources' reader dropped `0, 0` as "outside France"; the standard reader said
    /// "null coordinates": both now see a null point.
    #[test]
    fn null_and_swapped_coordinates() {
        assert_eq!(check_coordinates(0.0, 0.0), PositionCheck::Zero);
        assert_eq!(
            check_coordinates(44.0, 1.35),
            PositionCheck::Fine(Position::new(44.0, 1.35))
        );
        assert_eq!(
            check_coordinates(1.35, 44.0),
            PositionCheck::Swapped(Position::new(44.0, 1.35))
        );
        assert_eq!(check_coordinates(40.7, -74.0), PositionCheck::Outside);
    }

    /// Guyane's communes are up to 200 km from their centre; elsewhere 30 km is a geocoding
    /// error.
    #[test]
    fn position_against_the_commune() {
        let montauban = commune("82121", 44.0176, 1.3550);
        let near = Position::new(44.05, 1.40);
        assert_eq!(
            check_in_commune(near, &montauban),
            PositionCheck::Fine(near)
        );
        // Swapped values that still fall in France (in the Gulf of Guinea they would not).
        let far = Position::new(45.5, 1.35);
        assert!(matches!(
            check_in_commune(far, &montauban),
            PositionCheck::FarFromCommune { km } if km > 100.0
        ));
        let maripasoula = commune("97353", 3.64, -54.03);
        let inland = Position::new(3.0, -53.5);
        assert_eq!(
            check_in_commune(inland, &maripasoula),
            PositionCheck::Fine(inland)
        );
        let diagonal = commune("82121", 10.0, 12.0);
        assert_eq!(
            check_in_commune(Position::new(12.0, 10.0), &diagonal),
            PositionCheck::Swapped(Position::new(10.0, 12.0))
        );
    }

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
