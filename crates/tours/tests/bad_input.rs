//! Bad input: each case gives a clear message naming the sites and days concerned, and
//! nothing published is dropped or moved without a notice.

mod common;

use chrono::Weekday;
use common::*;
use maillage_tours::input::{read_events, read_sites};
use maillage_tours::schedule::{build, Events};
use maillage_tours::{plan, Leave, Pattern, PlanOptions, Rhythm, Status};

fn quick() -> PlanOptions {
    PlanOptions {
        max_generations: 100,
        ..Default::default()
    }
}

#[test]
fn more_sites_than_the_vehicles_can_serve_are_named() {
    // One vehicle working Mondays only: 2 day kinds × 2 half-days = 4 sites at most.
    let mut vehicles = vehicles();
    vehicles.truncate(1);
    vehicles[0].days = vec![Weekday::Mon];
    let sites = sites();
    let p = plan(&sites, &vehicles, &quick()).unwrap();
    let served: usize = p.routes.iter().map(|r| r.stops.len()).sum();
    assert_eq!(served, 4);
    assert_eq!(p.unserved.len(), 23);
    for u in &p.unserved {
        let site = sites.iter().find(|s| s.id == u.site_id).unwrap();
        assert!(u.reason.contains(&site.name), "{}", u.reason);
        assert!(
            u.reason.contains("plus de demi-journée libre"),
            "{}",
            u.reason
        );
    }
}

#[test]
fn a_site_without_coordinates_is_reported_not_dropped() {
    let text = "id,nom,type_lieu,commune,code_insee,code_postal,adresse,latitude,longitude,position,rythme,creneau\n\
                82-x,Salle des fêtes,salle_communale,Saint-Loup,82162,82340,,,,,,\n";
    let mut sites = read_sites("sites.csv", text).unwrap();
    assert_eq!(sites[0].position, None);
    sites.extend(common::sites().into_iter().take(3));
    let p = plan(&sites, &vehicles(), &quick()).unwrap();
    let u = p.unserved.iter().find(|u| u.site_id == "82-x").unwrap();
    assert_eq!(u.reason, "Salle des fêtes (Saint-Loup) n'a pas de coordonnées : ajouter la position du lieu ou de la mairie");
    assert_eq!(p.routes.iter().map(|r| r.stops.len()).sum::<usize>(), 3);
}

#[test]
fn bad_rows_name_line_column_and_value() {
    let text = "id,nom,type_lieu,commune,code_insee,code_postal,adresse,latitude,longitude,position,rythme,creneau\n\
                82-a,Mairie,mairie,A,82001,82000,,44.0,1.3,centroide,,\n\
                82-b,Mairie,chapiteau,B,82002,82000,,44.0,1.3,centroide,,\n";
    let e = read_sites("sites.csv", text).unwrap_err().to_string();
    assert_eq!(e, "sites.csv, ligne 3 : type de lieu « chapiteau » inconnu (mairie, salle_communale, mds, hotel_du_departement)");
    let swapped = "id,nom,type_lieu,commune,code_insee,code_postal,adresse,latitude,longitude,position,rythme,creneau\n\
                82-a,Mairie,mairie,A,82001,82000,,1.3,44.0,centroide,,\n";
    assert!(read_sites("s.csv", swapped)
        .unwrap_err()
        .to_string()
        .contains("inversées"));
    let rhythm = "id,nom,type_lieu,commune,code_insee,code_postal,adresse,latitude,longitude,position,rythme,creneau\n\
                82-a,Mairie,mairie,A,82001,82000,,44.0,1.3,centroide,2e 4e matin,\n";
    assert!(read_sites("s.csv", rhythm)
        .unwrap_err()
        .to_string()
        .contains("ligne 2 : rythme « 2e 4e matin » : jour de la semaine manquant"));
}

