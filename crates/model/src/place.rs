//! A place (*lieu de médiation numérique*): every field of the standard v1, typed.
//!
//! `Place` is what the store keeps and what every export is written from. Multi-valued fields
//! are `Vec`s of the closed-list enums; free text stays `String`. Coordinates are a `Position`
//! (WGS84). Hours are kept as the OSM `opening_hours` text the standard asks for; see
//! `hours` for parsing and evaluation.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::lists::*;

/// A WGS84 position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
}

impl Position {
    pub fn new(lat: f64, lon: f64) -> Self {
        Position { lat, lon }
    }

    /// Great-circle distance in kilometres (haversine, mean Earth radius).
    pub fn distance_km(self, other: Position) -> f64 {
        let r = 6371.0088_f64;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * r * a.sqrt().asin()
    }

    /// Whether the position lies in metropolitan France, Corsica or an overseas territory
    /// (generous bounding boxes: they catch swapped or placeholder coordinates, not borders).
    pub fn in_france(self) -> bool {
        FRANCE_BOXES
            .iter()
            .any(|b| self.lat >= b.1 && self.lat <= b.3 && self.lon >= b.0 && self.lon <= b.2)
    }
}

/// (min lon, min lat, max lon, max lat) of the French territories.
const FRANCE_BOXES: &[(f64, f64, f64, f64)] = &[
    (-5.5, 41.2, 9.9, 51.2),        // metropolitan France and Corsica
    (-61.9, 15.8, -60.9, 16.6),     // Guadeloupe
    (-61.3, 14.3, -60.7, 15.0),     // Martinique
    (-54.7, 2.0, -51.5, 6.0),       // Guyane
    (55.1, -21.5, 55.9, -20.8),     // La Réunion
    (44.9, -13.1, 45.4, -12.5),     // Mayotte
    (-56.5, 46.7, -56.1, 47.2),     // Saint-Pierre-et-Miquelon
    (-63.2, 17.8, -62.7, 18.2),     // Saint-Martin, Saint-Barthélemy
    (163.5, -22.8, 168.2, -19.5),   // Nouvelle-Calédonie
    (-154.8, -28.0, -134.4, -7.8),  // Polynésie française
    (-178.3, -14.4, -176.1, -13.1), // Wallis-et-Futuna
];

/// One place of the directory, with every field of the standard v1.0.1/v1.0.2.
///
/// Field names follow the standard (they cross the boundary as they are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Place {
    /// Our stable identifier (kept across imports and merges).
    pub id: String,
    /// SIRET (or RNA) of the structure; the standard requires it. Placeholders are kept and
    /// flagged by `check_siret`, never silently replaced.
    pub pivot: String,
    pub nom: String,
    pub commune: String,
    pub code_postal: String,
    pub code_insee: Option<String>,
    pub adresse: String,
    pub complement_adresse: Option<String>,
    pub position: Option<Position>,
    /// data·inclusion v0 typology codes (`BIB`, `MUNI`, …).
    pub typologie: Vec<String>,
    /// E.164 phone number (`+33…`), as the standard asks.
    pub telephone: Option<String>,
    pub courriels: Vec<String>,
    pub site_web: Vec<String>,
    /// OSM `opening_hours` text; valid when it parses (see `hours`).
    pub horaires: Option<String>,
    pub presentation_resume: Option<String>,
    pub presentation_detail: Option<String>,
    /// The producer of the data, as the standard's `source` field.
    pub source: Option<String>,
    pub itinerance: Vec<Itinerance>,
    pub structure_parente: Option<String>,
    pub date_maj: Option<NaiveDate>,
    pub services: Vec<Service>,
    pub publics_specifiquement_adresses: Vec<Public>,
    pub prise_en_charge_specifique: Vec<PriseEnCharge>,
    pub frais_a_charge: Vec<Frais>,
    pub dispositif_programmes_nationaux: Vec<Dispositif>,
    pub formations_labels: Vec<FormationLabel>,
    pub autres_formations_labels: Vec<String>,
    pub modalites_acces: Vec<ModaliteAcces>,
    pub modalites_accompagnement: Vec<ModaliteAccompagnement>,
    pub fiche_acces_libre: Option<String>,
    pub prise_rdv: Option<String>,
}

impl Place {
    /// Whether this place is (at least partly) an itinerant stop.
    pub fn is_itinerant(&self) -> bool {
        self.itinerance.contains(&Itinerance::Itinerant)
    }

    /// The département code from the INSEE code (2A/2B and overseas 97x handled).
    pub fn departement(&self) -> Option<&str> {
        self.code_insee
            .as_deref()
            .and_then(crate::territory::departement_of)
    }
}

/// Where a record came from: a source name and that source's own identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    /// Our name for the source (`conseiller-numerique`, `france-services-2024`, …).
    pub source: String,
    /// The identifier the source gives the record (or a stable hash when it gives none).
    pub source_id: String,
}
