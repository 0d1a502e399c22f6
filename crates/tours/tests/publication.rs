//! What the public reads: sentences, iCalendar feeds (checked by a real parser), the poster,
//! and the passages as places of the standard (hours checked by the OSM parser).

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use maillage_tours::publish::{as_places, ical, osm_hours, poster_html, sentence};
use maillage_tours::schedule::{build, Events};
use maillage_tours::{Closure, Site, Status};

fn calendar() -> maillage_tours::Calendar {
    build(
        tarn_et_garonne_plan(),
        &sites(),
        &vehicles(),
        d(2026, 12, 1),
        d(2027, 2, 28),
        &Events::default(),
    )
    .unwrap()
}

#[test]
fn plain_french_sentence() {
    let sites = sites();
    let vehicles = vehicles();
    let cal = calendar();
    let p = cal
        .passages
        .iter()
        .find(|p| p.site_id == "82-dunes" && p.takes_place())
        .unwrap();
    let s = sentence(
        p,
        sites.iter().find(|s| s.id == "82-dunes").unwrap(),
        vehicles.iter().find(|v| v.id == p.vehicle_id).unwrap(),
    );
    assert!(s.starts_with("Le bus France Services "), "{s}");
    assert!(s.contains(" est à Dunes le "), "{s}");
    assert!(
        s.contains("de 9 h 30 à 12 h") || s.contains("de 13 h 30 à 16 h"),
        "{s}"
    );
    assert!(s.ends_with("Mairie de Dunes."), "{s}");
}

#[test]
fn ical_feed_per_vehicle_parses_and_follows_rfc_5545() {
    let sites = sites();
    let vehicles = vehicles();
    let cal = calendar();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let feed = ical(
        "Bus France Services 1",
        cal.passages.iter().filter(|p| p.vehicle_id == "bus-1"),
        |id| sites.iter().find(|s| s.id == id),
        |id| vehicles.iter().find(|v| v.id == id),
        now,
    );
    // CRLF everywhere, no line longer than 75 octets.
    assert!(!feed.replace("\r\n", "").contains('\n'));
    for line in feed.split("\r\n") {
        assert!(line.len() <= 75, "{line}");
    }
    let unfolded = icalendar::parser::unfold(&feed);
    let parsed = icalendar::parser::read_calendar(&unfolded).unwrap();
    let events: Vec<_> = parsed
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .collect();
    let expected = cal
        .passages
        .iter()
        .filter(|p| p.vehicle_id == "bus-1")
        .count();
    assert_eq!(events.len(), expected);
    let mut uids = std::collections::HashSet::new();
    for e in &events {
        let prop = |n: &str| {
            e.properties
                .iter()
                .find(|p| p.name == n)
                .map(|p| p.val.to_string())
        };
        assert!(uids.insert(prop("UID").unwrap()));
        assert_eq!(prop("DTSTAMP").unwrap(), "20261122T120000Z");
        let start = e.properties.iter().find(|p| p.name == "DTSTART").unwrap();
        assert!(
            start
                .params
                .iter()
                .any(|p| p.key == "TZID"
                    && p.val.as_ref().map(|v| v.as_str()) == Some("Europe/Paris"))
        );
        assert!(prop("SUMMARY")
            .unwrap()
            .starts_with("Bus France Services 1 à "));
    }
}

#[test]
fn ical_escapes_commas_and_folds_long_accented_lines() {
    let mut sites = sites();
    let vehicles = vehicles();
    let s = sites.iter_mut().find(|s| s.id == "82-dunes").unwrap();
    s.name = "Salle des fêtes; côté église, entrée par la cour de l'école élémentaire Jean-Jaurès"
        .into();
    let cal = calendar();
    let feed = ical(
        "Dunes",
        cal.passages.iter().filter(|p| p.site_id == "82-dunes"),
        |id| sites.iter().find(|s| s.id == id),
        |id| vehicles.iter().find(|v| v.id == id),
        Utc::now(),
    );
    assert!(feed.contains("Salle des fêtes\\; côté église\\,"));
    for line in feed.split("\r\n") {
        assert!(line.len() <= 75 && std::str::from_utf8(line.as_bytes()).is_ok());
    }
    let unfolded = icalendar::parser::unfold(&feed);
    let parsed = icalendar::parser::read_calendar(&unfolded).unwrap();
    let loc = parsed
        .components
        .iter()
        .find(|c| c.name == "VEVENT")
        .unwrap()
        .properties
        .iter()
        .find(|p| p.name == "LOCATION")
        .unwrap()
        .val
        .to_string();
    assert!(loc.contains("Jean-Jaurès"), "{loc}");
}

