//! The calendar: the plan's template repeated over dates, with what changes a day.
//!
//! A passage that falls on a public holiday, a closure of the venue, or a day when the crew
//! is short (leave) is never dropped silently: it is moved to the next free working day of
//! the same week with a notice saying why, or cancelled with a notice when no day is free.
//! When a France Services is labelled in a commune, the permanences the commune hosted stop
//! from that date, and the notice points to the new France Services.

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::calendar::{date_fr, date_fr_year, days, holiday_name, time_fr};
use crate::model::{Closure, Labelling, Leave, Rhythm, Site, Slot, Vehicle, MIN_CREW};
use crate::plan::{finish_route, Plan};

/// What happens to a passage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "statut", rename_all = "snake_case")]
pub enum Status {
    Scheduled,
    /// Moved from its regular date, with the reason.
    Moved {
        from: NaiveDate,
        reason: String,
    },
    Cancelled {
        reason: String,
    },
    /// Stopped because a France Services was labelled in the commune.
    Stopped {
        since: NaiveDate,
        france_services: String,
        address: String,
    },
}

/// One passage of a vehicle at a site on a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    pub site_id: String,
    pub vehicle_id: String,
    pub date: NaiveDate,
    pub slot: Slot,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub status: Status,
    /// The public notice (French) when the passage is not on its regular date or is off.
    pub notice: Option<String>,
}

impl Passage {
    /// Whether the vehicle is really there on `date`.
    pub fn takes_place(&self) -> bool {
        matches!(self.status, Status::Scheduled | Status::Moved { .. })
    }
}

/// The changes to the regular calendar.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Events {
    pub closures: Vec<Closure>,
    pub leaves: Vec<Leave>,
    pub labellings: Vec<Labelling>,
}

/// Passages in date order plus what the coordinator must know.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Calendar {
    pub passages: Vec<Passage>,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
}

/// Two leave periods of one agent that overlap are a data-entry mistake: say which.
pub fn check_leaves(leaves: &[Leave]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, a) in leaves.iter().enumerate() {
        if a.to < a.from {
            problems.push(format!(
                "congé de {} : fin ({}) avant le début ({})",
                a.agent,
                date_fr_year(a.to),
                date_fr_year(a.from)
            ));
        }
        for b in &leaves[i + 1..] {
            if a.agent == b.agent && a.from <= b.to && b.from <= a.to {
                let (from, to) = (a.from.max(b.from), a.to.min(b.to));
                problems.push(format!(
                    "congés de {} en double : du {} au {} et du {} au {} se chevauchent (du {} au {})",
                    a.agent,
                    date_fr_year(a.from),
                    date_fr_year(a.to),
                    date_fr_year(b.from),
                    date_fr_year(b.to),
                    date_fr_year(from),
                    date_fr_year(to)
                ));
            }
        }
    }
    problems
}

struct Ctx<'a> {
    sites: HashMap<&'a str, &'a Site>,
    vehicles: HashMap<&'a str, &'a Vehicle>,
    events: &'a Events,
}

impl Ctx<'_> {
    /// Why the vehicle cannot hold this passage on this date, if it cannot.
    fn obstacle(&self, vehicle: &Vehicle, site_id: &str, date: NaiveDate) -> Option<String> {
        if let Some(name) = holiday_name(date) {
            return Some(format!("{name}, jour férié"));
        }
        if let Some(c) = self
            .events
            .closures
            .iter()
            .find(|c| c.site_id == site_id && c.from <= date && date <= c.to)
        {
            return Some(format!("lieu fermé : {}", c.reason));
        }
        let away = vehicle
            .crew
            .iter()
            .filter(|a| {
                self.events
                    .leaves
                    .iter()
                    .any(|l| &l.agent == *a && l.from <= date && date <= l.to)
            })
            .count();
        if vehicle.crew.len() - away < MIN_CREW && away > 0 {
            return Some(format!(
                "équipage incomplet ({} agent(s) sur {})",
                vehicle.crew.len() - away,
                vehicle.crew.len()
            ));
        }
        None
    }
}

