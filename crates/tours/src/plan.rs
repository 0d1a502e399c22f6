//! Planning the tours: which vehicle goes to which site, on which regular day.
//!
//! The calendar must be *regular* so that people can remember it ("the 2nd and 4th Tuesday
//! morning"). So we plan a template: each vehicle's working weekday is split into two day
//! kinds that together make two passages a month per site: the 1st and 3rd occurrences of the
//! weekday in the month, and the 2nd and 4th (or even and odd ISO weeks when the département
//! publishes by parity, like the Charente bus). Each day kind of each vehicle is one route,
//! base → sites → base within the working day; a site takes a morning, an afternoon or a
//! full day. Choosing the routes is a vehicle routing problem with time windows and skills,
//! solved by `vrp-core` (minimal total driving time, every site served when possible).
//! The template is then repeated over the calendar by [`crate::schedule`].
//!
//! A site that cannot be served is never dropped silently: it is listed with the reason
//! (no coordinates, too far from every base for the working day, pattern incompatible with
//! the calendar, not enough half-days).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};
use vrp_core::construction::features::{
    create_skills_feature, JobSkills, JobSkillsDimension, VehicleSkillsDimension,
};
use vrp_core::models::common::TimeWindow;
use vrp_core::models::problem::{JobIdDimension, VehicleIdDimension};
use vrp_core::prelude::*;
use vrp_core::rosomaxa::utils::{Parallelism, ThreadPool, TimeQuota};

use crate::calendar::{duration_fr, time_fr};
use crate::model::{weekday_fr, weekday_osm, Pattern, Rhythm, Site, Slot, Vehicle, WeekRule};
use crate::travel::Matrix;

/// How the month is split into the two day kinds of a weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// 1st & 3rd, 2nd & 4th occurrence of the weekday: exactly two passages a month.
    #[default]
    Monthly,
    /// Even and odd ISO weeks: two or three passages a month, one every fortnight.
    Parity,
}

impl Family {
    pub fn classes(self) -> [WeekRule; 2] {
        match self {
            Family::Monthly => [WeekRule::Nth(vec![1, 3]), WeekRule::Nth(vec![2, 4])],
            Family::Parity => [WeekRule::EvenWeeks(true), WeekRule::EvenWeeks(false)],
        }
    }
}

/// Options of the solver.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub family: Family,
    /// Stop after this many generations of the evolutionary search.
    pub max_generations: usize,
    /// Stop after this many seconds (for measures only: a time limit makes the plan depend on
    /// the machine's speed; `None`, the default, plans the same input the same way).
    pub max_seconds: Option<usize>,
    /// After the solver, improve by moving and swapping single stops between day routes
    /// while it shortens the total driving (see [`polish`]).
    pub polish: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            family: Family::Monthly,
            max_generations: 3000,
            max_seconds: None,
            polish: true,
        }
    }
}

/// One stop of a day route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    pub site_id: String,
    pub slot: Slot,
}

/// A vehicle's route on one day kind (e.g. bus 2 on the 2nd and 4th Tuesdays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayRoute {
    pub vehicle_id: String,
    #[serde(with = "weekday_code")]
    pub weekday: Weekday,
    pub weeks: WeekRule,
    pub stops: Vec<Stop>,
    /// Driving time of the route, base to base, in seconds.
    pub driving_s: u32,
    /// When the vehicle leaves and is back at its base.
    pub leave: NaiveTime,
    pub back: NaiveTime,
}

impl DayRoute {
    pub fn pattern(&self, slot: Slot) -> Pattern {
        Pattern {
            weekday: self.weekday,
            weeks: self.weeks.clone(),
            slot,
        }
    }
}

/// A site the plan does not serve, and why (in French, for the coordinator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unserved {
    pub site_id: String,
    pub reason: String,
}

/// The result of planning.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub family: Family,
    pub routes: Vec<DayRoute>,
    pub unserved: Vec<Unserved>,
    /// Things the coordinator should know that do not stop the plan.
    pub warnings: Vec<String>,
    pub matrix: Matrix,
    /// Sum of the routes' driving times (each route runs twice a month).
    pub template_driving_s: u64,
    /// The same, as the solver left it (with the sites it left out and the repair placed)
    /// before the polish.
    #[serde(default)]
    pub solver_driving_s: u64,
    pub solve_ms: u64,
}