#[test]
fn poster_escapes_untrusted_text_and_lists_the_month() {
    let mut sites: Vec<Site> = sites();
    let vehicles = vehicles();
    sites.iter_mut().find(|s| s.id == "82-dunes").unwrap().name =
        "<script>alert(1)</script>".into();
    let cal = calendar();
    let html = poster_html("Dunes", 2027, 1, &cal, &sites, &vehicles);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("Bus France Services à Dunes — janvier 2027"));
    let n = cal
        .passages
        .iter()
        .filter(|p| p.site_id == "82-dunes" && p.date.format("%Y-%m").to_string() == "2027-01")
        .count();
    assert_eq!(html.matches("<li class=\"passage").count(), n);
}

#[test]
fn passages_exported_as_itinerant_places_with_valid_osm_hours() {
    let plan = tarn_et_garonne_plan();
    let places = as_places(
        plan,
        &sites(),
        &vehicles(),
        "22820001400013",
        d(2026, 11, 22),
    );
    assert_eq!(places.len(), 27);
    for p in &places {
        assert!(p.is_itinerant());
        let h = p.horaires.as_deref().unwrap();
        maillage_model::hours::parse(h).unwrap_or_else(|e| panic!("{h}: {e}"));
    }
    // The n-th weekday hours say the same as the calendar.
    let cal = calendar();
    let dunes = places
        .iter()
        .find(|p| p.id == "itinerance-82-dunes")
        .unwrap();
    for passage in cal
        .passages
        .iter()
        .filter(|p| p.site_id == "82-dunes" && p.status == Status::Scheduled)
    {
        let at = passage.date.and_time(passage.start) + chrono::Duration::minutes(5);
        assert_eq!(
            maillage_model::hours::is_open_at(dunes.horaires.as_deref().unwrap(), at),
            Some(true),
            "{passage:?}"
        );
    }
}

#[test]
fn even_week_hours_use_the_osm_week_rule() {
    use maillage_tours::{Family, PlanOptions};
    let plan = maillage_tours::plan(
        &sites(),
        &vehicles(),
        &PlanOptions {
            family: Family::Parity,
            max_generations: 100,
            ..Default::default()
        },
    )
    .unwrap();
    let hours: Vec<String> = sites()
        .iter()
        .filter_map(|s| osm_hours(&plan, &s.id))
        .collect();
    assert!(
        hours.iter().any(|h| h.starts_with("week 02-52/2 ")),
        "{hours:?}"
    );
    assert!(
        hours.iter().any(|h| h.starts_with("week 01-53/2 ")),
        "{hours:?}"
    );
    for h in &hours {
        maillage_model::hours::parse(h).unwrap_or_else(|e| panic!("{h}: {e}"));
    }
}

#[test]
fn a_closure_moves_the_passage_with_a_notice() {
    let sites = sites();
    let plan = tarn_et_garonne_plan();
    let regular = build(
        plan,
        &sites,
        &vehicles(),
        d(2027, 1, 1),
        d(2027, 1, 31),
        &Events::default(),
    )
    .unwrap();
    let first = regular
        .passages
        .iter()
        .find(|p| p.site_id == "82-auvillar" && p.date.format("%d").to_string() > "04".into())
        .unwrap()
        .clone();
    let events = Events {
        closures: vec![Closure {
            site_id: "82-auvillar".into(),
            from: first.date,
            to: first.date,
            reason: "élections".into(),
        }],
        ..Default::default()
    };
    let cal = build(
        plan,
        &sites,
        &vehicles(),
        d(2027, 1, 1),
        d(2027, 1, 31),
        &events,
    )
    .unwrap();
    // Moved to a free day of the vehicle that week, or cancelled when it has none: always
    // with a notice giving the reason.
    let moved = cal
        .passages
        .iter()
        .find(|p| {
            p.site_id == "82-auvillar"
                && match &p.status {
                    Status::Moved { from, .. } => *from == first.date,
                    Status::Cancelled { .. } => p.date == first.date,
                    _ => false,
                }
        })
        .unwrap();
    assert!(moved.notice.as_deref().unwrap().contains("élections"));
    assert!(cal
        .warnings
        .iter()
        .any(|w| w.contains("Auvillar") && w.contains("élections")));
}
