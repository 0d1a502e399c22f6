//! Home visits for the least mobile (age, disability), booked by a partner.
//!
//! A fixed France Services, a mairie secretariat or an MDS asks for a visit on behalf of a
//! person who cannot travel. We keep the least personal data possible (a name or initials, a
//! phone number, the address, the reason) and delete it a set time after the visit: the
//! request itself stays, anonymous, for the activity figures. The visit is proposed on a day
//! when the vehicle serving the area is already on tour, with the driving time it adds, so
//! that the public calendar is never changed for a visit.

use chrono::{Duration, NaiveDate, NaiveTime};
use maillage_model::Position;
use serde::{Deserialize, Serialize};

use crate::calendar::{date_fr, duration_fr, time_fr};
use crate::model::{Site, Slot, Vehicle};
use crate::plan::Plan;
use crate::schedule::{Calendar, Passage};
use crate::travel::estimate_seconds;

/// Who asks for the visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    FranceServices,
    Mairie,
    Mds,
}

/// The personal data of a request: only what the crew needs to come and help.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Name or initials, as the partner gives it.
    pub name: String,
    pub phone: String,
    pub address: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    Requested,
    Scheduled,
    Done,
    Cancelled,
}

impl VisitStatus {
    pub fn label_fr(self) -> &'static str {
        match self {
            VisitStatus::Requested => "demandée",
            VisitStatus::Scheduled => "planifiée",
            VisitStatus::Done => "réalisée",
            VisitStatus::Cancelled => "annulée",
        }
    }
}

/// A scheduled slot of a visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitSlot {
    pub vehicle_id: String,
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    /// Driving time the visit adds to the day's route, in seconds.
    pub added_driving_s: u32,
}

/// A home-visit request and its life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: String,
    pub partner_kind: PartnerKind,
    pub partner_name: String,
    pub code_insee: String,
    pub commune: String,
    /// Where the person lives: used for the route, deleted with the rest.
    pub position: Option<Position>,
    /// `None` once deleted.
    pub person: Option<Person>,
    /// The reason ("aide à la déclaration de revenus, personne en fauteuil"); personal data
    /// too, deleted with the rest.
    pub reason: Option<String>,
    pub requested_on: NaiveDate,
    pub status: VisitStatus,
    pub slot: Option<VisitSlot>,
    /// When the visit was done or cancelled: the retention period runs from this date.
    pub closed_on: Option<NaiveDate>,
    pub personal_data_deleted_on: Option<NaiveDate>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VisitError {
    #[error("visite {id} : impossible de passer de « {from} » à « {to} »")]
    Transition {
        id: String,
        from: &'static str,
        to: &'static str,
    },
    #[error("visite {0} : la position du domicile manque, impossible de proposer un créneau")]
    NoPosition(String),
    #[error("visite {0} : le motif est obligatoire (la visite à domicile est réservée aux personnes qui ne peuvent pas se déplacer)")]
    NoReason(String),
}

