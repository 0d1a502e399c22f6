//! Coverage: for every commune, how far the nearest help is, and how many people live within
//! 10, 20, 30 minutes of it.
//!
//! The documents ask for the offer "en creux": where help is missing. Nobody puts the places
//! and the need (population, fragility index) together with travel times, so this module does:
//! per commune and per category (any help, each service of the standard, France Services,
//! Aidants Connect) it finds the nearest place with an R*-tree over unit-sphere vectors (the
//! nearest by chord is the nearest by great circle, so the answer is exact), then turns the
//! distance into minutes with a documented estimate ([`TravelModel`]) or, when a road graph is
//! given, with real shortest paths ([`compute_with_roads`]).
//!
//! Places whose coordinates cannot be trusted (missing, placeholder, swapped, outside France,
//! far from their declared commune) are excluded with a reason: counting a place at the wrong
//! spot would show coverage where there is none. An itinerant stop counts, but it is reported
//! with its rhythm ("2 demi-journées par mois"), never as a permanent place.

use std::collections::BTreeMap;

use maillage_model::{Dispositif, ModaliteAcces, Place, Position, Service};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;

use crate::referential::Referential;
use crate::roads::RoadGraph;

/// What a person looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Any place that receives the public.
    Any,
    FranceServices,
    AidantsConnect,
    Service(Service),
}

impl Category {
    /// Every category, in the order of the outputs.
    pub fn all() -> Vec<Category> {
        let mut v = vec![
            Category::Any,
            Category::FranceServices,
            Category::AidantsConnect,
        ];
        v.extend(Service::ALL.iter().map(|s| Category::Service(*s)));
        v
    }

    /// French label for the UI.
    pub fn label(self) -> String {
        match self {
            Category::Any => "Tout lieu d'aide".to_string(),
            Category::FranceServices => "France Services".to_string(),
            Category::AidantsConnect => "Aidants Connect".to_string(),
            Category::Service(s) => s.label().to_string(),
        }
    }

    /// Stable identifier for CSV columns, JSON keys and URLs.
    pub fn slug(self) -> &'static str {
        match self {
            Category::Any => "tout_lieu",
            Category::FranceServices => "france_services",
            Category::AidantsConnect => "aidants_connect",
            Category::Service(s) => match s {
                Service::AideDemarches => "aide_demarches",
                Service::MaitriseOutils => "maitrise_outils",
                Service::InsertionPro => "insertion_pro",
                Service::UtilisationSecurisee => "utilisation_securisee",
                Service::Parentalite => "parentalite",
                Service::Loisirs => "loisirs",
                Service::ComprehensionMonde => "comprehension_monde",
                Service::AccesInternet => "acces_internet",
                Service::AcquisitionMateriel => "acquisition_materiel",
            },
        }
    }

    pub fn from_slug(s: &str) -> Option<Category> {
        Category::all().into_iter().find(|c| c.slug() == s)
    }

    /// Whether a place belongs to this category.
    pub fn matches(self, place: &Place) -> bool {
        match self {
            Category::Any => {
                !(place.modalites_acces.len() == 1
                    && place.modalites_acces[0] == ModaliteAcces::PasDePublic)
            }
            Category::FranceServices => {
                place
                    .dispositif_programmes_nationaux
                    .contains(&Dispositif::FranceServices)
                    || place.typologie.iter().any(|t| t == "RFS")
            }
            Category::AidantsConnect => place
                .dispositif_programmes_nationaux
                .contains(&Dispositif::AidantsConnect),
            Category::Service(s) => place.services.contains(&s),
        }
    }
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.slug())
    }
}

/// The one travel-time estimate of maillage (the tours use it too).
pub use maillage_model::travel::TravelModel;

