//! `maillage compte creer`: creates an account from the command line (the first coordinator
//! of a département, an editor for a structure that asked the coordination). The person
//! then signs in with a one-time link sent to the address (`/connexion`).

use std::process::ExitCode;

use anyhow::{bail, Context};
use maillage_store::accounts::{NewAccount, Role};

use crate::DbArgs;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Crée un compte (editeur, agent, coordinateur ou admin).
    Creer(CreateArgs),
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Adresse de courriel de la personne
    #[arg(long)]
    pub email: String,
    /// Rôle : editeur, agent, coordinateur ou admin
    #[arg(long)]
    pub role: String,
    /// Identifiant d'un lieu que le compte peut modifier (répétable)
    #[arg(long = "lieu")]
    pub lieux: Vec<String>,
    /// Territoire : code du département (82) ou SIREN de l'EPCI
    #[arg(long)]
    pub territoire: Option<String>,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let Command::Creer(args) = cmd;
    let Some(role) = Role::parse(&args.role) else {
        bail!(
            "rôle inconnu : « {} » (attendu : editeur, agent, coordinateur ou admin)",
            args.role
        );
    };
    if !args.email.contains('@') {
        bail!("adresse de courriel non valable : « {} »", args.email);
    }
    if role == Role::Coordinateur && args.territoire.is_none() {
        bail!("un compte coordinateur a besoin de --territoire (code du département ou SIREN de l'EPCI)");
    }
    let rt = crate::runtime()?;
    let account = rt.block_on(async {
        let store = maillage_store::open(&args.db.url)
            .await
            .with_context(|| format!("ouverture de {}", args.db.url))?;
        let mut places = Vec::new();
        for id in &args.lieux {
            match store.place(id).await.context("lecture du lieu")? {
                // The current id (an alias given on the command line is resolved).
                Some(sp) => places.push(sp.place.id),
                None => bail!("lieu introuvable : « {id} »"),
            }
        }
        let accounts = store
            .accounts()
            .context("cette base ne garde pas les comptes")?;
        let account = accounts
            .create_account(&NewAccount {
                email: args.email.clone(),
                role,
                territory: args.territoire.clone(),
                places,
            })
            .await
            .context("création du compte")?;
        accounts
            .audit(
                Some(account.id),
                "droits",
                &format!("compte créé en ligne de commande : {}", role.as_str()),
            )
            .await
            .context("journal")?;
        anyhow::Ok(account)
    })?;
    println!(
        "Compte {} créé pour {} ({}{}{}). Connexion : /connexion",
        account.id,
        account.email,
        account.role.as_str(),
        account
            .territory
            .as_deref()
            .map(|t| format!(", territoire {t}"))
            .unwrap_or_default(),
        if account.places.is_empty() {
            String::new()
        } else {
            format!(", lieux : {}", account.places.join(", "))
        }
    );
    Ok(ExitCode::SUCCESS)
}
