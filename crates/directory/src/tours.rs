//! The tours' use cases: import the coordinator's files into the store, plan, publish a
//! calendar version, and stop a commune's permanences when an imported France Services list
//! labels it.
//!
//! The published calendar is what the public reads and subscribes to: it must not move unless
//! the coordinator publishes a change, with a notice (the deliberation asks for a calendar
//! "établi et annoncé à l'avance"). So planning only proposes; publishing adds a version to
//! the store with the list of what changed against the previous one; a later publication
//! keeps the published plan's days unless a new plan is published on purpose, and never
//! rewrites the passages already held. The announced period is fixed: from the first day of
//! the current month, for [`MONTHS`] months. Planning and publishing take CPU time: they run
//! on tokio's blocking threads, never on the async workers.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use maillage_model::{Dispositif, Itinerance};
use maillage_store::{
    NewTourPublication, Store, TourEventRow, TourInputChange, TourPlanRow, TourRow,
};
use maillage_tours::calendar::{date_fr, date_fr_year, time_fr};
use maillage_tours::input::{
    first_labelling_per_commune, parse_date, read_events, read_sites, read_vehicles,
};
use maillage_tours::schedule::{build, Events};
use maillage_tours::{Labelling, Passage, PlanOptions, Site, TourBook, Vehicle};
use serde::{Deserialize, Serialize};

use crate::import::FileRead;

/// Length of the announced period, in months.
pub const MONTHS: u32 = 3;

/// The announced period for `today`: from the first day of its month to the last day of the
/// [`MONTHS`]-th month, so that two publications in the same month announce the same dates.
pub fn announced_period(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = today.with_day(1).unwrap_or(today);
    let total = first.year() * 12 + first.month0() as i32 + MONTHS as i32;
    let after = NaiveDate::from_ymd_opt(total / 12, (total % 12) as u32 + 1, 1).unwrap_or(first);
    (first, after.pred_opt().unwrap_or(after))
}

/// The options of every stored plan: a generation limit and no time limit, so that the same
/// input gives the same plan on any machine (see `maillage_tours::plan`).
pub fn plan_options() -> PlanOptions {
    PlanOptions {
        max_generations: 300,
        max_seconds: None,
        ..Default::default()
    }
}

/// Which of the coordinator's files a CSV is, known by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TourFile {
    Sites,
    Vehicles,
    Events,
}

impl TourFile {
    pub fn detect(text: &str) -> Option<TourFile> {
        let header = text.lines().next()?.trim_start_matches('\u{feff}');
        let cols: Vec<&str> = header.split([',', ';']).map(str::trim).collect();
        if cols.contains(&"type_lieu") {
            Some(TourFile::Sites)
        } else if cols.contains(&"equipage") {
            Some(TourFile::Vehicles)
        } else if cols.contains(&"cible") {
            Some(TourFile::Events)
        } else {
            None
        }
    }
}

/// What an import of the coordinator's files stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ToursImported {
    pub sites: Option<usize>,
    pub vehicles: Option<usize>,
    pub events: Option<usize>,
}

fn json<T: Serialize>(v: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string(v)?)
}

/// The stored form of the events.
pub fn event_rows(events: &Events) -> anyhow::Result<Vec<TourEventRow>> {
    let mut rows = Vec::new();
    for c in &events.closures {
        rows.push(TourEventRow {
            kind: "closure".into(),
            key: format!("{}|{}|{}", c.site_id, c.from, c.to),
            data: json(c)?,
        });
    }
    for l in &events.leaves {
        rows.push(TourEventRow {
            kind: "leave".into(),
            key: format!("{}|{}|{}", l.agent, l.from, l.to),
            data: json(l)?,
        });
    }
    for l in &events.labellings {
        rows.push(labelling_row(l)?);
    }
    Ok(rows)
}

fn labelling_row(l: &Labelling) -> anyhow::Result<TourEventRow> {
    // One labelling per commune: the first one stops the permanences, a later list naming the
    // same France Services again changes nothing.
    Ok(TourEventRow {
        kind: "labelling".into(),
        key: l.code_insee.clone(),
        data: json(l)?,
    })
}

