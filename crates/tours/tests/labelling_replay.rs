//! The 2021→2024 history of Tarn-et-Garonne, replayed from the labelling dates of the
//! national France Services lists of December 2022 and August 2024.
//!
//! The deliberation of 2021 forecast that the permanences would stop in Lamagistère,
//! Laguépie, Molières, La Ville-Dieu-du-Temple, Villebrumier, then Montech and
//! Beaumont-de-Lomagne. The lists say what was really labelled, and when; the rule follows
//! them. We then check the outcome against what the 2024 list says the itinerant France
//! Services still serve (rows 1966 and 1967, `commentaire`).

mod common;

use common::*;
use maillage_tours::input::{first_labelling_per_commune, read_france_services_labellings};
use maillage_tours::schedule::{build, freed_slots, Events};
use maillage_tours::{Labelling, Status};

fn labellings() -> Vec<Labelling> {
    let dir = shared_data().join("france-services");
    let mut lists = Vec::new();
    for f in ["liste-fs-20221201.csv", "liste-fs-20240801.csv"] {
        let (l, problems) = read_france_services_labellings(f, &read(&dir.join(f)), "82").unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        lists.push(l);
    }
    first_labelling_per_commune(lists)
}

fn itinerant_comment_2024() -> String {
    let text = read(&shared_data().join("france-services/liste-fs-20240801.csv"));
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let mut out = String::new();
    for r in rdr.records() {
        let r = r.unwrap();
        if r[col("id_fs")] == *"1966" || r[col("id_fs")] == *"1967" {
            out.push_str(&r[col("commentaire")]);
            out.push('\n');
        }
    }
    assert!(!out.is_empty());
    out
}

#[test]
fn replay_2021_2024_stops_the_communes_the_lists_labelled() {
    let plan = tarn_et_garonne_plan();
    let sites = sites();
    let vehicles = vehicles();
    let events = Events {
        labellings: labellings(),
        ..Default::default()
    };
    // The itinerant France Services was labelled on 1 April 2021.
    let cal = build(
        plan,
        &sites,
        &vehicles,
        d(2021, 4, 1),
        d(2024, 8, 1),
        &events,
    )
    .unwrap();

    let stopped_since = |site_id: &str| {
        cal.passages.iter().find_map(|p| match &p.status {
            Status::Stopped { since, .. } if p.site_id == site_id => Some(*since),
            _ => None,
        })
    };
    // What the lists say, commune by commune.
    assert_eq!(
        stopped_since("82-la-ville-dieu-du-temple"),
        Some(d(2021, 7, 1))
    );
    assert_eq!(stopped_since("82-villebrumier"), Some(d(2022, 1, 1)));
    assert_eq!(stopped_since("82-beaumont-de-lomagne"), Some(d(2022, 7, 1)));
    assert_eq!(stopped_since("82-montaigu-de-quercy"), Some(d(2022, 7, 1)));
    // Forecast in 2021 but never labelled: the permanences go on.
    for id in ["82-lamagistere", "82-laguepie", "82-molieres"] {
        assert_eq!(stopped_since(id), None, "{id}");
    }
    // Montech (2023) and Valence (2024) were labelled, but the permanences there are in the
    // département's MDS, which the rule does not stop.
    assert_eq!(stopped_since("82-mds-montech"), None);
    assert_eq!(stopped_since("82-mds-valence-d-agen"), None);

    // Before the date the passages took place; after it none does.
    for p in cal
        .passages
        .iter()
        .filter(|p| p.site_id == "82-villebrumier")
    {
        if p.date < d(2022, 1, 1) {
            assert!(!matches!(p.status, Status::Stopped { .. }), "{p:?}");
        } else {
            assert!(!p.takes_place(), "{p:?}");
            let notice = p.notice.as_deref().unwrap();
            assert!(
                notice.contains("Villebrumier") && notice.contains("France services"),
                "{notice}"
            );
        }
    }

    // Cross-check with what the itinerant France Services still announce in August 2024:
    // none of the stopped mairies is among their stops, and the mairies they name that are
    // ours are still served.
    let comment = itinerant_comment_2024();
    // In each sector, the stops after "Mairie(s) de" are mairies; those before are MDS.
    let mairies_2024: String = comment
        .split("Secteur")
        .filter_map(|s| s.find("Mairie").map(|i| &s[i..]))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(mairies_2024.contains("Dunes") && !mairies_2024.contains("Beaumont"));
    for id in [
        "82-la-ville-dieu-du-temple",
        "82-villebrumier",
        "82-montaigu-de-quercy",
    ] {
        let commune = &sites.iter().find(|s| s.id == id).unwrap().commune;
        assert!(
            !comment.contains(commune.as_str()),
            "{commune} still in the 2024 list"
        );
    }
    for s in sites.iter().filter(|s| s.kind.stops_on_labelling()) {
        let short = s.commune.split('-').next().unwrap();
        if mairies_2024.contains(short) {
            let last = cal.passages.iter().rfind(|p| p.site_id == s.id).unwrap();
            assert!(
                last.takes_place(),
                "{} named in 2024 but stopped: {last:?}",
                s.commune
            );
        }
    }
}

