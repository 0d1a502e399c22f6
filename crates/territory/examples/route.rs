//! Prints the quickest route between two points of an OSM extract (debugging aid):
//! `cargo run -p maillage-territory --example route -- FILE.osm.pbf LAT1 LON1 LAT2 LON2`.
use maillage_model::Position;
use maillage_territory::roads::{RoadGraph, SpeedProfile};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 6 {
        eprintln!("usage : route FICHIER.osm.pbf LAT1 LON1 LAT2 LON2");
        std::process::exit(2);
    }
    let n = |i: usize| a[i].parse::<f64>().unwrap_or(f64::NAN);
    let g = match RoadGraph::from_pbf(
        std::path::Path::new(&a[1]),
        &SpeedProfile::routino_motorcar(),
    ) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("Erreur : {e}");
            std::process::exit(1);
        }
    };
    match g.route_path(Position::new(n(2), n(3)), Position::new(n(4), n(5)), 0.5) {
        Some((s, km, path)) => {
            println!("{s:.1} s, {km:.3} km, {} points", path.len());
            for p in path {
                println!("{:.6}\t{:.6}", p.lat, p.lon);
            }
        }
        None => println!("pas d'itinéraire"),
    }
}
