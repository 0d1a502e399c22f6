//! `maillage serve` and `maillage demo`: run the web site on a store.
//!
//! `demo` builds a fresh SQLite database from the data shipped in `data/` (the places of one
//! département, Tarn-et-Garonne by default, from the national sources, and the territory
//! referential), then serves it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::DbArgs;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Adresse d'écoute
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Dossier du référentiel territorial (communes, EPCI)
    #[arg(long)]
    pub referentiel: Option<PathBuf>,
    /// Fichier de configuration de l'identité du service (maillage.toml ; sinon
    /// MAILLAGE_CONFIG, puis les valeurs neutres de la démonstration)
    #[arg(long, value_name = "FICHIER")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Adresse d'écoute
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Fichier SQLite de la démonstration (recréé à chaque lancement ; par défaut une base
    /// propre à ce lancement, effacée à l'arrêt, pour que deux démonstrations ne se gênent pas)
    #[arg(long)]
    pub db_file: Option<PathBuf>,
    /// Prépare la base puis s'arrête sans lancer le site (pour les tests)
    #[arg(long)]
    pub no_serve: bool,
    /// Fichier de configuration de l'identité du service (maillage.toml ; sinon
    /// MAILLAGE_CONFIG, puis les valeurs neutres de la démonstration)
    #[arg(long, value_name = "FICHIER")]
    pub config: Option<PathBuf>,
    /// Département de la démonstration (code INSEE : 82, 87, 2A, 974…), lu dans les listes
    /// nationales livrées ; les tournées d'itinérance n'existent que pour le 82
    #[arg(long, default_value = crate::national::DEFAULT_DEPARTEMENT)]
    pub departement: String,
}

/// The identity of the site, checked before anything else starts (a colour that fails contrast
/// stops here, with the reason).
fn identity(config: Option<&std::path::Path>) -> anyhow::Result<maillage_web::identity::Identity> {
    maillage_web::identity::Identity::load(config).map_err(anyhow::Error::msg)
}

pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let identity = identity(args.config.as_deref())?;
    let referential = crate::load_referential(args.referentiel.as_deref())?;
    let rt = crate::runtime()?;
    rt.block_on(async {
        let store = maillage_store::open(&args.db.url)
            .await
            .with_context(|| format!("ouverture de {}", args.db.url))?;
        run_site(store, referential, identity, args.addr, true).await
    })
}

pub fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let identity = identity(args.config.as_deref())?;
    let referential = crate::load_referential(None)?;
    let departement = crate::national::departement_code(&args.departement, &referential)?;
    // Each demo has its own base unless one is named: two demos running side by side must not
    // delete each other's file (the directory is removed when this process ends).
    let own_dir = match args.db_file {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("maillage-demo-")
                .tempdir()
                .context("création d'un dossier temporaire pour la base")?,
        ),
    };
    let db_file = match (&args.db_file, &own_dir) {
        (Some(f), _) => f.clone(),
        (None, Some(d)) => d.path().join("demo.sqlite"),
        (None, None) => anyhow::bail!("aucun fichier pour la base de démonstration"),
    };
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db_file.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("suppression de {}", p.display()))?;
        }
    }
    let url = format!("sqlite:{}", db_file.display());
    println!("Base de démonstration : {}", db_file.display());
    let rt = crate::runtime()?;
    rt.block_on(async {
        let store = maillage_store::open(&url)
            .await
            .context("création de la base")?;
        store
            .replace_territory(&referential.communes, &referential.epcis)
            .await
            .context("chargement du référentiel territorial")?;
        let scratch = tempfile::tempdir().context("dossier temporaire de lecture")?;
        let mut reads = Vec::new();
        for (path, format) in crate::national::national_files() {
            let (read, national) = crate::national::read_departement(
                &path,
                &format,
                &departement,
                &referential,
                scratch.path(),
            )?;
            println!(
                "{} : {} enregistrements du département {departement} sur {national} en France.",
                read.source,
                read.records.len()
            );
            reads.push(read);
        }
        maillage_directory::import::import(store.as_ref(), reads).await?;
        let n = store.count_places().await?;
        let label = crate::national::departement_label(&departement, &referential);
        println!("{n} lieux {label} dans la base.");
        // The shipped tours (82 only), planned and published as version 1: the same on every
        // demo of the same month (the plan is deterministic, the period starts on the 1st).
        if departement == crate::national::DEFAULT_DEPARTEMENT {
            let tours = crate::paths::data_dir().join("tours");
            let today = chrono::Local::now().date_naive();
            let published = maillage_directory::tours::publish_shipped(
                store.as_ref(),
                &tours,
                "82",
                "démonstration",
                today,
            )
            .await?;
            println!("{}.", maillage_directory::tours::summary(&published));
        }
        // Slots for the France Services, so a visitor can try booking: 30-minute
        // appointments, two people at a time, from their opening hours.
        let rule = maillage_directory::booking::SlotRule {
            minutes: 30,
            capacity: 2,
            closures: Vec::new(),
        };
        let now = chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Paris)
            .naive_local();
        let slots =
            maillage_directory::booking::publish_france_services(store.as_ref(), &rule, now)
                .await?;
        println!(
            "{} créneaux de rendez-vous publiés pour {} France Services.",
            slots.slots, slots.places
        );
        if args.no_serve {
            return Ok(ExitCode::SUCCESS);
        }
        run_site(store, referential, identity, args.addr, false).await
    })
}

async fn run_site(
    store: std::sync::Arc<dyn maillage_store::Store>,
    referential: maillage_territory::Referential,
    identity: maillage_web::identity::Identity,
    addr: SocketAddr,
    production: bool,
) -> anyhow::Result<ExitCode> {
    let mut config = maillage_web::WebConfig {
        identity: std::sync::Arc::new(identity),
        ..Default::default()
    };
    // `serve` shows the Plan IGN background; `demo` stays offline with the shipped outlines.
    if production {
        config = config.with_production_tiles();
    }
    let state =
        maillage_web::AppState::with_config(store, std::sync::Arc::new(referential), config)
            .await
            .context("préparation du site")?;
    println!("Site disponible sur http://{addr}/ (Ctrl-C pour arrêter)");
    maillage_web::serve(state, addr)
        .await
        .with_context(|| format!("impossible d'écouter sur {addr}"))?;
    Ok(ExitCode::SUCCESS)
}