impl Plan {
    /// The vehicle and pattern serving a site.
    pub fn assignment(&self, site_id: &str) -> Option<(&DayRoute, Pattern)> {
        self.routes.iter().find_map(|r| {
            r.stops
                .iter()
                .find(|s| s.site_id == site_id)
                .map(|s| (r, r.pattern(s.slot)))
        })
    }

    /// Number of sites per vehicle, in vehicle order.
    pub fn load(&self, vehicles: &[Vehicle]) -> Vec<(String, usize)> {
        vehicles
            .iter()
            .map(|v| {
                let n = self
                    .routes
                    .iter()
                    .filter(|r| r.vehicle_id == v.id)
                    .map(|r| r.stops.len())
                    .sum();
                (v.id.clone(), n)
            })
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("aucun véhicule : ajouter au moins un véhicule avec sa base et ses jours de travail")]
    NoVehicle,
    #[error("données incohérentes : {}", .0.join(" ; "))]
    Invalid(Vec<String>),
    #[error("le solveur de tournées a échoué : {0}")]
    Solver(String),
}

pub(crate) fn secs(t: NaiveTime) -> u32 {
    t.num_seconds_from_midnight()
}

fn time_of(s: f64) -> NaiveTime {
    NaiveTime::from_num_seconds_from_midnight_opt((s.max(0.0) as u32).min(86_399), 0)
        .unwrap_or_default()
}

/// The estimated matrix for these vehicles and sites (bases first, then sites that have a
/// position).
pub fn estimate_matrix(sites: &[Site], vehicles: &[Vehicle]) -> Matrix {
    let mut locations: Vec<_> = vehicles
        .iter()
        .map(|v| (format!("base:{}", v.id), v.base))
        .collect();
    locations.extend(
        sites
            .iter()
            .filter_map(|s| s.position.map(|p| (s.id.clone(), p))),
    );
    Matrix::estimate(locations)
}

/// Plans with the estimated travel times.
pub fn plan(
    sites: &[Site],
    vehicles: &[Vehicle],
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    plan_with_matrix(sites, vehicles, estimate_matrix(sites, vehicles), options)
}

/// Which slots a site may take.
pub(crate) fn slot_options(site: &Site) -> Vec<Slot> {
    match (&site.rhythm, site.slot) {
        (Rhythm::Fixed(p), _) => vec![p.slot],
        (_, Some(s)) => vec![s],
        (_, None) => vec![Slot::Morning, Slot::Afternoon],
    }
}

