//! `maillage import FILE…`: reads, checks, de-duplicates and stores places, in one transaction.
//!
//! Prints a summary (created, updated, unchanged, merged, rejected), each problem with its line
//! and field, and writes the rejected rows to `rejets/`. Exit 0 when every row was imported,
//! 1 when some rows were rejected, 2 when a file could not be used (then nothing is written).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use maillage_standard::read::Format;

use crate::{progress, DbArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fichiers à importer (CSV ou JSON)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Format : auto, standard-csv, standard-json, v0-csv, cnfs-json, france-services,
    /// data-inclusion, aidants-connect, cnfs-structures, mapping:FICHIER.toml
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// Nom de la source (par défaut : déduit du format ou du nom de fichier)
    #[arg(long)]
    pub source: Option<String>,
    /// Dossier où écrire les lignes rejetées
    #[arg(long, default_value = "rejets")]
    pub rejects: PathBuf,
    /// Dossier du référentiel territorial (communes, EPCI)
    #[arg(long)]
    pub referentiel: Option<PathBuf>,
    /// Affiche le rapport complet en JSON (chaque fichier, chaque problème, le bilan)
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format: Format = args
        .format
        .parse()
        .map_err(|e| anyhow::anyhow!("format inconnu « {} » : {e}", args.format))?;
    let referential = crate::load_referential(args.referentiel.as_deref())?;
    let rt = crate::runtime()?;
    rt.block_on(async {
        let store = maillage_store::open(&args.db.url)
            .await
            .with_context(|| format!("ouverture de {}", args.db.url))?;
        let outcome = import_with_progress(
            store.as_ref(),
            &args.files,
            &format,
            args.source.as_deref(),
            Some(&referential),
            &args.rejects,
            args.json,
        )
        .await?;
        Ok(outcome)
    })
}

/// Shared by `import` and `demo`: reads every file with a progress bar, prints reports,
/// applies one import. Returns the exit code.
pub async fn import_with_progress(
    store: &dyn maillage_store::Store,
    files: &[PathBuf],
    format: &Format,
    source: Option<&str>,
    referential: Option<&maillage_territory::Referential>,
    rejects_dir: &std::path::Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let lookup = referential.map(|r| r as &dyn maillage_model::CommuneLookup);
    let bar = progress::bar(files.len() as u64, "lecture");
    let mut reads = Vec::new();
    for path in files {
        bar.set_message(path.display().to_string());
        match maillage_directory::import::read_file(path, format, source, lookup) {
            Ok(r) => reads.push(r),
            Err(e) => {
                bar.finish_and_clear();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "importe": false,
                            "fichier": path.display().to_string(),
                            "erreur": format!("{e:#}"),
                        })
                    );
                }
                eprintln!("Import annulé, la base n'a pas été modifiée.");
                return Err(e);
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut any_rejected = false;
    let mut files_json = Vec::new();
    for r in &reads {
        let rejects = crate::report_print::write_rejects(rejects_dir, &r.path, &r.report)?;
        any_rejected |= rejects.is_some();
        if json {
            files_json.push(serde_json::json!({
                "fichier": r.path.display().to_string(),
                "format": format_name(&r.format),
                "source": r.source,
                "enregistrements": r.records.len(),
                "rejets": rejects.as_ref().map(|p| p.display().to_string()),
                "rapport": r.report,
            }));
            continue;
        }
        println!(
            "{} ({}, source « {} ») : {} lignes lues, {} enregistrements, {} rejetées, {} avertissements",
            r.path.display(),
            format_name(&r.format),
            r.source,
            r.report.rows,
            r.records.len(),
            r.report.rejected,
            r.report.warning_count()
        );
        crate::report_print::print_report(&mut std::io::stdout(), &r.report);
        if let Some(p) = rejects {
            println!("  lignes rejetées écrites dans {}", p.display());
        }
    }
    let spinner = progress::spinner("dédoublonnage et écriture");
    let (outcome, _) = maillage_directory::import::import(store, reads).await?;
    spinner.finish_and_clear();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "importe": true,
                "fichiers": files_json,
                "bilan": {
                    "crees": outcome.created,
                    "mis_a_jour": outcome.updated,
                    "inchanges": outcome.unchanged,
                    "fusionnes": outcome.merged,
                    "rejetes": outcome.rejected,
                },
            }))?
        );
    } else {
        println!(
            "Import terminé : {} créés, {} mis à jour, {} inchangés, {} fusionnés, {} rejetés.",
            outcome.created, outcome.updated, outcome.unchanged, outcome.merged, outcome.rejected
        );
    }
    Ok(if any_rejected || outcome.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn format_name(f: &Format) -> String {
    format!("{f:?}")
}
