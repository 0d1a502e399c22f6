//! Benchmark of `dedup::group` on a synthetic 200,000-row set made from the real national
//! lists (conseiller numérique places, France Services 2024, Aidants Connect, CNFS
//! structures), with planted duplicates. Prints the time (wall and CPU of the thread) for 50k,
//! 100k and 200k rows, the CPU time as a ratio against the 50k run of the same process (linear
//! growth is a ratio of 2 per doubling), the
//! peak memory (VmHWM), and the planted duplicates found. Each size is timed three times and
//! the best time kept.
//!
//! ```sh
//! cargo test -p maillage-standard --release --test dedup_bench -- --ignored --nocapture
//! ```
//!
//! How the set is made: the ~16,000 real records are repeated; each repetition is moved to
//! its own copy of the commune codes (so copies are distinct places, with the real block sizes),
//! and one record in ten gets a planted duplicate from another source: a typo in the name
//! (a letter dropped or two swapped), case changed, street type abbreviated, the house number
//! sometimes dropped, coordinates moved by up to about 30 m or removed, SIRET, phone and
//! e-mail each removed half the time.

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use maillage_model::{Place, Position, SourceRef};
use maillage_standard::dedup::{group, Candidate, CandidateKey};
use maillage_standard::read::{read_path, Format};
use maillage_standard::SourceFile;

fn shared() -> PathBuf {
    std::env::var_os("MAILLAGE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// A small deterministic generator (xorshift64*): the set is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn real_places() -> Vec<Place> {
    let data = shared();
    let file = SourceFile {
        source: "bench".into(),
        date: NaiveDate::from_ymd_opt(2024, 8, 1).expect("date"),
    };
    let mut out = Vec::new();
    for (path, format) in [
        (
            "lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json",
            Format::CnfsJson,
        ),
        (
            "france-services/liste-fs-20240801.csv",
            Format::FranceServices,
        ),
        (
            "dispositifs/20240212-aidants-connect-structures.csv",
            Format::AidantsConnect,
        ),
        (
            "dispositifs/20230405-cnfs-structures.csv",
            Format::CnfsStructures,
        ),
    ] {
        read_path(&data.join(path), &format, &file, None, &mut |r| {
            out.push(r.place)
        })
        .expect("readable source");
    }
    out
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 6 {
        return s.to_string();
    }
    let i = 1 + rng.below(chars.len() as u64 - 2) as usize;
    if rng.chance(50) {
        chars.remove(i);
    } else {
        chars.swap(i, i + 1);
    }
    let out: String = chars.into_iter().collect();
    if rng.chance(30) {
        out.to_uppercase()
    } else {
        out
    }
}

fn abbreviate(rng: &mut Rng, adresse: &str) -> String {
    let mut a = adresse
        .replace("Rue ", "R. ")
        .replace("rue ", "r. ")
        .replace("Avenue ", "Av. ")
        .replace("avenue ", "av ")
        .replace("Place ", "Pl ")
        .replace("Boulevard ", "Bd ");
    if rng.chance(25) {
        let trimmed = a.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == ',');
        a = trimmed.to_string();
    }
    a
}

fn perturbed(rng: &mut Rng, p: &Place) -> Place {
    let mut d = p.clone();
    d.nom = typo(rng, &p.nom);
    d.adresse = abbreviate(rng, &p.adresse);
    d.position = match p.position {
        Some(pos) if rng.chance(70) => {
            let dlat = (rng.below(540) as f64 - 270.0) * 1e-6; // ±30 m
            let dlon = (rng.below(760) as f64 - 380.0) * 1e-6;
            Some(Position::new(pos.lat + dlat, pos.lon + dlon))
        }
        _ => None,
    };
    if rng.chance(50) {
        d.pivot = String::new();
    }
    if rng.chance(50) {
        d.telephone = None;
    }
    if rng.chance(50) {
        d.courriels.clear();
    }
    d
}

struct Set {
    places: Vec<Place>,
    sources: Vec<Vec<SourceRef>>,
    /// (original index, planted duplicate index)
    planted: Vec<(usize, usize)>,
}

