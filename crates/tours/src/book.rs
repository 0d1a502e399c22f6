//! A tour book: everything the coordinator publishes for a period, in one serialisable value
//! (sites, vehicles, the plan, the events, the calendar). The command line writes it as JSON
//! after `maillage tours plan` and every later command reads it back, so that a published
//! calendar only changes through an explicit step (a labelling, a new plan) that says what it
//! changed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{Labelling, Site, Vehicle};
use crate::plan::{plan_with_matrix, Plan, PlanError, PlanOptions};
use crate::schedule::{build, Calendar, Events, ScheduleError};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TourBook {
    pub sites: Vec<Site>,
    pub vehicles: Vec<Vehicle>,
    pub plan: Plan,
    pub events: Events,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub calendar: Calendar,
    /// Sites left out of the plan because a France Services was labelled in their commune
    /// before the calendar starts, with that labelling (for the public notice).
    #[serde(default)]
    pub stopped: Vec<(String, Labelling)>,
}

#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

/// The sites whose permanences stopped before `from` because a France Services was labelled
/// in their commune, with that labelling (for the public notice).
pub fn stopped_before(
    sites: &[Site],
    events: &Events,
    from: NaiveDate,
) -> Vec<(String, Labelling)> {
    sites
        .iter()
        .filter(|s| s.stops_on_labelling())
        .filter_map(|s| {
            events
                .labellings
                .iter()
                .filter(|l| l.code_insee == s.code_insee && l.date <= from)
                .min_by_key(|l| l.date)
                .map(|l| (s.id.clone(), l.clone()))
        })
        .collect()
}

impl TourBook {
    /// Plans and lays out the calendar from `from` to `to`.
    pub fn new(
        sites: Vec<Site>,
        vehicles: Vec<Vehicle>,
        events: Events,
        from: NaiveDate,
        to: NaiveDate,
        options: &PlanOptions,
    ) -> Result<TourBook, BookError> {
        Self::new_with(
            sites,
            vehicles,
            events,
            from,
            to,
            options,
            crate::plan::estimate_matrix,
        )
    }

    /// Plans with the travel times `matrix` gives for the active sites and the vehicles (a
    /// road-graph matrix, say), then lays out the calendar.
    pub fn new_with(
        sites: Vec<Site>,
        vehicles: Vec<Vehicle>,
        events: Events,
        from: NaiveDate,
        to: NaiveDate,
        options: &PlanOptions,
        matrix: impl FnOnce(&[Site], &[Vehicle]) -> crate::travel::Matrix,
    ) -> Result<TourBook, BookError> {
        // A site whose permanences stopped before the calendar starts takes no slot: the
        // planner shares its half-days among the others.
        let stopped = stopped_before(&sites, &events, from);
        let active: Vec<Site> = sites
            .iter()
            .filter(|s| !stopped.iter().any(|(id, _)| id == &s.id))
            .cloned()
            .collect();
        let matrix = matrix(&active, &vehicles);
        let plan = plan_with_matrix(&active, &vehicles, matrix, options)?;
        Self::with_plan(plan, sites, vehicles, events, from, to)
    }

    /// Lays out an existing plan from `from` to `to` (a plan already chosen is kept: the
    /// solver does not give the same plan twice, see `maillage_tours::plan`).
    pub fn with_plan(
        plan: Plan,
        sites: Vec<Site>,
        vehicles: Vec<Vehicle>,
        events: Events,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<TourBook, BookError> {
        let stopped = stopped_before(&sites, &events, from);
        let calendar = build(&plan, &sites, &vehicles, from, to, &events)?;
        Ok(TourBook {
            sites,
            vehicles,
            plan,
            events,
            from,
            to,
            calendar,
            stopped,
        })
    }

    /// The public notice of a site whose permanences stopped before the calendar starts.
    pub fn stop_notice(&self, site_id: &str) -> Option<String> {
        let (_, l) = self.stopped.iter().find(|(id, _)| id == site_id)?;
        let site = self.site(site_id)?;
        Some(format!(
            "Depuis le {}, {} vous accueille à {} ({}) : le bus France Services ne passe plus ici.",
            crate::calendar::date_fr_year(l.date),
            l.name,
            site.commune,
            l.address
        ))
    }

    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    pub fn vehicle(&self, id: &str) -> Option<&Vehicle> {
        self.vehicles.iter().find(|v| v.id == id)
    }

    /// Sites of a commune, by name (case and accents as written) or INSEE code.
    pub fn sites_of_commune(&self, commune: &str) -> Vec<&Site> {
        let c = commune.trim().to_lowercase();
        self.sites
            .iter()
            .filter(|s| s.code_insee == commune.trim() || s.commune.to_lowercase() == c)
            .collect()
    }
}