/// Options of a coverage computation.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageOptions {
    /// Access-time thresholds in minutes (10, 20, 30 by default).
    pub thresholds_min: Vec<f64>,
    /// The time under which help is "within reach" (the Allier minutes: 10 minutes).
    pub reach_min: f64,
    pub travel: TravelModel,
    /// Restrict the communes to one département (places of every département still count:
    /// a commune on the border is served by the neighbours' places too).
    pub departement: Option<String>,
    /// How an itinerant stop is described when its rhythm is not known otherwise.
    pub itinerant_rhythm: String,
    /// The real rhythm of some itinerant stops, by place id (from the tour planning:
    /// "les 2e et 4e mardis du mois, matin").
    pub itinerant_rhythms: BTreeMap<String, String>,
    /// A place farther than this from the centre of its declared commune is misplaced.
    pub max_km_from_commune: f64,
    /// Worker threads (0: as many as the machine has).
    pub threads: usize,
    /// Road mode: beyond this time, shortest paths stop and the estimate is used.
    pub road_max_min: f64,
    /// Road mode: a commune or place farther than this from the road graph is not snapped.
    pub max_snap_km: f64,
    /// A place without coordinates but with a known commune (the Aidants Connect list has
    /// none) is counted at its commune's centre and marked `approximate`; otherwise it is
    /// excluded.
    pub place_without_coordinates_at_commune_centre: bool,
}

impl Default for CoverageOptions {
    fn default() -> Self {
        CoverageOptions {
            thresholds_min: vec![10.0, 20.0, 30.0],
            reach_min: 10.0,
            travel: TravelModel::default(),
            departement: None,
            itinerant_rhythm: "2 demi-journées par mois".to_string(),
            itinerant_rhythms: BTreeMap::new(),
            max_km_from_commune: 40.0,
            threads: 0,
            road_max_min: 90.0,
            max_snap_km: 3.0,
            place_without_coordinates_at_commune_centre: true,
        }
    }
}

/// The nearest place of a category for one commune.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nearest {
    /// Index in the places given to [`compute`].
    #[serde(skip)]
    pub place: usize,
    pub place_id: String,
    pub nom: String,
    pub commune: String,
    /// Straight-line distance, km.
    pub km: f64,
    /// Travel time by car, minutes (estimate, or road when `by_road`).
    pub minutes: f64,
    pub by_road: bool,
    /// The place has no coordinates of its own: it is counted at its commune's centre.
    pub approximate: bool,
    /// For an itinerant stop, its rhythm ("2 demi-journées par mois"); `None` when permanent.
    pub itinerant: Option<String>,
}

/// Access of one commune to one category.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Access {
    /// The nearest place, fixed or itinerant.
    pub nearest: Option<Nearest>,
    /// The nearest permanent (fixed) place.
    pub nearest_fixed: Option<Nearest>,
}

/// How a commune is served at a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Reach {
    /// A permanent place within the threshold.
    Permanent,
    /// Only an itinerant stop within the threshold.
    ItinerantOnly,
    None,
}

impl Reach {
    pub fn label(self) -> &'static str {
        match self {
            Reach::Permanent => "lieu permanent",
            Reach::ItinerantOnly => "itinérant seulement",
            Reach::None => "aucun",
        }
    }
}

impl Access {
    pub fn reach(&self, minutes: f64) -> Reach {
        if self
            .nearest_fixed
            .as_ref()
            .is_some_and(|n| n.minutes <= minutes)
        {
            Reach::Permanent
        } else if self.nearest.as_ref().is_some_and(|n| n.minutes <= minutes) {
            Reach::ItinerantOnly
        } else {
            Reach::None
        }
    }

    /// Minutes to the nearest place of any kind.
    pub fn minutes(&self) -> Option<f64> {
        self.nearest.as_ref().map(|n| n.minutes)
    }
}

/// The access of one commune, per category (same order as [`Coverage::categories`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneAccess {
    pub code: String,
    pub nom: String,
    pub departement: String,
    pub epci: Option<String>,
    pub population: u32,
    pub ifn: Option<f64>,
    pub centre: Option<Position>,
    pub access: Vec<Access>,
}

/// A place left out of the computation, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcludedPlace {
    pub place_id: String,
    pub nom: String,
    pub reason: String,
}