/// Plans with a given travel-time matrix (its ids: `base:VEHICLE` and site ids).
pub fn plan_with_matrix(
    sites: &[Site],
    vehicles: &[Vehicle],
    matrix: Matrix,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let started = Instant::now();
    if vehicles.is_empty() {
        return Err(PlanError::NoVehicle);
    }
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for s in sites {
        if !seen.insert(&s.id) {
            problems.push(format!("le site « {} » apparaît deux fois", s.id));
        }
    }
    let mut seen = HashSet::new();
    for v in vehicles {
        if !seen.insert(&v.id) {
            problems.push(format!("le véhicule « {} » apparaît deux fois", v.id));
        }
        if v.end <= v.start {
            problems.push(format!(
                "véhicule « {} » : fin de journée ({}) avant le début ({})",
                v.name,
                time_fr(v.end),
                time_fr(v.start)
            ));
        }
        if matrix.index(&format!("base:{}", v.id)).is_none() {
            problems.push(format!(
                "véhicule « {} » : base absente de la matrice",
                v.id
            ));
        }
    }
    if !problems.is_empty() {
        return Err(PlanError::Invalid(problems));
    }
    let mut warnings = Vec::new();
    for v in vehicles {
        if v.crew.len() < crate::model::MIN_CREW {
            warnings.push(format!(
                "véhicule « {} » : équipage de {} agent(s), le label France Services en demande {}",
                v.name,
                v.crew.len(),
                crate::model::MIN_CREW
            ));
        }
    }

    let classes = options.family.classes();
    let base_idx: Vec<usize> = vehicles
        .iter()
        .map(|v| matrix.index(&format!("base:{}", v.id)).unwrap_or(0))
        .collect();

    let (eligible, mut unserved) = eligibility(sites, vehicles, &matrix, &base_idx, &classes);

    // Actors: one per vehicle × working weekday × day kind.
    let mut actors: Vec<(usize, Weekday, usize)> = Vec::new();
    for (vi, v) in vehicles.iter().enumerate() {
        for d in &v.days {
            for ci in 0..classes.len() {
                actors.push((vi, *d, ci));
            }
        }
    }

    let n = matrix.ids.len();
    let flat: Vec<f64> = matrix
        .durations
        .iter()
        .flatten()
        .map(|d| *d as f64)
        .collect();
    let mut routes = Vec::new();
    let mut solver_driving_s = 0;
    let mut assigned: HashSet<String> = HashSet::new();
    if !eligible.is_empty() && n > 0 {
        let transport: Arc<dyn TransportCost> = Arc::new(
            SimpleTransportCost::new(flat.clone(), flat)
                .map_err(|e| PlanError::Solver(e.to_string()))?,
        );
        let solution = solve(
            &eligible, vehicles, &base_idx, &actors, &classes, transport, options,
        )
        .map_err(|e| PlanError::Solver(e.to_string()))?;
        let site_by_id: HashMap<&str, &Site> = eligible
            .iter()
            .map(|(_, s, _, _)| (s.id.as_str(), *s))
            .collect();
        let mut by_actor: Vec<Vec<Stop>> = vec![Vec::new(); actors.len()];
        for route in &solution.routes {
            let Some(actor_id) = route.actor.vehicle.dimens.get_vehicle_id() else {
                continue;
            };
            let Some(ai) = actor_id.parse::<usize>().ok().filter(|i| *i < actors.len()) else {
                continue;
            };
            let mut stops = Vec::new();
            for act in route.tour.all_activities() {
                let Some(job) = &act.job else { continue };
                let Some(id) = job.dimens.get_job_id() else {
                    continue;
                };
                let Some(site) = site_by_id.get(id.as_str()) else {
                    continue;
                };
                let start = act.schedule.arrival.max(act.place.time.start);
                let slot = slot_options(site)
                    .into_iter()
                    .min_by_key(|s| (secs(s.hours().0) as f64 - start).abs() as i64)
                    .unwrap_or(Slot::Morning);
                assigned.insert(id.clone());
                stops.push(Stop {
                    site_id: id.clone(),
                    slot,
                });
            }
            if stops.is_empty() {
                continue;
            }
            by_actor[ai] = stops;
        }
        solver_driving_s = polish(
            &mut by_actor,
            &eligible,
            vehicles,
            &base_idx,
            &actors,
            &classes,
            &matrix,
            options.polish,
        );
        assigned = by_actor
            .iter()
            .flatten()
            .map(|s| s.site_id.clone())
            .collect();
        for (ai, stops) in by_actor.into_iter().enumerate() {
            if stops.is_empty() {
                continue;
            }
            let (vi, weekday, ci) = actors[ai];
            routes.push(finish_route(
                &matrix,
                &vehicles[vi],
                base_idx[vi],
                weekday,
                classes[ci].clone(),
                stops,
            ));
        }
    }
    for (_, site, _, reachable) in &eligible {
        if !assigned.contains(&site.id) {
            let names: Vec<String> = reachable
                .iter()
                .map(|vi| vehicles[*vi].name.clone())
                .collect();
            unserved.push(Unserved {
                site_id: site.id.clone(),
                reason: format!(
                    "{} ({}) : plus de demi-journée libre chez les véhicules qui peuvent l'atteindre ({}) ; ajouter un véhicule ou un jour de travail",
                    site.name,
                    site.commune,
                    crate::model::join_fr(&names)
                ),
            });
        }
    }
    balance(&mut routes, vehicles);
    routes.sort_by(|a, b| {
        (&a.vehicle_id, a.weekday.num_days_from_monday(), &a.weeks).cmp(&(
            &b.vehicle_id,
            b.weekday.num_days_from_monday(),
            &b.weeks,
        ))
    });
    let template_driving_s = routes.iter().map(|r| r.driving_s as u64).sum();
    Ok(Plan {
        family: options.family,
        routes,
        unserved,
        warnings,
        matrix,
        template_driving_s,
        solver_driving_s,
        solve_ms: started.elapsed().as_millis() as u64,
    })
}

