//! The planning instance as plain JSON, for comparing our solver with VROOM and OR-Tools on
//! the *same* travel-time matrix and constraints (`bench/tours/compare.py`), and a synthetic
//! instance generator for the 200 sites / 10 vehicles case.

use chrono::{NaiveTime, Weekday};
use maillage_model::Position;
use serde_json::{json, Value};

use crate::model::*;
use crate::plan::{eligibility, secs, slot_options, Plan};

/// The instance the planner solved, and our answer: matrix (seconds), one "vehicle" per
/// vehicle × weekday × day kind (start/end at the base, working time window), one job per
/// servable site (location, service time, allowed start times, the vehicles allowed).
pub fn instance_json(name: &str, sites: &[Site], vehicles: &[Vehicle], plan: &Plan) -> Value {
    let matrix = &plan.matrix;
    let classes = plan.family.classes();
    let base_idx: Vec<usize> = vehicles
        .iter()
        .map(|v| matrix.index(&format!("base:{}", v.id)).unwrap_or(0))
        .collect();
    let (eligible, _) = eligibility(sites, vehicles, matrix, &base_idx, &classes);
    let mut actors = Vec::new();
    for (vi, v) in vehicles.iter().enumerate() {
        for d in &v.days {
            for ci in 0..classes.len() {
                actors.push((vi, *d, ci));
            }
        }
    }
    let vehicles_json: Vec<Value> = actors
        .iter()
        .enumerate()
        .map(|(ai, (vi, d, ci))| {
            let v = &vehicles[*vi];
            json!({
                "id": ai,
                "vehicle": v.id,
                "weekday": weekday_osm(*d),
                "class": ci,
                "start": base_idx[*vi],
                "end": base_idx[*vi],
                "time_window": [secs(v.start), secs(v.end)],
            })
        })
        .collect();
    let jobs: Vec<Value> = eligible
        .iter()
        .map(|(_, site, loc, reachable)| {
            let slots = slot_options(site);
            let (a, b) = slots[0].hours();
            let allowed: Vec<usize> = actors
                .iter()
                .enumerate()
                .filter(|(_, (vi, d, ci))| {
                    reachable.contains(vi)
                        && match &site.rhythm {
                            Rhythm::Fixed(p) => p.weekday == *d && classes[*ci] == p.weeks,
                            Rhythm::TwicePerMonth => true,
                        }
                })
                .map(|(ai, _)| ai)
                .collect();
            json!({
                "id": site.id,
                "location": loc,
                "service": secs(b) - secs(a),
                "time_windows": slots.iter().map(|s| { let t = secs(s.hours().0); [t, t] }).collect::<Vec<_>>(),
                "allowed_vehicles": allowed,
            })
        })
        .collect();
    let served: usize = plan.routes.iter().map(|r| r.stops.len()).sum();
    json!({
        "name": name,
        "locations": matrix.ids,
        "durations": matrix.durations,
        "vehicles": vehicles_json,
        "jobs": jobs,
        "ours": {
            "solver": "vrp-core 1.25 (maillage tours plan)",
            "driving_s": plan.template_driving_s,
            "served": served,
            "solve_ms": plan.solve_ms,
        },
    })
}

/// A deterministic synthetic case: `n_sites` mairies and `n_vehicles` vehicles with their
/// bases spread over a 150 × 110 km rectangle (about two rural départements).
pub fn synthetic(n_sites: usize, n_vehicles: usize, seed: u64) -> (Vec<Site>, Vec<Vehicle>) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f64) / ((1u64 << 31) as f64)
    };
    let (lat0, lon0, dlat, dlon) = (43.6, 0.6, 1.0, 1.9);
    let mut pos = move || Position::new(lat0 + next() * dlat, lon0 + next() * dlon);
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
    let vehicles = (0..n_vehicles)
        .map(|i| Vehicle {
            id: format!("v{i}"),
            name: format!("Bus {i}"),
            base_name: format!("Base {i}"),
            base: pos(),
            crew: vec![format!("a{i}a"), format!("a{i}b")],
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: t(8),
            end: t(18),
        })
        .collect();
    let sites = (0..n_sites)
        .map(|i| Site {
            id: format!("s{i}"),
            name: format!("Mairie {i}"),
            kind: VenueKind::Mairie,
            commune: format!("Commune {i}"),
            code_insee: format!("99{i:03}"),
            code_postal: String::new(),
            address: String::new(),
            position: Some(pos()),
            position_source: PositionSource::CommuneCentroid,
            rhythm: Rhythm::TwicePerMonth,
            slot: None,
        })
        .collect();
    (sites, vehicles)
}
