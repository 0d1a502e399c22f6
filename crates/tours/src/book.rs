//! A tour book: everything the coordinator publishes for a period, in one serialisable value
//! (sites, vehicles, the plan, the events, the calendar). The command line writes it as JSON
//! after `maillage tours plan` and every later command reads it back, so that a published
//! calendar only changes through an explicit step (a labelling, a new plan) that says what it
//! changed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{Site, Vehicle};
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
}

#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
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
        let matrix = crate::plan::estimate_matrix(&sites, &vehicles);
        let plan = plan_with_matrix(&sites, &vehicles, matrix, options)?;
        let calendar = build(&plan, &sites, &vehicles, from, to, &events)?;
        Ok(TourBook {
            sites,
            vehicles,
            plan,
            events,
            from,
            to,
            calendar,
        })
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