/// Builds the calendar of the plan from `from` to `to` inclusive.
pub fn build(
    plan: &Plan,
    sites: &[Site],
    vehicles: &[Vehicle],
    from: NaiveDate,
    to: NaiveDate,
    events: &Events,
) -> Result<Calendar, ScheduleError> {
    let problems = check_leaves(&events.leaves);
    if !problems.is_empty() {
        return Err(ScheduleError::Invalid(problems));
    }
    let ctx = Ctx {
        sites: sites.iter().map(|s| (s.id.as_str(), s)).collect(),
        vehicles: vehicles.iter().map(|v| (v.id.as_str(), v)).collect(),
        events,
    };
    let mut calendar = Calendar::default();
    for l in &events.leaves {
        if !vehicles.iter().any(|v| v.crew.contains(&l.agent)) {
            calendar
                .warnings
                .push(format!("congé d'un agent inconnu : {}", l.agent));
        }
    }
    // The regular passages first, so a moved passage never takes a regular one's place.
    let mut busy: BTreeSet<(String, NaiveDate, Slot)> = BTreeSet::new();
    let mut regular = Vec::new();
    for date in days(from, to) {
        for route in &plan.routes {
            for stop in &route.stops {
                let pattern = route.pattern(stop.slot);
                if pattern.matches(date) {
                    busy.insert((route.vehicle_id.clone(), date, stop.slot));
                    regular.push((route, stop, date));
                }
            }
        }
    }
    for (route, stop, date) in regular {
        let (start, end) = stop.slot.hours();
        let mut passage = Passage {
            site_id: stop.site_id.clone(),
            vehicle_id: route.vehicle_id.clone(),
            date,
            slot: stop.slot,
            start,
            end,
            status: Status::Scheduled,
            notice: None,
        };
        let Some(vehicle) = ctx.vehicles.get(route.vehicle_id.as_str()) else {
            continue;
        };
        if let Some(reason) = ctx.obstacle(vehicle, &stop.site_id, date) {
            let site_name = ctx
                .sites
                .get(stop.site_id.as_str())
                .map(|s| format!("{} ({})", s.name, s.commune))
                .unwrap_or_else(|| stop.site_id.clone());
            // Look for a free working day later in the same week, then the next week.
            // The same half-day first; the other one when the site's rhythm leaves it open.
            let mut halves = vec![stop.slot];
            if let Some(site) = ctx.sites.get(stop.site_id.as_str()) {
                if site.rhythm == Rhythm::TwicePerMonth && site.slot.is_none() {
                    match stop.slot {
                        Slot::Morning => halves.push(Slot::Afternoon),
                        Slot::Afternoon => halves.push(Slot::Morning),
                        Slot::FullDay => {}
                    }
                }
            }
            let replacement = (1..=6)
                .map(|i| date + Duration::days(i))
                .flat_map(|d| halves.iter().map(move |h| (d, *h)))
                .find(|(d, h)| {
                    *d <= to
                        && vehicle.days.contains(&chrono::Datelike::weekday(d))
                        && ctx.obstacle(vehicle, &stop.site_id, *d).is_none()
                        && !busy
                            .iter()
                            .any(|(v, bd, s)| v == &vehicle.id && bd == d && s.overlaps(*h))
                });
            match replacement {
                Some((new_date, half)) => {
                    busy.insert((vehicle.id.clone(), new_date, half));
                    let (start, end) = half.hours();
                    passage.notice = Some(format!(
                        "Le passage du {} ({reason}) est reporté au {}, de {} à {}.",
                        date_fr(date),
                        date_fr(new_date),
                        time_fr(start),
                        time_fr(end)
                    ));
                    calendar.warnings.push(format!(
                        "{site_name} : le passage du {} tombe un jour empêché ({reason}) ; reporté au {}",
                        date_fr_year(date),
                        date_fr_year(new_date)
                    ));
                    passage.status = Status::Moved { from: date, reason };
                    passage.date = new_date;
                    passage.slot = half;
                    passage.start = start;
                    passage.end = end;
                }
                None => {
                    passage.notice =
                        Some(format!("Pas de passage le {} ({reason}).", date_fr(date)));
                    calendar.warnings.push(format!(
                        "{site_name} : passage du {} annulé ({reason}), aucun jour libre pour le reporter",
                        date_fr_year(date)
                    ));
                    passage.status = Status::Cancelled { reason };
                }
            }
        }
        calendar.passages.push(passage);
    }
    for l in &events.labellings {
        apply_labelling(&mut calendar, sites, l, None);
    }
    calendar.passages.sort_by(|a, b| {
        (a.date, a.start, &a.vehicle_id, &a.site_id).cmp(&(
            b.date,
            b.start,
            &b.vehicle_id,
            &b.site_id,
        ))
    });
    Ok(calendar)
}

/// What a labelling did to a calendar.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LabellingOutcome {
    /// Sites whose permanences stop.
    pub stopped_sites: Vec<String>,
    /// Passages cancelled.
    pub cancelled: usize,
    /// Passages already held between the labelling date and today (kept as history).
    pub already_held: Vec<NaiveDate>,
    pub warnings: Vec<String>,
}

