//! Large valid standard CSV files made from real rows, for the validation benchmarks (shared
//! by `examples/bench_validate.rs` and the ignored 1 GB test).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use maillage_standard::read::{read_path, Format};
use maillage_standard::write::write_standard_csv;
use maillage_standard::SourceFile;

fn shared_data() -> PathBuf {
    match std::env::var_os("MAILLAGE_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// The national conseiller numérique places as standard v1 CSV lines (header, rows): read from
/// the real file, written back with the standard writer. Hours that are not OSM syntax are
/// left out so that the file is valid.
pub fn real_rows() -> std::io::Result<(String, Vec<String>)> {
    let file = SourceFile {
        source: "conseiller-numerique".into(),
        date: NaiveDate::from_ymd_opt(2022, 12, 2).unwrap_or_default(),
    };
    let mut places = Vec::new();
    read_path(
        &shared_data()
            .join("lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json"),
        &Format::CnfsJson,
        &file,
        None,
        &mut |r| {
            let mut p = r.place;
            p.id = r.source.source_id;
            if p.horaires
                .as_deref()
                .is_some_and(|h| !maillage_model::hours::is_valid(h))
            {
                p.horaires = None;
            }
            places.push(p);
        },
    )
    .map_err(std::io::Error::other)?;
    let mut one = Vec::new();
    write_standard_csv(&places, &mut one)?;
    let text = String::from_utf8(one).map_err(std::io::Error::other)?;
    let mut lines = text.lines().map(str::to_string);
    let header = lines.next().unwrap_or_default();
    Ok((header, lines.collect()))
}

/// Writes a standard CSV of the real rows repeated (each with its own id) until it has `rows`
/// rows or reaches `max_bytes`, whichever comes first. Returns (rows, bytes).
pub fn write_big_csv(path: &Path, rows: usize, max_bytes: u64) -> std::io::Result<(usize, u64)> {
    let (header, body) = real_rows()?;
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "{header}")?;
    let mut bytes = header.len() as u64 + 1;
    let mut k = 0;
    while k < rows && bytes < max_bytes {
        let line = &body[k % body.len()];
        // The first field is the id (unquoted hex in this source): replace it.
        let rest = line.split_once(',').map_or("", |(_, r)| r);
        let written = format!("lieu-{k},{rest}\n");
        bytes += written.len() as u64;
        out.write_all(written.as_bytes())?;
        k += 1;
    }
    out.flush()?;
    Ok((k, bytes))
}
