//! Travel times between a vehicle's base and its sites.
//!
//! The estimate is maillage's one travel-time model (`maillage_model::travel::TravelModel`,
//! the one the observatory's coverage uses), so a trip is as long on the tours' pages as on
//! the observatory's. The planner only sees a [`Matrix`], so a road-graph matrix replaces
//! this without touching it.

use maillage_model::travel::TravelModel;
use maillage_model::Position;
use serde::{Deserialize, Serialize};

/// Estimated driving time in seconds between two positions.
pub fn estimate_seconds(a: Position, b: Position) -> u32 {
    TravelModel::default().seconds_between(a, b)
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
        // 47 km in a straight line → ~61 km of road: 2 km at 30 km/h, the rest at 65 km/h.
        assert!((3300..=3900).contains(&s), "{s}");
    }
}
