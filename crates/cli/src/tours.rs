//! `maillage tours …`: the itinerant France Services (planning, calendars, iCal, posters,
//! labellings, home visits).
//!
//! `tours plan` writes a *tour book* (JSON: sites, vehicles, plan, events, calendar); the
//! other commands read it. Home visits live in their own JSON file because they hold personal
//! data that the purge deletes on schedule. Files are read and written here; the logic is in
//! `maillage-tours`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{Datelike, Local, NaiveDate, Utc};
use maillage_tours::calendar::{date_fr, date_fr_year, duration_fr, time_fr};
use maillage_tours::input::{
    first_labelling_per_commune, parse_date, read_events, read_france_services_labellings,
    read_sites, read_vehicles,
};
use maillage_tours::publish::{as_places, ical, next_passages, poster_html, sentence};
use maillage_tours::schedule::{apply_labelling, freed_slots, Events};
use maillage_tours::visits::{self, PartnerKind, Person, Visit};
use maillage_tours::{Family, Labelling, PlanOptions, TourBook};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Importe dans la base les fichiers de la coordination (sites, véhicules, événements ;
    /// chacun reconnu par son en-tête) : remplace ces parties, rien d'autre.
    Import(ImportArgs),
    /// Planifie les tournées à partir des sites candidats et des véhicules. Avec `--db` :
    /// depuis la base, et le plan y est gardé comme proposition (non publié) ; sinon depuis
    /// les fichiers, et le livre des tournées (plan + calendrier) est écrit en JSON.
    Plan(PlanArgs),
    /// Publie le plan proposé comme nouvelle version du calendrier (du 1er du mois, pour
    /// trois mois), avec la liste de ce qui change par rapport à la version précédente.
    #[command(alias = "publier")]
    Publish(PublishArgs),
    /// Affiche les prochains passages en phrases simples (par commune ou par véhicule).
    Calendrier(CalendarArgs),
    /// Écrit le flux iCalendar d'un véhicule ou d'une commune.
    Ical(IcalArgs),
    /// Écrit l'affiche mensuelle imprimable d'une commune (HTML).
    Affiche(PosterArgs),
    /// Exporte les passages comme lieux du standard (CSV v1, itinérance « Itinérant »).
    Lieux(PlacesArgs),
    /// Enregistre la labellisation d'une France Services dans une commune : arrête les
    /// permanences de la commune et propose l'usage des créneaux libérés.
    Labelliser(LabelArgs),
    /// Rejoue l'historique des labellisations des listes France Services sur un plan.
    Rejouer(ReplayArgs),
    /// Visites à domicile (demande, proposition, statuts, feuille de route, purge).
    #[command(subcommand)]
    Visites(VisitCommand),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Fichiers CSV : sites, véhicules et/ou événements.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub db: crate::DbArgs,
}

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub db: crate::DbArgs,
    /// Qui publie (gardé avec la version).
    #[arg(long, default_value = "coordination")]
    pub par: String,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Planifie depuis la base (sqlite:CHEMIN ou postgres://…) et y garde le plan proposé,
    /// au lieu des fichiers.
    #[arg(long = "db")]
    pub db: Option<String>,
    /// Avec `--db` : planifie à nouveau même si les sites et les véhicules n'ont pas changé
    /// (le solveur ne donne pas deux fois le même plan).
    #[arg(long)]
    pub nouveau: bool,
    /// Sites candidats (CSV).
    #[arg(long, default_value = "data/tours/sites-82.csv")]
    pub sites: PathBuf,
    /// Véhicules (CSV).
    #[arg(long, default_value = "data/tours/vehicules-82.csv")]
    pub vehicules: PathBuf,
    /// Congés, fermetures, labellisations (CSV : type,cible,du,au,motif).
    #[arg(long)]
    pub evenements: Option<PathBuf>,
    /// Premier jour du calendrier (AAAA-MM-JJ ; par défaut aujourd'hui).
    #[arg(long)]
    pub du: Option<String>,
    /// Nombre de mois du calendrier.
    #[arg(long, default_value_t = 3)]
    pub mois: u32,
    /// Semaines paires / impaires au lieu de « 1er et 3e » / « 2e et 4e ».
    #[arg(long)]
    pub parite: bool,
    /// Générations du solveur.
    #[arg(long, default_value_t = 3000)]
    pub generations: usize,
    /// Temps maximal du solveur en secondes (pour les mesures : le plan dépend alors de la
    /// vitesse de la machine ; sans, la même entrée donne le même plan).
    #[arg(long)]
    pub secondes: Option<usize>,
    /// Sans l'amélioration locale après le solveur (pour les mesures).
    #[arg(long)]
    pub sans_polissage: bool,
    /// Extrait OpenStreetMap (.osm.pbf) : les temps de trajet par la route au lieu de
    /// l'estimation à vol d'oiseau (celle de l'observatoire).
    #[arg(long)]
    pub routes: Option<PathBuf>,
    /// Cas synthétique « SITESxVEHICULES » (ex. 200x10) au lieu des fichiers, pour les mesures.
    #[arg(long)]
    pub synthetique: Option<String>,
    /// Livre des tournées à écrire (JSON).
    #[arg(long, default_value = "tournees.json")]
    pub out: PathBuf,
    /// Écrit aussi l'instance (matrice des temps de trajet, contraintes, notre résultat) pour
    /// bench/tours/compare.py.
    #[arg(long)]
    pub export_matrix: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct BookArg {
    /// Livre des tournées écrit par `maillage tours plan` (quand `--db` n'est pas donné).
    #[arg(long, default_value = "tournees.json")]
    pub livre: PathBuf,
    /// Lit le calendrier publié dans la base (sqlite:CHEMIN ou postgres://…), celui que le
    /// site affiche, au lieu du livre.
    #[arg(long = "db", env = "MAILLAGE_DATABASE_URL")]
    pub db: Option<String>,
}

impl BookArg {
    /// The published calendar from the store when `--db` is given, else the book file.
    fn load(&self) -> anyhow::Result<TourBook> {
        let Some(url) = &self.db else {
            return load_book(&self.livre);
        };
        crate::runtime()?.block_on(async {
            let store = open_store(url).await?;
            match maillage_directory::tours::published(store.as_ref()).await? {
                Some(p) => Ok(p.book),
                None => bail!(
                    "aucun calendrier publié dans {url} : lancer `maillage tours plan --db …` \
                     puis `maillage tours publish`"
                ),
            }
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct CalendarArgs {
    #[command(flatten)]
    pub book: BookArg,
    /// Nom ou code INSEE de la commune.
    #[arg(long)]
    pub commune: Option<String>,
    /// Identifiant du véhicule.
    #[arg(long)]
    pub vehicule: Option<String>,
    /// À partir de (AAAA-MM-JJ ; par défaut aujourd'hui).
    #[arg(long)]
    pub du: Option<String>,
    #[arg(long, default_value_t = 10)]
    pub limite: usize,
}

#[derive(Debug, clap::Args)]
pub struct IcalArgs {
    #[command(flatten)]
    pub book: BookArg,
    #[arg(long)]
    pub commune: Option<String>,
    #[arg(long)]
    pub vehicule: Option<String>,
    /// Fichier .ics (par défaut la sortie standard).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PosterArgs {
    #[command(flatten)]
    pub book: BookArg,
    #[arg(long)]
    pub commune: String,
    /// Mois (AAAA-MM).
    #[arg(long)]
    pub mois: String,
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PlacesArgs {
    #[command(flatten)]
    pub book: BookArg,
    /// SIRET de la structure qui porte les véhicules.
    #[arg(long, default_value = "22820001400013")]
    pub pivot: String,
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct LabelArgs {
    #[command(flatten)]
    pub book: BookArg,
    /// Code INSEE de la commune.
    #[arg(long)]
    pub commune: String,
    /// Date de labellisation (AAAA-MM-JJ ou JJ/MM/AAAA).
    #[arg(long)]
    pub date: String,
    /// Nom de la France Services labellisée.
    #[arg(long)]
    pub nom: String,
    #[arg(long, default_value = "")]
    pub adresse: String,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    #[arg(long, default_value = "data/tours/sites-82.csv")]
    pub sites: PathBuf,
    #[arg(long, default_value = "data/tours/vehicules-82.csv")]
    pub vehicules: PathBuf,
    /// Listes nationales France Services (CSV), dans n'importe quel ordre.
    #[arg(long, required = true, num_args = 1..)]
    pub listes: Vec<PathBuf>,
    #[arg(long, default_value = "82")]
    pub departement: String,
    #[arg(long, default_value = "2021-04-01")]
    pub du: String,
    #[arg(long, default_value = "2024-08-01")]
    pub au: String,
}

#[derive(Debug, clap::Subcommand)]
pub enum VisitCommand {
    /// Enregistre une demande de visite (par une France Services, une mairie ou une MDS).
    Demander(VisitRequestArgs),
    /// Propose des créneaux sur des jours de tournée du véhicule qui dessert le secteur.
    Proposer(VisitIdArgs),
    /// Planifie la visite sur le n-ième créneau proposé.
    Planifier {
        #[command(flatten)]
        id: VisitIdArgs,
        #[arg(long, default_value_t = 1)]
        choix: usize,
    },
    /// Marque la visite réalisée.
    Terminer(VisitIdArgs),
    /// Annule la visite.
    Annuler(VisitIdArgs),
    /// Feuille de route d'un équipage pour un jour.
    Feuille {
        #[command(flatten)]
        files: VisitFiles,
        #[arg(long)]
        vehicule: String,
        #[arg(long)]
        date: String,
    },
    /// Supprime les données personnelles des visites closes depuis plus de N jours.
    Purger {
        #[command(flatten)]
        files: VisitFiles,
        #[arg(long, default_value_t = 90)]
        conservation_jours: i64,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct VisitFiles {
    #[arg(long, default_value = "tournees.json")]
    pub livre: PathBuf,
    /// Fichier des visites (données personnelles : à protéger), quand `--db` n'est pas donné.
    #[arg(long, default_value = "visites.json")]
    pub fichier: PathBuf,
    /// Base de données où garder les visites (sqlite:CHEMIN ou postgres://…) au lieu du
    /// fichier.
    #[arg(long = "db", env = "MAILLAGE_DATABASE_URL")]
    pub db: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct VisitIdArgs {
    #[command(flatten)]
    pub files: VisitFiles,
    #[arg(long)]
    pub id: String,
}

#[derive(Debug, clap::Args)]
pub struct VisitRequestArgs {
    #[command(flatten)]
    pub files: VisitFiles,
    /// france-services, mairie ou mds.
    #[arg(long)]
    pub partenaire: String,
    #[arg(long)]
    pub partenaire_nom: String,
    /// Code INSEE de la commune de la personne.
    #[arg(long)]
    pub commune: String,
    #[arg(long)]
    pub latitude: Option<f64>,
    #[arg(long)]
    pub longitude: Option<f64>,
    /// Nom ou initiales.
    #[arg(long)]
    pub nom: String,
    #[arg(long, default_value = "")]
    pub telephone: String,
    #[arg(long, default_value = "")]
    pub adresse: String,
    /// Motif (pourquoi la personne ne peut pas se déplacer, et pour quelle démarche).
    #[arg(long)]
    pub motif: String,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Import(a) => store_import(a),
        Command::Plan(a) if a.db.is_some() => store_plan(a),
        Command::Plan(a) => plan(a),
        Command::Publish(a) => store_publish(a),
        Command::Calendrier(a) => calendar(a),
        Command::Ical(a) => ical_cmd(a),
        Command::Affiche(a) => poster(a),
        Command::Lieux(a) => places(a),
        Command::Labelliser(a) => label(a),
        Command::Rejouer(a) => replay(a),
        Command::Visites(v) => visit(v),
    }
}

fn today() -> NaiveDate {
    Local::now().date_naive()
}

fn date_arg(s: &str) -> anyhow::Result<NaiveDate> {
    parse_date(s).with_context(|| format!("date « {s} » non comprise (AAAA-MM-JJ ou JJ/MM/AAAA)"))
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("impossible de lire {}", path.display()))
}

fn write_out(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("impossible d'écrire {}", p.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn load_book(path: &Path) -> anyhow::Result<TourBook> {
    let text = read_text(path).context("lancer d'abord `maillage tours plan`")?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} n'est pas un livre des tournées", path.display()))
}

fn save_book(path: &Path, book: &TourBook) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(book)?;
    std::fs::write(path, text).with_context(|| format!("impossible d'écrire {}", path.display()))
}

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months as i32;
    NaiveDate::from_ymd_opt(total / 12, (total % 12) as u32 + 1, 1)
        .map(|first| first.pred_opt().unwrap_or(first))
        .unwrap_or(d)
}

fn plan(a: PlanArgs) -> anyhow::Result<ExitCode> {
    let (sites, vehicles) = match &a.synthetique {
        Some(spec) => {
            let (s, v) = spec
                .split_once('x')
                .and_then(|(s, v)| Some((s.parse().ok()?, v.parse().ok()?)))
                .with_context(|| {
                    format!("--synthetique « {spec} » : attendu SITESxVEHICULES, ex. 200x10")
                })?;
            maillage_tours::bench::synthetic(s, v, 82)
        }
        None => (
            read_sites(&a.sites.display().to_string(), &read_text(&a.sites)?)?,
            read_vehicles(
                &a.vehicules.display().to_string(),
                &read_text(&a.vehicules)?,
            )?,
        ),
    };
    let events = match &a.evenements {
        Some(p) => read_events(&p.display().to_string(), &read_text(p)?)?,
        None => Events::default(),
    };
    let from = match &a.du {
        Some(s) => date_arg(s)?,
        None => today(),
    };
    let to = add_months(from, a.mois.max(1));
    let options = PlanOptions {
        family: if a.parite {
            Family::Parity
        } else {
            Family::Monthly
        },
        max_generations: a.generations,
        max_seconds: a.secondes,
        polish: !a.sans_polissage,
    };
    eprintln!(
        "Planification de {} sites avec {} véhicules…",
        sites.len(),
        vehicles.len()
    );
    let book = match &a.routes {
        None => TourBook::new(sites, vehicles, events, from, to, &options)?,
        Some(pbf) => {
            let progress = crate::progress::spinner("Lecture du réseau routier");
            let graph = maillage_territory::roads::RoadGraph::from_pbf(
                pbf,
                &maillage_territory::roads::SpeedProfile::default(),
            )
            .with_context(|| format!("réseau routier {}", pbf.display()))?;
            progress.finish_and_clear();
            TourBook::new_with(sites, vehicles, events, from, to, &options, |s, v| {
                let (matrix, routed) = maillage_directory::tours::road_matrix(&graph, s, v);
                let n = matrix.ids.len();
                eprintln!(
                    "Temps de trajet par la route pour {routed} trajets sur {} (les autres : \
                     estimation à vol d'oiseau).",
                    n * n.saturating_sub(1)
                );
                matrix
            })?
        }
    };
    print_plan(&book);
    let p = &book.plan;
    save_book(&a.out, &book)?;
    println!(
        "Livre des tournées écrit dans {} ({} passages du {} au {})",
        a.out.display(),
        book.calendar.passages.len(),
        date_fr_year(book.from),
        date_fr_year(book.to)
    );
    if let Some(path) = &a.export_matrix {
        let name = a
            .synthetique
            .clone()
            .unwrap_or_else(|| a.sites.display().to_string());
        let json = maillage_tours::bench::instance_json(&name, &book.sites, &book.vehicles, p);
        std::fs::write(path, serde_json::to_string(&json)?)
            .with_context(|| format!("impossible d'écrire {}", path.display()))?;
        println!("Instance écrite dans {}", path.display());
    }
    Ok(if p.unserved.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What the coordinator reads after planning: the day routes, the load, what to check.
fn print_plan(book: &TourBook) {
    let p = &book.plan;
    println!(
        "{} tournées-types, {} de route par cycle (chaque tournée roule deux fois par mois), résolu en {} ms",
        p.routes.len(),
        duration_fr(p.template_driving_s.min(u32::MAX as u64) as u32),
        p.solve_ms
    );
    for r in &p.routes {
        let vehicle = book
            .vehicle(&r.vehicle_id)
            .map(|v| v.name.as_str())
            .unwrap_or(&r.vehicle_id);
        let stops: Vec<String> = r
            .stops
            .iter()
            .map(|s| {
                // The commune says where; the venue's name when the commune has several.
                let name = book
                    .site(&s.site_id)
                    .map(|x| {
                        if book.sites_of_commune(&x.commune).len() > 1 {
                            x.name.as_str()
                        } else {
                            x.commune.as_str()
                        }
                    })
                    .unwrap_or(&s.site_id);
                format!("{name} ({})", s.slot.label_fr())
            })
            .collect();
        println!(
            "  {vehicle}, {} : {} — départ {}, retour {}, {} de route",
            r.pattern(maillage_tours::Slot::Morning)
                .label_fr()
                .trim_end_matches(", matin"),
            stops.join(", "),
            time_fr(r.leave),
            time_fr(r.back),
            duration_fr(r.driving_s)
        );
    }
    for (v, n) in p.load(&book.vehicles) {
        println!("  charge {v} : {n} sites");
    }
    for w in p.warnings.iter().chain(&book.calendar.warnings) {
        eprintln!("Attention : {w}");
    }
    for (id, l) in &book.stopped {
        let name = book.site(id).map(|s| s.name.as_str()).unwrap_or(id);
        println!(
            "  {name} : plus de permanence depuis le {} ({} labellisée)",
            date_fr_year(l.date),
            l.name
        );
    }
    for u in &p.unserved {
        eprintln!("Non desservi : {}", u.reason);
    }
}

async fn open_store(url: &str) -> anyhow::Result<std::sync::Arc<dyn maillage_store::Store>> {
    maillage_store::open(url)
        .await
        .with_context(|| format!("ouverture de {url}"))
}

fn store_import(a: ImportArgs) -> anyhow::Result<ExitCode> {
    crate::runtime()?.block_on(async {
        let store = open_store(&a.db.url).await?;
        let paths: Vec<&Path> = a.files.iter().map(PathBuf::as_path).collect();
        let n = maillage_directory::tours::import_files(store.as_ref(), &paths).await?;
        for (what, count) in [
            ("sites", n.sites),
            ("véhicules", n.vehicles),
            ("événements", n.events),
        ] {
            if let Some(count) = count {
                println!("{count} {what} enregistrés dans la base");
            }
        }
        println!("Lancer `maillage tours plan --db …` puis `maillage tours publish`.");
        Ok(ExitCode::SUCCESS)
    })
}

fn store_plan(a: PlanArgs) -> anyhow::Result<ExitCode> {
    let url = a.db.clone().unwrap_or_default();
    let today = match &a.du {
        Some(s) => date_arg(s)?,
        None => today(),
    };
    crate::runtime()?.block_on(async {
        let store = open_store(&url).await?;
        eprintln!("Planification depuis la base…");
        let planned =
            maillage_directory::tours::plan(store.as_ref(), today, a.nouveau).await?;
        let book = planned.book;
        if planned.kept {
            println!("Sites et véhicules inchangés : le plan déjà choisi est gardé (--nouveau pour planifier à nouveau).");
        }
        print_plan(&book);
        println!(
            "Plan proposé gardé dans la base ({} passages du {} au {}) : le publier avec `maillage tours publish`.",
            book.calendar.passages.len(),
            date_fr_year(book.from),
            date_fr_year(book.to)
        );
        Ok(if book.plan.unserved.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

fn store_publish(a: PublishArgs) -> anyhow::Result<ExitCode> {
    crate::runtime()?.block_on(async {
        let store = open_store(&a.db.url).await?;
        let p = maillage_directory::tours::publish(store.as_ref(), &a.par, today()).await?;
        println!("{}", maillage_directory::tours::summary(&p));
        for c in &p.changes {
            println!("  {}", c.notice);
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Which passages a command shows.
type PassageFilter<'a> = Box<dyn Fn(&maillage_tours::Passage) -> bool + 'a>;

fn site_filter<'a>(
    book: &'a TourBook,
    commune: Option<&str>,
    vehicle: Option<&str>,
) -> anyhow::Result<PassageFilter<'a>> {
    match (commune, vehicle) {
        (Some(c), _) => {
            let ids: Vec<String> = book
                .sites_of_commune(c)
                .iter()
                .map(|s| s.id.clone())
                .collect();
            if ids.is_empty() {
                bail!("aucun site du bus dans la commune « {c} »");
            }
            Ok(Box::new(move |p| ids.contains(&p.site_id)))
        }
        (None, Some(v)) => {
            if book.vehicle(v).is_none() {
                bail!("véhicule « {v} » inconnu");
            }
            let v = v.to_string();
            Ok(Box::new(move |p| p.vehicle_id == v))
        }
        (None, None) => Ok(Box::new(|_| true)),
    }
}

fn calendar(a: CalendarArgs) -> anyhow::Result<ExitCode> {
    let book = a.book.load()?;
    let from = match &a.du {
        Some(s) => date_arg(s)?,
        None => today(),
    };
    let filter = site_filter(&book, a.commune.as_deref(), a.vehicule.as_deref())?;
    let list = next_passages(&book.calendar, from, filter, a.limite);
    if list.is_empty() {
        let notices: Vec<String> = match &a.commune {
            Some(c) => book
                .sites_of_commune(c)
                .iter()
                .filter_map(|s| book.stop_notice(&s.id))
                .collect(),
            None => Vec::new(),
        };
        if notices.is_empty() {
            println!("Pas de passage prévu à partir du {}.", date_fr_year(from));
        }
        for n in notices {
            println!("{n}");
        }
    }
    for p in list {
        if let (Some(s), Some(v)) = (book.site(&p.site_id), book.vehicle(&p.vehicle_id)) {
            println!("{}", sentence(p, s, v));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn ical_cmd(a: IcalArgs) -> anyhow::Result<ExitCode> {
    let book = a.book.load()?;
    if a.commune.is_none() && a.vehicule.is_none() {
        bail!("préciser --commune ou --vehicule");
    }
    let filter = site_filter(&book, a.commune.as_deref(), a.vehicule.as_deref())?;
    let name = match (&a.commune, &a.vehicule) {
        (Some(c), _) => format!("Bus France Services à {c}"),
        (None, Some(v)) => book.vehicle(v).map(|x| x.name.clone()).unwrap_or_default(),
        _ => String::new(),
    };
    let text = ical(
        &name,
        book.calendar.passages.iter().filter(|p| filter(p)),
        |id| book.site(id),
        |id| book.vehicle(id),
        Utc::now(),
    );
    write_out(a.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn poster(a: PosterArgs) -> anyhow::Result<ExitCode> {
    let book = a.book.load()?;
    let month = date_arg(&format!("{}-01", a.mois))
        .with_context(|| format!("mois « {} » : attendu AAAA-MM", a.mois))?;
    let sites = book.sites_of_commune(&a.commune);
    let Some(first) = sites.first() else {
        bail!("aucun site du bus dans la commune « {} »", a.commune);
    };
    let html = poster_html(
        &first.commune,
        month.year(),
        month.month(),
        &book.calendar,
        &book.sites,
        &book.vehicles,
    );
    write_out(a.out.as_deref(), &html)?;
    Ok(ExitCode::SUCCESS)
}

fn places(a: PlacesArgs) -> anyhow::Result<ExitCode> {
    let book = a.book.load()?;
    let places = as_places(&book.plan, &book.sites, &book.vehicles, &a.pivot, today());
    let mut buf = Vec::new();
    maillage_standard::write::write_standard_csv(&places, &mut buf)?;
    write_out(a.out.as_deref(), &String::from_utf8_lossy(&buf))?;
    eprintln!("{} lieux itinérants exportés", places.len());
    Ok(ExitCode::SUCCESS)
}

fn label(a: LabelArgs) -> anyhow::Result<ExitCode> {
    if a.book.db.is_some() {
        bail!(
            "avec une base, une labellisation arrive par l'import de la liste France Services \
             (`maillage import`) : le calendrier publié suit, avec ses avis"
        );
    }
    let mut book = load_book(&a.book.livre)?;
    let l = Labelling {
        code_insee: a.commune.clone(),
        date: date_arg(&a.date)?,
        name: a.nom,
        address: a.adresse,
    };
    let out = apply_labelling(&mut book.calendar, &book.sites, &l, Some(today()));
    if out.stopped_sites.is_empty() {
        println!(
            "Aucune permanence du bus hébergée par la commune {} : rien à arrêter.",
            a.commune
        );
        return Ok(ExitCode::SUCCESS);
    }
    for w in &out.warnings {
        eprintln!("Attention : {w}");
    }
    println!(
        "{} passages arrêtés ({}).",
        out.cancelled,
        out.stopped_sites.join(", ")
    );
    let waiting: Vec<&maillage_tours::Site> = book
        .plan
        .unserved
        .iter()
        .filter_map(|u| book.site(&u.site_id))
        .collect();
    for f in freed_slots(
        &book.plan,
        &book.sites,
        &book.vehicles,
        std::slice::from_ref(&l),
        &waiting,
    ) {
        println!(
            "Créneau libéré : {} — {} (à partir du {})",
            f.vehicle_id,
            f.pattern,
            date_fr_year(f.from)
        );
        for (site, added) in &f.proposals {
            println!(
                "  proposer {site} ({}{} de route)",
                if *added < 0 { "-" } else { "+" },
                duration_fr(added.unsigned_abs() as u32)
            );
        }
        println!("  ou {}", f.fallback);
    }
    book.events.labellings.push(l);
    save_book(&a.book.livre, &book)?;
    Ok(ExitCode::SUCCESS)
}

fn replay(a: ReplayArgs) -> anyhow::Result<ExitCode> {
    let sites = read_sites(&a.sites.display().to_string(), &read_text(&a.sites)?)?;
    let vehicles = read_vehicles(
        &a.vehicules.display().to_string(),
        &read_text(&a.vehicules)?,
    )?;
    let mut lists = Vec::new();
    for p in &a.listes {
        let (l, problems) = read_france_services_labellings(
            &p.display().to_string(),
            &read_text(p)?,
            &a.departement,
        )?;
        for pb in problems {
            eprintln!("Attention : {pb}");
        }
        lists.push(l);
    }
    let labellings = first_labelling_per_commune(lists);
    let (from, to) = (date_arg(&a.du)?, date_arg(&a.au)?);
    let events = Events {
        labellings: labellings.clone(),
        ..Default::default()
    };
    let book = TourBook::new(sites, vehicles, events, from, to, &PlanOptions::default())?;
    for l in &labellings {
        let stopped: Vec<String> = book
            .sites
            .iter()
            .filter(|s| s.code_insee == l.code_insee)
            .map(|s| {
                let n = book
                    .calendar
                    .passages
                    .iter()
                    .filter(|p| p.site_id == s.id && !p.takes_place() && p.date >= l.date)
                    .count();
                if s.stops_on_labelling() {
                    format!("{} : permanences arrêtées ({n} passages annulés)", s.name)
                } else {
                    format!("{} : continue ({})", s.name, s.kind.label_fr())
                }
            })
            .collect();
        if !stopped.is_empty() {
            println!(
                "{} — {} labellisée : {}",
                date_fr_year(l.date),
                l.name,
                stopped.join(" ; ")
            );
        }
    }
    let active = book
        .sites
        .iter()
        .filter(|s| {
            book.calendar
                .passages
                .iter()
                .rev()
                .find(|p| p.site_id == s.id)
                .is_some_and(|p| p.takes_place())
        })
        .count();
    println!(
        "Au {} : {active} sites sur {} encore desservis.",
        date_fr_year(to),
        book.sites.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Where the visits are kept: the database when `--db` is given, else a JSON file.
fn load_visits(files: &VisitFiles) -> anyhow::Result<Vec<Visit>> {
    if let Some(url) = &files.db {
        let rows = block_on(async {
            let store = maillage_store::open(url).await?;
            store.home_visits().await
        })?;
        return rows
            .iter()
            .map(|r| {
                serde_json::from_str(&r.data).with_context(|| format!("visite {} illisible", r.id))
            })
            .collect();
    }
    let path = &files.fichier;
    if !path.exists() {
        return Ok(Vec::new());
    }
    serde_json::from_str(&read_text(path)?).with_context(|| format!("{} illisible", path.display()))
}

fn save_visits(files: &VisitFiles, visits: &[Visit]) -> anyhow::Result<()> {
    if let Some(url) = &files.db {
        let rows: Vec<maillage_store::HomeVisitRow> = visits
            .iter()
            .map(|v| {
                Ok(maillage_store::HomeVisitRow {
                    id: v.id.clone(),
                    status: serde_json::to_value(v.status)?
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    closed_on: v.closed_on.map(|d| d.to_string()),
                    data: serde_json::to_string(v)?,
                })
            })
            .collect::<Result<_, serde_json::Error>>()?;
        return block_on(async {
            let store = maillage_store::open(url).await?;
            for r in &rows {
                store.save_home_visit(r).await?;
            }
            Ok(())
        });
    }
    std::fs::write(&files.fichier, serde_json::to_string_pretty(visits)?)
        .with_context(|| format!("impossible d'écrire {}", files.fichier.display()))
}

fn block_on<T>(
    f: impl std::future::Future<Output = Result<T, maillage_store::StoreError>>,
) -> anyhow::Result<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(f)?)
}

fn find<'a>(visits: &'a mut [Visit], id: &str) -> anyhow::Result<&'a mut Visit> {
    visits
        .iter_mut()
        .find(|v| v.id == id)
        .with_context(|| format!("visite « {id} » introuvable"))
}

fn visit(cmd: VisitCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        VisitCommand::Demander(a) => {
            let book = load_book(&a.files.livre)?;
            let mut visits = load_visits(&a.files)?;
            let kind = match a.partenaire.as_str() {
                "france-services" => PartnerKind::FranceServices,
                "mairie" => PartnerKind::Mairie,
                "mds" => PartnerKind::Mds,
                other => bail!("partenaire « {other} » : attendu france-services, mairie ou mds"),
            };
            let position = match (a.latitude, a.longitude) {
                (Some(lat), Some(lon)) => Some(maillage_model::Position::new(lat, lon)),
                _ => book
                    .sites
                    .iter()
                    .find(|s| s.code_insee == a.commune)
                    .and_then(|s| s.position),
            };
            let commune = book
                .sites
                .iter()
                .find(|s| s.code_insee == a.commune)
                .map(|s| s.commune.clone())
                .unwrap_or_default();
            let id = format!("visite-{}", visits.len() + 1);
            let v = Visit::request(
                &id,
                kind,
                &a.partenaire_nom,
                &a.commune,
                &commune,
                position,
                Person {
                    name: a.nom,
                    phone: a.telephone,
                    address: a.adresse,
                },
                &a.motif,
                today(),
            )?;
            visits.push(v);
            save_visits(&a.files, &visits)?;
            println!("Demande enregistrée : {id}");
        }
        VisitCommand::Proposer(a) => {
            let book = load_book(&a.files.livre)?;
            let visits = load_visits(&a.files)?;
            let v = visits
                .iter()
                .find(|v| v.id == a.id)
                .with_context(|| format!("visite « {} » introuvable", a.id))?;
            let slots = visits::propose(
                v,
                &book.plan,
                &book.calendar,
                &book.sites,
                &book.vehicles,
                today(),
                5,
            )?;
            if slots.is_empty() {
                println!("Aucun créneau dans les deux prochains mois : voir avec le coordinateur.");
            }
            for (i, s) in slots.iter().enumerate() {
                println!(
                    "{}. {} le {}, de {} à {} (+{} de route)",
                    i + 1,
                    book.vehicle(&s.vehicle_id)
                        .map(|v| v.name.as_str())
                        .unwrap_or(&s.vehicle_id),
                    date_fr(s.date),
                    time_fr(s.start),
                    time_fr(s.end),
                    duration_fr(s.added_driving_s)
                );
            }
        }
        VisitCommand::Planifier { id, choix } => {
            let book = load_book(&id.files.livre)?;
            let mut visits = load_visits(&id.files)?;
            let slots = {
                let v = find(&mut visits, &id.id)?;
                visits::propose(
                    v,
                    &book.plan,
                    &book.calendar,
                    &book.sites,
                    &book.vehicles,
                    today(),
                    5,
                )?
            };
            let slot = slots
                .into_iter()
                .nth(choix.saturating_sub(1))
                .with_context(|| format!("pas de créneau n° {choix}"))?;
            let msg = format!(
                "Visite {} planifiée le {} à {}",
                id.id,
                date_fr_year(slot.date),
                time_fr(slot.start)
            );
            find(&mut visits, &id.id)?.schedule(slot)?;
            save_visits(&id.files, &visits)?;
            println!("{msg}");
        }
        VisitCommand::Terminer(a) => {
            let mut visits = load_visits(&a.files)?;
            find(&mut visits, &a.id)?.done(today())?;
            save_visits(&a.files, &visits)?;
            println!("Visite {} réalisée.", a.id);
        }
        VisitCommand::Annuler(a) => {
            let mut visits = load_visits(&a.files)?;
            find(&mut visits, &a.id)?.cancel(today())?;
            save_visits(&a.files, &visits)?;
            println!("Visite {} annulée.", a.id);
        }
        VisitCommand::Feuille {
            files,
            vehicule,
            date,
        } => {
            let book = load_book(&files.livre)?;
            let visits = load_visits(&files)?;
            let v = book
                .vehicle(&vehicule)
                .with_context(|| format!("véhicule « {vehicule} » inconnu"))?;
            for line in visits::day_sheet(v, date_arg(&date)?, &book.calendar, &visits, &book.sites)
            {
                println!("{line}");
            }
        }
        VisitCommand::Purger {
            files,
            conservation_jours,
        } => {
            let mut visits = load_visits(&files)?;
            let cleaned = visits::purge_personal_data(&mut visits, today(), conservation_jours);
            save_visits(&files, &visits)?;
            println!(
                "{} visite(s) anonymisée(s) (conservation : {conservation_jours} jours).",
                cleaned.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    //! The commands end to end on the shipped Tarn-et-Garonne files, in a temporary folder.
    use super::*;

    fn data(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/tours")
            .join(name)
    }

    fn tmp(name: &str) -> PathBuf {
        // One folder per test (tests run in parallel threads named after them).
        let test = std::thread::current()
            .name()
            .unwrap_or("t")
            .replace("::", "-");
        let dir =
            std::env::temp_dir().join(format!("maillage-tours-cli-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join(name)
    }

    #[test]
    fn calendar_ical_and_poster_read_the_published_version_from_the_store() {
        let db = format!("sqlite:{}", tmp("publie.sqlite").display());
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        crate::runtime()
            .unwrap()
            .block_on(async {
                let store = open_store(&db).await?;
                let dir = data("sites-82.csv").parent().unwrap().to_path_buf();
                maillage_directory::tours::publish_shipped(
                    store.as_ref(),
                    &dir,
                    "82",
                    "test",
                    today,
                )
                .await
            })
            .expect("published");
        let book = BookArg {
            livre: tmp("absent.json"),
            db: Some(db.clone()),
        };
        let ics = tmp("lavit.ics");
        run(Command::Ical(IcalArgs {
            book,
            commune: Some("Lavit".into()),
            vehicule: None,
            out: Some(ics.clone()),
        }))
        .expect("ical from the store");
        let text = read_text(&ics).unwrap();
        assert!(
            text.contains("BEGIN:VEVENT\r\n") && text.contains("Lavit"),
            "{text}"
        );
        // Without a publication, the message says what to run.
        let empty = format!("sqlite:{}", tmp("vide.sqlite").display());
        let err = BookArg {
            livre: tmp("absent.json"),
            db: Some(empty),
        }
        .load()
        .expect_err("nothing published");
        assert!(
            format!("{err:#}").contains("maillage tours publish"),
            "{err:#}"
        );
    }

    fn plan_args(out: &Path) -> PlanArgs {
        PlanArgs {
            db: None,
            nouveau: false,
            sites: data("sites-82.csv"),
            vehicules: data("vehicules-82.csv"),
            evenements: Some(data("evenements-82.csv")),
            du: Some("2026-12-01".into()),
            mois: 3,
            parite: false,
            generations: 200,
            secondes: None,
            sans_polissage: false,
            synthetique: None,
            routes: None,
            out: out.to_path_buf(),
            export_matrix: Some(out.with_extension("instance.json")),
        }
    }

    #[test]
    fn plan_then_publish_then_label_then_visit() {
        let book_path = tmp("tournees.json");
        assert_eq!(
            run(Command::Plan(plan_args(&book_path))).expect("plan"),
            ExitCode::SUCCESS
        );
        let book = load_book(&book_path).expect("book");
        assert_eq!(book.stopped.len(), 4);
        let instance: serde_json::Value =
            serde_json::from_str(&read_text(&book_path.with_extension("instance.json")).unwrap())
                .unwrap();
        assert_eq!(instance["jobs"].as_array().map(Vec::len), Some(23));

        let ics = tmp("bus-1.ics");
        run(Command::Ical(IcalArgs {
            book: BookArg {
                livre: book_path.clone(),
                db: None,
            },
            commune: None,
            vehicule: Some("bus-1".into()),
            out: Some(ics.clone()),
        }))
        .expect("ical");
        assert!(read_text(&ics).unwrap().contains("BEGIN:VEVENT\r\n"));

        let poster = tmp("dunes.html");
        run(Command::Affiche(PosterArgs {
            book: BookArg {
                livre: book_path.clone(),
                db: None,
            },
            commune: "Dunes".into(),
            mois: "2027-01".into(),
            out: Some(poster.clone()),
        }))
        .expect("poster");
        assert!(read_text(&poster).unwrap().contains("janvier 2027"));

        let places = tmp("lieux.csv");
        run(Command::Lieux(PlacesArgs {
            book: BookArg {
                livre: book_path.clone(),
                db: None,
            },
            pivot: "22820001400013".into(),
            out: Some(places.clone()),
        }))
        .expect("places");
        let csv_text = read_text(&places).unwrap();
        assert_eq!(csv_text.lines().count(), 1 + 23);
        assert!(csv_text.contains("Itinérant"));

        run(Command::Labelliser(LabelArgs {
            book: BookArg {
                livre: book_path.clone(),
                db: None,
            },
            commune: "82050".into(),
            date: "2027-01-15".into(),
            nom: "France services de Dunes".into(),
            adresse: "place de la mairie".into(),
        }))
        .expect("label");
        let book = load_book(&book_path).expect("book");
        assert!(book
            .calendar
            .passages
            .iter()
            .filter(|p| p.site_id == "82-dunes"
                && p.date >= NaiveDate::from_ymd_opt(2027, 1, 15).unwrap())
            .all(|p| !p.takes_place()));

        visit_flow(VisitFiles {
            livre: book_path.clone(),
            fichier: tmp("visites.json"),
            db: None,
        });
        // The same in the database (SQLite file), through the store's home_visits table.
        let db = format!("sqlite:{}", tmp("visites.sqlite").display());
        visit_flow(VisitFiles {
            livre: book_path.clone(),
            fichier: tmp("unused.json"),
            db: Some(db),
        });
        assert!(!tmp("unused.json").exists());
        let _ = std::fs::remove_dir_all(book_path.parent().unwrap());
    }

    fn visit_flow(files: VisitFiles) {
        run(Command::Visites(VisitCommand::Demander(VisitRequestArgs {
            files: files.clone(),
            partenaire: "mairie".into(),
            partenaire_nom: "Mairie de Lavit".into(),
            commune: "82097".into(),
            latitude: None,
            longitude: None,
            nom: "Mme L.".into(),
            telephone: String::new(),
            adresse: "route de Gramont".into(),
            motif: "sortie d'hôpital, ne peut pas conduire".into(),
        })))
        .expect("request");
        run(Command::Visites(VisitCommand::Annuler(VisitIdArgs {
            files: files.clone(),
            id: "visite-1".into(),
        })))
        .expect("cancel");
        run(Command::Visites(VisitCommand::Purger {
            files: files.clone(),
            conservation_jours: 0,
        }))
        .expect("purge");
        let visits = load_visits(&files).expect("visits");
        assert_eq!(visits[0].person, None);
        let e = run(Command::Visites(VisitCommand::Terminer(VisitIdArgs {
            files,
            id: "visite-1".into(),
        })))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("impossible de passer de « annulée » à « réalisée »"),
            "{e}"
        );
    }

    #[test]
    fn home_visits_in_postgresql() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let Some(pg) = rt.block_on(maillage_store::testing::postgres_or_skip()) else {
            return;
        };
        drop(rt);
        let book_path = tmp("tournees-pg.json");
        let mut args = plan_args(&book_path);
        args.export_matrix = None;
        assert_eq!(run(Command::Plan(args)).expect("plan"), ExitCode::SUCCESS);
        visit_flow(VisitFiles {
            livre: book_path,
            fichier: tmp("unused-pg.json"),
            db: Some(pg.url.clone()),
        });
    }

    #[test]
    fn missing_book_and_unknown_commune_say_what_to_do() {
        let e = run(Command::Calendrier(CalendarArgs {
            book: BookArg {
                livre: tmp("absent.json"),
                db: None,
            },
            commune: None,
            vehicule: None,
            du: None,
            limite: 3,
        }))
        .unwrap_err();
        assert!(format!("{e:#}").contains("maillage tours plan"), "{e:#}");
    }
}
