//! The `maillage` command line: parses arguments with clap and wires the crates together.
//!
//! Each command lives in its own module and returns an [`ExitCode`]; errors are `anyhow`
//! errors with context, printed in plain French without a stack trace. Like `rg`, commands
//! carry on past bad rows, report each one, and say so in their exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod coverage;
pub mod tours;

/// Default database: an SQLite file in the current folder.
pub const DEFAULT_DB: &str = "sqlite:maillage.sqlite";

#[derive(Debug, Parser)]
#[command(
    name = "maillage",
    version,
    about = "Annuaire, carte, observatoire et itinérance de l'inclusion numérique d'un département"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by commands that use the database.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Base de données : sqlite:CHEMIN (par défaut) ou postgres://…
    #[arg(long = "db", env = "MAILLAGE_DATABASE_URL", default_value = DEFAULT_DB)]
    pub url: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Observatoire : accès aux lieux par commune, population couverte, communes sans aide.
    Coverage(coverage::Args),
    /// Itinérance France Services : planification, calendrier, visites à domicile.
    #[command(subcommand)]
    Tours(tours::Command),
}

/// Entry point called by the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and usage errors itself; exit 2 for usage errors as usual.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Coverage(args) => coverage::run(args),
        Command::Tours(cmd) => tours::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Erreur : {e:#}");
            ExitCode::from(2)
        }
    }
}