/// Reads the coordinator's files (sites, vehicles, events, each known by its header) and
/// replaces those parts of the stored input, in one transaction. Nothing is written when a
/// file is wrong.
pub async fn import_files(store: &dyn Store, paths: &[&Path]) -> anyhow::Result<ToursImported> {
    let mut change = TourInputChange::default();
    let mut out = ToursImported::default();
    for path in paths {
        let name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("impossible de lire {name}"))?;
        match TourFile::detect(&text) {
            Some(TourFile::Sites) => {
                let sites = read_sites(&name, &text)?;
                out.sites = Some(sites.len());
                change.sites = Some(rows(&sites, |s| &s.id)?);
            }
            Some(TourFile::Vehicles) => {
                let vehicles = read_vehicles(&name, &text)?;
                out.vehicles = Some(vehicles.len());
                change.vehicles = Some(rows(&vehicles, |v| &v.id)?);
            }
            Some(TourFile::Events) => {
                let events = read_events(&name, &text)?;
                let rows = event_rows(&events)?;
                out.events = Some(rows.len());
                change.events = Some(rows);
            }
            None => bail!(
                "{name} : fichier non reconnu (attendu les sites avec « type_lieu », les véhicules \
                 avec « equipage » ou les événements avec « cible »)"
            ),
        }
    }
    store
        .replace_tour_input(&change)
        .await
        .context("écriture des tournées dans la base (rien n'a été modifié)")?;
    Ok(out)
}

/// Travel times by road between the vehicles' bases and the sites, from an OpenStreetMap
/// road graph (`maillage_territory::roads`); a pair the graph cannot route (a point off the
/// extract, an island) keeps the straight-line estimate, the same one the observatory uses.
/// Returns the matrix and how many of its trips came from the roads.
pub fn road_matrix(
    graph: &maillage_territory::roads::RoadGraph,
    sites: &[Site],
    vehicles: &[Vehicle],
) -> (maillage_tours::travel::Matrix, usize) {
    /// A point further than this from any road is not snapped (its estimate is kept).
    const MAX_SNAP_KM: f64 = 2.0;
    let mut matrix = maillage_tours::plan::estimate_matrix(sites, vehicles);
    let road = graph.durations(&matrix.positions, MAX_SNAP_KM);
    let mut routed = 0;
    for (i, row) in road.iter().enumerate() {
        for (j, secs) in row.iter().enumerate() {
            if let (Some(secs), true) = (secs, i != j) {
                matrix.durations[i][j] = secs.round() as u32;
                routed += 1;
            }
        }
    }
    (matrix, routed)
}

/// Items as stored rows, each under its own id.
fn rows<T: Serialize>(items: &[T], id: impl Fn(&T) -> &str) -> anyhow::Result<Vec<TourRow>> {
    items
        .iter()
        .map(|item| {
            Ok(TourRow {
                id: id(item).to_owned(),
                data: json(item)?,
            })
        })
        .collect()
}

/// Sets the rhythm of one site: a fixed pattern agreed with the commune ("2e,4e mardi matin",
/// the same words as the sites file's `rythme` column), or `""` to let the planner choose two
/// passages a month. Only the proposal follows (after [`plan`]); the public calendar moves when
/// it is published, with a notice for each passage that moves.
pub async fn set_site_rhythm(store: &dyn Store, site_id: &str, rhythm: &str) -> anyhow::Result<()> {
    let input = store.tour_input().await?;
    let mut found = false;
    let mut rows = Vec::with_capacity(input.sites.len());
    for row in input.sites {
        if row.id != site_id {
            rows.push(row);
            continue;
        }
        let mut site: Site = serde_json::from_str(&row.data)
            .with_context(|| format!("site {} illisible", row.id))?;
        site.rhythm = match rhythm.trim() {
            "" => maillage_tours::Rhythm::TwicePerMonth,
            text => maillage_tours::Rhythm::Fixed(
                maillage_tours::Pattern::parse(text).map_err(anyhow::Error::msg)?,
            ),
        };
        found = true;
        rows.push(TourRow {
            id: row.id,
            data: json(&site)?,
        });
    }
    if !found {
        bail!("le site « {site_id} » n'existe pas");
    }
    store
        .replace_tour_input(&TourInputChange {
            sites: Some(rows),
            ..Default::default()
        })
        .await
        .context("écriture du site (rien n'a été modifié)")?;
    Ok(())
}

