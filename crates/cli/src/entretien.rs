//! `maillage entretien …`: the scheduled jobs of the living directory, for a cron or a
//! systemd timer when `maillage serve` is not the one running them (`serve` runs them itself
//! every few hours). `synthese` queues this month's digest of the listings due for
//! confirmation to each editor (once per editor and month, however often it runs); `purge`
//! deletes used or expired sign-in links, expired sessions, sent emails older than 30 days and
//! handled error reports older than 90 days.
//! Glue only: the jobs are in `maillage_directory` and `maillage_store`.

use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::DbArgs;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Met dans la boîte d'envoi la synthèse mensuelle des fiches à confirmer (une par
    /// structure et par mois).
    Synthese(DigestArgs),
    /// Efface les liens de connexion utilisés ou expirés, les sessions expirées, les
    /// courriels envoyés depuis plus de 30 jours et les signalements traités depuis plus de
    /// 90 jours.
    Purge(PurgeArgs),
}

#[derive(Debug, clap::Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, clap::Args)]
pub struct DigestArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Adresse publique du site, début des liens des courriels
    #[arg(
        long = "url",
        env = "MAILLAGE_PUBLIC_URL",
        default_value = "http://localhost:8080"
    )]
    pub public_url: String,
    /// Date du jour (AAAA-MM-JJ ; par défaut aujourd'hui)
    #[arg(long)]
    pub date: Option<NaiveDate>,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Synthese(args) => digest(args),
        Command::Purge(args) => purge(args),
    }
}

fn purge(args: PurgeArgs) -> anyhow::Result<ExitCode> {
    let rt = crate::runtime()?;
    let done = rt.block_on(async {
        let store = maillage_store::open(&args.db.url)
            .await
            .with_context(|| format!("ouverture de {}", args.db.url))?;
        let accounts = store
            .accounts()
            .context("ce stockage ne garde pas de comptes")?;
        accounts
            .purge(
                chrono::Utc::now(),
                &maillage_store::accounts::PurgePolicy::default(),
            )
            .await
            .context("purge")
    })?;
    println!(
        "Purge : {} lien(s) de connexion, {} session(s), {} courriel(s) envoyé(s), {} signalement(s) traité(s) effacés.",
        done.tokens, done.sessions, done.emails, done.reports
    );
    Ok(ExitCode::SUCCESS)
}

fn digest(args: DigestArgs) -> anyhow::Result<ExitCode> {
    let today = args.date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let rt = crate::runtime()?;
    let run = rt.block_on(async {
        let store = maillage_store::open(&args.db.url)
            .await
            .with_context(|| format!("ouverture de {}", args.db.url))?;
        maillage_directory::freshness::send_monthly_digest(store.as_ref(), &args.public_url, today)
            .await
            .context("synthèse des fiches à confirmer")
    })?;
    println!(
        "Synthèse de {} : {} courriel(s) mis dans la boîte d'envoi, {} déjà envoyé(s) ce mois-ci, {} structure(s) sans fiche à confirmer.",
        today.format("%m/%Y"),
        run.queued,
        run.already_sent,
        run.nothing_due
    );
    Ok(ExitCode::SUCCESS)
}