/// A site the solver may place: its index, location and the vehicles that can reach it.
pub(crate) type Eligible<'a> = (usize, &'a Site, usize, Vec<usize>);

/// Per site: the vehicles that can reach it within their working day, or why none can.
pub(crate) fn eligibility<'a>(
    sites: &'a [Site],
    vehicles: &[Vehicle],
    matrix: &Matrix,
    base_idx: &[usize],
    classes: &[WeekRule; 2],
) -> (Vec<Eligible<'a>>, Vec<Unserved>) {
    let mut unserved = Vec::new();
    let mut eligible: Vec<(usize, &Site, usize, Vec<usize>)> = Vec::new(); // site idx, site, loc, vehicles
    for (si, site) in sites.iter().enumerate() {
        let Some(loc) = site.position.and_then(|_| matrix.index(&site.id)) else {
            unserved.push(Unserved {
                site_id: site.id.clone(),
                reason: format!(
                    "{} ({}) n'a pas de coordonnées : ajouter la position du lieu ou de la mairie",
                    site.name, site.commune
                ),
            });
            continue;
        };
        if let Rhythm::Fixed(p) = &site.rhythm {
            if !classes.contains(&p.weeks) {
                unserved.push(Unserved {
                    site_id: site.id.clone(),
                    reason: format!(
                        "{} ({}) : le rythme « {} » ne correspond pas au calendrier des tournées ({} ou {})",
                        site.name,
                        site.commune,
                        p.label_fr(),
                        classes[0].label_fr(),
                        classes[1].label_fr()
                    ),
                });
                continue;
            }
        }
        let slots = slot_options(site);
        let fixed_day = match &site.rhythm {
            Rhythm::Fixed(p) => Some(p.weekday),
            Rhythm::TwicePerMonth => None,
        };
        let reachable: Vec<usize> = vehicles
            .iter()
            .enumerate()
            .filter(|(vi, v)| {
                let d_out = matrix.get(base_idx[*vi], loc);
                let d_back = matrix.get(loc, base_idx[*vi]);
                let day_ok = fixed_day.is_none_or(|d| v.days.contains(&d)) && !v.days.is_empty();
                day_ok
                    && slots.iter().any(|s| {
                        let (open, close) = s.hours();
                        secs(v.start) + d_out <= secs(open) && secs(close) + d_back <= secs(v.end)
                    })
            })
            .map(|(vi, _)| vi)
            .collect();
        if reachable.is_empty() {
            let closest = (0..vehicles.len())
                .min_by_key(|vi| matrix.get(base_idx[*vi], loc))
                .unwrap_or(0);
            let v = &vehicles[closest];
            let reason = match fixed_day {
                Some(d) if !vehicles.iter().any(|v| v.days.contains(&d)) => format!(
                    "{} ({}) : aucun véhicule ne travaille le {}",
                    site.name,
                    site.commune,
                    weekday_fr(d)
                ),
                _ => format!(
                    "{} ({}) est trop loin : {} de route depuis {}, impossible d'ouvrir à l'heure et de rentrer avant {}",
                    site.name,
                    site.commune,
                    duration_fr(matrix.get(base_idx[closest], loc)),
                    v.base_name,
                    time_fr(v.end)
                ),
            };
            unserved.push(Unserved {
                site_id: site.id.clone(),
                reason,
            });
            continue;
        }
        eligible.push((si, site, loc, reachable));
    }

    (eligible, unserved)
}

