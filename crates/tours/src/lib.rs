//! maillage-tours: the itinerant France Services — vehicles, sites, planning, calendars,
//! iCalendar feeds, posters, home visits, and the stop of a commune's permanences when a
//! France Services is labelled there.
//!
//! Tarn-et-Garonne runs three vehicles on three tours, two passages a month per site "on a
//! calendar fixed and announced in advance"; until now a spreadsheet and a PDF. This crate
//! holds the logic only (no files, no database, no HTTP): [`plan`] chooses the regular
//! routes with a real VRP solver, [`schedule`] lays them on dates (holidays, closures, leave,
//! labellings, each change with a public notice), [`publish`] writes what the public reads,
//! [`visits`] handles home visits and the deletion of their personal data. The command line
//! (`maillage tours …`) and the web pages (`/itinerance`) sit on top.

pub mod bench;
pub mod book;
pub mod calendar;
pub mod input;
pub mod model;
pub mod plan;
pub mod publish;
pub mod schedule;
pub mod travel;
pub mod visits;

pub use book::TourBook;
pub use model::*;
pub use plan::{plan, plan_with_matrix, DayRoute, Family, Plan, PlanError, PlanOptions, Unserved};
pub use schedule::{Calendar, Events, Passage, Status};
