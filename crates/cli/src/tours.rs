//! `maillage tours …`: the itinerant France Services (planning, calendars, home visits).
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Planifie les tournées à partir des sites candidats et des véhicules.
    Plan,
}

pub fn run(_cmd: Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("la commande tours n'est pas encore disponible")
}