fn build(real: &[Place], total: usize, rng: &mut Rng) -> Set {
    let mut set = Set {
        places: Vec::with_capacity(total),
        sources: Vec::with_capacity(total),
        planted: Vec::new(),
    };
    let mut i = 0usize;
    while set.places.len() < total {
        let copy = i / real.len();
        let mut p = real[i % real.len()].clone();
        if copy > 0 {
            if !p.code_postal.is_empty() {
                // The copy number first: the de-duplication's département-wide blocks (SIRET,
                // cell, commune name) read the département from the postal code's start.
                p.code_postal = format!("{copy}~{}", p.code_postal);
            }
            p.code_insee = p.code_insee.map(|c| format!("{c}~{copy}"));
        }
        let original = set.places.len();
        set.sources.push(vec![SourceRef {
            source: "synthetic".into(),
            source_id: i.to_string(),
        }]);
        let plant = rng.chance(10) && set.places.len() + 1 < total;
        let dup = plant.then(|| perturbed(rng, &p));
        set.places.push(p);
        if let Some(d) = dup {
            set.planted.push((original, set.places.len()));
            set.places.push(d);
            set.sources.push(vec![SourceRef {
                source: "planted".into(),
                source_id: i.to_string(),
            }]);
        }
        i += 1;
    }
    set
}

/// CPU time of this thread (user + system), from `/proc/thread-self/stat` (clock ticks of
/// 1/100 s): unlike wall time, it does not count the time other processes take on a shared
/// machine.
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_memory_mb() -> Option<f64> {
    status_mb("VmHWM:")
}

fn resident_mb() -> Option<f64> {
    status_mb("VmRSS:")
}

