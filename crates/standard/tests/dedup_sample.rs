//! Precision and recall of `dedup::group` on real pairs labelled by hand.
//!
//! Two generations of labelled pairs, both read from the shared data and labelled from the
//! records (method in `docs/dedup.md`):
//! - `dedup-sample-pairs.csv` (240 pairs, tuned on) and `dedup-sample-holdout.csv` (85 pairs),
//!   drawn within a postal code from many départements, labelled `same` / `different`;
//! - `dedup/tuning.csv` and `dedup/heldout.csv` (issue 13): every candidate pair of five
//!   départements that no earlier sample touched, split up front by département (tuning: 04,
//!   09, 90; held-out: 32, 52), labelled `meme_lieu` (one place), `meme_batiment` (two
//!   structures received at one door) or `different`. The rule was changed on the tuning set
//!   only; the held-out figures are the honest estimate, and they are compared with the plain
//!   fuzzy rule of the issue in the same run.
//!
//! The floors are the figures measured minus a small margin: a change that lowers either fails
//! here.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use maillage_model::{fold, Place, Position, SourceRef};
use maillage_standard::dedup::{compare, group, Candidate, CandidateKey, Features};

/// (file, precision floor, recall floor) as measured.
const SAMPLES: [(&str, f64, f64); 2] = [
    ("dedup-sample-pairs.csv", 1.0, 0.88),
    // 0.98 / 0.94 before issue 13; pair 85 (a France Services bus and the mairie it leaves
    // from, labelled `same`) is now two places, as issue 13 asks (docs/dedup.md).
    ("dedup-sample-holdout.csv", 0.97, 0.92),
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

/// What a labeller said of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// One place (`same`, `meme_lieu`): should be merged.
    SamePlace,
    /// Two structures at one door (`meme_batiment`): not merged, reported as co-located.
    SameBuilding,
    Different,
}

struct Pair {
    id: String,
    label: Label,
    justification: String,
    a: Side,
    b: Side,
}

fn read_pairs(file: &str) -> Vec<Pair> {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(&path).expect("fixture readable");
    let headers = reader.headers().expect("header").clone();
    let at = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{file}: column {name}"))
    };
    let (label_at, pair_at, why_at) = (at("label"), at("pair"), at("justification"));
    reader
        .records()
        .map(|row| {
            let row = row.expect("row");
            let label = match &row[label_at] {
                "same" | "meme_lieu" => Label::SamePlace,
                "meme_batiment" => Label::SameBuilding,
                "different" => Label::Different,
                other => panic!("{file}: unknown label {other}"),
            };
            Pair {
                id: row[pair_at].to_string(),
                label,
                justification: row[why_at].to_string(),
                a: side(&row, &headers, "a_"),
                b: side(&row, &headers, "b_"),
            }
        })
        .collect()
}

/// Whether `group` puts the two records of a pair in one place, as the import would.
fn merged(pair: &Pair) -> bool {
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    let sa = [pair.a.source.clone()];
    let sb = [pair.b.source.clone()];
    let candidates = [
        Candidate {
            key: CandidateKey::Incoming(0),
            place: &pair.a.place,
            sources: &sa,
            observed: day,
        },
        Candidate {
            key: CandidateKey::Incoming(1),
            place: &pair.b.place,
            sources: &sb,
            observed: day,
        },
    ];
    group(&candidates, &[]).len() == 1
}

/// Confusion counts on "one place" (co-located structures count as two places).
#[derive(Debug, Default, Clone, Copy)]
struct Score {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
}

