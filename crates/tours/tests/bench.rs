//! Benchmarks (ignored by default; run with
//! `cargo test --release -p maillage-tours --test bench -- --ignored --nocapture`).
//!
//! Plans the Tarn-et-Garonne case and the synthetic 200 sites / 10 vehicles case, prints the
//! driving time the solver left and after the local polish (same run) as a ratio, and writes each instance with our answer to
//! `target/tours-bench/*.json` for `bench/tours/compare.py` (VROOM, OR-Tools).

mod common;

use std::time::Instant;

use common::*;
use maillage_tours::bench::{instance_json, synthetic};
use maillage_tours::schedule::{build, Events};
use maillage_tours::{plan, PlanOptions, Site, Vehicle};

fn run(name: &str, sites: &[Site], vehicles: &[Vehicle], generations: usize) {
    let out = workspace().join("target/tours-bench");
    std::fs::create_dir_all(&out).unwrap();
    let options = PlanOptions {
        max_generations: generations,
        max_seconds: Some(300),
        ..Default::default()
    };
    let t = Instant::now();
    let p = plan(sites, vehicles, &options).unwrap();
    let t_plan = t.elapsed();
    let t = Instant::now();
    let cal = build(
        &p,
        sites,
        vehicles,
        d(2027, 1, 1),
        d(2027, 3, 31),
        &Events::default(),
    )
    .unwrap();
    let t_cal = t.elapsed();
    let served: usize = p.routes.iter().map(|r| r.stops.len()).sum();
    // Solver alone and after the polish come from the same run, so the ratio is not
    // blurred by the solver's run-to-run variation.
    println!(
        "{name} ({generations} generations): vrp-core {} min -> + polish {} min ({:.4}), {served} sites, {:.2} s | 3-month calendar: {} passages in {:.1} ms",
        p.solver_driving_s / 60,
        p.template_driving_s / 60,
        p.template_driving_s as f64 / p.solver_driving_s as f64,
        t_plan.as_secs_f64(),
        cal.passages.len(),
        t_cal.as_secs_f64() * 1000.0
    );
    let path = out.join(format!("{name}-{generations}.json"));
    std::fs::write(&path, instance_json(name, sites, vehicles, &p).to_string()).unwrap();
    println!("  instance: {}", path.display());
}

#[test]
#[ignore]
fn bench_tarn_et_garonne() {
    for g in [300, 1000] {
        run("tarn-et-garonne", &sites(), &vehicles(), g);
    }
}

#[test]
#[ignore]
fn bench_synthetic_200_sites_10_vehicles() {
    let (sites, vehicles) = synthetic(200, 10, 82);
    for g in [1000, 3000] {
        run("synthetic-200x10", &sites, &vehicles, g);
    }
}