/// Population figures for an area (commune, EPCI, département) at each threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaFigures {
    pub code: String,
    pub nom: String,
    pub communes: usize,
    pub population: u64,
    /// Per threshold: (minutes, population with a permanent place, population with only an
    /// itinerant stop).
    pub within: Vec<Within>,
    /// Population-weighted mean IFN of the communes that have one.
    pub ifn: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Within {
    pub minutes: f64,
    pub permanent: u64,
    pub itinerant_only: u64,
}

impl Within {
    /// Share of the population with some help (permanent or itinerant), 0 to 1.
    pub fn share(&self, population: u64) -> f64 {
        if population == 0 {
            0.0
        } else {
            (self.permanent + self.itinerant_only) as f64 / population as f64
        }
    }
}

/// A commune without help within reach, with its priority score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uncovered {
    pub code: String,
    pub nom: String,
    pub population: u32,
    pub ifn: Option<f64>,
    /// population × IFN / 10 (IFN 5, the middle of the scale, when unknown).
    pub score: f64,
    pub minutes: Option<f64>,
    /// Only an itinerant stop is within reach.
    pub itinerant_only: bool,
}

/// The result of a computation.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub options: CoverageOptions,
    pub categories: Vec<Category>,
    pub communes: Vec<CommuneAccess>,
    pub excluded_places: Vec<ExcludedPlace>,
    /// Communes with no known position: no distance can be computed for them.
    pub communes_without_centre: Vec<String>,
    pub places_used: usize,
    /// Of which placed at their commune's centre (no coordinates in the source).
    pub places_at_commune_centre: usize,
    /// Whether travel times come from a road graph.
    pub by_road: bool,
}

/// A place ready for the spatial index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Located {
    pub index: usize,
    pub position: Position,
    pub itinerant: bool,
    /// Placed at its commune's centre because the source gives no coordinates.
    pub approximate: bool,
}

