//! The road graph on the real Monaco extract, checked against an independent router
//! (routino), and its bad inputs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use maillage_model::Position;
use maillage_territory::roads::{RoadError, RoadGraph, SpeedProfile};
use maillage_territory::shared_data_dir;

fn monaco() -> PathBuf {
    shared_data_dir().join("osm/monaco.osm.pbf")
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("maillage-territory-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dossier temporaire");
    d
}

/// Fixed pairs across the extract (name, from, to).
type LatLon = (f64, f64);
const PAIRS: &[(&str, LatLon, LatLon)] = &[
    ("Fontvieille → Casino", (43.7308, 7.4180), (43.7396, 7.4279)),
    ("Casino → Fontvieille", (43.7396, 7.4279), (43.7308, 7.4180)),
    ("Cap-d'Ail → Larvotto", (43.7225, 7.4040), (43.7465, 7.4350)),
    (
        "Beausoleil → Port Hercule",
        (43.7430, 7.4240),
        (43.7355, 7.4225),
    ),
    (
        "La Turbie → Monte-Carlo",
        (43.7455, 7.4003),
        (43.7396, 7.4279),
    ),
    (
        "Roquebrune → Fontvieille",
        (43.7590, 7.4620),
        (43.7308, 7.4180),
    ),
    (
        "Moneghetti → Saint-Roman",
        (43.7370, 7.4140),
        (43.7530, 7.4450),
    ),
];

/// Options that make routino's `--quickest` minimise travel time only, as our Dijkstra does:
/// every highway preference at 100 % (by default routino prefers primaries to residential
/// streets and will take a slower route for it), every way property at 50 % (neutral: at
/// 100 %, ways *without* the property would be forbidden), and no turn restrictions (we do
/// not model them). `MAILLAGE_ROUTINO_OPTIONS` overrides them for experiments.
const ROUTINO_NEUTRAL: &str = "--turns=0 --highway-motorway=100 --highway-trunk=100 \
    --highway-primary=100 --highway-secondary=100 --highway-tertiary=100 \
    --highway-unclassified=100 --highway-residential=100 --highway-service=100 \
    --property-multilane=50 --property-bridge=50 --property-tunnel=50 \
    --property-footroute=50 --property-bicycleroute=50";

fn routino_options() -> Vec<String> {
    let text =
        std::env::var("MAILLAGE_ROUTINO_OPTIONS").unwrap_or_else(|_| ROUTINO_NEUTRAL.to_string());
    text.split_whitespace().map(String::from).collect()
}

fn tool_available(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
            panic!("{tool} est absent alors que CI est positionné : apt-get install routino");
        }
        eprintln!(
            "\n!!!!! {tool} absent : test contre routino SAUTÉ (apt-get install routino) !!!!!\n"
        );
    }
    found
}

/// Seconds of routino's quickest route, summing its per-segment durations (0.01 min each).
fn routino_seconds(dir: &Path, from: (f64, f64), to: (f64, f64)) -> Option<f64> {
    let out = Command::new("routino-router")
        .arg(format!("--dir={}", dir.display()))
        .args([
            "--profile=motorcar",
            "--quickest",
            "--exact-nodes-only",
            "--quiet",
        ])
        .args(["--output-text-all", "--output-stdout"])
        .args(routino_options())
        .arg(format!("--lat1={}", from.0))
        .arg(format!("--lon1={}", from.1))
        .arg(format!("--lat2={}", to.0))
        .arg(format!("--lon2={}", to.1))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut minutes = 0.0;
    let mut rows = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        if let Some(m) = cols.get(5).and_then(|s| s.parse::<f64>().ok()) {
            minutes += m;
            rows += 1;
        }
    }
    (rows > 1).then_some(minutes * 60.0)
}

