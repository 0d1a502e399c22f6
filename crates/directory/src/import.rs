//! The import use case: read files, de-duplicate against what is stored, write one plan.
//!
//! A place is the merge of its source records. An incoming record whose source id is already
//! stored replaces that record and its place is re-merged; an unknown record is grouped with
//! the stored places and the other new records by `maillage_standard::dedup`, respecting the
//! operators' keep-apart decisions. Everything is written by one `Store::apply_import`, in one
//! transaction: a failed import changes nothing, and importing the same file twice finds every
//! record unchanged.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use maillage_model::{CommuneLookup, SourceRef};
use maillage_standard::dedup::{self, Candidate, CandidateKey};
use maillage_standard::read::{self, Format};
use maillage_standard::{Record, Report, SourceFile};
use maillage_store::{ImportOutcome, ImportPlan, PlaceFilter, PlannedPlace, SourceRecord, Store};

/// One file read, with its report.
pub struct FileRead {
    pub path: PathBuf,
    pub format: Format,
    pub source: String,
    pub report: Report,
    pub records: Vec<Record>,
}

/// Reads one file whole (records kept in memory for de-duplication).
pub fn read_file(
    path: &Path,
    format: &Format,
    source: Option<&str>,
    lookup: Option<&dyn CommuneLookup>,
) -> anyhow::Result<FileRead> {
    let format = match format {
        Format::Auto => read::detect(path)
            .with_context(|| format!("format de {} non reconnu", path.display()))?,
        f => f.clone(),
    };
    let source = source
        .map(str::to_string)
        .unwrap_or_else(|| default_source_name(path, &format));
    let file = SourceFile {
        source: source.clone(),
        date: file_date(path),
    };
    let mut records = Vec::new();
    let report = read::read_path(path, &format, &file, lookup, &mut |r| records.push(r))
        .with_context(|| format!("lecture de {}", path.display()))?;
    Ok(FileRead {
        path: path.to_path_buf(),
        format,
        source,
        report,
        records,
    })
}

/// Our name for a source, from its format (national lists have fixed names so that a newer
/// vintage updates the older one's records) or the file name.
pub fn default_source_name(path: &Path, format: &Format) -> String {
    match format {
        Format::CnfsJson => "conseiller-numerique".into(),
        Format::FranceServices => "france-services".into(),
        Format::AidantsConnect => "aidants-connect".into(),
        Format::CnfsStructures => "cnfs-structures".into(),
        _ => path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "import".into()),
    }
}

/// The date a file's values are valid at: a date in its name (`20240801`, `2022-12`), else
/// its modification date. Never "today": importing the same file twice must change nothing.
pub fn file_date(path: &Path) -> NaiveDate {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let digits: Vec<(usize, char)> = name.char_indices().collect();
    // Look for YYYYMMDD or YYYY-MM(-DD).
    for start in 0..digits.len() {
        let rest: String = digits[start..].iter().map(|(_, c)| *c).collect();
        if rest.len() >= 8 && rest[..8].chars().all(|c| c.is_ascii_digit()) {
            if let Ok(d) = NaiveDate::parse_from_str(&rest[..8], "%Y%m%d") {
                if (2000..2100).contains(&chrono::Datelike::year(&d)) {
                    return d;
                }
            }
        }
        if rest.len() >= 7 && rest.as_bytes()[4] == b'-' {
            if let Ok(d) = NaiveDate::parse_from_str(&format!("{}-01", &rest[..7]), "%Y-%m-%d") {
                if (2000..2100).contains(&chrono::Datelike::year(&d)) {
                    return d;
                }
            }
        }
    }
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).date_naive())
        .unwrap_or_else(|_| chrono::Utc::now().date_naive())
}

/// The plan of one import, with the counts the store cannot know.
#[derive(Debug, Clone)]
pub struct PlannedImport {
    pub plan: ImportPlan,
    /// Stored places the files confirmed without change (they are not in the plan).
    pub unchanged: u64,
    /// Records that joined another record in this import: an incoming record grouped with a
    /// stored place, incoming records grouped together into one new place, stored places
    /// absorbed into another. Every merge is counted, not only the absorbed stored places.
    pub merged: u64,
}

