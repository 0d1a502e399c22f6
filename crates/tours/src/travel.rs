//! Travel times between a vehicle's base and its sites.
//!
//! One estimate, in one place, until the territory crate offers road times: great-circle
//! distance × a detour factor, at an average speed. The factor and the speed are those
//! commonly used for rural French départements (roads are about 30 % longer than the straight
//! line; 60 km/h on departmental roads once small towns are crossed). The planner only sees a
//! [`Matrix`], so a road-graph matrix replaces this without touching it.

use maillage_model::Position;
use serde::{Deserialize, Serialize};

/// Road distance / straight-line distance.
pub const DETOUR: f64 = 1.3;
/// Average driving speed in km/h.
pub const SPEED_KMH: f64 = 60.0;

/// Estimated driving time in seconds between two positions.
pub fn estimate_seconds(a: Position, b: Position) -> u32 {
    let km = a.distance_km(b) * DETOUR;
    (km / SPEED_KMH * 3600.0).round() as u32
}

/// A square travel-time matrix (seconds) between named locations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    /// Location ids: vehicle bases (`base:bus-1`) then sites (their ids).
    pub ids: Vec<String>,
    pub positions: Vec<Position>,
    /// `durations[i][j]`: seconds from `ids[i]` to `ids[j]`.
    pub durations: Vec<Vec<u32>>,
}

impl Matrix {
    /// The estimated matrix between these locations.
    pub fn estimate(locations: Vec<(String, Position)>) -> Matrix {
        let durations = locations
            .iter()
            .map(|(_, a)| {
                locations
                    .iter()
                    .map(|(_, b)| estimate_seconds(*a, *b))
                    .collect()
            })
            .collect();
        let (ids, positions) = locations.into_iter().unzip();
        Matrix {
            ids,
            positions,
            durations,
        }
    }

    pub fn index(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|i| i == id)
    }

    pub fn get(&self, from: usize, to: usize) -> u32 {
        self.durations[from][to]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn montauban_to_dunes_is_about_forty_minutes() {
        let montauban = Position::new(44.008448, 1.359565);
        let dunes = Position::new(44.08663, 0.77597);
        let s = estimate_seconds(montauban, dunes);
        // 47 km in a straight line → ~61 km of road at 60 km/h.
        assert!((3300..=3900).contains(&s), "{s}");
    }
}