/// Unit-sphere vector of a position: the nearest by chord is the nearest by great circle.
pub(crate) fn unit_vector(p: Position) -> [f64; 3] {
    let (la, lo) = (p.lat.to_radians(), p.lon.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

/// Checks a place's coordinates; `Err(reason)` excludes it.
pub fn check_place_position(
    referential: &Referential,
    place: &Place,
    max_km: f64,
) -> Result<Position, String> {
    let Some(p) = place.position else {
        return Err("sans coordonnées".to_string());
    };
    if !p.lat.is_finite() || !p.lon.is_finite() || (p.lat.abs() < 1e-6 || p.lon.abs() < 1e-6) {
        return Err(format!("coordonnées de remplissage ({}, {})", p.lat, p.lon));
    }
    let swapped = Position::new(p.lon, p.lat);
    let declared = place
        .code_insee
        .as_deref()
        .and_then(|c| maillage_model::CommuneLookup::commune(referential, c))
        .or_else(|| {
            maillage_model::CommuneLookup::find_commune(
                referential,
                &place.code_postal,
                &place.commune,
            )
        });
    if !p.in_france() {
        return Err(if swapped.in_france() {
            format!("latitude et longitude inversées ({}, {})", p.lat, p.lon)
        } else {
            format!("hors de France ({}, {})", p.lat, p.lon)
        });
    }
    if let Some(centre) = declared.and_then(|c| c.centre) {
        let d = p.distance_km(centre);
        // A vast commune (Guyane: Camopi is 10,000 km²) has places far from its centroid.
        let area = declared
            .and_then(|c| referential.area_km2.get(&c.code))
            .copied()
            .unwrap_or(0.0);
        let max_km = max_km.max(area.sqrt());
        if d > max_km {
            if swapped.in_france() && swapped.distance_km(centre) <= max_km {
                return Err(format!(
                    "latitude et longitude inversées ({}, {})",
                    p.lat, p.lon
                ));
            }
            return Err(format!(
                "à {:.0} km de sa commune déclarée ({})",
                d,
                declared.map(|c| c.nom.as_str()).unwrap_or("")
            ));
        }
    }
    Ok(p)
}

/// Places with usable coordinates, and the excluded ones with their reason.
pub(crate) fn locate_places(
    referential: &Referential,
    places: &[Place],
    options: &CoverageOptions,
) -> (Vec<Located>, Vec<ExcludedPlace>) {
    let mut located = Vec::with_capacity(places.len());
    let mut excluded = Vec::new();
    for (index, place) in places.iter().enumerate() {
        let at_centre =
            if place.position.is_none() && options.place_without_coordinates_at_commune_centre {
                place
                    .code_insee
                    .as_deref()
                    .and_then(|c| maillage_model::CommuneLookup::commune(referential, c))
                    .and_then(|c| c.centre)
            } else {
                None
            };
        if let Some(position) = at_centre {
            located.push(Located {
                index,
                position,
                itinerant: place.is_itinerant(),
                approximate: true,
            });
            continue;
        }
        match check_place_position(referential, place, options.max_km_from_commune) {
            Ok(position) => located.push(Located {
                index,
                position,
                itinerant: place.is_itinerant(),
                approximate: false,
            }),
            Err(reason) => excluded.push(ExcludedPlace {
                place_id: place.id.clone(),
                nom: place.nom.clone(),
                reason,
            }),
        }
    }
    (located, excluded)
}

type Tree = RTree<GeomWithData<[f64; 3], u32>>;

/// One spatial index per category and per kind (fixed, itinerant).
struct Indexes {
    fixed: Vec<Tree>,
    itinerant: Vec<Tree>,
}

fn build_indexes(places: &[Place], located: &[Located], categories: &[Category]) -> Indexes {
    let build = |cat: Category, itinerant: bool| {
        let items: Vec<_> = located
            .iter()
            .enumerate()
            .filter(|(_, l)| l.itinerant == itinerant && cat.matches(&places[l.index]))
            .map(|(k, l)| GeomWithData::new(unit_vector(l.position), k as u32))
            .collect();
        RTree::bulk_load(items)
    };
    Indexes {
        fixed: categories.iter().map(|c| build(*c, false)).collect(),
        itinerant: categories.iter().map(|c| build(*c, true)).collect(),
    }
}

fn nearest_of(
    places: &[Place],
    located: &[Located],
    k: usize,
    km: f64,
    minutes: f64,
    by_road: bool,
    options: &CoverageOptions,
) -> Nearest {
    let l = located[k];
    let p = &places[l.index];
    Nearest {
        place: l.index,
        place_id: p.id.clone(),
        nom: p.nom.clone(),
        commune: p.commune.clone(),
        km,
        minutes,
        by_road,
        approximate: l.approximate,
        itinerant: l.itinerant.then(|| {
            options
                .itinerant_rhythms
                .get(&p.id)
                .cloned()
                .unwrap_or_else(|| itinerant_rhythm(p, &options.itinerant_rhythm))
        }),
    }
}

/// The rhythm of an itinerant stop: from its hours when they say it (`week 1-53/2`: every
/// other week), else the default ("2 demi-journées par mois", the Tarn-et-Garonne rule).
pub fn itinerant_rhythm(place: &Place, default: &str) -> String {
    if let Some(h) = place.horaires.as_deref() {
        if h.contains("/2") && h.contains("week") {
            return "une fois toutes les deux semaines".to_string();
        }
    }
    default.to_string()
}

fn selected_communes<'r>(
    referential: &'r Referential,
    options: &CoverageOptions,
) -> Vec<&'r maillage_model::Commune> {
    referential
        .communes
        .iter()
        .filter(|c| {
            options
                .departement
                .as_deref()
                .is_none_or(|d| c.departement == d)
        })
        .collect()
}

fn empty_access(c: &maillage_model::Commune, n: usize) -> CommuneAccess {
    CommuneAccess {
        code: c.code.clone(),
        nom: c.nom.clone(),
        departement: c.departement.clone(),
        epci: c.epci.clone(),
        population: c.population,
        ifn: c.ifn,
        centre: c.centre,
        access: vec![Access::default(); n],
    }
}

