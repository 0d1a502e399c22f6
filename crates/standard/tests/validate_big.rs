//! A ~1 GB standard CSV through `validate_path`: it streams, so peak memory stays far below
//! the file's size. Too slow for every run (it writes 1 GB): `#[ignore]`, run with
//!
//! ```text
//! cargo test --release -p maillage-standard --test validate_big -- --ignored --nocapture
//! ```
//!
//! `MAILLAGE_BIG_BYTES` changes the size (default 1 GB).

#[path = "support/bigfile.rs"]
mod bigfile;

use std::time::Instant;

use maillage_standard::validate::validate_path;

/// Peak resident memory of this process (`VmHWM`), in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak (`VmHWM`) to the current size, so the measure covers what follows only.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[test]
#[ignore = "writes and validates a 1 GB file (about a minute in release)"]
fn a_1_gb_file_is_validated_in_bounded_memory() {
    let bytes: u64 = std::env::var("MAILLAGE_BIG_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gros.csv");
    let t = Instant::now();
    let (rows, written) = bigfile::write_big_csv(&path, usize::MAX, bytes).expect("written");
    println!(
        "written: {rows} rows, {:.0} MB in {:.1} s",
        written as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let before = peak_rss_mb();
    let reset = reset_peak();
    let t = Instant::now();
    let report = validate_path(&path, None).expect("validates");
    let secs = t.elapsed().as_secs_f64();
    let peak = peak_rss_mb();
    println!(
        "validated: {} rows in {secs:.1} s ({:.0} rows/s, {:.0} MB/s), {} errors, {} warnings",
        report.rows,
        report.rows as f64 / secs,
        written as f64 / 1e6 / secs,
        report.error_count(),
        report.warning_count()
    );
    println!(
        "peak RSS (VmHWM): {peak:.0} MB during validation (reset: {reset}; {before:.0} MB before)"
    );
    assert_eq!(report.rows as usize, rows);
    assert!(report.is_valid());
    // What grows with the file: one 8-byte hash (and line) per id, to find duplicates; the
    // report keeps at most MAX_ISSUES messages. The issue's budget for 200,000 rows is 300 MB.
    assert!(
        peak < 300.0,
        "peak {peak:.0} MB for a {:.0} MB file",
        written as f64 / 1e6
    );
}
