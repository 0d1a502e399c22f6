//! `maillage validate FILE [--json]`: checks a file against the standard v1 without importing.
//! Exit 0 when valid, 1 when invalid, 2 when the file cannot be read at all.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fichier à vérifier (CSV ou JSON du standard des lieux de médiation numérique)
    pub file: PathBuf,
    /// Rapport complet en JSON sur la sortie standard
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let referential = crate::load_referential_quiet();
    let lookup = referential
        .as_ref()
        .map(|r| r as &dyn maillage_model::CommuneLookup);
    let report = match maillage_standard::validate::validate_path(&args.file, lookup) {
        Ok(r) => r,
        Err(e) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "fichier": args.file.display().to_string(),
                        "valide": false,
                        "lisible": false,
                        "erreur": e.to_string(),
                    })
                );
            } else {
                eprintln!("Fichier illisible : {} : {e}", args.file.display());
            }
            return Ok(ExitCode::from(2));
        }
    };
    let valid = report.is_valid();
    if args.json {
        // The whole report: every issue kept (up to the report's cap), the rejected rows as
        // written, and the totals, which count the issues beyond the cap too.
        println!(
            "{}",
            serde_json::json!({
                "fichier": args.file.display().to_string(),
                "valide": valid,
                "lisible": true,
                "lignes": report.rows,
                "erreurs": report.error_count(),
                "avertissements": report.warning_count(),
                "lignes_rejetees": report.rejected,
                "rapport": report,
            })
        );
    } else {
        let errors = report.error_count();
        let warnings = report.warning_count();
        println!(
            "{} : {} lignes, {} erreurs, {} avertissements, {} lignes rejetées",
            args.file.display(),
            report.rows,
            errors,
            warnings,
            report.rejected
        );
        crate::report_print::print_report(&mut std::io::stdout(), &report);
        println!(
            "{}",
            if valid {
                "Fichier valide."
            } else {
                "Fichier non valide."
            }
        );
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
