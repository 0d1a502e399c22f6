//! Imports run from the coordinator's space: a file uploaded through the browser is kept on
//! the server, dry-run as often as looked at (read, checked and planned against the store,
//! nothing written), then applied once through [`crate::import::import`], the same path as
//! `maillage import`, and recorded with who applied it and what it did.
//!
//! Why the dry run is recomputed rather than stored: the store may change between the upload
//! and the apply (another import, an edit); what is applied is planned again on the store as
//! it is then, and the page shows that plan. Why the upload's date is pinned: a file with no
//! date in its name is dated by its modification time ([`crate::import::file_date`]), which
//! for an upload is the moment it arrived; a second upload of the same bytes takes the date of
//! the first, so that importing the same file twice still changes nothing.

use std::path::Path;

use maillage_model::CommuneLookup;
use maillage_standard::read::Format;
use maillage_standard::Report;
use maillage_store::coordination::{
    ImportRun, NewImportRun, RUN_APPLIED, RUN_APPLYING, RUN_STAGED,
};
use maillage_store::{ImportOutcome, Store};

use crate::import::{plan_import, read_file, FileRead, PlannedImport};

/// The formats a coordinator may choose in the form (a mapping file is a path on the server:
/// not offered to a browser).
pub const FORMATS: &[(&str, &str)] = &[
    ("auto", "Reconnaître le format"),
    ("standard-csv", "Standard des lieux de médiation numérique (CSV)"),
    ("standard-json", "Standard des lieux de médiation numérique (JSON)"),
    ("v0-csv", "Standard v0.1 (CSV)"),
    ("cnfs-json", "Conseillers numériques (JSON)"),
    ("france-services", "Liste des France Services (ANCT)"),
    ("data-inclusion", "data·inclusion (JSON)"),
    ("aidants-connect", "Structures Aidants Connect"),
    ("cnfs-structures", "Structures d'accueil des conseillers numériques"),
];

/// Why a run cannot be dry-run or applied.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cet import n'existe pas")]
    NotFound,
    #[error("cet import a déjà été appliqué")]
    AlreadyApplied,
    #[error("cet import est en cours d'application ; rechargez la page dans un instant")]
    Busy,
    /// The file cannot be used: nothing was written.
    #[error("{0}")]
    Unusable(String),
    #[error("{0}")]
    Store(#[from] maillage_store::StoreError),
}

/// What an apply would do, counted the way the import's summary counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlannedCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub merged: u64,
    pub rejected: u64,
}

/// A dry run: the file read with its report, and the plan against the store.
pub struct DryRun {
    pub read: FileRead,
    pub planned: PlannedImport,
    pub counts: PlannedCounts,
}

/// Records an uploaded file (already written to `run.stored_path`) and pins its date.
pub async fn stage(store: &dyn Store, run: NewImportRun) -> Result<i64, RunError> {
    if let Some(first) = store
        .import_runs(10_000)
        .await?
        .into_iter()
        .filter(|r| r.sha256 == run.sha256)
        .min_by_key(|r| r.id)
    {
        let pinned = std::fs::File::options()
            .write(true)
            .open(&run.stored_path)
            .and_then(|f| f.set_modified(first.created_at.into()));
        if let Err(e) = pinned {
            tracing::warn!(erreur = %e, "date du fichier déposé non fixée");
        }
    }
    Ok(store.add_import_run(&run).await?)
}

fn format_of(run: &ImportRun) -> Result<Format, RunError> {
    if !FORMATS.iter().any(|(f, _)| *f == run.format) {
        return Err(RunError::Unusable(format!(
            "format « {} » non proposé",
            run.format
        )));
    }
    run.format.parse().map_err(RunError::Unusable)
}

fn read_run(run: &ImportRun, lookup: Option<&dyn CommuneLookup>) -> Result<FileRead, RunError> {
    let path = Path::new(&run.stored_path);
    if !path.exists() {
        return Err(RunError::Unusable(
            "le fichier déposé n'est plus sur le serveur ; déposez-le à nouveau".into(),
        ));
    }
    read_file(path, &format_of(run)?, None, lookup)
        .map_err(|e| RunError::Unusable(format!("{e:#}")))
}

/// Reads the run's file and plans it against the store; writes nothing.
pub async fn dry_run(
    store: &dyn Store,
    run: &ImportRun,
    lookup: Option<&dyn CommuneLookup>,
) -> Result<DryRun, RunError> {
    let read = read_run(run, lookup)?;
    let planned = plan_import(store, std::slice::from_ref(&read))
        .await
        .map_err(|e| RunError::Unusable(format!("{e:#}")))?;
    let created = planned
        .plan
        .places
        .iter()
        .filter(|p| p.place.id.is_empty())
        .count() as u64;
    let counts = PlannedCounts {
        created,
        updated: planned.plan.places.len() as u64 - created,
        unchanged: planned.unchanged,
        merged: planned.merged,
        rejected: planned.plan.rejected,
    };
    Ok(DryRun {
        read,
        planned,
        counts,
    })
}

/// Applies a staged run in one transaction and records its outcome and author. Exactly one
/// of two concurrent applies of the same run goes through; the other gets
/// [`RunError::Busy`] or [`RunError::AlreadyApplied`]. A failed apply writes nothing and
/// leaves the run staged.
pub async fn apply(
    store: &dyn Store,
    run_id: i64,
    account_id: i64,
    lookup: Option<&dyn CommuneLookup>,
) -> Result<ImportOutcome, RunError> {
    let run = store.import_run(run_id).await?.ok_or(RunError::NotFound)?;
    match run.status.as_str() {
        RUN_APPLIED => return Err(RunError::AlreadyApplied),
        RUN_APPLYING => return Err(RunError::Busy),
        _ => {}
    }
    if !store
        .set_import_run_status(run.id, RUN_STAGED, RUN_APPLYING)
        .await?
    {
        return Err(RunError::Busy);
    }
    let result = async {
        let read = read_run(&run, lookup)?;
        crate::import::import(store, vec![read])
            .await
            .map(|(outcome, _)| outcome)
            .map_err(|e| RunError::Unusable(format!("{e:#}")))
    }
    .await;
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            store
                .set_import_run_status(run.id, RUN_APPLYING, RUN_STAGED)
                .await?;
            return Err(e);
        }
    };
    store.finish_import_run(run.id, &outcome).await?;
    if let Some(accounts) = store.accounts() {
        accounts
            .audit(
                Some(account_id),
                "import",
                &format!(
                    "{} : {} créés, {} mis à jour, {} inchangés, {} fusionnés, {} rejetés",
                    run.file_name,
                    outcome.created,
                    outcome.updated,
                    outcome.unchanged,
                    outcome.merged,
                    outcome.rejected
                ),
            )
            .await?;
    }
    // The file has done its work; the history keeps the counts.
    if let Err(e) = std::fs::remove_file(&run.stored_path) {
        tracing::warn!(erreur = %e, "fichier déposé non supprimé");
    }
    Ok(outcome)
}

/// The rejected rows of a report as a CSV (`;`, UTF-8): the line, its problems, and the row as
/// it was in the file, so the source can be corrected and sent again.
pub fn rejects_csv(report: &Report) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let _ = w.write_record(["ligne", "problemes", "ligne_d_origine"]);
    for row in &report.rejected_rows {
        let problems: Vec<String> = report
            .errors()
            .filter(|i| i.line == Some(row.line))
            .map(|i| match &i.field {
                Some(f) => format!("{f} : {}", i.message),
                None => i.message.clone(),
            })
            .collect();
        let _ = w.write_record([
            row.line.to_string(),
            problems.join(" ; "),
            row.raw.clone(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
