//! `maillage export`: the stored places as open data (standard v1 CSV/JSON, GeoJSON,
//! data·inclusion), for one département or all.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use maillage_store::PlaceFilter;

use crate::DbArgs;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    StandardCsv,
    StandardJson,
    Geojson,
    DataInclusion,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArgs,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Code du département (82, 2A, 974…)
    #[arg(long)]
    pub departement: Option<String>,
    /// Fichier de sortie (par défaut : la sortie standard)
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = crate::runtime()?;
    let places = rt.block_on(async {
        let store = maillage_store::open(&args.db.url)
            .await
            .with_context(|| format!("ouverture de {}", args.db.url))?;
        store
            .places(&PlaceFilter {
                departement: args.departement.clone(),
                ..Default::default()
            })
            .await
            .context("lecture des lieux")
    })?;
    if let Some(dep) = &args.departement {
        if places.is_empty() {
            eprintln!("Aucun lieu pour le département « {dep} ».");
        }
    }
    let places: Vec<maillage_model::Place> = places.into_iter().map(|p| p.place).collect();
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("création de {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    use maillage_standard::write;
    let options = write::ExportOptions::default();
    // The standard's required fields: a place that cannot fill one is left out (the file
    // stays valid) and named here, so nothing disappears without a word.
    let report = match args.format {
        ExportFormat::StandardCsv => Some(write::write_standard_csv_report(
            &places, &mut out, &options,
        )),
        ExportFormat::StandardJson => Some(write::write_standard_json_report(
            &places, &mut out, &options,
        )),
        ExportFormat::Geojson => {
            write::write_geojson(&places, &mut out).context("écriture de l'export")?;
            None
        }
        ExportFormat::DataInclusion => {
            write::write_data_inclusion(&places, &mut out).context("écriture de l'export")?;
            None
        }
    }
    .transpose()
    .context("écriture de l'export")?;
    out.flush().context("écriture de l'export")?;
    if let Some(report) = report.filter(|r| !r.left_out.is_empty()) {
        eprintln!(
            "{} lieux non exportés (champ obligatoire du standard manquant) :",
            report.left_out_places()
        );
        for gap in report.left_out.iter().take(30) {
            eprintln!(
                "  {} : champ « {} » : {}",
                gap.place_id, gap.field, gap.message
            );
        }
        if report.left_out.len() > 30 {
            eprintln!("  … et {} autres", report.left_out.len() - 30);
        }
    }
    if let Some(p) = &args.out {
        eprintln!("{} lieux exportés dans {}", places.len(), p.display());
    }
    Ok(ExitCode::SUCCESS)
}