/// The stored input, as the tours crate's values.
pub async fn load_input(store: &dyn Store) -> anyhow::Result<(Vec<Site>, Vec<Vehicle>, Events)> {
    let input = store.tour_input().await?;
    let sites = input
        .sites
        .iter()
        .map(|r| serde_json::from_str(&r.data).with_context(|| format!("site {}", r.id)))
        .collect::<anyhow::Result<Vec<Site>>>()?;
    let vehicles = input
        .vehicles
        .iter()
        .map(|r| serde_json::from_str(&r.data).with_context(|| format!("véhicule {}", r.id)))
        .collect::<anyhow::Result<Vec<Vehicle>>>()?;
    let mut events = Events::default();
    for r in &input.events {
        let what = || format!("événement {} {}", r.kind, r.key);
        match r.kind.as_str() {
            "closure" => events
                .closures
                .push(serde_json::from_str(&r.data).with_context(what)?),
            "leave" => events
                .leaves
                .push(serde_json::from_str(&r.data).with_context(what)?),
            "labelling" => events
                .labellings
                .push(serde_json::from_str(&r.data).with_context(what)?),
            other => bail!("événement de type inconnu dans la base : {other}"),
        }
    }
    events
        .labellings
        .sort_by(|a, b| (a.date, &a.code_insee).cmp(&(b.date, &b.code_insee)));
    Ok((sites, vehicles, events))
}

/// A plan stored as the proposal.
#[derive(Debug, Clone)]
pub struct Planned {
    pub book: TourBook,
    /// Whether the plan was kept from the proposed or published one (same sites, vehicles and
    /// stopped sites) rather than solved again.
    pub kept: bool,
}

/// Plans the stored input for the announced period of `today` and stores it as the proposed
/// plan (not public until [`publish`]). The solver does not give the same plan twice (see
/// `maillage_tours::plan`), so while the sites, the vehicles and the sites stopped by a
/// labelling are those of the proposed (or else the published) plan, that plan is kept and
/// only laid again on the dates: the same input gives the same plan. `fresh` solves anyway.
pub async fn plan(store: &dyn Store, today: NaiveDate, fresh: bool) -> anyhow::Result<Planned> {
    let (sites, vehicles, events) = load_input(store).await?;
    if sites.is_empty() {
        bail!("aucun site de tournée dans la base : lancer d'abord `maillage tours import`");
    }
    let (from, to) = announced_period(today);
    let mut previous: Option<TourBook> = match store.tour_plan().await? {
        Some(row) => serde_json::from_str(&row.data).ok(),
        None => None,
    };
    if previous.is_none() {
        previous = published(store).await?.map(|p| p.book);
    }
    let stopped_ids = |stopped: &[(String, Labelling)]| {
        stopped.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()
    };
    let now_stopped = stopped_ids(&maillage_tours::book::stopped_before(&sites, &events, from));
    let keep = previous.filter(|p| {
        !fresh
            && p.sites == sites
            && p.vehicles == vehicles
            && stopped_ids(&p.stopped) == now_stopped
    });
    let kept = keep.is_some();
    let book = tokio::task::spawn_blocking(move || match keep {
        Some(p) => TourBook::with_plan(p.plan, sites, vehicles, events, from, to),
        None => TourBook::new(sites, vehicles, events, from, to, &plan_options()),
    })
    .await
    .context("planification interrompue")??;
    store
        .save_tour_plan(&TourPlanRow {
            planned_at: Utc::now(),
            data: json(&book)?,
        })
        .await?;
    Ok(Planned { book, kept })
}

/// Stores `plan` (routes made once, e.g. the demo's shipped `data/tours/plan-82.json`) as the
/// proposed plan, laid on the stored input. Why: the solver does not give the same routes twice
/// (see [`plan`]), and [`plan`] keeps a proposed plan while its sites, vehicles and stops are
/// unchanged — so a base seeded with the same plan gets the same calendar, and two fresh demos
/// announce the same buses on the same days.
pub async fn seed_plan(
    store: &dyn Store,
    plan: maillage_tours::Plan,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let (sites, vehicles, events) = load_input(store).await?;
    let (from, to) = announced_period(today);
    let book = tokio::task::spawn_blocking(move || {
        TourBook::with_plan(plan, sites, vehicles, events, from, to)
    })
    .await
    .context("planification interrompue")??;
    store
        .save_tour_plan(&TourPlanRow {
            planned_at: Utc::now(),
            data: json(&book)?,
        })
        .await?;
    Ok(())
}