/// Builds the plan for the records of one import against the store's content.
pub async fn plan_import(store: &dyn Store, reads: &[FileRead]) -> anyhow::Result<PlannedImport> {
    let stored = store
        .places(&PlaceFilter::default())
        .await
        .context("lecture des lieux existants")?;
    let keep_apart = store
        .keep_apart()
        .await
        .context("lecture des décisions de séparation")?;

    // Where each known source record lives.
    let mut owner: HashMap<SourceRef, usize> = HashMap::new();
    for (i, sp) in stored.iter().enumerate() {
        for r in &sp.records {
            owner.insert(r.source.clone(), i);
        }
    }

    // Records of stored places, replaced by incoming versions of the same source id.
    let mut place_records: Vec<Vec<SourceRecord>> =
        stored.iter().map(|sp| sp.records.clone()).collect();
    let mut touched = vec![false; stored.len()];
    let mut seen = vec![false; stored.len()];
    let mut fresh: Vec<SourceRecord> = Vec::new();
    // Within one import, a source id seen twice: the last row wins (reported by the reader).
    let mut fresh_index: HashMap<SourceRef, usize> = HashMap::new();
    let mut rejected = 0;
    for read in reads {
        rejected += read.report.rejected;
        for rec in &read.records {
            let sr = SourceRecord {
                source: rec.source.clone(),
                place: rec.place.clone(),
                observed: rec.observed,
            };
            if let Some(&i) = owner.get(&rec.source) {
                seen[i] = true;
                if let Some(slot) = place_records[i].iter_mut().find(|r| r.source == sr.source) {
                    if *slot != sr {
                        *slot = sr;
                        touched[i] = true;
                    }
                }
            } else if let Some(&j) = fresh_index.get(&rec.source) {
                fresh[j] = sr;
            } else {
                fresh_index.insert(rec.source.clone(), fresh.len());
                fresh.push(sr);
            }
        }
    }

    // Group new records with stored places and with each other.
    let mut candidates = Vec::with_capacity(stored.len() + fresh.len());
    let stored_sources: Vec<Vec<SourceRef>> = place_records
        .iter()
        .map(|rs| rs.iter().map(|r| r.source.clone()).collect())
        .collect();
    for (i, sp) in stored.iter().enumerate() {
        candidates.push(Candidate {
            key: CandidateKey::Existing(sp.place.id.clone()),
            place: &sp.place,
            sources: &stored_sources[i],
            observed: sp.place.date_maj.unwrap_or(sp.updated_at.date_naive()),
        });
    }
    let fresh_sources: Vec<Vec<SourceRef>> = fresh.iter().map(|r| vec![r.source.clone()]).collect();
    for (j, r) in fresh.iter().enumerate() {
        candidates.push(Candidate {
            key: CandidateKey::Incoming(j),
            place: &r.place,
            sources: &fresh_sources[j],
            observed: r.observed,
        });
    }
    let groups = dedup::group(&candidates, &keep_apart);

    let mut planned = Vec::new();
    let mut in_group = vec![false; stored.len()];
    let mut merged = 0u64;
    for g in groups {
        let mut existing: Vec<usize> = g
            .members
            .iter()
            .copied()
            .filter(|&m| m < stored.len())
            .collect();
        let incoming: Vec<usize> = g
            .members
            .iter()
            .copied()
            .filter(|&m| m >= stored.len())
            .map(|m| m - stored.len())
            .collect();
        if incoming.is_empty() {
            continue; // groups of stored places only are left as they are
        }
        merged += (g.members.len() - 1) as u64;
        existing.sort_by(|&a, &b| stored[a].place.id.cmp(&stored[b].place.id));
        let mut records: Vec<SourceRecord> = Vec::new();
        let mut reasons: Vec<String> = Vec::new();
        for &e in &existing {
            in_group[e] = true;
            records.extend(place_records[e].iter().cloned());
            reasons.extend(stored[e].merge_reasons.iter().cloned());
        }
        records.extend(incoming.iter().map(|&j| fresh[j].clone()));
        reasons.extend(g.reasons);
        let id = existing
            .first()
            .map(|&e| stored[e].place.id.clone())
            .unwrap_or_default();
        let absorbs = existing
            .iter()
            .skip(1)
            .map(|&e| stored[e].place.id.clone())
            .collect();
        planned.push(planned_place(id, records, reasons, absorbs));
    }
    // Stored places whose own records changed, and not already re-planned above.
    for (i, sp) in stored.iter().enumerate() {
        if touched[i] && !in_group[i] {
            planned.push(planned_place(
                sp.place.id.clone(),
                place_records[i].clone(),
                sp.merge_reasons.clone(),
                Vec::new(),
            ));
        }
    }
    // Stored places that were in the files but neither changed nor regrouped.
    let unchanged = (0..stored.len())
        .filter(|&i| seen[i] && !touched[i] && !in_group[i])
        .count() as u64;
    let files: Vec<String> = reads.iter().map(|r| r.path.display().to_string()).collect();
    let sources: BTreeMap<&str, ()> = reads.iter().map(|r| (r.source.as_str(), ())).collect();
    let plan = ImportPlan {
        source: sources.keys().copied().collect::<Vec<_>>().join(", "),
        file: files.join(", "),
        places: planned,
        rejected,
    };
    Ok(PlannedImport {
        plan,
        unchanged,
        merged,
    })
}

