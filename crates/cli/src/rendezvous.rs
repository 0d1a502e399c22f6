//! `maillage rendez-vous …`: the booking's scheduled work from the command line, for a
//! département that runs it from cron rather than inside `maillage serve` (which does the
//! reminders and the purge itself every five minutes): publish the France Services' slots
//! from their hours, queue the 48-hour reminders (sent once, however often it runs), erase
//! the personal data of past appointments. Glue only: the rules are
//! `maillage_directory::appointments` and `maillage_directory::booking`.

use std::process::ExitCode;

use anyhow::Context;

use crate::DbArgs;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Publie les créneaux des France Services à partir de leurs horaires (3 mois à venir).
    Publier(PublishArgs),
    /// Met en file les rappels des rendez-vous des 48 heures à venir (jamais deux fois).
    Rappels(DbOnly),
    /// Efface nom et coordonnées des rendez-vous passés depuis plus de 30 jours.
    Purger(DbOnly),
}

#[derive(Debug, clap::Args)]
pub struct DbOnly {
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Durée d'un rendez-vous, en minutes
    #[arg(long, default_value_t = 30)]
    pub minutes: u32,
    /// Personnes reçues par créneau
    #[arg(long, default_value_t = 2)]
    pub capacite: u32,
}

fn now_paris() -> chrono::NaiveDateTime {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let url = match &cmd {
        Command::Publier(a) => a.db.url.clone(),
        Command::Rappels(a) | Command::Purger(a) => a.db.url.clone(),
    };
    let rt = crate::runtime()?;
    rt.block_on(async {
        let store = maillage_store::open(&url)
            .await
            .with_context(|| format!("ouverture de {url}"))?;
        let now = now_paris();
        match cmd {
            Command::Publier(a) => {
                let rule = maillage_directory::booking::SlotRule {
                    minutes: a.minutes,
                    capacity: a.capacite,
                    closures: Vec::new(),
                };
                let done = maillage_directory::booking::publish_france_services(
                    store.as_ref(),
                    &rule,
                    now,
                )
                .await
                .context("publication des créneaux")?;
                println!(
                    "{} créneaux publiés pour {} France Services ; {} sans horaires lisibles.",
                    done.slots, done.places, done.skipped
                );
            }
            Command::Rappels(_) => {
                let sms = maillage_notify::sms::LogSms::default();
                let round =
                    maillage_directory::appointments::send_reminders(store.as_ref(), &sms, now)
                        .await
                        .context("rappels")?;
                println!(
                    "{} rappel(s) par courriel mis en file, {} par SMS (journal).",
                    round.emails, round.sms
                );
            }
            Command::Purger(_) => {
                let n = maillage_directory::appointments::purge(store.as_ref(), now)
                    .await
                    .context("purge")?;
                println!("{n} rendez-vous anonymisé(s).");
            }
        }
        anyhow::Ok(ExitCode::SUCCESS)
    })
}