/// The tour files a département ships in one folder (sites, vehicles, events, and the routes
/// `plan-<dép>.json` when they were kept), imported, laid out and published in one go: what
/// `maillage demo` does, and what the web tests start from, so both announce the same buses on
/// the same days. The solver never gives the same routes twice; the shipped routes keep every
/// fresh start identical.
pub async fn publish_shipped(
    store: &dyn Store,
    dir: &Path,
    departement: &str,
    by: &str,
    today: NaiveDate,
) -> anyhow::Result<Published> {
    let files =
        ["sites", "vehicules", "evenements"].map(|f| dir.join(format!("{f}-{departement}.csv")));
    let files: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    import_files(store, &files).await?;
    let shipped = dir.join(format!("plan-{departement}.json"));
    if let Ok(text) = std::fs::read_to_string(&shipped) {
        let plan = serde_json::from_str(&text)
            .with_context(|| format!("plan de tournée illisible : {}", shipped.display()))?;
        seed_plan(store, plan, today).await?;
    }
    plan(store, today, false).await?;
    publish(store, by, today).await
}

/// What a change does to a passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Moved,
    Cancelled,
    Stopped,
}

/// One change against the previous version, with its public notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub site_id: String,
    pub commune: String,
    pub vehicle_id: String,
    /// The passage's date in the previous version (or the new date of an added one).
    pub date: NaiveDate,
    /// Its date in the new version when it takes place.
    pub new_date: Option<NaiveDate>,
    pub notice: String,
}

/// A version as read back from the store.
#[derive(Debug, Clone)]
pub struct Published {
    pub version: i64,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    pub book: TourBook,
    pub changes: Vec<Change>,
}

/// The latest published version, if any.
pub async fn published(store: &dyn Store) -> anyhow::Result<Option<Published>> {
    let Some(row) = store.tour_publication(None).await? else {
        return Ok(None);
    };
    Ok(Some(Published {
        version: row.version,
        published_at: row.published_at,
        published_by: row.published_by,
        book: serde_json::from_str(&row.book)
            .with_context(|| format!("version {} du calendrier illisible", row.version))?,
        changes: serde_json::from_str(&row.changes).unwrap_or_default(),
    }))
}

/// Where a passage sits in the regular calendar: the same key in two versions is the same
/// passage, wherever it moved.
fn key(p: &Passage) -> (String, String, NaiveDate) {
    let regular = match &p.status {
        maillage_tours::Status::Moved { from, .. } => *from,
        _ => p.date,
    };
    (p.site_id.clone(), p.vehicle_id.clone(), regular)
}