impl Visit {
    /// A new request; the reason is required (visits are for the least mobile only).
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        id: &str,
        partner_kind: PartnerKind,
        partner_name: &str,
        code_insee: &str,
        commune: &str,
        position: Option<Position>,
        person: Person,
        reason: &str,
        today: NaiveDate,
    ) -> Result<Visit, VisitError> {
        if reason.trim().is_empty() {
            return Err(VisitError::NoReason(id.to_string()));
        }
        Ok(Visit {
            id: id.to_string(),
            partner_kind,
            partner_name: partner_name.to_string(),
            code_insee: code_insee.to_string(),
            commune: commune.to_string(),
            position,
            person: Some(person),
            reason: Some(reason.trim().to_string()),
            requested_on: today,
            status: VisitStatus::Requested,
            slot: None,
            closed_on: None,
            personal_data_deleted_on: None,
        })
    }

    fn transition(&mut self, to: VisitStatus, allowed: &[VisitStatus]) -> Result<(), VisitError> {
        if !allowed.contains(&self.status) {
            return Err(VisitError::Transition {
                id: self.id.clone(),
                from: self.status.label_fr(),
                to: to.label_fr(),
            });
        }
        self.status = to;
        Ok(())
    }

    pub fn schedule(&mut self, slot: VisitSlot) -> Result<(), VisitError> {
        self.transition(
            VisitStatus::Scheduled,
            &[VisitStatus::Requested, VisitStatus::Scheduled],
        )?;
        self.slot = Some(slot);
        Ok(())
    }

    pub fn done(&mut self, on: NaiveDate) -> Result<(), VisitError> {
        self.transition(VisitStatus::Done, &[VisitStatus::Scheduled])?;
        self.closed_on = Some(on);
        Ok(())
    }

    pub fn cancel(&mut self, on: NaiveDate) -> Result<(), VisitError> {
        self.transition(
            VisitStatus::Cancelled,
            &[VisitStatus::Requested, VisitStatus::Scheduled],
        )?;
        self.closed_on = Some(on);
        Ok(())
    }
}

/// A detour the crew accepts for a visit without asking the coordinator (30 minutes).
pub const MAX_DETOUR_S: u32 = 30 * 60;

/// How long a visit takes at the person's home.
pub const VISIT_MINUTES: i64 = 60;