/// Local improvement after the solver. A day route holds at most a morning and an afternoon
/// stop, so single-stop moves are cheap to evaluate exactly: move a stop to a free half-day
/// of another route, or swap two stops, whenever the total driving shrinks and both routes
/// still fit in the working day. Routes with a full-day stop are left as they are. Before
/// that, a *repair* places any servable site the solver left out. Returns the driving after
/// the repair, before the improvement.
#[allow(clippy::too_many_arguments)]
fn polish(
    by_actor: &mut [Vec<Stop>],
    eligible: &[Eligible<'_>],
    vehicles: &[Vehicle],
    base_idx: &[usize],
    actors: &[(usize, Weekday, usize)],
    classes: &[WeekRule; 2],
    matrix: &Matrix,
    improve: bool,
) -> u64 {
    const HALVES: [Slot; 2] = [Slot::Morning, Slot::Afternoon];
    let by_id: HashMap<&str, usize> = eligible
        .iter()
        .enumerate()
        .map(|(i, e)| (e.1.id.as_str(), i))
        .collect();
    // grid[actor][half] = eligible index; actors holding a full day are locked.
    let mut grid: Vec<[Option<usize>; 2]> = vec![[None, None]; actors.len()];
    let locked: Vec<std::cell::Cell<bool>> = vec![std::cell::Cell::new(false); actors.len()];
    for (ai, stops) in by_actor.iter().enumerate() {
        for s in stops {
            match (s.slot, by_id.get(s.site_id.as_str())) {
                (Slot::Morning, Some(e)) => grid[ai][0] = Some(*e),
                (Slot::Afternoon, Some(e)) => grid[ai][1] = Some(*e),
                _ => locked[ai].set(true),
            }
        }
    }
    let allowed = |e: usize, ai: usize, half: usize| -> bool {
        let (_, site, _, reachable) = &eligible[e];
        let (vi, d, ci) = actors[ai];
        !locked[ai].get()
            && reachable.contains(&vi)
            && slot_options(site).contains(&HALVES[half])
            && match &site.rhythm {
                Rhythm::Fixed(p) => p.weekday == d && classes[ci] == p.weeks,
                Rhythm::TwicePerMonth => true,
            }
    };
    // Driving of a day, or None when it does not fit in the working day.
    let cost = |ai: usize, cell: [Option<usize>; 2]| -> Option<u32> {
        let (vi, _, _) = actors[ai];
        let (v, base) = (&vehicles[vi], base_idx[vi]);
        let mut t = secs(v.start);
        let mut at = base;
        let mut total = 0;
        for (half, e) in cell.iter().enumerate() {
            let Some(e) = e else { continue };
            let loc = eligible[*e].2;
            let (open, close) = HALVES[half].hours();
            let d = matrix.get(at, loc);
            if t + d > secs(open) {
                return None;
            }
            total += d;
            t = secs(close);
            at = loc;
        }
        let back = matrix.get(at, base);
        (t + back <= secs(v.end)).then_some(total + back)
    };
    // Repair: a servable site the solver left out (it happens with full-day stops) goes to
    // the free place that adds the least driving, so no site is refused while a day can
    // take it.
    let placed: HashSet<usize> = grid.iter().flatten().flatten().copied().collect();
    let full_placed: HashSet<&str> = by_actor
        .iter()
        .flatten()
        .filter(|s| s.slot == Slot::FullDay)
        .map(|s| s.site_id.as_str())
        .collect();
    let mut full_new: Vec<(usize, usize)> = Vec::new(); // (actor, eligible)
    for (e, (_, site, loc, reachable)) in eligible.iter().enumerate() {
        if placed.contains(&e) || full_placed.contains(site.id.as_str()) {
            continue;
        }
        let slots = slot_options(site);
        let fixed_ok = |ai: usize| {
            let (vi, d, ci) = actors[ai];
            reachable.contains(&vi)
                && match &site.rhythm {
                    Rhythm::Fixed(p) => p.weekday == d && classes[ci] == p.weeks,
                    Rhythm::TwicePerMonth => true,
                }
        };
        if slots.contains(&Slot::FullDay) {
            let (open, close) = Slot::FullDay.hours();
            let best = (0..actors.len())
                .filter(|ai| !locked[*ai].get() && grid[*ai] == [None, None] && fixed_ok(*ai))
                .filter(|ai| !full_new.iter().any(|(a, _)| a == ai))
                .filter_map(|ai| {
                    let (vi, _, _) = actors[ai];
                    let (v, base) = (&vehicles[vi], base_idx[vi]);
                    let (go, back) = (matrix.get(base, *loc), matrix.get(*loc, base));
                    (secs(v.start) + go <= secs(open) && secs(close) + back <= secs(v.end))
                        .then_some((go + back, ai))
                })
                .min();
            if let Some((_, ai)) = best {
                full_new.push((ai, e));
            }
            continue;
        }
        let before: Vec<Option<u32>> = (0..actors.len()).map(|ai| cost(ai, grid[ai])).collect();
        let best = (0..actors.len())
            .flat_map(|ai| (0..2).map(move |h| (ai, h)))
            .filter(|(ai, h)| grid[*ai][*h].is_none() && allowed(e, *ai, *h))
            .filter(|(ai, _)| !full_new.iter().any(|(a, _)| a == ai))
            .filter_map(|(ai, h)| {
                let mut g = grid[ai];
                g[h] = Some(e);
                let c = cost(ai, g)?;
                Some((c.saturating_sub(before[ai].unwrap_or(0)), ai, h))
            })
            .min();
        if let Some((_, ai, h)) = best {
            grid[ai][h] = Some(e);
            continue;
        }
        // No free place: take one whose occupant can move to a free place of its own (a
        // fixed pattern has fewer choices than a site the planner places freely).
        'eject: for ai in 0..actors.len() {
            for h in 0..2 {
                let Some(o) = grid[ai][h] else { continue };
                if !allowed(e, ai, h) {
                    continue;
                }
                let mut ga = grid[ai];
                ga[h] = Some(e);
                if cost(ai, ga).is_none() {
                    continue;
                }
                for bi in 0..actors.len() {
                    for hb in 0..2 {
                        if bi == ai || grid[bi][hb].is_some() || !allowed(o, bi, hb) {
                            continue;
                        }
                        if full_new.iter().any(|(a, _)| *a == bi) {
                            continue;
                        }
                        let mut gb = grid[bi];
                        gb[hb] = Some(o);
                        if cost(bi, gb).is_some() {
                            grid[ai] = ga;
                            grid[bi] = gb;
                            break 'eject;
                        }
                    }
                }
            }
        }
    }
    for (ai, e) in full_new {
        locked[ai].set(true);
        by_actor[ai] = vec![Stop {
            site_id: eligible[e].1.id.clone(),
            slot: Slot::FullDay,
        }];
    }
    // The driving as the solver left it, with the repaired sites: the polish is measured
    // against this.
    let repaired: u64 = (0..actors.len())
        .map(|ai| {
            let (vi, d, ci) = actors[ai];
            if locked[ai].get() {
                let r = finish_route(
                    matrix,
                    &vehicles[vi],
                    base_idx[vi],
                    d,
                    classes[ci].clone(),
                    by_actor[ai].clone(),
                );
                r.driving_s as u64
            } else {
                cost(ai, grid[ai]).unwrap_or(0) as u64
            }
        })
        .sum();
    if !improve {
        for (ai, stops) in by_actor.iter_mut().enumerate() {
            if !locked[ai].get() {
                *stops = grid[ai]
                    .iter()
                    .enumerate()
                    .filter_map(|(h, e)| {
                        e.map(|e| Stop {
                            site_id: eligible[e].1.id.clone(),
                            slot: HALVES[h],
                        })
                    })
                    .collect();
            }
        }
        return repaired;
    }
    let mut costs: Vec<u32> = (0..actors.len())
        .map(|ai| cost(ai, grid[ai]).unwrap_or(u32::MAX / 4))
        .collect();
    for _round in 0..50 {
        let mut improved = false;
        for a in 0..actors.len() {
            for ha in 0..2 {
                let Some(e) = grid[a][ha] else { continue };
                for b in 0..actors.len() {
                    for hb in 0..2 {
                        if (a, ha) == (b, hb) || !allowed(e, b, hb) {
                            continue;
                        }
                        let other = grid[b][hb];
                        if other.is_some_and(|o| !allowed(o, a, ha)) {
                            continue;
                        }
                        let (mut ga, mut gb) = (grid[a], grid[b]);
                        if a == b {
                            ga.swap(ha, hb);
                            let Some(ca) = cost(a, ga) else { continue };
                            if ca < costs[a] {
                                grid[a] = ga;
                                costs[a] = ca;
                                improved = true;
                            }
                            continue;
                        }
                        ga[ha] = other;
                        gb[hb] = Some(e);
                        let (Some(ca), Some(cb)) = (cost(a, ga), cost(b, gb)) else {
                            continue;
                        };
                        if (ca + cb) < costs[a] + costs[b] {
                            grid[a] = ga;
                            grid[b] = gb;
                            costs[a] = ca;
                            costs[b] = cb;
                            improved = true;
                        }
                        if grid[a][ha] != Some(e) {
                            break;
                        }
                    }
                    if grid[a][ha] != Some(e) {
                        break;
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }
    for (ai, stops) in by_actor.iter_mut().enumerate() {
        if locked[ai].get() {
            continue;
        }
        *stops = grid[ai]
            .iter()
            .enumerate()
            .filter_map(|(h, e)| {
                e.map(|e| Stop {
                    site_id: eligible[e].1.id.clone(),
                    slot: HALVES[h],
                })
            })
            .collect();
    }
    repaired
}

/// Orders the stops by time of day and computes driving, departure and return.
pub(crate) fn finish_route(
    matrix: &Matrix,
    vehicle: &Vehicle,
    base: usize,
    weekday: Weekday,
    weeks: WeekRule,
    mut stops: Vec<Stop>,
) -> DayRoute {
    stops.sort_by_key(|s| s.slot.hours().0);
    let locs: Vec<usize> = stops
        .iter()
        .filter_map(|s| matrix.index(&s.site_id))
        .collect();
    let mut driving = 0;
    let mut prev = base;
    for l in &locs {
        driving += matrix.get(prev, *l);
        prev = *l;
    }
    driving += matrix.get(prev, base);
    let (leave, back) = match (stops.first(), stops.last(), locs.first(), locs.last()) {
        (Some(f), Some(l), Some(fl), Some(ll)) => (
            time_of(secs(f.slot.hours().0) as f64 - matrix.get(base, *fl) as f64),
            time_of(secs(l.slot.hours().1) as f64 + matrix.get(*ll, base) as f64),
        ),
        _ => (vehicle.start, vehicle.start),
    };
    DayRoute {
        vehicle_id: vehicle.id.clone(),
        weekday,
        weeks,
        stops,
        driving_s: driving,
        leave,
        back,
    }
}

fn solve(
    eligible: &[(usize, &Site, usize, Vec<usize>)],
    vehicles: &[Vehicle],
    base_idx: &[usize],
    actors: &[(usize, Weekday, usize)],
    classes: &[WeekRule; 2],
    transport: Arc<dyn TransportCost>,
    options: &PlanOptions,
) -> GenericResult<Solution> {
    let mut jobs = Vec::new();
    for (_, site, loc, reachable) in eligible {
        let slots = slot_options(site);
        let times: Vec<TimeWindow> = slots
            .iter()
            .map(|s| {
                let t = secs(s.hours().0) as f64;
                TimeWindow::new(t, t)
            })
            .collect();
        let duration = {
            let (a, b) = slots[0].hours();
            (secs(b) - secs(a)) as f64
        };
        let mut all_of = Vec::new();
        if let Rhythm::Fixed(p) = &site.rhythm {
            all_of.push(format!("d:{}", weekday_osm(p.weekday)));
            if let Some(ci) = classes.iter().position(|c| *c == p.weeks) {
                all_of.push(format!("c:{ci}"));
            }
        }
        let one_of: Vec<String> = reachable.iter().map(|vi| format!("v:{vi}")).collect();
        let job = SingleBuilder::default()
            .id(&site.id)
            .location(*loc)?
            .duration(duration)?
            .times(times)?
            .dimension(|d| {
                d.set_job_skills(JobSkills::new(Some(all_of), Some(one_of), None));
            })
            .build_as_job()?;
        jobs.push(job);
    }
    let mut fleet = Vec::new();
    for (ai, (vi, weekday, ci)) in actors.iter().enumerate() {
        let v = &vehicles[*vi];
        let skills: HashSet<String> = [
            format!("v:{vi}"),
            format!("d:{}", weekday_osm(*weekday)),
            format!("c:{ci}"),
        ]
        .into_iter()
        .collect();
        let vehicle = VehicleBuilder::default()
            .id(&ai.to_string())
            .add_detail(
                VehicleDetailBuilder::default()
                    .set_start_location(base_idx[*vi])
                    .set_start_time(secs(v.start) as f64)
                    .set_end_location(base_idx[*vi])
                    .set_end_time(secs(v.end) as f64)
                    .build()?,
            )
            .dimension(|d| {
                d.set_vehicle_skills(skills);
            })
            .build()?;
        fleet.push(vehicle);
    }
    let goal = GoalContextBuilder::with_features(&[
        MinimizeUnassignedBuilder::new("min-unassigned").build()?,
        TransportFeatureBuilder::new("min-driving")
            .set_transport_cost(transport.clone())
            .set_time_constrained(true)
            .build_minimize_distance()?,
        create_skills_feature("skills", ViolationCode(10))?,
    ])?
    .build()?;
    let problem = Arc::new(
        ProblemBuilder::default()
            .add_jobs(jobs.into_iter())
            .add_vehicles(fleet.into_iter())
            .with_goal(goal)
            .with_transport_cost(transport)
            .with_logger(Arc::new(|_: &str| {}))
            .build()?,
    );
    let quota: Option<Arc<dyn vrp_core::rosomaxa::utils::Quota>> = options
        .max_seconds
        .map(|s| Arc::new(TimeQuota::new(s as Float)) as Arc<dyn vrp_core::rosomaxa::utils::Quota>);
    // One thread, a repeatable random, no time quota by default: as repeatable as the solver
    // allows. It is not fully repeatable: vrp-core 1.25 keeps jobs in std `HashSet`s hashed by
    // their `Arc` address, so the search order differs between runs (measured: two solves of
    // the Tarn-et-Garonne input gave different routes). A published calendar therefore never
    // depends on a new solve: `maillage_directory::tours::plan` keeps the stored plan while
    // sites and vehicles are unchanged. The fresh one-thread pool keeps the search off the
    // global rayon pool (and off a caller's CPU budget).
    let max_seconds = options.max_seconds;
    let max_generations = options.max_generations;
    ThreadPool::new(1).execute(move || {
        let environment = Arc::new(Environment::new(
            Arc::new(DefaultRandom::new_repeatable()),
            quota,
            Parallelism::new(1, 1),
            Arc::new(|_: &str| {}),
            false,
        ));
        let config = VrpConfigBuilder::new(problem.clone())
            .set_environment(environment)
            .prebuild()?
            .with_max_time(max_seconds)
            .with_max_generations(Some(max_generations))
            .build()?;
        Solver::new(problem, config).solve()
    })
}

/// Evens the number of sites per vehicle without changing any driving time: a whole day
/// route moves from the busiest vehicle to the least busy one when both have the same base
/// and the receiving vehicle works that weekday and has that day kind free.
fn balance(routes: &mut [DayRoute], vehicles: &[Vehicle]) {
    let base_of: HashMap<&str, (u64, u64)> = vehicles
        .iter()
        .map(|v| (v.id.as_str(), (v.base.lat.to_bits(), v.base.lon.to_bits())))
        .collect();
    for _ in 0..routes.len() * vehicles.len() {
        let mut load: BTreeMap<&str, usize> = vehicles.iter().map(|v| (v.id.as_str(), 0)).collect();
        for r in routes.iter() {
            if let Some(l) = load.get_mut(r.vehicle_id.as_str()) {
                *l += r.stops.len();
            }
        }
        let mut best: Option<(usize, String, usize)> = None; // route, to, new spread
        let spread_now = load.values().max().unwrap_or(&0) - load.values().min().unwrap_or(&0);
        for (ri, r) in routes.iter().enumerate() {
            for v in vehicles {
                if v.id == r.vehicle_id
                    || base_of.get(v.id.as_str()) != base_of.get(r.vehicle_id.as_str())
                    || !v.days.contains(&r.weekday)
                    || routes.iter().any(|o| {
                        o.vehicle_id == v.id && o.weekday == r.weekday && o.weeks == r.weeks
                    })
                {
                    continue;
                }
                let mut l = load.clone();
                *l.entry(r.vehicle_id.as_str()).or_default() -= r.stops.len();
                *l.entry(v.id.as_str()).or_default() += r.stops.len();
                let spread = l.values().max().unwrap_or(&0) - l.values().min().unwrap_or(&0);
                if spread < spread_now && best.as_ref().is_none_or(|b| spread < b.2) {
                    best = Some((ri, v.id.clone(), spread));
                }
            }
        }
        match best {
            Some((ri, to, _)) => routes[ri].vehicle_id = to,
            None => break,
        }
    }
}

mod weekday_code {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(crate::model::weekday_osm(*d))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let s = String::deserialize(d)?;
        crate::model::weekday_parse(&s).ok_or_else(|| serde::de::Error::custom("jour inconnu"))
    }
}
