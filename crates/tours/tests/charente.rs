//! The Charente bus (Emmaüs Ruffec) publishes its 12 stops by week parity
//! (`ouverture`: "Semaine paire" / "Semaine impaire"), an information the ANCT's conversion
//! to the standard v0.1 lost. Its stops as fixed even/odd-week patterns: the planner keeps
//! every pattern, the export puts the parity back into the OSM hours, and the one stop the
//! source geocoded 500 km away (Valence, placed by the address service in the Bouches-du-Rhône
//! area) is reported instead of planned.

mod common;

use chrono::{NaiveTime, Weekday};
use common::*;
use maillage_model::Position;
use maillage_tours::publish::osm_hours;
use maillage_tours::*;

fn charente() -> (Vec<Site>, Vec<Vehicle>) {
    let text = read(
        &shared_data().join("lieux-mediation-numerique/bus-france-services-charente-source.json"),
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let sites = rows
        .iter()
        .map(|r| {
            let hours = r["horaires"].as_str().unwrap();
            let day = weekday_parse(&hours[..2]).unwrap();
            let ranges = hours[3..].split(';').next().unwrap();
            let morning = ranges.split(',').any(|r| r < "12:00");
            let afternoon = ranges.split(',').any(|r| r >= "13:00");
            let slot = match (morning, afternoon) {
                (true, true) => Slot::FullDay,
                (true, false) => Slot::Morning,
                _ => Slot::Afternoon,
            };
            let even = r["ouverture"].as_str().unwrap() == "Semaine paire";
            Site {
                id: format!("charente-{}", r["id"]),
                name: r["nom"].as_str().unwrap().to_string(),
                kind: VenueKind::SalleCommunale,
                commune: r["commune"].as_str().unwrap().to_string(),
                code_insee: r["code_insee"].to_string(),
                code_postal: r["code_postal"].to_string(),
                address: r["adresse"].as_str().unwrap().to_string(),
                position: Some(Position::new(
                    r["latitude"].as_f64().unwrap(),
                    r["longitude"].as_f64().unwrap(),
                )),
                position_source: PositionSource::Address,
                rhythm: Rhythm::Fixed(Pattern {
                    weekday: day,
                    weeks: WeekRule::EvenWeeks(even),
                    slot,
                }),
                slot: None,
            }
        })
        .collect();
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let bus = Vehicle {
        id: "bus-charente".into(),
        name: "Bus France Services".into(),
        base_name: "Emmaüs, Ruffec".into(),
        base: Position::new(46.0286, 0.1986),
        crew: vec!["a".into(), "b".into()],
        days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ],
        start: t(8),
        end: t(18),
    };
    (sites, vec![bus])
}

#[test]
fn charente_bus_keeps_its_even_and_odd_weeks() {
    let (sites, vehicles) = charente();
    assert_eq!(sites.len(), 12);
    let options = PlanOptions {
        family: Family::Parity,
        max_generations: 200,
        ..Default::default()
    };
    let p = plan(&sites, &vehicles, &options).unwrap();
    // Valence: the source's geocoder put it near Marseille.
    assert_eq!(p.unserved.len(), 1, "{:?}", p.unserved);
    assert!(p.unserved[0].reason.contains("Valence") && p.unserved[0].reason.contains("trop loin"));
    for s in sites.iter().filter(|s| s.commune != "Valence") {
        let (_, pattern) = p
            .assignment(&s.id)
            .unwrap_or_else(|| panic!("{} not planned", s.commune));
        let Rhythm::Fixed(fixed) = &s.rhythm else {
            unreachable!()
        };
        assert_eq!(&pattern, fixed, "{}", s.commune);
        let h = osm_hours(&p, &s.id).unwrap();
        let rule = if fixed.weeks == WeekRule::EvenWeeks(true) {
            "week 02-52/2 "
        } else {
            "week 01-53/2 "
        };
        assert!(h.starts_with(rule), "{}: {h}", s.commune);
        maillage_model::hours::parse(&h).unwrap();
    }
}
