//! Precision and recall of `dedup::group` on real pairs labelled by hand.
//!
//! The pairs come from the shared data (conseiller numérique places, France Services 2024,
//! Aidants Connect structures, CNFS structures), drawn within a postal code across two
//! sources; each was read and labelled `same` or `different` with a one-line reason (method in
//! `docs/dedup.md`). `dedup-sample-pairs.csv` (240 pairs) is the sample the scorer was tuned
//! on; `dedup-sample-holdout.csv` (85 other pairs) was labelled after tuning and never used to
//! tune, so its figures are the honest estimate. The floors are the figures measured: a change
//! that lowers either fails here.

use chrono::NaiveDate;
use maillage_model::{Place, Position, SourceRef};
use maillage_standard::dedup::{group, Candidate, CandidateKey};

/// (file, precision floor, recall floor) as measured.
const SAMPLES: [(&str, f64, f64); 2] = [
    ("dedup-sample-pairs.csv", 1.0, 0.88),
    ("dedup-sample-holdout.csv", 0.98, 0.94),
];

struct Side {
    source: SourceRef,
    place: Place,
}

fn side(row: &csv::StringRecord, headers: &csv::StringRecord, prefix: &str) -> Side {
    let get = |name: &str| -> String {
        let key = format!("{prefix}{name}");
        headers
            .iter()
            .position(|h| h == key)
            .and_then(|i| row.get(i))
            .unwrap_or("")
            .to_string()
    };
    let non_empty = |s: String| (!s.trim().is_empty()).then_some(s);
    let position = match (
        get("latitude").parse::<f64>(),
        get("longitude").parse::<f64>(),
    ) {
        (Ok(lat), Ok(lon)) => Some(Position::new(lat, lon)),
        _ => None,
    };
    Side {
        source: SourceRef {
            source: get("source"),
            source_id: get("source_id"),
        },
        place: Place {
            nom: get("nom"),
            adresse: get("adresse"),
            code_postal: get("code_postal"),
            commune: get("commune"),
            code_insee: non_empty(get("code_insee")),
            position,
            pivot: get("siret"),
            telephone: non_empty(get("telephone")),
            courriels: non_empty(get("courriel")).into_iter().collect(),
            ..Place::default()
        },
    }
}

#[test]
fn labelled_pairs_keep_precision_and_recall() {
    let mut total = 0;
    for (file, precision_floor, recall_floor) in SAMPLES {
        total += check(file, precision_floor, recall_floor);
    }
    assert!(total >= 200, "the samples must hold at least 200 pairs");
}

/// Measures one labelled file and returns its number of pairs.
fn check(file: &str, precision_floor: f64, recall_floor: f64) -> u32 {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(&path).expect("fixture readable");
    let headers = reader.headers().expect("header").clone();
    let label_at = headers
        .iter()
        .position(|h| h == "label")
        .expect("label column");
    let pair_at = headers
        .iter()
        .position(|h| h == "pair")
        .expect("pair column");
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    let (mut tp, mut fp, mut fn_, mut tn) = (0u32, 0u32, 0u32, 0u32);
    let mut mistakes = Vec::new();
    for row in reader.records() {
        let row = row.expect("row");
        let a = side(&row, &headers, "a_");
        let b = side(&row, &headers, "b_");
        let sa = [a.source.clone()];
        let sb = [b.source.clone()];
        let candidates = [
            Candidate {
                key: CandidateKey::Incoming(0),
                place: &a.place,
                sources: &sa,
                observed: day,
            },
            Candidate {
                key: CandidateKey::Incoming(1),
                place: &b.place,
                sources: &sb,
                observed: day,
            },
        ];
        let groups = group(&candidates, &[]);
        let predicted = groups.len() == 1;
        let truth = &row[label_at] == "same";
        let score = maillage_standard::dedup::compare(
            &maillage_standard::dedup::Features::of(&a.place),
            &maillage_standard::dedup::Features::of(&b.place),
        );
        match (predicted, truth) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => tn += 1,
        }
        if predicted != truth {
            mistakes.push(format!(
                "pair {} labelled {} scored {} ({}): « {} » / « {} »",
                &row[pair_at], &row[label_at], score.score, score.reason, a.place.nom, b.place.nom
            ));
        }
    }
    let precision = f64::from(tp) / f64::from((tp + fp).max(1));
    let recall = f64::from(tp) / f64::from((tp + fn_).max(1));
    println!(
        "{file}: pairs {}, same: {}, different: {}",
        tp + fp + fn_ + tn,
        tp + fn_,
        fp + tn
    );
    println!(
        "true positives {tp}, false positives {fp}, false negatives {fn_}, true negatives {tn}"
    );
    println!("precision {precision:.3}, recall {recall:.3}");
    for m in &mistakes {
        println!("  {m}");
    }
    assert!(
        precision >= precision_floor,
        "{file}: precision {precision:.3} fell below {precision_floor}"
    );
    assert!(
        recall >= recall_floor,
        "{file}: recall {recall:.3} fell below {recall_floor}"
    );
    tp + fp + fn_ + tn
}
