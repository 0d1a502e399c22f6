//! Planning the Tarn-et-Garonne tours from the shipped sites and vehicles.

mod common;

use std::collections::HashMap;

use chrono::Datelike;
use common::*;
use maillage_tours::schedule::{build, Events};
use maillage_tours::{Slot, WeekRule};

#[test]
fn every_tarn_et_garonne_site_gets_a_regular_day() {
    let plan = tarn_et_garonne_plan();
    let sites = sites();
    assert_eq!(sites.len(), 27);
    assert!(plan.unserved.is_empty(), "{:?}", plan.unserved);
    for s in &sites {
        assert!(plan.assignment(&s.id).is_some(), "{} has no day", s.id);
    }
    eprintln!(
        "driving per template: {} min, routes: {}, load: {:?}, solve: {} ms",
        plan.template_driving_s / 60,
        plan.routes.len(),
        plan.load(&vehicles()),
        plan.solve_ms
    );
}

#[test]
fn routes_leave_and_return_within_the_working_day() {
    let plan = tarn_et_garonne_plan();
    let vehicles = vehicles();
    for r in &plan.routes {
        let v = vehicles.iter().find(|v| v.id == r.vehicle_id).unwrap();
        assert!(r.leave >= v.start && r.back <= v.end, "{r:?}");
        // At most one morning, one afternoon, or one full day.
        let mut slots: Vec<Slot> = r.stops.iter().map(|s| s.slot).collect();
        slots.sort();
        slots.dedup();
        assert_eq!(slots.len(), r.stops.len(), "{r:?}");
        assert!(v.days.contains(&r.weekday));
    }
}

#[test]
fn load_is_balanced_between_the_three_vehicles() {
    let plan = tarn_et_garonne_plan();
    let load: Vec<usize> = plan.load(&vehicles()).into_iter().map(|l| l.1).collect();
    let (min, max) = (load.iter().min().unwrap(), load.iter().max().unwrap());
    assert!(max - min <= 2, "{load:?}");
}

#[test]
fn the_routes_pair_neighbouring_sites() {
    // A cheap lower bound check: the plan drives less than serving every site alone
    // (base → site → base), i.e. the solver really pairs sites on a day.
    let plan = tarn_et_garonne_plan();
    let m = &plan.matrix;
    let base = m.index("base:bus-1").unwrap();
    let alone: u64 = sites()
        .iter()
        .map(|s| {
            let i = m.index(&s.id).unwrap();
            (m.get(base, i) + m.get(i, base)) as u64
        })
        .sum();
    assert!(
        plan.template_driving_s < alone,
        "{} vs {alone}",
        plan.template_driving_s
    );
}

#[test]
fn three_months_give_two_passages_a_month_per_site() {
    let plan = tarn_et_garonne_plan();
    let sites = sites();
    let cal = build(
        plan,
        &sites,
        &vehicles(),
        d(2027, 1, 1),
        d(2027, 3, 31),
        &Events::default(),
    )
    .unwrap();
    // Two regular dates a month per site; a date that cannot be held (holiday, no free day
    // to move to) still appears, with a notice: nothing is dropped silently.
    let mut count: HashMap<(&str, u32), usize> = HashMap::new();
    let mut held = 0;
    for p in &cal.passages {
        let regular = match &p.status {
            maillage_tours::Status::Moved { from, .. } => *from,
            _ => p.date,
        };
        *count
            .entry((p.site_id.as_str(), regular.month()))
            .or_default() += 1;
        if p.takes_place() {
            held += 1;
        }
        if p.status != maillage_tours::Status::Scheduled {
            assert!(p.notice.is_some(), "{p:?}");
        }
    }
    for s in &sites {
        for m in 1..=3 {
            assert_eq!(
                count.get(&(s.id.as_str(), m)),
                Some(&2),
                "{} in month {m}",
                s.id
            );
        }
    }
    // January 1st is the only holiday of the quarter on a weekday: almost all are held.
    assert!(
        held >= cal.passages.len() - 3,
        "{held} of {}",
        cal.passages.len()
    );
    // Monthly family: 1st & 3rd or 2nd & 4th.
    for r in &plan.routes {
        assert!(matches!(&r.weeks, WeekRule::Nth(n) if n == &vec![1, 3] || n == &vec![2, 4]));
    }
}

#[test]
fn polish_never_lengthens_the_solver_plan_and_keeps_days_feasible() {
    let (sites, vehicles) = maillage_tours::bench::synthetic(60, 4, 7);
    let options = maillage_tours::PlanOptions {
        max_generations: 100,
        ..Default::default()
    };
    let polished = maillage_tours::plan(&sites, &vehicles, &options).unwrap();
    // The same run, before and after the polish.
    assert!(polished.template_driving_s <= polished.solver_driving_s);
    let served: usize = polished.routes.iter().map(|r| r.stops.len()).sum();
    assert_eq!(served + polished.unserved.len(), 60);
    for r in &polished.routes {
        let v = vehicles.iter().find(|v| v.id == r.vehicle_id).unwrap();
        assert!(r.leave >= v.start && r.back <= v.end, "{r:?}");
    }
    // Every site appears once.
    let mut ids: Vec<&str> = polished
        .routes
        .iter()
        .flat_map(|r| r.stops.iter().map(|s| s.site_id.as_str()))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), served);
}