fn thread_count(options: &CoverageOptions) -> usize {
    if options.threads > 0 {
        options.threads
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }
}

/// Runs `f` on chunks of `items` on several threads, keeping the order.
fn parallel_map<T: Sync, U: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    let threads = threads.max(1);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Coverage with the travel-time estimate. See the module documentation.
pub fn compute(referential: &Referential, places: &[Place], options: &CoverageOptions) -> Coverage {
    let categories = Category::all();
    let (located, excluded) = locate_places(referential, places, options);
    let indexes = build_indexes(places, &located, &categories);
    let communes = selected_communes(referential, options);
    let per_commune = |c: &&maillage_model::Commune| {
        let mut out = empty_access(c, categories.len());
        let Some(centre) = c.centre else {
            return out;
        };
        let v = unit_vector(centre);
        for (ci, access) in out.access.iter_mut().enumerate() {
            let mut best: Option<Nearest> = None;
            for (tree, fixed) in [(&indexes.fixed[ci], true), (&indexes.itinerant[ci], false)] {
                if let Some(hit) = tree.nearest_neighbor(&v) {
                    let k = hit.data as usize;
                    let km = centre.distance_km(located[k].position);
                    let n = nearest_of(
                        places,
                        &located,
                        k,
                        km,
                        options.travel.minutes(km),
                        false,
                        options,
                    );
                    if fixed {
                        access.nearest_fixed = Some(n.clone());
                    }
                    if best.as_ref().is_none_or(|b| n.km < b.km) {
                        best = Some(n);
                    }
                }
            }
            access.nearest = best;
        }
        out
    };
    let result = parallel_map(&communes, thread_count(options), per_commune);
    finish(options, categories, result, excluded, &located, false)
}

/// Coverage by trying every (commune, place) pair: the baseline the R*-tree is measured
/// against, and an independent check of its answers.
pub fn compute_naive(
    referential: &Referential,
    places: &[Place],
    options: &CoverageOptions,
) -> Coverage {
    let categories = Category::all();
    let (located, excluded) = locate_places(referential, places, options);
    let member: Vec<Vec<bool>> = located
        .iter()
        .map(|l| {
            categories
                .iter()
                .map(|c| c.matches(&places[l.index]))
                .collect()
        })
        .collect();
    let communes = selected_communes(referential, options);
    let per_commune = |c: &&maillage_model::Commune| {
        let mut out = empty_access(c, categories.len());
        let Some(centre) = c.centre else {
            return out;
        };
        let mut best_any: Vec<Option<(f64, usize)>> = vec![None; categories.len()];
        let mut best_fixed: Vec<Option<(f64, usize)>> = vec![None; categories.len()];
        for (k, l) in located.iter().enumerate() {
            let d = centre.distance_km(l.position);
            for ci in 0..categories.len() {
                if !member[k][ci] {
                    continue;
                }
                if best_any[ci].is_none_or(|(b, _)| d < b) {
                    best_any[ci] = Some((d, k));
                }
                if !l.itinerant && best_fixed[ci].is_none_or(|(b, _)| d < b) {
                    best_fixed[ci] = Some((d, k));
                }
            }
        }
        for ci in 0..categories.len() {
            let mk = |(d, k): (f64, usize)| {
                nearest_of(
                    places,
                    &located,
                    k,
                    d,
                    options.travel.minutes(d),
                    false,
                    options,
                )
            };
            out.access[ci].nearest = best_any[ci].map(mk);
            out.access[ci].nearest_fixed = best_fixed[ci].map(mk);
        }
        out
    };
    let result = parallel_map(&communes, thread_count(options), per_commune);
    finish(options, categories, result, excluded, &located, false)
}

