//! The `maillage` command line: parses arguments with clap and wires the crates together.
//!
//! Each command lives in its own module and returns an [`ExitCode`]; errors are `anyhow`
//! errors with context, printed in plain French without a stack trace. Like `rg`, commands
//! carry on past bad rows, report each one, and say so in their exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod compte;
pub mod coverage;
pub mod entretien;
pub mod export;
pub mod import;
pub mod mapping;
pub mod national;
pub mod paths;
pub mod progress;
pub mod rendezvous;
pub mod report_print;
pub mod serve;
pub mod tours;
pub mod validate;

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
    /// Crée une base de démonstration d'un département (Tarn-et-Garonne par défaut) et lance le site.
    Demo(serve::DemoArgs),
    /// Lance le site web et l'API sur une base existante.
    Serve(serve::ServeArgs),
    /// Vérifie un fichier au standard des lieux de médiation numérique, sans l'importer.
    Validate(validate::Args),
    /// Importe des fichiers de lieux (standard, France Services, data·inclusion…).
    Import(import::Args),
    /// Exporte les lieux en données ouvertes (standard CSV/JSON, GeoJSON, data·inclusion).
    Export(export::Args),
    /// Observatoire : accès aux lieux par commune, population couverte, communes sans aide.
    Coverage(coverage::Args),
    /// Itinérance France Services : planification, calendrier, visites à domicile.
    #[command(subcommand)]
    Tours(tours::Command),
    /// Comptes : créer un compte de structure, de coordination ou d'administration.
    #[command(subcommand)]
    Compte(compte::Command),
    /// Tâches planifiées : synthèse mensuelle des fiches à confirmer, purge des données échues.
    #[command(subcommand)]
    Entretien(entretien::Command),
    /// Fichiers de correspondance : modèle écrit à partir des colonnes d'un fichier.
    #[command(subcommand)]
    Mapping(mapping::Command),
    /// Rendez-vous : publier les créneaux, envoyer les rappels, effacer les données passées.
    #[command(subcommand, name = "rendez-vous")]
    RendezVous(rendezvous::Command),
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
        Command::Demo(args) => serve::demo(args),
        Command::Serve(args) => serve::serve(args),
        Command::Validate(args) => validate::run(args),
        Command::Import(args) => import::run(args),
        Command::Export(args) => export::run(args),
        Command::Coverage(args) => coverage::run(args),
        Command::Tours(cmd) => tours::run(cmd),
        Command::Compte(cmd) => compte::run(cmd),
        Command::Entretien(cmd) => entretien::run(cmd),
        Command::Mapping(cmd) => mapping::run(cmd),
        Command::RendezVous(cmd) => rendezvous::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Erreur : {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The async runtime for commands that talk to the store or serve.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("démarrage impossible : {e}"))
}

/// Loads the territory referential from `dir`, or the shipped one.
pub fn load_referential(
    dir: Option<&std::path::Path>,
) -> anyhow::Result<maillage_territory::Referential> {
    use anyhow::Context;
    let dir = dir
        .map(|d| d.to_path_buf())
        .unwrap_or_else(paths::referentiel_dir);
    maillage_territory::Referential::load_dir(&dir).with_context(|| {
        format!(
            "chargement du référentiel territorial depuis {}",
            dir.display()
        )
    })
}

/// The shipped referential if it can be loaded (used where it only refines checks).
pub fn load_referential_quiet() -> Option<maillage_territory::Referential> {
    load_referential(None).ok()
}
