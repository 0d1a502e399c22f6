//! `maillage coverage`: access to help per commune (the observatory), as CSV or JSON.
use std::process::ExitCode;

use crate::DbArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArgs,
    /// Code du département (82, 2A, 974…)
    #[arg(long)]
    pub departement: String,
}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("la commande coverage n'est pas encore disponible")
}
