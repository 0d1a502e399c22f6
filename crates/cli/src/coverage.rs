//! `maillage coverage`: access to help per commune (the observatory), as CSV or JSON.
//!
//! Reads the places from the store and the territory referential from a folder, computes the
//! coverage of one département (places of every département count, so that a commune on the
//! border is served by its neighbours' places) and writes one row per commune (CSV) or the
//! full report (JSON). A summary goes to stderr. With `--roads FILE.osm.pbf`, travel times
//! come from the road graph instead of the estimate.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use maillage_model::Place;
use maillage_territory::coverage::{Category, CoverageOptions, TravelModel};
use maillage_territory::roads::{RoadGraph, SpeedProfile};
use maillage_territory::{export, Coverage, Referential};

use crate::DbArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Csv,
    Json,
    Geojson,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArgs,
    /// Code du département (82, 2A, 974…)
    #[arg(long)]
    pub departement: String,
    /// Format de sortie : csv (une ligne par commune), json (rapport complet), geojson (carte)
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    pub format: OutputFormat,
    /// Fichier de sortie (par défaut : la sortie standard)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Extrait OpenStreetMap (.osm.pbf) : temps de trajet par la route au lieu de l'estimation
    #[arg(long)]
    pub roads: Option<PathBuf>,
    /// Dossier du référentiel territorial (communes/, ifn/, geo/) ; par défaut data/referentiel
    #[arg(long, env = "MAILLAGE_REFERENTIEL")]
    pub referentiel: Option<PathBuf>,
    /// Seuils de temps d'accès en minutes
    #[arg(long, value_delimiter = ',', default_value = "10,20,30")]
    pub seuils: Vec<f64>,
    /// Temps en deçà duquel une aide est « à portée » (minutes)
    #[arg(long, default_value_t = 10.0)]
    pub portee: f64,
    /// Facteur de détour : distance par la route / distance à vol d'oiseau (estimation)
    #[arg(long, default_value_t = TravelModel::default().detour_factor)]
    pub detour: f64,
    /// Vitesse moyenne hors agglomération, km/h (estimation)
    #[arg(long, default_value_t = TravelModel::default().speed_kmh)]
    pub vitesse: f64,
    /// Vitesse des premiers kilomètres (sortie de bourg), km/h (estimation)
    #[arg(long, default_value_t = TravelModel::default().slow_speed_kmh)]
    pub vitesse_lente: f64,
    /// Catégorie du résumé et du classement des communes sans aide (tout_lieu,
    /// france_services, aidants_connect, aide_demarches…)
    #[arg(long, default_value = "tout_lieu")]
    pub categorie: String,
    /// Évolution : liste de lieux de l'état « avant » (ex. liste France Services 2022) ; la
    /// sortie devient la liste des communes qui gagnent ou perdent l'accès
    #[arg(long)]
    pub avant: Option<PathBuf>,
    /// Évolution : liste de l'état « après » (par défaut : les lieux de la base)
    #[arg(long, requires = "avant")]
    pub apres: Option<PathBuf>,
    /// Suggérer K nouveaux sites couvrant le plus d'habitants sans aide à portée (pondérés
    /// par l'IFN), glouton comparé à l'optimum exact
    #[arg(long)]
    pub suggerer: Option<usize>,
}

/// Places of a source file, read with the project's readers (format detected).
fn read_places(path: &Path, referential: &Referential) -> anyhow::Result<Vec<Place>> {
    let file = maillage_standard::SourceFile {
        source: path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("fichier")
            .to_string(),
        date: chrono::Utc::now().date_naive(),
    };
    let mut places = Vec::new();
    let mut n = 0u64;
    maillage_standard::read::read_path(
        path,
        &maillage_standard::read::Format::Auto,
        &file,
        Some(referential),
        &mut |rec| {
            n += 1;
            let mut p = rec.place;
            if p.id.is_empty() {
                p.id = format!("{}:{}", rec.source.source, rec.source.source_id);
            }
            places.push(p);
        },
    )
    .with_context(|| format!("lecture de {}", path.display()))?;
    Ok(places)
}

