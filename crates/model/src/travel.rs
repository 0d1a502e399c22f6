//! One estimate of car travel time from a straight-line distance, for every part of maillage
//! that needs one without a road graph: the observatory's coverage, the tours' planner, the
//! home-visit detours. Two estimates (the tours had ×1.3 at a flat 60 km/h, the coverage
//! 65 km/h after 2 slow km) made the same trip two lengths on two pages.

use serde::Serialize;

use crate::Position;

/// Turns a straight-line distance into an estimated car travel time.
///
/// Road distance = straight line × `detour_factor`; the first `slow_km` of road are driven at
/// `slow_speed_kmh` (leaving a village, crossing a town), the rest at `speed_kmh`. The
/// defaults (1.3; 2 km at 30 km/h; then 65 km/h) are the usual orders of magnitude for rural
/// France: a circuity of 1.2–1.4 is what road/straight ratios measure on departmental
/// networks, and 65 km/h is a mean speed on roads limited to 80–90 km/h with bends and
/// villages. They are options, not truths: `--detour`, `--vitesse` in the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TravelModel {
    pub detour_factor: f64,
    pub slow_km: f64,
    pub slow_speed_kmh: f64,
    pub speed_kmh: f64,
}

impl Default for TravelModel {
    fn default() -> Self {
        TravelModel {
            detour_factor: 1.3,
            slow_km: 2.0,
            slow_speed_kmh: 30.0,
            speed_kmh: 65.0,
        }
    }
}

impl TravelModel {
    /// Estimated minutes by car for a straight-line distance in km.
    pub fn minutes(&self, straight_km: f64) -> f64 {
        let road = straight_km * self.detour_factor;
        let slow = road.min(self.slow_km);
        let fast = (road - self.slow_km).max(0.0);
        (slow / self.slow_speed_kmh + fast / self.speed_kmh) * 60.0
    }

    /// Estimated seconds by car between two positions (0 for the same point).
    pub fn seconds_between(&self, a: Position, b: Position) -> u32 {
        (self.minutes(a.distance_km(b)) * 60.0).round() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_follows_its_definition() {
        let m = TravelModel::default();
        assert_eq!(m.minutes(0.0), 0.0);
        // 10 km straight → 13 km of road: 2 km at 30 km/h (4 min) + 11 km at 65 km/h.
        let expected = 4.0 + 11.0 / 65.0 * 60.0;
        assert!((m.minutes(10.0) - expected).abs() < 1e-9);
        assert!(m.minutes(20.0) > m.minutes(10.0));
        let montauban = Position::new(44.008448, 1.359565);
        assert_eq!(m.seconds_between(montauban, montauban), 0);
    }
}
