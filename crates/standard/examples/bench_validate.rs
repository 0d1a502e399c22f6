//! Benchmark: `validate_path` against `frictionless validate` on the same standard CSV.
//!
//! Builds a valid standard v1.0.1 CSV of N rows (default 50,000) from the real national
//! conseiller numérique list (read, written back with the standard writer, rows repeated with
//! new ids), then times our validator and the reference one on it, in the same process, and
//! prints the ratio. Run in release:
//!
//! ```text
//! cargo run --release -p maillage-standard --example bench_validate -- [ROWS]
//! ```
//!
//! `frictionless` is looked up as `MAILLAGE_FRICTIONLESS`, `<workspace>/.venv/bin/frictionless`,
//! then on the PATH.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use maillage_standard::validate::validate_path;

#[path = "../tests/support/bigfile.rs"]
mod bigfile;

fn shared_dir() -> PathBuf {
    match std::env::var_os("MAILLAGE_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

fn frictionless() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MAILLAGE_FRICTIONLESS") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/frictionless");
    if venv.exists() {
        return Some(venv);
    }
    Command::new("frictionless")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("frictionless"))
}

/// CPU seconds (user + system) used so far by this process and by its waited-for children,
/// from `/proc/self/stat` (clock ticks of 1/100 s).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime, stime, cutime, cstime are fields 14-17 of the line, 12-15 after the name.
    let get = |i: usize| f.get(i).copied().unwrap_or(0.0) / 100.0;
    (get(11) + get(12), get(13) + get(14))
}

/// The best (lowest) wall time and CPU time of `n` runs, in seconds. The machine is shared
/// with other work: the best run is the least disturbed, and CPU time does not count the time
/// spent waiting for a core. `child` says whether the work runs in a child process.
fn best_of(n: usize, child: bool, mut f: impl FnMut()) -> (f64, f64) {
    let mut best = (f64::INFINITY, f64::INFINITY);
    for _ in 0..n.max(1) {
        let c0 = cpu_seconds();
        let t = Instant::now();
        f();
        let wall = t.elapsed().as_secs_f64();
        let c1 = cpu_seconds();
        let cpu = if child { c1.1 - c0.1 } else { c1.0 - c0.0 };
        best = (best.0.min(wall), best.1.min(cpu));
    }
    best
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let dir = std::env::temp_dir().join(format!("maillage-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("lieux.csv");
    bigfile::write_big_csv(&path, rows, u64::MAX).expect("bench file written");
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mb = bytes as f64 / 1e6;
    println!("file: {rows} rows, {mb:.1} MB");

    let repeat: usize = std::env::var("BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    // The floor of the work: decoding and splitting the CSV, no checks.
    let (parse_only, _) = best_of(repeat, false, || {
        let f = std::fs::File::open(&path).expect("bench file");
        let mut rdr = csv::Reader::from_reader(maillage_standard::decode::DecodingReader::new(f));
        let mut rec = csv::StringRecord::new();
        let mut n = 0u64;
        while rdr.read_record(&mut rec).expect("valid CSV") {
            n += rec.len() as u64;
        }
        assert!(n > 0);
    });
    let mut report = None;
    let (ours, ours_cpu) = best_of(repeat, false, || {
        report = Some(validate_path(&path, None).expect("validates"))
    });
    let report = report.expect("ran");
    println!(
        "decode + CSV split only: {parse_only:.3} s ({:.0} rows/s)",
        rows as f64 / parse_only
    );
    println!(
        "maillage validate: {ours:.3} s wall, {ours_cpu:.2} s CPU, {:.0} rows/s, {:.1} MB/s, {} errors, {} warnings (best of {repeat})",
        rows as f64 / ours,
        mb / ours,
        report.error_count(),
        report.warning_count()
    );

    let Some(tool) = frictionless() else {
        println!("frictionless absent: no ratio (install it in <workspace>/.venv)");
        return;
    };
    let schema = shared_dir().join("standard-mediation-num/schema-v1.0.1.json");
    let mut out = None;
    let (theirs, theirs_cpu) = best_of(repeat.min(2), true, || {
        out = Some(
            Command::new(&tool)
                .arg("validate")
                .arg(&path)
                .arg("--schema")
                .arg(&schema)
                .arg("--json")
                .arg("--trusted")
                .output()
                .expect("frictionless runs"),
        )
    });
    let out = out.expect("ran");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let errors: usize = json["tasks"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| t["errors"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    println!(
        "frictionless validate: {theirs:.3} s wall, {theirs_cpu:.2} s CPU, {:.0} rows/s, {errors} errors (valid = {}) (best of {})",
        rows as f64 / theirs,
        json["valid"],
        repeat.min(2)
    );
    println!(
        "ratio (throughput maillage / frictionless): {:.1}x wall time, {:.1}x CPU time",
        theirs / ours,
        theirs_cpu / ours_cpu.max(0.01)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
