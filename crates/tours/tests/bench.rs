//! Benchmarks (ignored by default; run with
//! `cargo test --release -p maillage-tours --test bench -- --ignored --nocapture`).
//!
//! Plans the Tarn-et-Garonne case and the synthetic 200 sites / 10 vehicles case with the
//! solver alone and with the local polish, prints driving times as ratios against the solver
//! alone (same process), and writes each instance with our answer to
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
    let base = PlanOptions {
        max_generations: generations,
        max_seconds: Some(300),
        polish: false,
        ..Default::default()
    };
    let t = Instant::now();
    let raw = plan(sites, vehicles, &base).unwrap();
    let t_raw = t.elapsed();
    let t = Instant::now();
    let polished = plan(
        sites,
        vehicles,
        &PlanOptions {
            polish: true,
            ..base.clone()
        },
    )
    .unwrap();
    let t_pol = t.elapsed();
    let t = Instant::now();
    let cal = build(
        &polished,
        sites,
        vehicles,
        d(2027, 1, 1),
        d(2027, 3, 31),
        &Events::default(),
    )
    .unwrap();
    let t_cal = t.elapsed();
    let served = |p: &maillage_tours::Plan| p.routes.iter().map(|r| r.stops.len()).sum::<usize>();
    println!(
        "{name} ({generations} generations): vrp-core alone {} min, {} sites, {:.2} s | + polish {} min ({:.4} of alone), {} sites, {:.2} s | 3-month calendar: {} passages in {:.1} ms",
        raw.template_driving_s / 60,
        served(&raw),
        t_raw.as_secs_f64(),
        polished.template_driving_s / 60,
        polished.template_driving_s as f64 / raw.template_driving_s as f64,
        served(&polished),
        t_pol.as_secs_f64(),
        cal.passages.len(),
        t_cal.as_secs_f64() * 1000.0
    );
    let path = out.join(format!("{name}-{generations}.json"));
    std::fs::write(
        &path,
        instance_json(name, sites, vehicles, &polished).to_string(),
    )
    .unwrap();
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