fn write_changes(
    args: &Args,
    changes: &[maillage_territory::coverage::AccessChange],
) -> anyhow::Result<()> {
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("création de {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(sink);
    match args.format {
        OutputFormat::Json | OutputFormat::Geojson => {
            serde_json::to_writer_pretty(&mut w, changes).context("écriture du JSON")?;
            writeln!(w)?;
        }
        OutputFormat::Csv => {
            writeln!(
                w,
                "code_insee,commune,population,avant_minutes,apres_minutes,avant,apres,evolution"
            )?;
            let m = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
            for c in changes {
                writeln!(
                    w,
                    "{},\"{}\",{},{},{},{},{},{}",
                    c.code,
                    c.nom.replace('"', "\"\""),
                    c.population,
                    m(c.before_min),
                    m(c.after_min),
                    c.before.label(),
                    c.after.label(),
                    if c.gained { "gagne" } else { "perd" }
                )?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// The referential folder: `--referentiel`, else `data/referentiel` of the current folder,
/// else the one of the source tree this binary was built from.
fn referential_dir(arg: Option<&Path>) -> PathBuf {
    if let Some(p) = arg {
        return p.to_path_buf();
    }
    let here = PathBuf::from("data/referentiel");
    if here.exists() {
        return here;
    }
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/referentiel");
    if built.exists() {
        built
    } else {
        here
    }
}

fn spinner(message: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(message.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

async fn load_places(url: &str) -> anyhow::Result<Vec<Place>> {
    let store = maillage_store::open(url)
        .await
        .with_context(|| format!("ouverture de la base {url}"))?;
    let stored = store
        .places(&maillage_store::PlaceFilter::default())
        .await
        .context("lecture des lieux")?;
    Ok(stored.into_iter().map(|s| s.place).collect())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let dir = referential_dir(args.referentiel.as_deref());
    let referential = Referential::load_dir(&dir).with_context(|| {
        format!(
            "chargement du référentiel territorial depuis {}",
            dir.display()
        )
    })?;
    let departement = args.departement.trim().to_uppercase();
    if !referential.has_departement(&departement) {
        let known = referential.departement_codes();
        let shown = if known.len() > 12 {
            format!("{} départements", known.len())
        } else {
            known.join(", ")
        };
        bail!(
            "département inconnu : « {} » (référentiel {} : {})",
            args.departement,
            dir.display(),
            shown
        );
    }
    let category = Category::from_slug(&args.categorie).with_context(|| {
        let all: Vec<&str> = Category::all().iter().map(|c| c.slug()).collect();
        format!(
            "catégorie inconnue « {} » ; possibles : {}",
            args.categorie,
            all.join(", ")
        )
    })?;
    if args.seuils.is_empty() || args.seuils.iter().any(|s| !s.is_finite() || *s <= 0.0) {
        bail!("seuils invalides : des minutes positives sont attendues (ex. 10,20,30)");
    }
    if !(args.detour >= 1.0 && args.vitesse > 0.0 && args.vitesse_lente > 0.0) {
        bail!("paramètres d'estimation invalides : détour ≥ 1 et vitesses > 0 attendus");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("démarrage du moteur asynchrone")?;
    let pb = spinner("Lecture des lieux de la base");
    let places = runtime.block_on(load_places(&args.db.url));
    pb.finish_and_clear();
    let places = places?;
    if places.is_empty() && args.avant.is_none() {
        eprintln!(
            "Attention : la base {} ne contient aucun lieu ; importez d'abord les sources (maillage import …) : toutes les communes apparaîtront sans aide.",
            args.db.url
        );
    }
    let options = CoverageOptions {
        thresholds_min: args.seuils.clone(),
        reach_min: args.portee,
        travel: TravelModel {
            detour_factor: args.detour,
            speed_kmh: args.vitesse,
            slow_speed_kmh: args.vitesse_lente,
            ..TravelModel::default()
        },
        departement: Some(departement.clone()),
        ..CoverageOptions::default()
    };
    if let Some(before_path) = &args.avant {
        let before = read_places(before_path, &referential)?;
        let after = match &args.apres {
            Some(p) => read_places(p, &referential)?,
            None => places.clone(),
        };
        let b = maillage_territory::compute(&referential, &before, &options);
        let a = maillage_territory::compute(&referential, &after, &options);
        let changes = maillage_territory::coverage::compare(&b, &a, category, options.reach_min);
        write_changes(&args, &changes)?;
        let gained: Vec<_> = changes.iter().filter(|c| c.gained).collect();
        let lost = changes.len() - gained.len();
        eprintln!(
            "{} : {} lieux avant, {} après ; à {} min, {} communes gagnent l'accès ({} hab.), {} le perdent",
            category.label(),
            before.len(),
            after.len(),
            options.reach_min,
            gained.len(),
            gained.iter().map(|c| u64::from(c.population)).sum::<u64>(),
            lost
        );
        return Ok(ExitCode::SUCCESS);
    }
    let coverage = match &args.roads {
        None => maillage_territory::compute(&referential, &places, &options),
        Some(pbf) => {
            let pb = spinner(&format!(
                "Construction du graphe routier ({})",
                pbf.display()
            ));
            let graph = RoadGraph::from_pbf(pbf, &SpeedProfile::default());
            pb.finish_and_clear();
            let graph = graph?;
            eprintln!(
                "Graphe routier : {} nœuds, {} arcs",
                graph.stats.nodes, graph.stats.edges
            );
            let pb = ProgressBar::new(1);
            pb.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} recherches de plus courts chemins ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let cov = maillage_territory::coverage::compute_with_roads(
                &referential,
                &places,
                &options,
                &graph,
                |done, total| {
                    pb.set_length(total as u64);
                    pb.set_position(done as u64);
                },
            );
            pb.finish_and_clear();
            cov
        }
    };
    write_output(&args, &coverage, &referential, category)?;
    summary(
        &coverage,
        &referential,
        category,
        places.len(),
        started.elapsed(),
    );
    if let Some(k) = args.suggerer {
        let _ = suggest(&coverage, category, k);
    }
    Ok(ExitCode::SUCCESS)
}

fn write_output(
    args: &Args,
    coverage: &Coverage,
    referential: &Referential,
    category: Category,
) -> anyhow::Result<()> {
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("création de {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(sink);
    match args.format {
        OutputFormat::Csv => export::write_csv(coverage, &mut w).context("écriture du CSV")?,
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &export::report(coverage, referential))
                .context("écriture du JSON")?;
            writeln!(w)?;
        }
        OutputFormat::Geojson => {
            serde_json::to_writer(&mut w, &export::geojson(coverage, referential, category))
                .context("écriture du GeoJSON")?;
            writeln!(w)?;
        }
    }
    w.flush().context("écriture de la sortie")?;
    Ok(())
}

/// Prints the greedy and the exact choice of `k` new sites; returns them for the tests.
fn suggest(
    coverage: &Coverage,
    category: Category,
    k: usize,
) -> (
    maillage_territory::sites::SiteChoice,
    Option<maillage_territory::sites::SiteChoice>,
) {
    use maillage_territory::sites::SiteProblem;
    let problem = SiteProblem::from_coverage(coverage, category, coverage.options.reach_min);
    let names = |codes: &[String]| -> String {
        codes
            .iter()
            .map(|c| {
                problem
                    .candidates
                    .iter()
                    .find(|(code, _)| code == c)
                    .map(|(code, nom)| format!("{nom} ({code})"))
                    .unwrap_or_else(|| c.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let greedy = problem.greedy(k);
    eprintln!(
        "Sites suggérés ({k}, glouton) : {} — {} habitants sans aide à {} min couverts",
        names(&greedy.codes),
        greedy.population,
        coverage.options.reach_min
    );
    let exact = problem.exact(k, 50_000_000);
    match &exact {
        Some(best) => eprintln!(
            "  optimum exact : {} — {} habitants ; écart du glouton {:.2} % (poids population × IFN)",
            names(&best.codes),
            best.population,
            100.0 * (best.weight - greedy.weight) / best.weight.max(1e-9)
        ),
        None => eprintln!("  optimum exact : trop grand pour être calculé ici"),
    }
    (greedy, exact)
}

fn summary(
    coverage: &Coverage,
    referential: &Referential,
    category: Category,
    places: usize,
    elapsed: Duration,
) {
    let dep = coverage.options.departement.as_deref().unwrap_or("");
    eprintln!(
        "Département {dep} : {} communes, {} lieux en base, {} utilisés ({} placés au centre de leur commune), mode {}, {:.2} s",
        coverage.communes.len(),
        places,
        coverage.places_used,
        coverage.places_at_commune_centre,
        if coverage.by_road { "routes" } else { "estimation" },
        elapsed.as_secs_f64()
    );
    if let Some(f) = coverage.by_departement(referential, category).first() {
        for w in &f.within {
            eprintln!(
                "  {} à {} min : {:.1} % de {} habitants ({} avec un lieu permanent, {} avec un passage itinérant seulement)",
                category.label(),
                w.minutes,
                100.0 * w.share(f.population),
                f.population,
                w.permanent,
                w.itinerant_only
            );
        }
    }
    let uncovered = coverage.uncovered(category, coverage.options.reach_min);
    eprintln!(
        "  {} communes sans lieu permanent à {} min ; les plus prioritaires (population × IFN) :",
        uncovered.len(),
        coverage.options.reach_min
    );
    for u in uncovered.iter().take(5) {
        eprintln!(
            "    {} {} ({} hab., IFN {}){}",
            u.code,
            u.nom,
            u.population,
            u.ifn
                .map(|v| format!("{v:.1}"))
                .unwrap_or_else(|| "inconnu".into()),
            if u.itinerant_only {
                " : passage itinérant seulement"
            } else {
                ""
            }
        );
    }
    if !coverage.excluded_places.is_empty() {
        eprintln!(
            "Attention : {} lieux exclus (coordonnées inutilisables) :",
            coverage.excluded_places.len()
        );
        for e in coverage.excluded_places.iter().take(10) {
            eprintln!("    {} « {} » : {}", e.place_id, e.nom, e.reason);
        }
        if coverage.excluded_places.len() > 10 {
            eprintln!("    … (la liste complète est dans la sortie --format json)");
        }
    }
    if !coverage.communes_without_centre.is_empty() {
        eprintln!(
            "Attention : {} communes sans position connue, non calculées : {}",
            coverage.communes_without_centre.len(),
            coverage.communes_without_centre.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use maillage_standard::read::{read_path, Format};
    use maillage_standard::record::SourceFile;
    use maillage_store::{ImportPlan, PlannedPlace, SourceRecord};

    fn shared() -> PathBuf {
        std::env::var("MAILLAGE_SHARED_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
            })
    }

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "maillage-cli-coverage-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("dossier temporaire");
        d
    }

    /// A fresh SQLite store holding the France Services list of 2024, through the store API.
    fn store_with_france_services(dir: &Path) -> String {
        let url = format!("sqlite:{}", dir.join("m.sqlite").display());
        let file = SourceFile {
            source: "france-services".into(),
            date: NaiveDate::from_ymd_opt(2024, 8, 1).expect("date"),
        };
        let mut planned = Vec::new();
        read_path(
            &shared().join("france-services/liste-fs-20240801.csv"),
            &Format::FranceServices,
            &file,
            None,
            &mut |rec| {
                planned.push(PlannedPlace {
                    place: rec.place.clone(),
                    records: vec![SourceRecord {
                        source: rec.source.clone(),
                        place: rec.place,
                        observed: rec.observed,
                    }],
                    ..PlannedPlace::default()
                })
            },
        )
        .expect("liste France Services");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let store = maillage_store::open(&url).await.expect("base");
            store
                .apply_import(ImportPlan {
                    source: "france-services".into(),
                    file: "liste-fs-20240801.csv".into(),
                    places: planned,
                    rejected: 0,
                })
                .await
                .expect("import");
        });
        url
    }

    fn args(url: &str, departement: &str, format: OutputFormat, out: PathBuf) -> Args {
        Args {
            db: DbArgs { url: url.into() },
            departement: departement.into(),
            format,
            out: Some(out),
            roads: None,
            referentiel: Some(shared()),
            seuils: vec![10.0, 20.0, 30.0],
            portee: 10.0,
            detour: 1.3,
            vitesse: 65.0,
            vitesse_lente: 30.0,
            categorie: "france_services".into(),
            avant: None,
            apres: None,
            suggerer: None,
        }
    }

    #[test]
    fn coverage_of_tarn_et_garonne_from_the_store_as_csv_and_json() {
        let dir = temp("ok");
        let url = store_with_france_services(&dir);
        let csv_path = dir.join("82.csv");
        let code = run(args(&url, "82", OutputFormat::Csv, csv_path.clone())).expect("coverage");
        assert_eq!(code, ExitCode::SUCCESS);
        let text = std::fs::read_to_string(&csv_path).expect("csv");
        let mut lines = text.lines();
        let header = lines.next().expect("en-tête");
        assert!(header.split(',').any(|h| h == "france_services_minutes"));
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), 195);
        assert!(rows
            .iter()
            .any(|r| r.starts_with("82117,Montaigu-de-Quercy,82,")));

        let json_path = dir.join("82.json");
        run(args(&url, "82", OutputFormat::Json, json_path.clone())).expect("coverage json");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json"))
                .expect("JSON valide");
        assert_eq!(v["communes"].as_array().map(|a| a.len()), Some(195));
        assert!(v["totals"][0]["population"].as_u64().unwrap_or(0) > 250_000);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn france_services_2022_against_2024_lists_the_communes_that_gained_access() {
        let dir = temp("evolution");
        let out = dir.join("evolution.csv");
        let mut a = args("sqlite::memory:", "82", OutputFormat::Csv, out.clone());
        a.avant = Some(shared().join("france-services/liste-fs-20221201.csv"));
        a.apres = Some(shared().join("france-services/liste-fs-20240801.csv"));
        assert_eq!(run(a).expect("évolution"), ExitCode::SUCCESS);
        let text = std::fs::read_to_string(&out).expect("csv");
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert!(
            rows.iter()
                .any(|r| r.starts_with("82112,\"Moissac\",") && r.ends_with(",gagne")),
            "{text}"
        );
        assert!(rows.len() >= 10, "{text}");
    }

    #[test]
    fn suggesting_sites_runs_on_the_store() {
        let dir = temp("sites");
        let url = store_with_france_services(&dir);
        let mut a = args(&url, "82", OutputFormat::Csv, dir.join("x.csv"));
        a.suggerer = Some(3);
        assert_eq!(run(a).expect("suggestion"), ExitCode::SUCCESS);
        // The same choice, checked: three sites, each covering someone, never better than
        // the exact optimum.
        let referential = Referential::load_dir(&shared()).expect("référentiel");
        let places = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(load_places(&url))
            .expect("lieux");
        let options = CoverageOptions {
            departement: Some("82".into()),
            ..CoverageOptions::default()
        };
        let coverage = maillage_territory::compute(&referential, &places, &options);
        let (greedy, exact) = suggest(&coverage, Category::FranceServices, 3);
        assert_eq!(greedy.codes.len(), 3);
        assert!(greedy.population > 0);
        let exact = exact.expect("optimum calculé");
        assert!(exact.weight + 1e-9 >= greedy.weight);
    }

    #[test]
    fn road_mode_on_the_monaco_extract_from_the_command() {
        let dir = temp("roads");
        let url = store_with_france_services(&dir);
        let out = dir.join("06.csv");
        let mut a = args(&url, "06", OutputFormat::Csv, out.clone());
        a.roads = Some(shared().join("osm/monaco.osm.pbf"));
        assert_eq!(run(a).expect("mode routier"), ExitCode::SUCCESS);
        let text = std::fs::read_to_string(&out).expect("csv");
        let referential = Referential::load_dir(&shared()).expect("référentiel");
        assert_eq!(
            text.lines().count() - 1,
            referential.communes_of("06").count()
        );
        assert!(text.lines().any(|l| l.starts_with("06012,Beausoleil,06,")));
    }

    #[test]
    fn unknown_departement_is_a_clear_error() {
        let dir = temp("dep");
        let err = run(args(
            "sqlite::memory:",
            "99",
            OutputFormat::Csv,
            dir.join("x.csv"),
        ))
        .expect_err("erreur");
        assert!(
            err.to_string().contains("département inconnu : « 99 »"),
            "{err}"
        );
    }

    #[test]
    fn a_roads_file_that_is_not_a_pbf_is_a_clear_error() {
        let dir = temp("pbf");
        let url = format!("sqlite:{}", dir.join("m.sqlite").display());
        let bad = dir.join("faux.osm.pbf");
        std::fs::write(&bad, b"pas un pbf").expect("fichier");
        let mut a = args(&url, "82", OutputFormat::Csv, dir.join("x.csv"));
        a.roads = Some(bad);
        let err = run(a).expect_err("erreur");
        assert!(
            format!("{err:#}").contains("n'est pas un extrait OpenStreetMap"),
            "{err:#}"
        );
    }
}