/// Coverage with road travel times: one multi-source shortest-path search per category and
/// kind on the reversed graph (from every place at once), then a lookup per commune. A
/// commune or a place that cannot be snapped to the graph, or a time beyond
/// `road_max_min`, falls back to the estimate (marked `by_road: false`).
pub fn compute_with_roads(
    referential: &Referential,
    places: &[Place],
    options: &CoverageOptions,
    graph: &RoadGraph,
    mut progress: impl FnMut(usize, usize),
) -> Coverage {
    let estimate = compute(referential, places, options);
    let categories = estimate.categories.clone();
    let (located, _) = locate_places(referential, places, options);
    let snap_place: Vec<Option<(u32, f64)>> = located
        .iter()
        .map(|l| graph.snap(l.position, options.max_snap_km))
        .collect();
    let snap_commune: Vec<Option<(u32, f64)>> = estimate
        .communes
        .iter()
        .map(|c| c.centre.and_then(|p| graph.snap(p, options.max_snap_km)))
        .collect();
    // Getting from a point to its nearest road node, at the slow speed.
    let access_s = |km: f64| km / options.travel.slow_speed_kmh * 3600.0;
    let limit_s = options.road_max_min * 60.0;
    let n_cat = categories.len();
    // Road answers per commune and category: [fixed, itinerant].
    let mut road: Vec<Vec<[Option<Nearest>; 2]>> =
        vec![vec![[None, None]; n_cat]; estimate.communes.len()];
    let total = n_cat * 2;
    for (ci, cat) in categories.iter().enumerate() {
        for (kind, itinerant) in [false, true].into_iter().enumerate() {
            progress(ci * 2 + kind, total);
            let sources: Vec<(u32, f64, u32)> = located
                .iter()
                .enumerate()
                .filter(|(_, l)| l.itinerant == itinerant && cat.matches(&places[l.index]))
                .filter_map(|(k, _)| snap_place[k].map(|(node, km)| (node, access_s(km), k as u32)))
                .collect();
            if sources.is_empty() {
                continue;
            }
            let labels = graph.nearest_sources_reverse(&sources, limit_s);
            for (m, commune) in estimate.communes.iter().enumerate() {
                let (Some((node, km)), Some(centre)) = (snap_commune[m], commune.centre) else {
                    continue;
                };
                let Some((secs, k)) = labels.get(node) else {
                    continue;
                };
                let minutes = (secs + access_s(km)) / 60.0;
                let straight = centre.distance_km(located[k as usize].position);
                road[m][ci][kind] = Some(nearest_of(
                    places, &located, k as usize, straight, minutes, true, options,
                ));
            }
        }
    }
    let mut communes = estimate.communes.clone();
    for (m, commune) in communes.iter_mut().enumerate() {
        for (ci, access) in commune.access.iter_mut().enumerate() {
            let [fixed, itin] = road[m][ci].clone();
            if fixed.is_none() && itin.is_none() {
                continue; // not reachable on the graph: the estimate stays, marked as such
            }
            if let Some(f) = fixed {
                access.nearest_fixed = Some(f);
            }
            let itin = itin.or_else(|| access.nearest.clone().filter(|n| n.itinerant.is_some()));
            access.nearest = match (access.nearest_fixed.clone(), itin) {
                (Some(a), Some(b)) => Some(if b.minutes < a.minutes { b } else { a }),
                (a, b) => a.or(b),
            };
        }
    }
    progress(total, total);
    Coverage {
        communes,
        by_road: true,
        ..estimate
    }
}

fn finish(
    options: &CoverageOptions,
    categories: Vec<Category>,
    communes: Vec<CommuneAccess>,
    excluded: Vec<ExcludedPlace>,
    located: &[Located],
    by_road: bool,
) -> Coverage {
    let communes_without_centre = communes
        .iter()
        .filter(|c| c.centre.is_none())
        .map(|c| c.code.clone())
        .collect();
    Coverage {
        options: options.clone(),
        categories,
        communes,
        excluded_places: excluded,
        communes_without_centre,
        places_used: located.len(),
        places_at_commune_centre: located.iter().filter(|l| l.approximate).count(),
        by_road,
    }
}