#[test]
fn monaco_travel_times_agree_with_routino_within_10_percent() {
    if !tool_available("planetsplitter") || !tool_available("routino-router") {
        return;
    }
    let dir = temp_dir("routino");
    let status = Command::new("planetsplitter")
        .arg(format!("--dir={}", dir.display()))
        .arg("--tagging=/usr/share/routino/tagging.xml")
        .arg(monaco())
        .output()
        .expect("planetsplitter");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let graph = RoadGraph::from_pbf(&monaco(), &SpeedProfile::routino_motorcar()).expect("graphe");
    let mut worst: f64 = 0.0;
    let mut compared = 0;
    for (name, from, to) in PAIRS {
        // Both routers start from the same OSM node: the one we snap to, whose exact
        // position routino (with --exact-nodes-only) snaps to as well. The test is about
        // travel times, not about which of two equidistant nodes a point snaps to.
        let snapped = |p: (f64, f64)| {
            graph
                .snap(Position::new(p.0, p.1), 0.3)
                .map(|(n, _)| graph.position(n))
                .expect("point sur le réseau")
        };
        let (a, b) = (snapped(*from), snapped(*to));
        let ours = graph.route_seconds(a, b, 0.01);
        let theirs = routino_seconds(&dir, (a.lat, a.lon), (b.lat, b.lon));
        eprintln!("{name}: maillage {ours:?} s, routino {theirs:?} s");
        let (Some(ours), Some(theirs)) = (ours, theirs) else {
            panic!("{name}: pas d'itinéraire (maillage {ours:?}, routino {theirs:?})");
        };
        let gap = (ours - theirs).abs() / theirs;
        eprintln!("    écart {:.1} %", gap * 100.0);
        worst = worst.max(gap);
        compared += 1;
    }
    eprintln!(
        "écart maximal : {:.1} % sur {compared} trajets",
        worst * 100.0
    );
    assert_eq!(compared, PAIRS.len());
    assert!(worst < 0.10, "écart maximal {:.1} %", worst * 100.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn monaco_graph_is_built_and_one_way_streets_make_trips_asymmetric() {
    let t = Instant::now();
    let graph = RoadGraph::from_pbf(&monaco(), &SpeedProfile::default()).expect("graphe");
    eprintln!("{:?} en {:?}", graph.stats, t.elapsed());
    assert!(graph.stats.edges > 5_000);
    assert!(graph.stats.snappable_nodes > graph.stats.nodes / 2);
    let a = Position::new(43.7308, 7.4180);
    let b = Position::new(43.7396, 7.4279);
    let there = graph.route_seconds(a, b, 0.3).expect("aller");
    let back = graph.route_seconds(b, a, 0.3).expect("retour");
    assert!(there > 60.0 && back > 60.0);
    assert!(
        (there - back).abs() > 1.0,
        "aller {there} s, retour {back} s"
    );
    // A point in the sea is not snapped.
    assert!(graph.snap(Position::new(43.70, 7.45), 0.3).is_none());
}

#[test]
fn a_file_that_is_not_a_pbf_is_a_clear_error() {
    let dir = temp_dir("bad");
    let p = dir.join("pas-un.osm.pbf");
    std::fs::write(
        &p,
        b"<osm>ceci n'est pas un PBF</osm> and more random bytes \x00\x13\x37",
    )
    .expect("écriture");
    let err = RoadGraph::from_pbf(&p, &SpeedProfile::default())
        .err()
        .expect("erreur");
    assert!(matches!(err, RoadError::NotPbf { .. }), "{err}");
    assert!(err
        .to_string()
        .contains("n'est pas un extrait OpenStreetMap"));
}

#[test]
fn an_empty_file_is_a_clear_error() {
    let dir = temp_dir("empty");
    let p = dir.join("vide.osm.pbf");
    std::fs::write(&p, b"").expect("écriture");
    let err = RoadGraph::from_pbf(&p, &SpeedProfile::default())
        .err()
        .expect("erreur");
    assert!(matches!(err, RoadError::Empty(_)), "{err}");
    let missing = RoadGraph::from_pbf(&dir.join("absent.osm.pbf"), &SpeedProfile::default());
    assert!(matches!(missing, Err(RoadError::Io { .. })));
}

// A minimal, valid PBF holding one node and no way, written by hand (protobuf encoding).
fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
fn field_bytes(n: u64, data: &[u8], out: &mut Vec<u8>) {
    varint(n << 3 | 2, out);
    varint(data.len() as u64, out);
    out.extend_from_slice(data);
}
fn field_varint(n: u64, v: u64, out: &mut Vec<u8>) {
    varint(n << 3, out);
    varint(v, out);
}
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}
fn blob(kind: &str, payload: &[u8], out: &mut Vec<u8>) {
    let mut b = Vec::new();
    field_bytes(1, payload, &mut b); // raw
    field_varint(2, payload.len() as u64, &mut b); // raw_size
    let mut h = Vec::new();
    field_bytes(1, kind.as_bytes(), &mut h);
    field_varint(3, b.len() as u64, &mut h);
    out.extend_from_slice(&(h.len() as u32).to_be_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(&b);
}

#[test]
fn a_pbf_without_roads_is_a_clear_error() {
    let mut header = Vec::new();
    field_bytes(4, b"OsmSchema-V0.6", &mut header);
    let mut node = Vec::new();
    field_varint(1, zigzag(42), &mut node);
    field_varint(8, zigzag(437_300_000), &mut node); // lat in 100 nanodegrees
    field_varint(9, zigzag(74_200_000), &mut node);
    let mut group = Vec::new();
    field_bytes(1, &node, &mut group);
    let mut strings = Vec::new();
    field_bytes(1, b"", &mut strings);
    let mut block = Vec::new();
    field_bytes(1, &strings, &mut block);
    field_bytes(2, &group, &mut block);
    let mut file = Vec::new();
    blob("OSMHeader", &header, &mut file);
    blob("OSMData", &block, &mut file);
    let dir = temp_dir("noroads");
    let p = dir.join("sans-routes.osm.pbf");
    std::fs::write(&p, &file).expect("écriture");
    let err = RoadGraph::from_pbf(&p, &SpeedProfile::default())
        .err()
        .expect("erreur");
    assert!(matches!(err, RoadError::NoRoads(_)), "{err}");
    assert!(err.to_string().contains("aucune route"));
}

mod common;

#[test]
fn coverage_by_road_on_the_communes_around_monaco() {
    use maillage_model::{Dispositif, Place};
    use maillage_territory::coverage::{compute_with_roads, Category, CoverageOptions};
    let r = common::referential();
    let graph = RoadGraph::from_pbf(&monaco(), &SpeedProfile::default()).expect("graphe");
    // Two places: one in Monaco (Casino), one in Beausoleil.
    let mk = |id: &str, lat: f64, lon: f64| Place {
        id: id.into(),
        nom: id.into(),
        position: Some(Position::new(lat, lon)),
        dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
        ..Place::default()
    };
    let places = vec![
        mk("casino", 43.7396, 7.4279),
        mk("beausoleil", 43.7430, 7.4240),
    ];
    let options = CoverageOptions {
        departement: Some("06".into()),
        ..CoverageOptions::default()
    };
    let mut steps = 0;
    let cov = compute_with_roads(r, &places, &options, &graph, |_, _| steps += 1);
    assert!(cov.by_road);
    assert!(steps >= 24);
    let fs = cov
        .category_index(Category::FranceServices)
        .expect("catégorie");
    let by_road: Vec<_> = cov
        .communes
        .iter()
        .filter(|c| c.access[fs].nearest.as_ref().is_some_and(|n| n.by_road))
        .collect();
    for c in &by_road {
        let n = c.access[fs].nearest.as_ref().expect("lieu");
        eprintln!(
            "{} {} : {} à {:.2} km, {:.1} min par la route",
            c.code, c.nom, n.nom, n.km, n.minutes
        );
        // Never faster than a straight line at 110 km/h.
        assert!(n.minutes >= n.km / 110.0 * 60.0);
    }
    // The communes inside the extract (Beausoleil, Cap-d'Ail, La Turbie, Roquebrune) get road
    // times; the rest of the Alpes-Maritimes, outside the extract, keeps the estimate.
    assert!(by_road.iter().any(|c| c.code == "06012"), "Beausoleil");
    assert!(
        by_road.len() >= 3 && by_road.len() < 20,
        "{}",
        by_road.len()
    );
    let nice = cov
        .communes
        .iter()
        .find(|c| c.code == "06088")
        .expect("Nice");
    assert!(!nice.access[fs].nearest.as_ref().expect("lieu").by_road);
    // Beausoleil's time is the graph's own shortest path plus the two access legs.
    let b = cov
        .communes
        .iter()
        .find(|c| c.code == "06012")
        .expect("Beausoleil");
    let n = b.access[fs].nearest.as_ref().expect("lieu");
    let centre = b.centre.expect("centre");
    let target = places
        .iter()
        .find(|p| p.id == n.place_id)
        .and_then(|p| p.position)
        .expect("lieu");
    let (from, d1) = graph.snap(centre, 3.0).expect("accroche");
    let (to, d2) = graph.snap(target, 3.0).expect("accroche");
    let secs = graph.one_to_many(from, &[to], f64::INFINITY)[0].expect("chemin");
    let expected = (secs + (d1 + d2) / options.travel.slow_speed_kmh * 3600.0) / 60.0;
    assert!(
        (n.minutes - expected).abs() < 1e-6,
        "{} contre {}",
        n.minutes,
        expected
    );
}