#[test]
fn a_pattern_on_a_public_holiday_is_moved_with_a_notice() {
    // Fix Dunes on the 1st and 3rd Mondays: 6 April 2026 is Easter Monday.
    let mut sites = sites();
    let dunes = sites.iter_mut().find(|s| s.id == "82-dunes").unwrap();
    dunes.rhythm = Rhythm::Fixed(Pattern::parse("1er,3e lundi matin").unwrap());
    let p = plan(&sites, &vehicles(), &quick()).unwrap();
    assert!(p.unserved.is_empty(), "{:?}", p.unserved);
    let cal = build(
        &p,
        &sites,
        &vehicles(),
        d(2026, 4, 1),
        d(2026, 4, 30),
        &Events::default(),
    )
    .unwrap();
    let moved: Vec<_> = cal
        .passages
        .iter()
        .filter(|p| p.site_id == "82-dunes")
        .collect();
    assert_eq!(moved.len(), 2);
    // Moved later that week when the vehicle has a free morning, else cancelled; either way
    // with a notice that says why.
    let easter = moved
        .iter()
        .find(|p| match &p.status {
            Status::Moved { from, .. } => *from == d(2026, 4, 6),
            Status::Cancelled { .. } => p.date == d(2026, 4, 6),
            _ => false,
        })
        .unwrap();
    if matches!(easter.status, Status::Moved { .. }) {
        assert!(
            easter.date > d(2026, 4, 6) && easter.date < d(2026, 4, 13),
            "{easter:?}"
        );
    }
    assert!(
        easter
            .notice
            .as_deref()
            .unwrap()
            .contains("lundi de Pâques"),
        "{easter:?}"
    );
    assert!(
        cal.warnings.iter().any(|w| w.contains("Mairie de Dunes")
            && w.contains("lundi 6 avril 2026")
            && w.contains("lundi de Pâques")),
        "{:?}",
        cal.warnings
    );
    // Nothing vanished: every regular date is either held or carries a notice.
    for p in cal
        .passages
        .iter()
        .filter(|p| p.status != Status::Scheduled)
    {
        assert!(p.notice.is_some(), "{p:?}");
    }
}

#[test]
fn a_fixed_pattern_outside_the_calendar_family_says_why() {
    let mut sites = sites();
    sites[0].rhythm = Rhythm::Fixed(Pattern::parse("mardi paires matin").unwrap());
    let p = plan(&sites, &vehicles(), &quick()).unwrap();
    let u = &p.unserved[0];
    assert!(
        u.reason.contains("semaines paires") && u.reason.contains("1er et 3e"),
        "{}",
        u.reason
    );
}

#[test]
fn overlapping_leave_is_refused_with_the_agent_and_days() {
    let events = read_events(
        "evenements.csv",
        "type,cible,du,au,motif\nconge,agent-1,2027-02-01,2027-02-12,\nconge,agent-1,2027-02-10,2027-02-19,\n",
    )
    .unwrap();
    let e = build(
        tarn_et_garonne_plan(),
        &sites(),
        &vehicles(),
        d(2027, 2, 1),
        d(2027, 2, 28),
        &events,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("agent-1")
            && e.contains("du mercredi 10 février 2027 au vendredi 12 février 2027"),
        "{e}"
    );
}

#[test]
fn a_short_crew_day_moves_or_cancels_with_a_notice() {
    // Both agents of bus 1 away on the same week: nothing can be held; every passage of the
    // week is moved after it or cancelled, each with a notice.
    let events = Events {
        leaves: vec![
            Leave {
                agent: "agent-1".into(),
                from: d(2027, 3, 1),
                to: d(2027, 3, 5),
            },
            Leave {
                agent: "agent-2".into(),
                from: d(2027, 3, 3),
                to: d(2027, 3, 5),
            },
        ],
        ..Default::default()
    };
    let cal = build(
        tarn_et_garonne_plan(),
        &sites(),
        &vehicles(),
        d(2027, 3, 1),
        d(2027, 3, 31),
        &events,
    )
    .unwrap();
    let hit: Vec<_> = cal
        .passages
        .iter()
        .filter(|p| p.vehicle_id == "bus-1" && !matches!(p.status, Status::Scheduled))
        .collect();
    assert!(!hit.is_empty());
    for p in hit {
        assert!(
            p.notice.as_deref().unwrap().contains("équipage incomplet"),
            "{p:?}"
        );
        assert!(
            p.date > d(2027, 3, 5) || matches!(p.status, Status::Cancelled { .. }),
            "{p:?}"
        );
    }
    // One agent away is already one too few (the label asks for two): the coordinator is
    // told which site and which day.
    assert!(
        cal.warnings
            .iter()
            .any(|w| w.contains("équipage incomplet (1 agent(s) sur 2)") && w.contains("mars 2027"))
            || cal
                .warnings
                .iter()
                .any(|w| w.contains("équipage incomplet") && w.contains("mars 2027")),
        "{:?}",
        cal.warnings
    );
}

#[test]
fn too_far_for_the_working_day() {
    let mut sites = sites();
    sites.truncate(1);
    sites[0].position = Some(maillage_model::Position::new(43.3, -0.37)); // Pau
    sites[0].id = "x".into();
    sites[0].name = "Mairie lointaine".into();
    let p = plan(&sites, &vehicles(), &quick()).unwrap();
    assert!(
        p.unserved[0].reason.contains("trop loin"),
        "{}",
        p.unserved[0].reason
    );
    assert!(p.unserved[0].reason.contains("Mairie lointaine"));
}