impl Coverage {
    /// Position of a category in [`Self::categories`].
    pub fn category_index(&self, category: Category) -> Option<usize> {
        self.categories.iter().position(|c| *c == category)
    }

    fn figures<'a>(
        &self,
        code: String,
        nom: String,
        communes: impl Iterator<Item = &'a CommuneAccess>,
        ci: usize,
    ) -> AreaFigures {
        let mut within: Vec<Within> = self
            .options
            .thresholds_min
            .iter()
            .map(|&m| Within {
                minutes: m,
                permanent: 0,
                itinerant_only: 0,
            })
            .collect();
        let (mut n, mut population, mut ifn_sum, mut ifn_w) = (0usize, 0u64, 0.0, 0.0);
        for c in communes {
            n += 1;
            population += u64::from(c.population);
            if let Some(i) = c.ifn {
                ifn_sum += i * f64::from(c.population);
                ifn_w += f64::from(c.population);
            }
            for w in &mut within {
                match c.access[ci].reach(w.minutes) {
                    Reach::Permanent => w.permanent += u64::from(c.population),
                    Reach::ItinerantOnly => w.itinerant_only += u64::from(c.population),
                    Reach::None => {}
                }
            }
        }
        AreaFigures {
            code,
            nom,
            communes: n,
            population,
            within,
            ifn: (ifn_w > 0.0).then(|| ifn_sum / ifn_w),
        }
    }

    /// Figures per EPCI for a category (EPCI that have communes in the computation).
    pub fn by_epci(&self, referential: &Referential, category: Category) -> Vec<AreaFigures> {
        let Some(ci) = self.category_index(category) else {
            return Vec::new();
        };
        let mut groups: BTreeMap<String, Vec<&CommuneAccess>> = BTreeMap::new();
        for c in &self.communes {
            groups
                .entry(c.epci.clone().unwrap_or_default())
                .or_default()
                .push(c);
        }
        groups
            .into_iter()
            .map(|(code, members)| {
                let nom = referential
                    .epci(&code)
                    .map(|e| e.nom.clone())
                    .unwrap_or_else(|| "Sans intercommunalité".to_string());
                self.figures(code, nom, members.into_iter(), ci)
            })
            .collect()
    }

    /// Figures per département for a category.
    pub fn by_departement(
        &self,
        referential: &Referential,
        category: Category,
    ) -> Vec<AreaFigures> {
        let Some(ci) = self.category_index(category) else {
            return Vec::new();
        };
        let mut groups: BTreeMap<String, Vec<&CommuneAccess>> = BTreeMap::new();
        for c in &self.communes {
            groups.entry(c.departement.clone()).or_default().push(c);
        }
        groups
            .into_iter()
            .map(|(code, members)| {
                let nom = referential
                    .departements
                    .get(&code)
                    .cloned()
                    .unwrap_or_default();
                self.figures(code, nom, members.into_iter(), ci)
            })
            .collect()
    }

    /// Figures for one commune.
    pub fn commune_figures(&self, c: &CommuneAccess, category: Category) -> Option<AreaFigures> {
        let ci = self.category_index(category)?;
        Some(self.figures(c.code.clone(), c.nom.clone(), std::iter::once(c), ci))
    }

    /// Communes without a permanent place of the category within `minutes`, ranked by
    /// population × IFN (highest first). Communes reached only by an itinerant stop are
    /// included and flagged.
    pub fn uncovered(&self, category: Category, minutes: f64) -> Vec<Uncovered> {
        let Some(ci) = self.category_index(category) else {
            return Vec::new();
        };
        let mut v: Vec<Uncovered> = self
            .communes
            .iter()
            .filter(|c| c.centre.is_some())
            .filter_map(|c| {
                let reach = c.access[ci].reach(minutes);
                (reach != Reach::Permanent).then(|| Uncovered {
                    code: c.code.clone(),
                    nom: c.nom.clone(),
                    population: c.population,
                    ifn: c.ifn,
                    score: priority(c.population, c.ifn),
                    minutes: c.access[ci].minutes(),
                    itinerant_only: reach == Reach::ItinerantOnly,
                })
            })
            .collect();
        v.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.code.cmp(&b.code))
        });
        v
    }
}