/// Stops the permanences of the commune from the labelling date (or from `today` when the
/// date is already past: passages held in between are history and stay as they were).
pub fn apply_labelling(
    calendar: &mut Calendar,
    sites: &[Site],
    labelling: &Labelling,
    today: Option<NaiveDate>,
) -> LabellingOutcome {
    let mut out = LabellingOutcome::default();
    let stopping: Vec<&Site> = sites
        .iter()
        .filter(|s| s.code_insee == labelling.code_insee && s.stops_on_labelling())
        .collect();
    let effective = match today {
        Some(t) if labelling.date < t => {
            out.warnings.push(format!(
                "date de labellisation dans le passé ({}) : les passages déjà tenus sont gardés, les suivants sont arrêtés à partir du {}",
                date_fr_year(labelling.date),
                date_fr_year(t)
            ));
            t
        }
        _ => labelling.date,
    };
    let commune = stopping
        .first()
        .map(|s| s.commune.clone())
        .unwrap_or_default();
    for p in &mut calendar.passages {
        if !stopping.iter().any(|s| s.id == p.site_id) || p.date < labelling.date {
            continue;
        }
        if p.date < effective {
            out.already_held.push(p.date);
            continue;
        }
        if matches!(p.status, Status::Stopped { .. }) {
            continue;
        }
        p.notice = Some(format!(
            "Depuis le {}, {} vous accueille à {} ({}) : le bus France Services ne passe plus ici.",
            date_fr_year(labelling.date),
            labelling.name,
            commune,
            labelling.address
        ));
        p.status = Status::Stopped {
            since: labelling.date,
            france_services: labelling.name.clone(),
            address: labelling.address.clone(),
        };
        out.cancelled += 1;
    }
    for s in &stopping {
        out.stopped_sites.push(s.id.clone());
        calendar.warnings.push(format!(
            "{} ({}) : permanences arrêtées à partir du {} ({} labellisée)",
            s.name,
            s.commune,
            date_fr_year(effective),
            labelling.name
        ));
    }
    calendar.warnings.extend(out.warnings.iter().cloned());
    out
}

/// A slot freed by a stop, and how it could be used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FreedSlot {
    pub vehicle_id: String,
    pub former_site_id: String,
    pub pattern: String,
    pub from: NaiveDate,
    /// Candidate sites with the driving time they add to the route (seconds; may be
    /// negative when the new site is closer than the stopped one), best first.
    pub proposals: Vec<(String, i64)>,
    /// Always possible: home visits in the area on that half-day.
    pub fallback: String,
}

/// The slots freed by labellings, with proposals among `waiting` sites (candidates not yet
/// served: the plan's unserved sites, or new candidates).
pub fn freed_slots(
    plan: &Plan,
    sites: &[Site],
    vehicles: &[Vehicle],
    labellings: &[Labelling],
    waiting: &[&Site],
) -> Vec<FreedSlot> {
    let mut out = Vec::new();
    for l in labellings {
        for site in sites
            .iter()
            .filter(|s| s.code_insee == l.code_insee && s.stops_on_labelling())
        {
            let Some((route, pattern)) = plan.assignment(&site.id) else {
                continue;
            };
            let Some(vehicle) = vehicles.iter().find(|v| v.id == route.vehicle_id) else {
                continue;
            };
            let Some(base) = plan.matrix.index(&format!("base:{}", vehicle.id)) else {
                continue;
            };
            let kept: Vec<_> = route
                .stops
                .iter()
                .filter(|s| s.site_id != site.id)
                .cloned()
                .collect();
            let mut proposals: Vec<(String, i64)> = waiting
                .iter()
                .filter(|w| plan.matrix.index(&w.id).is_some())
                .map(|w| {
                    let mut stops = kept.clone();
                    stops.push(crate::plan::Stop {
                        site_id: w.id.clone(),
                        slot: pattern.slot,
                    });
                    let r = finish_route(
                        &plan.matrix,
                        vehicle,
                        base,
                        route.weekday,
                        route.weeks.clone(),
                        stops,
                    );
                    (w.id.clone(), r.driving_s as i64 - route.driving_s as i64)
                })
                .collect();
            proposals.sort_by_key(|p| p.1);
            proposals.truncate(5);
            out.push(FreedSlot {
                vehicle_id: vehicle.id.clone(),
                former_site_id: site.id.clone(),
                pattern: pattern.label_fr(),
                from: l.date,
                proposals,
                fallback: format!(
                    "visites à domicile autour de {} ({}, {})",
                    site.commune,
                    pattern.label_fr(),
                    vehicle.name
                ),
            });
        }
    }
    out
}