/// What moved between two calendars, from `today` on and within both periods, each change
/// with the notice the public reads.
pub fn diff(old: &TourBook, new: &TourBook, today: NaiveDate) -> Vec<Change> {
    let from = today.max(old.from).max(new.from);
    let to = old.to.min(new.to);
    let within = |p: &&Passage| {
        let k = key(p).2;
        k >= from && k <= to
    };
    let before: BTreeMap<_, &Passage> = old
        .calendar
        .passages
        .iter()
        .filter(within)
        .map(|p| (key(p), p))
        .collect();
    let after: BTreeMap<_, &Passage> = new
        .calendar
        .passages
        .iter()
        .filter(within)
        .map(|p| (key(p), p))
        .collect();
    let commune = |id: &str| {
        new.site(id)
            .or_else(|| old.site(id))
            .map(|s| s.commune.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let mut changes = Vec::new();
    for (k, old_p) in &before {
        let change = |kind, new_date, notice| Change {
            kind,
            site_id: k.0.clone(),
            commune: commune(&k.0),
            vehicle_id: k.1.clone(),
            date: old_p.date,
            new_date,
            notice,
        };
        match after.get(k) {
            None if old_p.takes_place() => changes.push(change(
                ChangeKind::Cancelled,
                None,
                format!(
                    "{} : le passage du {} est supprimé.",
                    commune(&k.0),
                    date_fr(old_p.date)
                ),
            )),
            Some(p) if old_p.takes_place() && !p.takes_place() => {
                let kind = if matches!(p.status, maillage_tours::Status::Stopped { .. }) {
                    ChangeKind::Stopped
                } else {
                    ChangeKind::Cancelled
                };
                let notice = p
                    .notice
                    .clone()
                    .unwrap_or_else(|| format!("Pas de passage le {}.", date_fr(old_p.date)));
                changes.push(change(kind, None, format!("{} : {notice}", commune(&k.0))));
            }
            Some(p) if p.takes_place() && (p.date, p.slot) != (old_p.date, old_p.slot) => changes
                .push(change(
                    ChangeKind::Moved,
                    Some(p.date),
                    format!(
                        "{} : le passage du {} est déplacé au {}, de {} à {}.",
                        commune(&k.0),
                        date_fr(old_p.date),
                        date_fr(p.date),
                        time_fr(p.start),
                        time_fr(p.end)
                    ),
                )),
            _ => {}
        }
    }
    for (k, p) in &after {
        let was = before.get(k).is_some_and(|o| o.takes_place());
        if p.takes_place() && !was {
            changes.push(Change {
                kind: ChangeKind::Added,
                site_id: k.0.clone(),
                commune: commune(&k.0),
                vehicle_id: k.1.clone(),
                date: p.date,
                new_date: Some(p.date),
                notice: format!(
                    "{} : nouveau passage le {}, de {} à {}.",
                    commune(&k.0),
                    date_fr(p.date),
                    time_fr(p.start),
                    time_fr(p.end)
                ),
            });
        }
    }
    changes.sort_by(|a, b| (a.date, &a.site_id).cmp(&(b.date, &b.site_id)));
    changes
}

/// The book to publish: `base`'s plan laid on the announced period of `today` with the
/// stored events; the passages before `today` stay as `previous` published them (history).
async fn book_to_publish(
    store: &dyn Store,
    base: TourBook,
    previous: Option<&TourBook>,
    today: NaiveDate,
) -> anyhow::Result<TourBook> {
    let (_, _, events) = load_input(store).await?;
    let (from, to) = announced_period(today);
    let previous_past: Vec<Passage> = previous
        .map(|p| {
            p.calendar
                .passages
                .iter()
                .filter(|x| x.date < today && x.date >= from)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    tokio::task::spawn_blocking(move || {
        let mut calendar = build(&base.plan, &base.sites, &base.vehicles, from, to, &events)?;
        if !previous_past.is_empty() {
            calendar.passages.retain(|p| p.date >= today);
            let mut passages = previous_past;
            passages.append(&mut calendar.passages);
            calendar.passages = passages;
        }
        Ok::<_, anyhow::Error>(TourBook {
            events,
            from,
            to,
            calendar,
            ..base
        })
    })
    .await
    .context("publication interrompue")?
}

/// What publishing the proposed plan would change, without publishing: the coordinator's
/// "proposed next to published" view (the same book and diff as [`publish`]).
#[derive(Debug, Clone)]
pub struct Preview {
    /// The version the changes are counted against (`None`: nothing published yet).
    pub published: Option<i64>,
    pub planned_at: Option<DateTime<Utc>>,
    /// `None` when no plan is proposed.
    pub changes: Option<Vec<Change>>,
    /// Passages the proposed calendar holds over the announced period.
    pub passages: usize,
}

pub async fn preview(store: &dyn Store, today: NaiveDate) -> anyhow::Result<Preview> {
    let previous = published(store).await?;
    let Some(row) = store.tour_plan().await? else {
        return Ok(Preview {
            published: previous.map(|p| p.version),
            planned_at: None,
            changes: None,
            passages: 0,
        });
    };
    let proposed: TourBook = serde_json::from_str(&row.data).context("plan proposé illisible")?;
    let book = book_to_publish(store, proposed, previous.as_ref().map(|p| &p.book), today).await?;
    let changes = match &previous {
        Some(p) => diff(&p.book, &book, today),
        None => Vec::new(),
    };
    Ok(Preview {
        published: previous.map(|p| p.version),
        planned_at: Some(row.planned_at),
        changes: Some(changes),
        passages: book.calendar.passages.len(),
    })
}

/// Publishes the proposed plan as a new version, announced for the period of `today`, with
/// the changes against the previous version. A coordinator who publishes while another one
/// did gets the store's conflict error and nothing is written.
pub async fn publish(store: &dyn Store, by: &str, today: NaiveDate) -> anyhow::Result<Published> {
    let Some(row) = store.tour_plan().await? else {
        bail!("aucun plan proposé : lancer d'abord `maillage tours plan`");
    };
    let proposed: TourBook = serde_json::from_str(&row.data).context("plan proposé illisible")?;
    publish_from(store, proposed, by, today).await
}

async fn publish_from(
    store: &dyn Store,
    base: TourBook,
    by: &str,
    today: NaiveDate,
) -> anyhow::Result<Published> {
    let previous = published(store).await?;
    let book = book_to_publish(store, base, previous.as_ref().map(|p| &p.book), today).await?;
    let changes = match &previous {
        Some(p) => diff(&p.book, &book, today),
        None => Vec::new(),
    };
    let published_at = Utc::now();
    let version = store
        .publish_tours(&NewTourPublication {
            expected_previous: previous.as_ref().map(|p| p.version),
            published_at,
            published_by: by.to_string(),
            period_from: book.from,
            period_to: book.to,
            book: json(&book)?,
            changes: json(&changes)?,
        })
        .await?;
    Ok(Published {
        version,
        published_at,
        published_by: by.to_string(),
        book,
        changes,
    })
}

/// The labellings of fixed France Services among the records just imported and now stored.
async fn imported_labellings(
    store: &dyn Store,
    reads: &[FileRead],
) -> anyhow::Result<Vec<Labelling>> {
    let mut found = Vec::new();
    for r in reads.iter().flat_map(|f| &f.records) {
        let p = &r.place;
        if !p
            .dispositif_programmes_nationaux
            .contains(&Dispositif::FranceServices)
            || p.itinerance.contains(&Itinerance::Itinerant)
        {
            continue;
        }
        let (Some(date), Some(code_insee)) = (
            r.extra.get("labellisation").and_then(|d| parse_date(d)),
            p.code_insee.clone(),
        ) else {
            continue;
        };
        if store.place_id_for_source(&r.source).await?.is_none() {
            continue;
        }
        let address = [
            p.adresse.as_str(),
            p.code_postal.as_str(),
            p.commune.as_str(),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
        found.push(Labelling {
            code_insee,
            date,
            name: p.nom.clone(),
            address,
        });
    }
    Ok(first_labelling_per_commune(vec![found]))
}

/// Called after every import of places: the France Services labelled in a commune where a
/// tour stops are recorded as labelling events, and when one stops permanences of the
/// published calendar (a mairie or a salle communale; the département's MDS keep theirs), a
/// new version is published from the published plan (the other days do not move), with the
/// notice pointing to the new France Services. Returns that version, if any.
pub async fn after_import(
    store: &dyn Store,
    reads: &[FileRead],
    today: NaiveDate,
) -> anyhow::Result<Option<Published>> {
    let (sites, _, events) = load_input(store).await?;
    if sites.is_empty() {
        return Ok(None);
    }
    let known: HashSet<&str> = events
        .labellings
        .iter()
        .map(|l| l.code_insee.as_str())
        .collect();
    let new: Vec<Labelling> = imported_labellings(store, reads)
        .await?
        .into_iter()
        .filter(|l| !known.contains(l.code_insee.as_str()))
        .filter(|l| sites.iter().any(|s| s.code_insee == l.code_insee))
        .collect();
    if new.is_empty() {
        return Ok(None);
    }
    let rows = new
        .iter()
        .map(labelling_row)
        .collect::<anyhow::Result<Vec<_>>>()?;
    store.add_tour_events(&rows).await?;
    let stops = new.iter().any(|l| {
        sites
            .iter()
            .any(|s| s.code_insee == l.code_insee && s.stops_on_labelling())
    });
    let Some(current) = published(store).await? else {
        return Ok(None);
    };
    if !stops {
        return Ok(None);
    }
    let names: Vec<String> = new.iter().map(|l| l.name.clone()).collect();
    tracing::info!(labellisations = ?names, "labellisation : nouvelle version du calendrier");
    publish_from(store, current.book, "import France Services", today)
        .await
        .map(Some)
}

/// The public sentence of a publication ("Version 2 publiée le … : 3 changements").
pub fn summary(p: &Published) -> String {
    format!(
        "Version {} du calendrier publiée le {} par {} (du {} au {}) : {} changement(s)",
        p.version,
        date_fr_year(p.published_at.date_naive()),
        p.published_by,
        date_fr_year(p.book.from),
        date_fr_year(p.book.to),
        p.changes.len()
    )
}
