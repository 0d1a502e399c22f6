//! The French free-text hours normaliser on every real value of the shared data.

mod support;

use maillage_model::hours::{is_valid, normalize_free_text, parse, HoursGuess};

fn haute_vienne_hours() -> Vec<String> {
    let path = support::shared(
        "lieux-mediation-numerique/haute-vienne-limoges-metropole-acteurs-numeriques-2023.json",
    );
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON");
    rows.iter()
        .filter_map(|r| r["horaires"].as_str())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect()
}

#[test]
fn every_haute_vienne_value_is_converted_or_kept_verbatim() {
    let values = haute_vienne_hours();
    assert_eq!(values.len(), 282, "561 rows, 279 without hours");
    let mut converted = 0;
    for v in &values {
        match normalize_free_text(v) {
            HoursGuess::Osm(osm) => {
                converted += 1;
                assert!(parse(&osm).is_ok(), "{v:?} → {osm:?}");
            }
            HoursGuess::Unclear(kept) => assert_eq!(&kept, v),
        }
    }
    // Observed: the unambiguous readings among the 282 values (the rest says « Quotidien »,
    // « Se rapprocher de l'organisme », « sur RDV », or is cut at 50 characters).
    assert_eq!(converted, 94);
}

#[test]
fn the_fast_osm_check_never_accepts_what_the_parser_refuses() {
    let path =
        support::shared("lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json");
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON");
    let mut valid = 0;
    for h in rows.iter().filter_map(|r| r["horaires"].as_str()) {
        if h.is_empty() {
            continue;
        }
        assert_eq!(is_valid(h), parse(h).is_ok(), "{h:?}");
        valid += usize::from(is_valid(h));
    }
    // 4,930 rows: 681 without hours, 56 broken values and one in French (`9h-12h30`).
    assert_eq!(valid, 4930 - 681 - 57);
}

#[test]
#[ignore = "prints the conversions for review"]
fn print_conversions() {
    let mut seen = std::collections::BTreeSet::new();
    for v in haute_vienne_hours() {
        if let HoursGuess::Osm(osm) = normalize_free_text(&v) {
            if seen.insert(v.clone()) {
                println!("{v:?} → {osm}");
            }
        }
    }
}