fn status_mb(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[test]
#[ignore]
fn dedup_200k_synthetic_rows_time_memory_and_planted_duplicates() {
    let real = real_places();
    println!("real records: {}", real.len());
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    let mut baseline: Option<f64> = None;
    for total in std::env::var("BENCH_SIZES")
        .ok()
        .map(|s| {
            s.split(",")
                .filter_map(|x| x.parse().ok())
                .collect::<Vec<usize>>()
        })
        .unwrap_or(vec![50_000usize, 100_000, 200_000])
    {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let set = build(&real, total, &mut rng);
        let candidates: Vec<Candidate> = set
            .places
            .iter()
            .zip(&set.sources)
            .enumerate()
            .map(|(i, (p, s))| Candidate {
                key: CandidateKey::Incoming(i),
                place: p,
                sources: s,
                observed: day,
            })
            .collect();
        let before = resident_mb().unwrap_or(f64::NAN);
        // The best of three runs: the machine is shared, and the slowest runs measure the
        // neighbours, not the code.
        let mut seconds = f64::INFINITY;
        let mut cpu = f64::INFINITY;
        let mut groups = Vec::new();
        for _ in 0..3 {
            drop(std::mem::take(&mut groups));
            let start = Instant::now();
            let cpu_start = thread_cpu_seconds();
            groups = group(&candidates, &[]);
            seconds = seconds.min(start.elapsed().as_secs_f64());
            cpu = cpu.min(thread_cpu_seconds() - cpu_start);
        }
        let mut group_of = vec![0usize; candidates.len()];
        for (g, grp) in groups.iter().enumerate() {
            for &m in &grp.members {
                group_of[m] = g;
            }
        }
        let found = set
            .planted
            .iter()
            .filter(|(a, b)| group_of[*a] == group_of[*b])
            .count();
        if std::env::var_os("BENCH_DEBUG").is_some() {
            let mut sizes: Vec<usize> = groups.iter().map(|g| g.members.len()).collect();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            println!("largest groups: {:?}", &sizes[..10]);
            for (a, b) in set
                .planted
                .iter()
                .filter(|(a, b)| group_of[*a] != group_of[*b])
                .take(25)
            {
                let s = maillage_standard::dedup::compare(
                    &maillage_standard::dedup::Features::of(&set.places[*a]),
                    &maillage_standard::dedup::Features::of(&set.places[*b]),
                );
                println!(
                    "MISSED {} [{}] « {} » {} / « {} » {}",
                    s.score,
                    s.reason,
                    set.places[*a].nom,
                    set.places[*a].adresse,
                    set.places[*b].nom,
                    set.places[*b].adresse
                );
            }
        }
        let merged_records: usize = groups
            .iter()
            .filter(|g| g.members.len() > 1)
            .map(|g| g.members.len())
            .sum();
        let base = *baseline.get_or_insert(cpu);
        println!(
            "{total:>7} rows: {seconds:.2} s wall, {cpu:.2} s CPU (×{:.2} the 50k run, rows ×{:.0}), memory before {before:.0} MB, peak {:.0} MB, \
             planted duplicates found {found}/{} ({:.1} %), groups {} ({} records in groups of 2+)",
            cpu / base,
            total as f64 / 50_000.0,
            peak_memory_mb().unwrap_or(f64::NAN),
            set.planted.len(),
            100.0 * found as f64 / set.planted.len().max(1) as f64,
            groups.len(),
            merged_records,
        );
        assert_eq!(
            groups.iter().map(|g| g.members.len()).sum::<usize>(),
            total,
            "every record is in exactly one group"
        );
    }
}

/// The three national lists of the issue's import figure (conseiller numérique 4,930, France
/// Services 2,845, Aidants Connect 5,227) grouped in one run; the time is printed against the
/// time our readers take to read the same files (baseline of the same process).
#[test]
#[ignore]
fn dedup_the_three_national_lists() {
    let data = shared();
    let file = SourceFile {
        source: "bench".into(),
        date: NaiveDate::from_ymd_opt(2024, 8, 1).expect("date"),
    };
    let start = Instant::now();
    let mut records = Vec::new();
    for (path, format, name) in [
        (
            "lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json",
            Format::CnfsJson,
            "conseiller-numerique",
        ),
        (
            "france-services/liste-fs-20240801.csv",
            Format::FranceServices,
            "france-services-2024",
        ),
        (
            "dispositifs/20240212-aidants-connect-structures.csv",
            Format::AidantsConnect,
            "aidants-connect",
        ),
    ] {
        let mut source_records = Vec::new();
        read_path(&data.join(path), &format, &file, None, &mut |r| {
            source_records.push(r)
        })
        .expect("readable source");
        for r in &mut source_records {
            r.source.source = name.to_string();
        }
        records.extend(source_records);
    }
    let reading = start.elapsed().as_secs_f64();
    let sources: Vec<Vec<SourceRef>> = records.iter().map(|r| vec![r.source.clone()]).collect();
    let candidates: Vec<Candidate> = records
        .iter()
        .zip(&sources)
        .enumerate()
        .map(|(i, (r, s))| Candidate {
            key: CandidateKey::Incoming(i),
            place: &r.place,
            sources: s,
            observed: r.observed,
        })
        .collect();
    let start = Instant::now();
    let groups = group(&candidates, &[]);
    let grouping = start.elapsed().as_secs_f64();
    let multi: Vec<_> = groups.iter().filter(|g| g.members.len() > 1).collect();
    let cross = multi
        .iter()
        .filter(|g| {
            let first = &sources[g.members[0]][0].source;
            g.members.iter().any(|&m| &sources[m][0].source != first)
        })
        .count();
    println!(
        "{} records read in {reading:.2} s; grouped in {grouping:.2} s (×{:.2} the reading): \
         {} places, {} groups of 2+ ({} across sources, largest {}), peak memory {:.0} MB",
        records.len(),
        grouping / reading,
        groups.len(),
        multi.len(),
        cross,
        multi.iter().map(|g| g.members.len()).max().unwrap_or(0),
        peak_memory_mb().unwrap_or(f64::NAN)
    );
    for g in multi.iter().take(5) {
        println!("  {}", g.reasons.join(" / "));
    }
    if let Some(largest) = multi.iter().max_by_key(|g| g.members.len()) {
        println!("largest group:");
        for &m in &largest.members {
            let p = &records[m].place;
            println!(
                "  {} | {} | {} {}",
                sources[m][0].source, p.nom, p.adresse, p.commune
            );
        }
        for r in &largest.reasons {
            println!("  ↳ {r}");
        }
    }
}
