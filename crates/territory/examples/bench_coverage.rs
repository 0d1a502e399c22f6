//! Benchmark of the observatory, printing every figure as a ratio against a baseline run in
//! the same process:
//!
//! `cargo run --release -p maillage-territory --example bench_coverage`
//!
//! 1. loading the referential of all France, against just reading and CSV-parsing its files;
//! 2. coverage of the ~34,900 communes against every place of the national lists, R*-tree
//!    against the naive all-pairs loop (same answers checked);
//! 3. road graph on the Monaco extract: build time against a bare parse of the PBF, memory per
//!    million edges, time of one full one-to-all search per origin, and the extrapolation to a
//!    département-sized extract;
//! 4. site suggestion, greedy against the exact optimum, on the four départements with
//!    polygons.

use std::time::Instant;

use chrono::NaiveDate;
use maillage_model::{Dispositif, Place, Position};
use maillage_standard::read::{read_path, Format};
use maillage_standard::record::SourceFile;
use maillage_territory::coverage::{compute_naive, Category, CoverageOptions};
use maillage_territory::roads::{RoadGraph, SpeedProfile};
use maillage_territory::sites::SiteProblem;
use maillage_territory::{compute, shared_data_dir, Referential};

fn read(r: &Referential, rel: &str, format: Format, source: &str) -> Vec<Place> {
    let file = SourceFile {
        source: source.into(),
        date: NaiveDate::from_ymd_opt(2024, 8, 1).unwrap_or_default(),
    };
    let mut v = Vec::new();
    let res = read_path(
        &shared_data_dir().join(rel),
        &format,
        &file,
        Some(r),
        &mut |rec| {
            let mut p = rec.place;
            p.id = format!("{source}:{}", rec.source.source_id);
            v.push(p);
        },
    );
    if let Err(e) = res {
        eprintln!("  ({rel} : lecteur indisponible : {e})");
    }
    v
}

