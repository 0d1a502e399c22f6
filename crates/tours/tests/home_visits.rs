//! Home visits: request, proposal on a tour day with the added driving, statuses, the crew's
//! day sheet, and the deletion of personal data by the purge job.

mod common;

use common::*;
use maillage_model::Position;
use maillage_tours::schedule::{build, Events};
use maillage_tours::visits::*;

fn request() -> Visit {
    Visit::request(
        "v1",
        PartnerKind::Mairie,
        "Mairie de Dunes",
        "82050",
        "Dunes",
        // A farm 3 km from Dunes' centre.
        Some(Position::new(44.10, 0.80)),
        Person {
            name: "M. D.".into(),
            phone: "05 63 00 00 00".into(),
            address: "lieu-dit Lagarde".into(),
        },
        "déclaration de revenus, personne en fauteuil",
        d(2027, 1, 4),
    )
    .unwrap()
}

#[test]
fn visit_is_proposed_on_a_tour_day_of_the_vehicle_serving_the_area() {
    let plan = tarn_et_garonne_plan();
    let sites = sites();
    let vehicles = vehicles();
    let cal = build(
        plan,
        &sites,
        &vehicles,
        d(2027, 1, 1),
        d(2027, 3, 31),
        &Events::default(),
    )
    .unwrap();
    let visit = request();
    let slots = propose(&visit, plan, &cal, &sites, &vehicles, d(2027, 1, 5), 3).unwrap();
    assert!(!slots.is_empty());
    let (dunes_route, _) = plan.assignment("82-dunes").unwrap();
    for s in &slots {
        assert_eq!(s.vehicle_id, dunes_route.vehicle_id);
        assert!(cal
            .passages
            .iter()
            .any(|p| p.vehicle_id == s.vehicle_id && p.date == s.date && p.takes_place()));
        // A 3 km detour: a few minutes, not an hour.
        assert!(s.added_driving_s < 20 * 60, "{s:?}");
    }
}

#[test]
fn statuses_follow_requested_scheduled_done_or_cancelled() {
    let mut v = request();
    assert_eq!(v.status, VisitStatus::Requested);
    assert!(v.done(d(2027, 1, 5)).is_err());
    let slot = VisitSlot {
        vehicle_id: "bus-1".into(),
        date: d(2027, 1, 12),
        start: chrono::NaiveTime::from_hms_opt(13, 30, 0).unwrap(),
        end: chrono::NaiveTime::from_hms_opt(14, 30, 0).unwrap(),
        added_driving_s: 300,
    };
    v.schedule(slot).unwrap();
    v.done(d(2027, 1, 12)).unwrap();
    let e = v.cancel(d(2027, 1, 13)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "visite v1 : impossible de passer de « réalisée » à « annulée »"
    );
    let no_reason = Visit::request(
        "v2",
        PartnerKind::Mds,
        "MDS",
        "82050",
        "Dunes",
        None,
        Person {
            name: "X".into(),
            phone: String::new(),
            address: String::new(),
        },
        "  ",
        d(2027, 1, 4),
    );
    assert!(no_reason.is_err());
}

#[test]
fn day_sheet_lists_permanences_and_visits_in_time_order() {
    let plan = tarn_et_garonne_plan();
    let sites = sites();
    let vehicles = vehicles();
    let cal = build(
        plan,
        &sites,
        &vehicles,
        d(2027, 1, 1),
        d(2027, 3, 31),
        &Events::default(),
    )
    .unwrap();
    let mut v = request();
    let slot = propose(&v, plan, &cal, &sites, &vehicles, d(2027, 1, 5), 1)
        .unwrap()
        .remove(0);
    let (date, vid) = (slot.date, slot.vehicle_id.clone());
    v.schedule(slot).unwrap();
    let vehicle = vehicles.iter().find(|x| x.id == vid).unwrap();
    let sheet = day_sheet(vehicle, date, &cal, &[v], &sites);
    assert!(sheet.len() >= 3, "{sheet:?}");
    assert!(
        sheet
            .iter()
            .any(|l| l.contains("visite à domicile (Dunes) : M. D., lieu-dit Lagarde")),
        "{sheet:?}"
    );
    assert!(
        sheet
            .iter()
            .filter(|l| l.contains(" permanence : "))
            .count()
            >= 1,
        "{sheet:?}"
    );
}

#[test]
fn purge_job_deletes_personal_data_after_the_retention_period() {
    let mut visits = vec![request(), request(), request()];
    visits[1].id = "v2".into();
    visits[2].id = "v3".into();
    let slot = VisitSlot {
        vehicle_id: "bus-1".into(),
        date: d(2027, 1, 12),
        start: chrono::NaiveTime::from_hms_opt(13, 30, 0).unwrap(),
        end: chrono::NaiveTime::from_hms_opt(14, 30, 0).unwrap(),
        added_driving_s: 300,
    };
    visits[0].schedule(slot.clone()).unwrap();
    visits[0].done(d(2027, 1, 12)).unwrap();
    visits[1].cancel(d(2027, 2, 1)).unwrap();
    // v3 is still requested: kept whatever its age.
    let cleaned = purge_personal_data(&mut visits, d(2027, 2, 11), 30);
    assert_eq!(cleaned, vec!["v1".to_string()]);
    assert_eq!(visits[0].person, None);
    assert_eq!(visits[0].reason, None);
    assert_eq!(visits[0].position, None);
    assert_eq!(visits[0].status, VisitStatus::Done);
    assert!(visits[1].person.is_some() && visits[2].person.is_some());
    // Running it again later cleans the cancelled one, once.
    assert_eq!(
        purge_personal_data(&mut visits, d(2027, 3, 3), 30),
        vec!["v2".to_string()]
    );
    assert!(purge_personal_data(&mut visits, d(2027, 3, 3), 30).is_empty());
}