/// Proposes up to `limit` slots on tour days of the vehicle that serves the area (the one
/// whose sites are closest to the home), from `after` on, with the driving time each adds.
/// A visit fits in the free half-day of a day with one permanence, or over lunch between
/// two permanences when the detour allows it.
pub fn propose(
    visit: &Visit,
    plan: &Plan,
    calendar: &Calendar,
    sites: &[Site],
    vehicles: &[Vehicle],
    after: NaiveDate,
    limit: usize,
) -> Result<Vec<VisitSlot>, VisitError> {
    let home = visit
        .position
        .ok_or_else(|| VisitError::NoPosition(visit.id.clone()))?;
    let pos_of = |id: &str| sites.iter().find(|s| s.id == id).and_then(|s| s.position);
    // The vehicle serving the area: the one with a site nearest to the home.
    let serving = plan
        .routes
        .iter()
        .flat_map(|r| r.stops.iter().map(move |s| (r, s)))
        .filter_map(|(r, s)| {
            pos_of(&s.site_id).map(|p| (r.vehicle_id.clone(), estimate_seconds(p, home)))
        })
        .min_by_key(|(_, d)| *d)
        .map(|(v, _)| v);
    let Some(vehicle) = serving.and_then(|v| vehicles.iter().find(|x| x.id == v)) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut day = after;
    let last = after + Duration::days(62);
    while day <= last {
        let todays: Vec<&Passage> = calendar
            .passages
            .iter()
            .filter(|p| p.vehicle_id == vehicle.id && p.date == day && p.takes_place())
            .collect();
        if !todays.is_empty() {
            let base = vehicle.base;
            let morning = todays.iter().find(|p| p.slot == Slot::Morning);
            let afternoon = todays.iter().find(|p| p.slot == Slot::Afternoon);
            let full = todays.iter().any(|p| p.slot == Slot::FullDay);
            let d = |a: Position, b: Position| estimate_seconds(a, b);
            let slot = match (full, morning, afternoon) {
                (true, _, _) => None,
                (false, Some(m), None) => pos_of(&m.site_id).map(|pm| {
                    // site → home → base instead of site → base; visit at 14:00.
                    let added = (d(pm, home) + d(home, base)).saturating_sub(d(pm, base));
                    (Slot::Afternoon.hours().0, added)
                }),
                (false, None, Some(a)) => pos_of(&a.site_id).map(|pa| {
                    let added = (d(base, home) + d(home, pa)).saturating_sub(d(base, pa));
                    (Slot::Morning.hours().0, added)
                }),
                (false, Some(m), Some(a)) => match (pos_of(&m.site_id), pos_of(&a.site_id)) {
                    (Some(pm), Some(pa)) => {
                        let through = d(pm, home) + d(home, pa);
                        let (noon, afternoon_start) =
                            (Slot::Morning.hours().1, Slot::Afternoon.hours().0);
                        let gap = (afternoon_start - noon).num_seconds().max(0) as u32;
                        if through + VISIT_MINUTES as u32 * 60 <= gap {
                            let start = noon + Duration::seconds(d(pm, home) as i64);
                            Some((start, through.saturating_sub(d(pm, pa))))
                        } else {
                            None
                        }
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some((start, added)) = slot {
                out.push(VisitSlot {
                    vehicle_id: vehicle.id.clone(),
                    date: day,
                    start,
                    end: start + Duration::minutes(VISIT_MINUTES),
                    added_driving_s: added,
                });
            }
        }
        day += Duration::days(1);
    }
    // Days when the vehicle works near the home first (a detour of at most half an hour);
    // otherwise the smallest detours.
    let near: Vec<VisitSlot> = out
        .iter()
        .filter(|s| s.added_driving_s <= MAX_DETOUR_S)
        .cloned()
        .collect();
    let mut out = if near.is_empty() {
        out.sort_by_key(|s| (s.added_driving_s, s.date));
        out
    } else {
        near
    };
    out.truncate(limit);
    out.sort_by_key(|s| (s.date, s.added_driving_s));
    Ok(out)
}

/// Deletes the personal data of visits closed `retention_days` ago or more. Returns the ids
/// of the visits cleaned. Run daily (`maillage tours visites purger`).
pub fn purge_personal_data(
    visits: &mut [Visit],
    today: NaiveDate,
    retention_days: i64,
) -> Vec<String> {
    let mut cleaned = Vec::new();
    for v in visits.iter_mut() {
        let Some(closed) = v.closed_on else { continue };
        if v.personal_data_deleted_on.is_none() && closed + Duration::days(retention_days) <= today
        {
            v.person = None;
            v.reason = None;
            v.position = None;
            v.personal_data_deleted_on = Some(today);
            cleaned.push(v.id.clone());
        }
    }
    cleaned
}

/// The crew's day sheet: permanences and visits of one vehicle on one day, in time order.
pub fn day_sheet(
    vehicle: &Vehicle,
    date: NaiveDate,
    calendar: &Calendar,
    visits: &[Visit],
    sites: &[Site],
) -> Vec<String> {
    let mut lines: Vec<(NaiveTime, String)> = Vec::new();
    for p in calendar
        .passages
        .iter()
        .filter(|p| p.vehicle_id == vehicle.id && p.date == date && p.takes_place())
    {
        let site = sites.iter().find(|s| s.id == p.site_id);
        lines.push((
            p.start,
            format!(
                "{}–{} permanence : {}",
                time_fr(p.start),
                time_fr(p.end),
                site.map(|s| format!("{} ({})", s.name, s.commune))
                    .unwrap_or_else(|| p.site_id.clone())
            ),
        ));
    }
    for v in visits.iter().filter(|v| v.status == VisitStatus::Scheduled) {
        let Some(slot) = v
            .slot
            .as_ref()
            .filter(|s| s.vehicle_id == vehicle.id && s.date == date)
        else {
            continue;
        };
        let who = v
            .person
            .as_ref()
            .map(|p| format!("{}, {}, {}", p.name, p.address, p.phone))
            .unwrap_or_else(|| "données supprimées".into());
        lines.push((
            slot.start,
            format!(
                "{}–{} visite à domicile ({}) : {} — {} (+{} de route)",
                time_fr(slot.start),
                time_fr(slot.end),
                v.commune,
                who,
                v.reason.clone().unwrap_or_default(),
                duration_fr(slot.added_driving_s)
            ),
        ));
    }
    lines.sort_by_key(|l| l.0);
    let mut out = vec![format!("{} — {}", vehicle.name, date_fr(date))];
    out.extend(lines.into_iter().map(|l| l.1));
    out
}