impl Score {
    fn add(&mut self, predicted: bool, truth: bool) {
        match (predicted, truth) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn precision(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }
    fn recall(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
    fn assert_floors(&self, file: &str, precision_floor: f64, recall_floor: f64) {
        assert!(
            self.precision() >= precision_floor,
            "{file}: precision {:.3} fell below {precision_floor}",
            self.precision()
        );
        assert!(
            self.recall() >= recall_floor,
            "{file}: recall {:.3} fell below {recall_floor}",
            self.recall()
        );
    }
    fn line(&self) -> String {
        format!(
            "précision {:.3}, rappel {:.3} (VP {}, FP {}, FN {}, VN {})",
            self.precision(),
            self.recall(),
            self.tp,
            self.fp,
            self.fn_,
            self.tn
        )
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

/// Measures one labelled file of the first generation and returns its number of pairs.
fn check(file: &str, precision_floor: f64, recall_floor: f64) -> u32 {
    let mut score = Score::default();
    let mut mistakes = Vec::new();
    let pairs = read_pairs(file);
    for pair in &pairs {
        let predicted = merged(pair);
        let truth = pair.label == Label::SamePlace;
        score.add(predicted, truth);
        if predicted != truth {
            mistakes.push(mistake(pair));
        }
    }
    println!("{file}: {} paires, {}", pairs.len(), score.line());
    for m in &mistakes {
        println!("  {m}");
    }
    score.assert_floors(file, precision_floor, recall_floor);
    pairs.len() as u32
}

fn mistake(pair: &Pair) -> String {
    let s = compare(&Features::of(&pair.a.place), &Features::of(&pair.b.place));
    format!(
        "paire {} ({:?}) score {} ({}) : « {} » / « {} » {}",
        pair.id,
        pair.label,
        s.score,
        s.reason,
        pair.a.place.nom,
        pair.b.place.nom,
        pair.justification
    )
}

/// The labelled sets of unseen départements: (file, precision floor, recall floor), the floors
/// being the figures measured minus a margin of about one pair.
const UNSEEN: [(&str, f64, f64); 2] = [
    // Measured: precision 0.972, recall 0.909.
    ("dedup/tuning.csv", 0.95, 0.89),
    // Measured: precision 1.000, recall 0.861 (the plain fuzzy rule: 0.945, 0.851).
    ("dedup/heldout.csv", 0.98, 0.85),
];

/// The plain fuzzy rule of issue 13, the baseline to beat: same commune (same INSEE code, else
/// same postal code), less than 150 m apart when both have a point, and the mean of the
/// token-set similarities of the names and of the addresses at least `threshold`.
fn plain_fuzzy_rule(a: &Place, b: &Place, threshold: f64) -> bool {
    let same_commune = match (&a.code_insee, &b.code_insee) {
        (Some(x), Some(y)) => x == y,
        _ => !a.code_postal.is_empty() && a.code_postal == b.code_postal,
    };
    let near = match (a.position, b.position) {
        (Some(p), Some(q)) => distance_m(p, q) < 150.0,
        _ => true,
    };
    let mean = (token_set_ratio(&a.nom, &b.nom) + token_set_ratio(&a.adresse, &b.adresse)) / 2.0;
    same_commune && near && mean >= threshold
}

fn distance_m(p: Position, q: Position) -> f64 {
    let lat = ((p.lat + q.lat) / 2.0).to_radians();
    let dx = (q.lon - p.lon).to_radians() * lat.cos();
    let dy = (q.lat - p.lat).to_radians();
    6_371_008.8 * (dx * dx + dy * dy).sqrt()
}

/// `fuzz.token_set_ratio` (as in fuzzywuzzy / fuzzball, on folded words), from 0 to 1.
fn token_set_ratio(a: &str, b: &str) -> f64 {
    let words = |s: &str| -> std::collections::BTreeSet<String> {
        fold(s)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (wa, wb) = (words(a), words(b));
    let join = |it: Vec<&String>| it.into_iter().cloned().collect::<Vec<_>>().join(" ");
    let sect = join(wa.intersection(&wb).collect());
    let only_a = join(wa.difference(&wb).collect());
    let only_b = join(wb.difference(&wa).collect());
    let with = |rest: &str| format!("{sect} {rest}").trim().to_string();
    let (ca, cb) = (with(&only_a), with(&only_b));
    indel_ratio(&sect, &ca)
        .max(indel_ratio(&sect, &cb))
        .max(indel_ratio(&ca, &cb))
}

/// `2 × longest common subsequence / total length` (Levenshtein's `ratio`).
fn indel_ratio(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut row = vec![0usize; b.len() + 1];
    for x in &a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                row[j + 1].max(row[j])
            };
            diagonal = above;
        }
    }
    2.0 * row[b.len()] as f64 / (a.len() + b.len()) as f64
}

/// `conseiller-numerique × aidants-connect`, the two sources in a fixed order.
fn source_pair(pair: &Pair) -> String {
    let mut s = [pair.a.source.source.as_str(), pair.b.source.source.as_str()];
    s.sort_unstable();
    format!("{} × {}", s[0], s[1])
}

#[test]
fn unseen_departements_keep_precision_and_recall() {
    let mut held_out_pairs = 0;
    let mut total = 0;
    for (file, precision_floor, recall_floor) in UNSEEN {
        let pairs = read_pairs(file);
        total += pairs.len();
        if file.contains("heldout") {
            held_out_pairs = pairs.len();
        }
        let mut ours = Score::default();
        let mut fuzzy_075 = Score::default();
        let mut fuzzy_060 = Score::default();
        let mut per_source: BTreeMap<String, (Score, Score)> = BTreeMap::new();
        let (mut buildings, mut buildings_linked, mut wrong_links) = (0, 0, 0);
        let mut mistakes = Vec::new();
        for pair in &pairs {
            let truth = pair.label == Label::SamePlace;
            let predicted = merged(pair);
            let fuzzy = plain_fuzzy_rule(&pair.a.place, &pair.b.place, 0.75);
            ours.add(predicted, truth);
            fuzzy_075.add(fuzzy, truth);
            fuzzy_060.add(plain_fuzzy_rule(&pair.a.place, &pair.b.place, 0.6), truth);
            let entry = per_source.entry(source_pair(pair)).or_default();
            entry.0.add(predicted, truth);
            entry.1.add(fuzzy, truth);
            let linked = !predicted
                && compare(&Features::of(&pair.a.place), &Features::of(&pair.b.place))
                    .same_building;
            match pair.label {
                Label::SameBuilding => {
                    buildings += 1;
                    buildings_linked += u32::from(linked);
                }
                Label::Different => wrong_links += u32::from(linked),
                Label::SamePlace => {}
            }
            if predicted != truth {
                mistakes.push(mistake(pair));
            }
        }
        println!("{file} : {} paires", pairs.len());
        println!("  notre règle            : {}", ours.line());
        println!("  règle floue (0,75)     : {}", fuzzy_075.line());
        println!("  règle floue (0,60)     : {}", fuzzy_060.line());
        println!(
            "  même bâtiment reconnu  : {buildings_linked} sur {buildings} ; \
             {wrong_links} paire(s) « différent » dites à la même adresse"
        );
        for (sources, (o, f)) in &per_source {
            println!("  {sources}");
            println!("    notre règle        : {}", o.line());
            println!("    règle floue (0,75) : {}", f.line());
        }
        for m in &mistakes {
            println!("  {m}");
        }
        ours.assert_floors(file, precision_floor, recall_floor);
        if file.contains("heldout") {
            // On départements it was never tuned on, the rule must do at least as well as
            // the plain fuzzy rule on both counts.
            assert!(
                ours.precision() >= fuzzy_075.precision() && ours.recall() >= fuzzy_075.recall(),
                "{file}: the plain fuzzy rule does better ({} against {})",
                fuzzy_075.line(),
                ours.line()
            );
        }
    }
    assert!(total >= 300, "the two sets must hold at least 300 pairs");
    assert!(
        held_out_pairs >= 150,
        "the held-out set must hold at least 150 pairs"
    );
}