#[test]
fn freed_slots_are_proposed_to_waiting_sites_or_home_visits() {
    let plan = tarn_et_garonne_plan();
    let sites = sites();
    let vehicles = vehicles();
    let labellings = labellings();
    // A commune that asks to be served, near Villebrumier.
    let mut waiting = sites
        .iter()
        .find(|s| s.id == "82-villebrumier")
        .unwrap()
        .clone();
    waiting.id = "82-nohic".into();
    waiting.name = "Mairie de Nohic".into();
    waiting.commune = "Nohic".into();
    waiting.code_insee = "82136".into();
    waiting.position = Some(maillage_model::Position::new(43.8894, 1.4345));
    let mut plan = plan.clone();
    let mut m = plan.matrix.clone();
    // Extend the matrix with the waiting site, using the same estimate.
    let mut locs: Vec<_> = m
        .ids
        .iter()
        .cloned()
        .zip(m.positions.iter().copied())
        .collect();
    locs.push((waiting.id.clone(), waiting.position.unwrap()));
    m = maillage_tours::travel::Matrix::estimate(locs);
    plan.matrix = m;
    let freed = freed_slots(&plan, &sites, &vehicles, &labellings, &[&waiting]);
    let ids: Vec<&str> = freed.iter().map(|f| f.former_site_id.as_str()).collect();
    assert_eq!(
        ids.iter()
            .filter(|i| [
                "82-la-ville-dieu-du-temple",
                "82-villebrumier",
                "82-beaumont-de-lomagne",
                "82-montaigu-de-quercy"
            ]
            .contains(i))
            .count(),
        4,
        "{ids:?}"
    );
    let vb = freed
        .iter()
        .find(|f| f.former_site_id == "82-villebrumier")
        .unwrap();
    assert_eq!(vb.proposals[0].0, "82-nohic");
    // Nohic is ~3 km from Villebrumier: replacing one by the other changes little.
    assert!(vb.proposals[0].1.abs() < 15 * 60, "{:?}", vb.proposals);
    assert!(vb.fallback.contains("visites à domicile"));
}

#[test]
fn a_labelling_date_in_the_past_keeps_the_passages_already_held() {
    let plan = tarn_et_garonne_plan();
    let sites = sites();
    let mut cal = build(
        plan,
        &sites,
        &vehicles(),
        d(2027, 1, 1),
        d(2027, 3, 31),
        &Events::default(),
    )
    .unwrap();
    let l = Labelling {
        code_insee: "82050".into(),
        date: d(2027, 1, 10),
        name: "France services de Dunes".into(),
        address: "place de la mairie 82340 Dunes".into(),
    };
    let out = maillage_tours::schedule::apply_labelling(&mut cal, &sites, &l, Some(d(2027, 2, 1)));
    assert_eq!(out.stopped_sites, vec!["82-dunes".to_string()]);
    assert!(!out.already_held.is_empty(), "{out:?}");
    assert!(
        out.warnings[0].contains("dans le passé") && out.warnings[0].contains("10 janvier 2027"),
        "{:?}",
        out.warnings
    );
    for p in cal.passages.iter().filter(|p| p.site_id == "82-dunes") {
        assert_eq!(p.takes_place(), p.date < d(2027, 2, 1), "{p:?}");
    }
}

#[test]
fn sites_stopped_before_the_calendar_starts_take_no_slot_and_keep_their_notice() {
    let events = maillage_tours::input::read_events(
        "evenements-82.csv",
        &read(&workspace().join("data/tours/evenements-82.csv")),
    )
    .unwrap();
    let book = maillage_tours::TourBook::new(
        sites(),
        vehicles(),
        events,
        d(2026, 12, 1),
        d(2027, 2, 28),
        &maillage_tours::PlanOptions {
            max_generations: 200,
            ..Default::default()
        },
    )
    .unwrap();
    let mut stopped: Vec<&str> = book.stopped.iter().map(|(id, _)| id.as_str()).collect();
    stopped.sort();
    assert_eq!(
        stopped,
        [
            "82-beaumont-de-lomagne",
            "82-la-ville-dieu-du-temple",
            "82-montaigu-de-quercy",
            "82-villebrumier"
        ]
    );
    for id in &stopped {
        assert!(book.plan.assignment(id).is_none(), "{id} still planned");
        assert!(!book
            .calendar
            .passages
            .iter()
            .any(|p| &p.site_id == id && p.takes_place()));
    }
    assert!(book.plan.unserved.is_empty(), "{:?}", book.plan.unserved);
    let notice = book.stop_notice("82-montaigu-de-quercy").unwrap();
    assert!(
        notice.contains("France services Montaigu")
            && notice.contains("2 place de l'Hotel de ville"),
        "{notice}"
    );
}
