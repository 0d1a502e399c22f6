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
    (
        "standard-csv",
        "Standard des lieux de médiation numérique (CSV)",
    ),
    (
        "standard-json",
        "Standard des lieux de médiation numérique (JSON)",
    ),
    ("v0-csv", "Standard v0.1 (CSV)"),
    ("cnfs-json", "Conseillers numériques (JSON)"),
    ("france-services", "Liste des France Services (ANCT)"),
    ("data-inclusion", "data·inclusion (JSON)"),
    ("aidants-connect", "Structures Aidants Connect"),
    (
        "cnfs-structures",
        "Structures d'accueil des conseillers numériques",
    ),
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
    /// Records of the file lie outside the territory of the person applying it.
    #[error("{0} enregistrement(s) du fichier sont hors de votre territoire : l'import doit être appliqué par un administrateur")]
    OutOfScope(usize),
    /// The store changed since the dry run shown: the new plan differs.
    #[error("la base a changé depuis l'essai : relisez le nouvel essai avant d'appliquer")]
    Stale(PlannedCounts),
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

impl DryRun {
    /// A short digest of the plan (which places, which records, what they absorb): the apply
    /// form carries it, so that a plan changed by a write in between is not applied unseen.
    pub fn fingerprint(&self) -> String {
        use std::hash::{Hash, Hasher};
        // SipHash with fixed keys: the same digest on every app server of one build.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for p in &self.planned.plan.places {
            p.place.id.hash(&mut h);
            p.absorbs.hash(&mut h);
            for r in &p.records {
                r.source.hash(&mut h);
                r.observed.hash(&mut h);
            }
        }
        (
            self.planned.unchanged,
            self.planned.merged,
            self.planned.plan.rejected,
        )
            .hash(&mut h);
        format!("{:016x}", h.finish())
    }
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

/// Reads the run's file (with its report); plans nothing.
pub fn read(run: &ImportRun, lookup: Option<&dyn CommuneLookup>) -> Result<FileRead, RunError> {
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
    let read = read(run, lookup)?;
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

/// Applies a staged run in one transaction and records its outcome and author. `expected` is
/// the [`DryRun::fingerprint`] of the dry run the coordinator looked at: when the store changed
/// since, so that the plan is no longer the one shown, nothing is written
/// ([`RunError::Stale`], with the new counts). `in_scope` says which places the person may
/// write (a coordinator's territory): a file with records outside it is refused whole
/// ([`RunError::OutOfScope`]). Exactly one
/// of two concurrent applies of the same run goes through; the other gets
/// [`RunError::Busy`] or [`RunError::AlreadyApplied`]. A failed apply writes nothing and
/// leaves the run staged.
pub async fn apply(
    store: &dyn Store,
    run_id: i64,
    account_id: i64,
    lookup: Option<&dyn CommuneLookup>,
    expected: Option<&str>,
    in_scope: &(dyn Fn(&maillage_model::Place) -> bool + Sync),
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
        let dry = dry_run(store, &run, lookup).await?;
        let outside = dry
            .read
            .records
            .iter()
            .filter(|r| !in_scope(&r.place))
            .count();
        if outside > 0 {
            return Err(RunError::OutOfScope(outside));
        }
        if expected.is_some_and(|e| e != dry.fingerprint()) {
            return Err(RunError::Stale(dry.counts));
        }
        crate::import::apply_planned(store, dry.planned, std::slice::from_ref(&dry.read))
            .await
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
        let _ = w.write_record([row.line.to_string(), problems.join(" ; "), row.raw.clone()]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
