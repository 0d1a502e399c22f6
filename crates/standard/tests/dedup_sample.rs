//! Precision and recall of `dedup::group` on 240 real pairs labelled by hand.
//!
//! The pairs come from the shared data (conseiller numérique places, France Services 2024,
//! Aidants Connect structures, CNFS structures), drawn within a postal code across two
//! sources; each was read and labelled `same` or `different` with a one-line reason
//! (`tests/fixtures/dedup-sample-pairs.csv`, method in `docs/dedup.md`). The floors below are
//! the figures measured when the scorer was last tuned: a change that lowers either fails here.

use chrono::NaiveDate;
use maillage_model::{Place, Position, SourceRef};
use maillage_standard::dedup::{group, Candidate, CandidateKey};

const PRECISION_FLOOR: f64 = 1.0;
const RECALL_FLOOR: f64 = 0.88;

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
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dedup-sample-pairs.csv"
    );
    let mut reader = csv::Reader::from_path(path).expect("fixture readable");
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
        "pairs: {}, same: {}, different: {}",
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
        tp + fp + fn_ + tn >= 200,
        "the sample must hold at least 200 pairs"
    );
    assert!(
        precision >= PRECISION_FLOOR,
        "precision {precision:.3} fell below {PRECISION_FLOOR}"
    );
    assert!(
        recall >= RECALL_FLOOR,
        "recall {recall:.3} fell below {RECALL_FLOOR}"
    );
}
