//! The tours planned on real roads: the road matrix from the real Monaco extract replaces the
//! straight-line estimate where the roads can route, keeps it where they cannot, and the
//! planner lays out a calendar with it.

use chrono::NaiveDate;
use maillage_model::Position;
use maillage_territory::roads::{RoadGraph, SpeedProfile};
use maillage_territory::shared_data_dir;
use maillage_tours::input::{read_sites, read_vehicles};
use maillage_tours::schedule::Events;
use maillage_tours::{PlanOptions, TourBook};

const SITES: &str = "\
id,nom,type_lieu,commune,code_insee,code_postal,adresse,latitude,longitude,position,rythme,creneau
mc-fontvieille,Salle de Fontvieille,mairie,Monaco,99138,98000,,43.7308,7.4180,adresse,,
mc-casino,Salle du Casino,mairie,Monaco,99138,98000,,43.7396,7.4279,adresse,,
mc-larvotto,Salle du Larvotto,mairie,Monaco,99138,98000,,43.7465,7.4350,adresse,,
mc-large,Bateau au large,mairie,Monaco,99138,98000,,43.60,7.60,adresse,,
";
const VEHICLES: &str = "\
id,nom,base,base_latitude,base_longitude,equipage,jours,debut,fin
bus-mc,Bus de Monaco,Port Hercule,43.7347,7.4206,agent-1 agent-2,Mo-Fr,08:00,18:00
";

#[test]
fn road_times_replace_the_estimate_where_the_roads_route() {
    let pbf = shared_data_dir().join("osm/monaco.osm.pbf");
    let graph = RoadGraph::from_pbf(&pbf, &SpeedProfile::default()).expect("graphe routier");
    let sites = read_sites("sites", SITES).expect("sites");
    let vehicles = read_vehicles("vehicules", VEHICLES).expect("véhicules");
    let estimate = maillage_tours::plan::estimate_matrix(&sites, &vehicles);
    let (road, routed) = maillage_directory::tours::road_matrix(&graph, &sites, &vehicles);
    assert_eq!(road.ids, estimate.ids);
    let at = |id: &str| road.index(id).expect(id);
    let (base, casino, large) = (at("base:bus-mc"), at("mc-casino"), at("mc-large"));
    // Base, Fontvieille, Casino and Larvotto are on the roads: 4 × 3 trips routed; the boat
    // out at sea is not snapped and keeps the estimate both ways.
    assert_eq!(routed, 12, "{:?}", road.durations);
    assert_eq!(road.get(large, base), estimate.get(large, base));
    assert_eq!(road.get(base, large), estimate.get(base, large));
    // A routed trip is the graph's own answer, not the estimate.
    let expected = graph
        .route_seconds(
            Position::new(43.7347, 7.4206),
            Position::new(43.7396, 7.4279),
            2.0,
        )
        .expect("route");
    assert_eq!(road.get(base, casino), expected.round() as u32);
    assert_ne!(road.get(base, casino), estimate.get(base, casino));
    assert_eq!(road.get(casino, casino), 0);

    // The planner takes it.
    let from = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    let options = PlanOptions {
        max_generations: 200,
        ..PlanOptions::default()
    };
    let book = TourBook::new_with(
        sites,
        vehicles,
        Events::default(),
        from,
        to,
        &options,
        |s, v| maillage_directory::tours::road_matrix(&graph, s, v).0,
    )
    .expect("plan on roads");
    assert!(
        book.calendar
            .passages
            .iter()
            .any(|p| p.site_id == "mc-casino"),
        "the casino is served"
    );
}