pub(crate) fn planned_place(
    id: String,
    mut records: Vec<SourceRecord>,
    reasons: Vec<String>,
    absorbs: Vec<String>,
) -> PlannedPlace {
    records.sort_by(|a, b| {
        a.source
            .source
            .cmp(&b.source.source)
            .then(a.source.source_id.cmp(&b.source.source_id))
    });
    let members: Vec<(&maillage_model::Place, &[SourceRef], NaiveDate)> = records
        .iter()
        .map(|r| (&r.place, std::slice::from_ref(&r.source), r.observed))
        .collect();
    let (mut place, provenance) = dedup::merge(&members);
    place.id = id;
    let mut reasons = reasons;
    reasons.sort();
    reasons.dedup();
    PlannedPlace {
        place,
        records,
        provenance,
        merge_reasons: reasons,
        absorbs,
    }
}

/// Reads every file, plans and applies one import. Returns the outcome and the reads (with
/// their reports) for the caller to print and write rejects.
pub async fn import(
    store: &dyn Store,
    reads: Vec<FileRead>,
) -> anyhow::Result<(ImportOutcome, Vec<FileRead>)> {
    let planned = plan_import(store, &reads).await?;
    let outcome = apply_planned(store, planned, &reads).await?;
    Ok((outcome, reads))
}

/// Applies a plan made by [`plan_import`] from `reads` (one transaction), then the labellings
/// it brings to the tours: the second half of [`import`], for a caller that looked at the
/// plan first (the coordinator's dry run).
pub async fn apply_planned(
    store: &dyn Store,
    planned: PlannedImport,
    reads: &[FileRead],
) -> anyhow::Result<ImportOutcome> {
    let mut outcome = store
        .apply_import(planned.plan)
        .await
        .context("écriture dans la base de données (rien n'a été modifié)")?;
    outcome.unchanged += planned.unchanged;
    outcome.merged = outcome.merged.max(planned.merged);
    // A France Services list may label a commune where a tour stops: its permanences stop in
    // a new published version. The import itself is committed: a failure here is reported,
    // never undoes it.
    let today = chrono::Local::now().date_naive();
    if let Err(e) = crate::tours::after_import(store, reads, today).await {
        tracing::warn!(erreur = %format!("{e:#}"), "labellisations des tournées non traitées");
    }
    Ok(outcome)
}