/// The conseiller numérique list read directly (when the project's reader cannot yet).
fn cnfs_by_hand() -> Vec<Place> {
    let path = shared_data_dir()
        .join("lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
    rows.iter()
        .map(|r| {
            let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            let f = |k: &str| r.get(k).and_then(|v| v.as_f64());
            Place {
                id: format!("cnfs:{}", s("id")),
                nom: s("nom"),
                commune: s("commune"),
                code_postal: s("code_postal"),
                position: f("latitude")
                    .zip(f("longitude"))
                    .map(|(a, b)| Position::new(a, b)),
                dispositif_programmes_nationaux: vec![Dispositif::ConseillersNumeriques],
                ..Place::default()
            }
        })
        .collect()
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    let dir = shared_data_dir();
    println!("== 1. Référentiel (toute la France)");
    let t = Instant::now();
    let mut bytes = 0usize;
    let mut records = 0usize;
    for (rel, delim) in [
        ("communes/cog-2026-communes.csv", b','),
        ("communes/populations-legales-2023.csv", b';'),
        ("communes/communes-2024-centroides-population.csv", b','),
        ("ifn/ifn-communes.csv", b','),
        ("ifn/ifn-epci.csv", b','),
    ] {
        let data = std::fs::read(dir.join(rel)).unwrap_or_default();
        bytes += data.len();
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delim)
            .from_reader(&data[..]);
        records += rdr.byte_records().count();
    }
    let json = std::fs::read(dir.join("communes/epci-membres-population.json")).unwrap_or_default();
    let _: serde_json::Value = serde_json::from_slice(&json).unwrap_or_default();
    let baseline = t.elapsed();
    let t = Instant::now();
    let r = match Referential::load_shared(&dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Erreur : {e}");
            std::process::exit(1);
        }
    };
    let load = t.elapsed();
    println!(
        "  base (lire + analyser les CSV/JSON, {} Mo, {records} lignes) : {:.3} s",
        (bytes + json.len()) / 1_000_000,
        baseline.as_secs_f64()
    );
    println!(
        "  Referential::load_shared ({} communes, {} EPCI, {} polygones) : {:.3} s, ratio {:.2}× la base",
        r.communes.len(),
        r.epcis.len(),
        r.polygons.len(),
        load.as_secs_f64(),
        load.as_secs_f64() / baseline.as_secs_f64()
    );

    println!("== 2. Couverture : toutes les communes contre tous les lieux nationaux");
    let mut places = read(
        &r,
        "lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json",
        Format::CnfsJson,
        "cnfs",
    );
    if places.is_empty() {
        places = cnfs_by_hand();
    }
    let n_cnfs = places.len();
    places.extend(read(
        &r,
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
        "fs",
    ));
    let n_fs = places.len() - n_cnfs;
    places.extend(read(
        &r,
        "dispositifs/20240212-aidants-connect-structures.csv",
        Format::AidantsConnect,
        "ac",
    ));
    let n_ac = places.len() - n_cnfs - n_fs;
    println!(
        "  lieux : {} (conseillers numériques {n_cnfs}, France Services {n_fs}, Aidants Connect {n_ac})",
        places.len()
    );
    let options = CoverageOptions::default();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let t = Instant::now();
    let fast = compute(&r, &places, &options);
    let fast_t = t.elapsed();
    let t = Instant::now();
    let naive = compute_naive(&r, &places, &options);
    let naive_t = t.elapsed();
    let same = fast.communes.iter().zip(&naive.communes).all(|(a, b)| {
        a.access
            .iter()
            .zip(&b.access)
            .all(|(x, y)| x.nearest.as_ref().map(|n| n.km) == y.nearest.as_ref().map(|n| n.km))
    });
    println!(
        "  {} communes × {} catégories, {} lieux utilisés ({} placés au centre de leur commune, {} exclus), {threads} fils",
        fast.communes.len(),
        fast.categories.len(),
        fast.places_used,
        fast.places_at_commune_centre,
        fast.excluded_places.len()
    );
    println!("  R*-tree : {:.3} s", fast_t.as_secs_f64());
    println!(
        "  naïf (toutes les paires) : {:.3} s",
        naive_t.as_secs_f64()
    );
    println!(
        "  ratio naïf / R*-tree : {:.1}×, réponses identiques : {same}",
        naive_t.as_secs_f64() / fast_t.as_secs_f64()
    );
    for f in fast
        .by_departement(&r, Category::Any)
        .iter()
        .filter(|f| ["03", "35", "82", "87"].contains(&f.code.as_str()))
    {
        let w: Vec<String> = f
            .within
            .iter()
            .map(|w| {
                format!(
                    "{:.0} min {:.1} %",
                    w.minutes,
                    100.0 * w.share(f.population)
                )
            })
            .collect();
        println!(
            "  dép. {} ({} hab.) tout lieu : {}",
            f.code,
            f.population,
            w.join(", ")
        );
    }
    let total_pop: u64 = fast.communes.iter().map(|c| u64::from(c.population)).sum();
    let any = fast.category_index(Category::Any).unwrap_or(0);
    for m in &options.thresholds_min {
        let covered: u64 = fast
            .communes
            .iter()
            .filter(|c| c.access[any].reach(*m) != maillage_territory::coverage::Reach::None)
            .map(|c| u64::from(c.population))
            .sum();
        println!(
            "  France, tout lieu à {m} min : {:.1} % de {total_pop} hab.",
            100.0 * covered as f64 / total_pop as f64
        );
    }

    println!("== 3. Graphe routier (Monaco)");
    let pbf = dir.join("osm/monaco.osm.pbf");
    let t = Instant::now();
    let mut elements = 0usize;
    if let Ok(reader) = osmpbf::ElementReader::from_path(&pbf) {
        let _ = reader.for_each(|_| elements += 1);
    }
    let parse = t.elapsed();
    let t = Instant::now();
    let g = match RoadGraph::from_pbf(&pbf, &SpeedProfile::default()) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("Erreur : {e}");
            std::process::exit(1);
        }
    };
    let build = t.elapsed();
    let size = std::fs::metadata(&pbf).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "  fichier {size:.2} Mo, {elements} éléments OSM ; simple lecture : {:.3} s",
        parse.as_secs_f64()
    );
    println!(
        "  construction : {:.3} s ({:.2}× la simple lecture, qui est faite deux fois) ; {} voies, {} nœuds, {} arcs, {} nœuds d'accroche",
        build.as_secs_f64(),
        build.as_secs_f64() / parse.as_secs_f64(),
        g.stats.ways,
        g.stats.nodes,
        g.stats.edges,
        g.stats.snappable_nodes
    );
    let per_medge = g.stats.bytes as f64 / g.stats.edges as f64;
    println!(
        "  mémoire du graphe : {:.2} Mo, soit {:.0} octets par arc = {:.0} Mo par million d'arcs (pic du processus {:.0} Mo)",
        g.stats.bytes as f64 / 1e6,
        per_medge,
        per_medge,
        peak_rss_mb()
    );
    // One full one-to-all search per origin (as each commune needs with a bounded search).
    let origins: Vec<u32> = (0..g.node_count() as u32)
        .step_by((g.node_count() / 200).max(1))
        .take(200)
        .collect();
    let t = Instant::now();
    let mut reached = 0usize;
    for &o in &origins {
        reached += g
            .nearest_sources_reverse(&[(o, 0.0, 0)], f64::INFINITY)
            .get(o)
            .map(|_| 1)
            .unwrap_or(0);
    }
    let q = t.elapsed().as_secs_f64() / origins.len() as f64;
    println!(
        "  recherche complète depuis une origine : {:.3} ms ({} origines, {reached} atteintes) = {:.0} ns par arc",
        q * 1e3,
        origins.len(),
        q * 1e9 / g.stats.edges as f64
    );
    // Monaco's extract is mostly buildings: roads are 8 % of its nodes. A rural département
    // has a larger share of roads, so the extrapolation takes the measured density and four
    // times it as the bounds.
    let edges_per_mb = g.stats.edges as f64 / size;
    let secs_per_mb = build.as_secs_f64() / size;
    for mb in [20.0, 40.0] {
        for density in [1.0, 4.0] {
            let edges = edges_per_mb * density * mb;
            println!(
                "  extrapolation {mb:.0} Mo (densité ×{density:.0}) : {:.2} M arcs, construction ~{:.1} s, graphe ~{:.0} Mo, une recherche complète ~{:.0} ms, couverture (12 catégories × 2 recherches multi-sources) ~{:.1} s",
                edges / 1e6,
                secs_per_mb * mb,
                per_medge * edges / 1e6,
                q / g.stats.edges as f64 * edges * 1e3,
                24.0 * q / g.stats.edges as f64 * edges
            );
        }
    }

    println!("== 4. Sites suggérés : glouton contre optimum exact (France Services, 10 min)");
    let fs: Vec<Place> = places
        .iter()
        .filter(|p| {
            p.dispositif_programmes_nationaux
                .contains(&Dispositif::FranceServices)
        })
        .cloned()
        .collect();
    for dep in ["82", "03", "87", "35"] {
        let o = CoverageOptions {
            departement: Some(dep.into()),
            ..CoverageOptions::default()
        };
        let cov = compute(&r, &fs, &o);
        let p = SiteProblem::from_coverage(&cov, Category::FranceServices, 10.0);
        for k in [1, 3, 5] {
            let t = Instant::now();
            let g = p.greedy(k);
            let gt = t.elapsed();
            let t = Instant::now();
            let e = p.exact(k, 200_000_000);
            let et = t.elapsed();
            match e {
                Some(e) => println!(
                    "  dép. {dep} k={k} : glouton {} hab. (poids {:.0}, {:.1} ms), optimum {} hab. (poids {:.0}, {:.1} ms), écart {:.2} %",
                    g.population,
                    g.weight,
                    gt.as_secs_f64() * 1e3,
                    e.population,
                    e.weight,
                    et.as_secs_f64() * 1e3,
                    100.0 * (e.weight - g.weight) / e.weight.max(1e-9)
                ),
                None => println!("  dép. {dep} k={k} : glouton {} hab. ; optimum hors budget", g.population),
            }
        }
    }
}
