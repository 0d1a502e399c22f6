//! `maillage mapping init FILE`: writes a mapping template from a CSV file's columns.
//!
//! A new local source is imported with a mapping file (`--format mapping:FILE.toml`); writing
//! one from scratch means copying every column name by hand. This command starts it: the
//! obvious columns are filled in, the others listed, so the person only maps what is
//! particular to the source. The guessing lives in `maillage_standard::read::mapping`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Écrit un modèle de fichier de correspondance (TOML) à partir des colonnes d'un CSV.
    Init(InitArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Fichier source (CSV) dont les colonnes servent de modèle
    pub file: PathBuf,
    /// Fichier TOML à écrire (par défaut : sur la sortie standard)
    #[arg(long, short = 'o')]
    pub sortie: Option<PathBuf>,
    /// Nom court de la source (par défaut : le nom du fichier)
    #[arg(long)]
    pub nom: Option<String>,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let Command::Init(args) = cmd;
    let name = args.nom.clone().unwrap_or_else(|| {
        args.file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "source".to_string())
    });
    let input = std::fs::File::open(&args.file)
        .with_context(|| format!("{} illisible", args.file.display()))?;
    let toml = maillage_standard::read::mapping::template(input, &name)
        .map_err(|e| anyhow::anyhow!("{} : {e}", args.file.display()))?;
    match &args.sortie {
        None => print!("{toml}"),
        Some(out) => {
            if out.exists() {
                bail!(
                    "{} existe déjà : il n'est pas remplacé (choisissez un autre nom)",
                    out.display()
                );
            }
            std::fs::write(out, &toml)
                .with_context(|| format!("écriture de {} impossible", out.display()))?;
            eprintln!(
                "Modèle écrit dans {} : à relire, puis `maillage import --format mapping:{} {}`.",
                out.display(),
                out.display(),
                args.file.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