/// Priority of a commune without help: population × IFN / 10 (IFN 5 when unknown).
pub fn priority(population: u32, ifn: Option<f64>) -> f64 {
    f64::from(population) * ifn.unwrap_or(5.0) / 10.0
}

/// A commune whose access changed between two states.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessChange {
    pub code: String,
    pub nom: String,
    pub population: u32,
    pub before_min: Option<f64>,
    pub after_min: Option<f64>,
    pub before: Reach,
    pub after: Reach,
    /// true: gained access at the threshold; false: lost it.
    pub gained: bool,
}

/// Communes that gained or lost access to a category within `minutes` between two
/// computations on the same communes (for example France Services 2022 against 2024).
pub fn compare(
    before: &Coverage,
    after: &Coverage,
    category: Category,
    minutes: f64,
) -> Vec<AccessChange> {
    let (Some(bi), Some(ai)) = (
        before.category_index(category),
        after.category_index(category),
    ) else {
        return Vec::new();
    };
    let after_by_code: BTreeMap<&str, &CommuneAccess> = after
        .communes
        .iter()
        .map(|c| (c.code.as_str(), c))
        .collect();
    let rank = |r: Reach| match r {
        Reach::None => 0,
        Reach::ItinerantOnly => 1,
        Reach::Permanent => 2,
    };
    let mut v = Vec::new();
    for b in &before.communes {
        let Some(a) = after_by_code.get(b.code.as_str()) else {
            continue;
        };
        let (rb, ra) = (b.access[bi].reach(minutes), a.access[ai].reach(minutes));
        if rb != ra {
            v.push(AccessChange {
                code: b.code.clone(),
                nom: b.nom.clone(),
                population: b.population,
                before_min: b.access[bi].minutes(),
                after_min: a.access[ai].minutes(),
                before: rb,
                after: ra,
                gained: rank(ra) > rank(rb),
            });
        }
    }
    v.sort_by(|x, y| {
        y.population
            .cmp(&x.population)
            .then_with(|| x.code.cmp(&y.code))
    });
    v
}

/// "What if a permanence opens here": the coverage with one more place, recomputed at once
/// (only the communes whose nearest place changes are touched).
pub fn with_added_place(coverage: &Coverage, place: &Place, place_index: usize) -> Coverage {
    let mut out = coverage.clone();
    let Some(position) = place.position else {
        return out;
    };
    let itinerant = place.is_itinerant();
    let rhythm = itinerant.then(|| {
        coverage
            .options
            .itinerant_rhythms
            .get(&place.id)
            .cloned()
            .unwrap_or_else(|| itinerant_rhythm(place, &coverage.options.itinerant_rhythm))
    });
    for c in &mut out.communes {
        let Some(centre) = c.centre else { continue };
        let km = centre.distance_km(position);
        let n = Nearest {
            place: place_index,
            place_id: place.id.clone(),
            nom: place.nom.clone(),
            commune: place.commune.clone(),
            km,
            minutes: coverage.options.travel.minutes(km),
            by_road: false,
            approximate: false,
            itinerant: rhythm.clone(),
        };
        for (ci, cat) in coverage.categories.iter().enumerate() {
            if !cat.matches(place) {
                continue;
            }
            let a = &mut c.access[ci];
            if a.nearest.as_ref().is_none_or(|b| n.minutes < b.minutes) {
                a.nearest = Some(n.clone());
            }
            if !itinerant
                && a.nearest_fixed
                    .as_ref()
                    .is_none_or(|b| n.minutes < b.minutes)
            {
                a.nearest_fixed = Some(n.clone());
            }
        }
    }
    out.places_used += 1;
    out
}
