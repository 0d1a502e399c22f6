//! `/observatoire`: where help is, and where it is missing, for one département, and
//! `/observatoire/epci/{siren}` for one intercommunalité.
//!
//! The map is an SVG choropleth drawn here on the server from the commune polygons (centres as
//! circles where there are no polygons), so it works without JavaScript, prints, and carries
//! a text alternative; the same figures are in a table that sorts through links (`?tri=…`),
//! with `aria-sort` on the sorted column. The palette is viridis (readable with every common
//! colour-vision deficiency and in grey scale), and communes reached only by an itinerant stop
//! are hatched, so the distinction never rests on colour alone. CSV and GeoJSON downloads are
//! written by `maillage_territory::export`, the same files as `maillage coverage`.

use maillage_model::french::{decimal_fr as fr_decimal, integer_fr as fr_number};
use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maillage_model::Place;
use maillage_territory::coverage::{Category, CommuneAccess, Coverage, CoverageOptions, Reach};
use maillage_territory::scenario;
use maillage_territory::{export, Referential};

use super::urlencode;
use crate::cache::CachedBody;
use crate::error::WebError;
use crate::layout::Layout;
use crate::pages::choropleth::{class_of, path_of, Projection, CLASSES, NO_DATA};
use crate::AppState;

/// The observatory's routes (merged into the router in one line).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/observatoire", get(page))
        .route("/observatoire/epci/{code}", get(epci_page))
        .route("/observatoire/communes.csv", get(csv_download))
        .route("/observatoire/communes.geojson", get(geojson_download))
}

#[derive(Default)]
struct Query {
    departement: String,
    categorie: String,
    seuil: String,
    tri: String,
    ordre: String,
    /// Scenario: a permanence opens in this commune (INSEE code).
    ouvrir: String,
}

impl Query {
    /// The query as a cache key: every field that changes the answer, normalised.
    fn key(&self) -> String {
        format!(
            "d={}&c={}&s={}&t={}&o={}&v={}",
            self.departement, self.categorie, self.seuil, self.tri, self.ordre, self.ouvrir
        )
    }
}

fn parse_query(raw: Option<&str>) -> Query {
    let mut q = Query::default();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let v: String = v.trim().chars().take(40).collect();
        match k.as_ref() {
            "departement" => q.departement = v.to_uppercase(),
            "categorie" => q.categorie = v,
            "seuil" => q.seuil = v,
            "tri" => q.tri = v,
            "ordre" => q.ordre = v,
            "ouvrir" => q.ouvrir = v.to_uppercase(),
            _ => {}
        }
    }
    q
}

fn referential(state: &AppState) -> Result<&Referential, WebError> {
    state
        .referential
        .as_deref()
        .ok_or_else(|| WebError::Unavailable("référentiel territorial non chargé".into()))
}

/// The département to show: the one asked, else the one with the most places.
fn choose_departement(r: &Referential, places: &[Place], asked: &str) -> Result<String, WebError> {
    if !asked.is_empty() {
        return if r.has_departement(asked) {
            Ok(asked.to_string())
        } else {
            Err(WebError::NotFound(format!(
                "le département « {asked} » n'est pas dans le référentiel"
            )))
        };
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in places {
        if let Some(d) = p.departement() {
            if r.has_departement(d) {
                *counts.entry(d).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(d, _)| d.to_string())
        .or_else(|| r.departement_codes().into_iter().next())
        .ok_or_else(|| WebError::Unavailable("référentiel territorial vide".into()))
}

/// The stops of the itinerant France Services tours of the published calendar, as itinerant
/// places with their real rhythm (none when no calendar is published).
fn tour_stops(state: &AppState) -> (Vec<Place>, BTreeMap<String, String>) {
    state
        .tours()
        .map(|t| (t.stops.clone(), t.rhythms.clone()))
        .unwrap_or_default()
}

struct Computed {
    coverage: Coverage,
    category: Category,
    threshold: f64,
    departement: String,
}

fn compute(state: &AppState, q: &Query) -> Result<Computed, WebError> {
    let r = referential(state)?;
    let index = state.index();
    let (stops, rhythms) = tour_stops(state);
    let places: Vec<Place> = index
        .entries()
        .iter()
        .map(|e| (*e.place).clone())
        .chain(stops.iter().cloned())
        .collect();
    let departement = choose_departement(r, &places, &q.departement)?;
    let category = if q.categorie.is_empty() {
        Category::Any
    } else {
        Category::from_slug(&q.categorie).ok_or_else(|| {
            WebError::BadRequest(format!("catégorie inconnue : « {} »", q.categorie))
        })?
    };
    let options = CoverageOptions {
        departement: Some(departement.clone()),
        itinerant_rhythms: rhythms.clone(),
        ..CoverageOptions::default()
    };
    let threshold = match q.seuil.parse::<f64>() {
        Ok(t) if options.thresholds_min.contains(&t) => t,
        Ok(_) | Err(_) if q.seuil.is_empty() => options.reach_min,
        _ => {
            return Err(WebError::BadRequest(format!(
                "seuil inconnu : « {} » (10, 20 ou 30 minutes)",
                q.seuil
            )))
        }
    };
    let coverage = maillage_territory::compute(r, &places, &options);
    Ok(Computed {
        coverage,
        category,
        threshold,
        departement,
    })
}

/// One shape of the map.
pub struct Shape {
    /// SVG path data (polygons) or empty for a circle.
    pub d: String,
    pub cx: String,
    pub cy: String,
    pub r: String,
    pub fill: &'static str,
    pub hatched: bool,
    pub title: String,
}

pub struct LegendItem {
    pub color: &'static str,
    pub label: &'static str,
}

pub struct PlaceDot {
    pub cx: String,
    pub cy: String,
    pub title: String,
    pub itinerant: bool,
}

pub struct Row {
    pub code: String,
    pub nom: String,
    pub epci: String,
    pub epci_code: String,
    pub population: u32,
    pub population_text: String,
    pub ifn: String,
    pub minutes: String,
    pub km: String,
    pub lieu: String,
    pub rythme: String,
    pub acces: &'static str,
    minutes_value: f64,
    ifn_value: f64,
}

pub struct AreaRow {
    pub code: String,
    pub nom: String,
    pub population: String,
    pub shares: Vec<String>,
    pub ifn: String,
}

pub struct UncoveredRow {
    pub nom: String,
    pub population: String,
    pub ifn: String,
    pub minutes: String,
    pub itinerant_only: bool,
}

pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none` (aria-sort).
    pub aria: &'static str,
}

#[derive(Template)]
#[template(path = "observatoire.html")]
pub struct ObservatoirePage {
    pub layout: Layout,
    pub heading: String,
    pub departement: String,
    pub epci: Option<String>,
    pub category_label: String,
    pub category_slug: &'static str,
    pub form_action: String,
    pub categories: Vec<(&'static str, String, bool)>,
    pub thresholds: Vec<(String, bool)>,
    pub threshold: String,
    pub departements: Vec<(String, bool)>,
    pub summary: Vec<String>,
    pub view_box: String,
    pub shapes: Vec<Shape>,
    pub dots: Vec<PlaceDot>,
    pub map_label: String,
    pub legend: Vec<LegendItem>,
    pub no_data: LegendItem,
    pub sort_links: Vec<SortLink>,
    pub rows: Vec<Row>,
    pub epcis: Vec<AreaRow>,
    pub threshold_headers: Vec<String>,
    pub uncovered: Vec<UncoveredRow>,
    pub excluded: Vec<String>,
    pub csv_href: String,
    pub geojson_href: String,
    pub travel_note: String,
    /// Scenario summary lines, when `?ouvrir=` is given.
    pub scenario: Vec<String>,
    pub scenario_gains: Vec<String>,
    /// Greedy suggestions: (name, text, scenario link).
    pub suggestions: Vec<(String, String, String)>,
}

fn reach_label(r: Reach) -> &'static str {
    match r {
        Reach::Permanent => "lieu permanent",
        Reach::ItinerantOnly => "passage itinérant seulement",
        Reach::None => "aucun lieu",
    }
}

fn build_page(
    state: &AppState,
    q: &Query,
    c: &Computed,
    epci: Option<&str>,
) -> Result<ObservatoirePage, WebError> {
    let r = referential(state)?;
    let ci = c
        .coverage
        .category_index(c.category)
        .ok_or_else(|| WebError::BadRequest("catégorie inconnue".into()))?;
    let communes: Vec<&CommuneAccess> = c
        .coverage
        .communes
        .iter()
        .filter(|x| epci.is_none_or(|e| x.epci.as_deref() == Some(e)))
        .collect();
    if communes.is_empty() {
        return Err(WebError::NotFound(
            "aucune commune pour cette intercommunalité".into(),
        ));
    }
    // Map.
    let projection = Projection::fit(communes.iter().flat_map(|x| {
        let poly: Vec<(f64, f64)> = r
            .polygons
            .get(&x.code)
            .map(|mp| {
                mp.0.iter()
                    .flat_map(|p| {
                        p.exterior()
                            .coords()
                            .map(|c| (c.x, c.y))
                            .collect::<Vec<_>>()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let centre: Vec<(f64, f64)> = x.centre.map(|p| vec![(p.lon, p.lat)]).unwrap_or_default();
        poly.into_iter().chain(centre)
    }))
    .ok_or_else(|| WebError::Unavailable("aucune position de commune".into()))?;
    let max_pop = communes
        .iter()
        .map(|x| x.population)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut shapes = Vec::new();
    for x in &communes {
        let a = &x.access[ci];
        let minutes = a.minutes();
        let (fill, class_label) = class_of(minutes);
        let reach = a.reach(c.threshold);
        let title = match &a.nearest {
            Some(n) => format!(
                "{} : {} min ({} km) jusqu'à {}{} — {}",
                x.nom,
                fr_decimal(n.minutes, 0),
                fr_decimal(n.km, 1),
                n.nom,
                n.itinerant
                    .as_ref()
                    .map(|r| format!(" (itinérant, {r})"))
                    .unwrap_or_default(),
                class_label
            ),
            None => format!("{} : {}", x.nom, NO_DATA.1),
        };
        let hatched = reach == Reach::ItinerantOnly;
        if let Some(mp) = r.polygons.get(&x.code) {
            shapes.push(Shape {
                d: path_of(&projection, mp),
                cx: String::new(),
                cy: String::new(),
                r: String::new(),
                fill,
                hatched,
                title,
            });
        } else if let Some(p) = x.centre {
            let (cx, cy) = projection.xy(p.lon, p.lat);
            shapes.push(Shape {
                d: String::new(),
                cx: format!("{cx:.1}"),
                cy: format!("{cy:.1}"),
                r: format!(
                    "{:.1}",
                    3.0 + 12.0 * (f64::from(x.population) / max_pop).sqrt()
                ),
                fill,
                hatched,
                title,
            });
        }
    }
    let index = state.index();
    let dots: Vec<PlaceDot> = index
        .entries()
        .iter()
        .map(|e| &*e.place)
        .chain(tour_stops(state).0.iter())
        .filter(|p| c.category.matches(p))
        .filter_map(|p| {
            let pos = p.position?;
            let (x, y) = projection.xy(pos.lon, pos.lat);
            (x >= 0.0 && y >= 0.0 && x <= 800.0 && y <= projection.height).then(|| PlaceDot {
                cx: format!("{x:.1}"),
                cy: format!("{y:.1}"),
                title: p.nom.clone(),
                itinerant: p.is_itinerant(),
            })
        })
        .collect();
    // Table rows, sorted by the asked column.
    let mut rows: Vec<Row> = communes
        .iter()
        .map(|x| {
            let a = &x.access[ci];
            let n = a.nearest.as_ref();
            let epci_name = x
                .epci
                .as_deref()
                .and_then(|e| r.epci(e))
                .map(|e| e.nom.clone())
                .unwrap_or_default();
            Row {
                code: x.code.clone(),
                nom: x.nom.clone(),
                epci: epci_name,
                epci_code: x.epci.clone().unwrap_or_default(),
                population: x.population,
                population_text: fr_number(u64::from(x.population)),
                ifn: x
                    .ifn
                    .map(|v| fr_decimal(v, 1))
                    .unwrap_or_else(|| "—".into()),
                minutes: n
                    .map(|n| fr_decimal(n.minutes, 0))
                    .unwrap_or_else(|| "—".into()),
                km: n.map(|n| fr_decimal(n.km, 1)).unwrap_or_else(|| "—".into()),
                lieu: n.map(|n| n.nom.clone()).unwrap_or_default(),
                rythme: n.and_then(|n| n.itinerant.clone()).unwrap_or_default(),
                acces: if x.centre.is_none() {
                    "position inconnue"
                } else {
                    reach_label(a.reach(c.threshold))
                },
                minutes_value: n.map(|n| n.minutes).unwrap_or(f64::INFINITY),
                ifn_value: x.ifn.unwrap_or(-1.0),
            }
        })
        .collect();
    let descending = q.ordre == "desc";
    match q.tri.as_str() {
        "population" => rows.sort_by_key(|r| r.population),
        "ifn" => rows.sort_by(|a, b| a.ifn_value.total_cmp(&b.ifn_value)),
        "minutes" => rows.sort_by(|a, b| a.minutes_value.total_cmp(&b.minutes_value)),
        _ => rows.sort_by(|a, b| a.nom.cmp(&b.nom)),
    }
    if descending {
        rows.reverse();
    }
    let base = match epci {
        Some(e) => format!("/observatoire/epci/{}?", urlencode(e)),
        None => format!("/observatoire?departement={}&", urlencode(&c.departement)),
    };
    let common = format!("categorie={}&seuil={}", c.category.slug(), c.threshold);
    let current = if q.tri.is_empty() {
        "nom"
    } else {
        q.tri.as_str()
    };
    let sort_links = [
        ("nom", "Commune"),
        ("population", "Population"),
        ("ifn", "Fragilité (IFN)"),
        ("minutes", "Temps"),
    ]
    .iter()
    .map(|(key, label)| {
        let is_current = *key == current;
        let next_desc = is_current && !descending;
        SortLink {
            label,
            href: format!(
                "{base}{common}&tri={key}&ordre={}#tableau",
                if next_desc { "desc" } else { "asc" }
            ),
            aria: if !is_current {
                "none"
            } else if descending {
                "descending"
            } else {
                "ascending"
            },
        }
    })
    .collect();
    // Summary figures and EPCI table.
    let figures = match epci {
        Some(e) => c
            .coverage
            .by_epci(r, c.category)
            .into_iter()
            .filter(|f| f.code == e)
            .collect::<Vec<_>>(),
        None => c.coverage.by_departement(r, c.category),
    };
    let mut summary = Vec::new();
    if let Some(f) = figures.first() {
        summary.push(format!(
            "{} communes, {} habitants{}.",
            f.communes,
            fr_number(f.population),
            f.ifn
                .map(|v| format!(", indice de fragilité numérique moyen {}", fr_decimal(v, 1)))
                .unwrap_or_default()
        ));
        for w in &f.within {
            summary.push(format!(
                "À {} minutes ou moins en voiture : {} % des habitants ({} avec un lieu permanent{}).",
                w.minutes,
                fr_decimal(100.0 * w.share(f.population), 1),
                fr_number(w.permanent),
                if w.itinerant_only > 0 {
                    format!(", {} avec seulement un passage itinérant", fr_number(w.itinerant_only))
                } else {
                    String::new()
                }
            ));
        }
    }
    let epcis: Vec<AreaRow> = if epci.is_some() {
        Vec::new()
    } else {
        c.coverage
            .by_epci(r, c.category)
            .into_iter()
            .map(|f| AreaRow {
                shares: f
                    .within
                    .iter()
                    .map(|w| format!("{} %", fr_decimal(100.0 * w.share(f.population), 1)))
                    .collect(),
                population: fr_number(f.population),
                ifn: f
                    .ifn
                    .map(|v| fr_decimal(v, 1))
                    .unwrap_or_else(|| "—".into()),
                code: f.code,
                nom: f.nom,
            })
            .collect()
    };
    let in_scope: Vec<&str> = communes.iter().map(|x| x.code.as_str()).collect();
    let uncovered = c
        .coverage
        .uncovered(c.category, c.threshold)
        .into_iter()
        .filter(|u| in_scope.contains(&u.code.as_str()))
        .take(15)
        .map(|u| UncoveredRow {
            nom: u.nom,
            population: fr_number(u64::from(u.population)),
            ifn: u
                .ifn
                .map(|v| fr_decimal(v, 1))
                .unwrap_or_else(|| "inconnu".into()),
            minutes: u
                .minutes
                .map(|m| fr_decimal(m, 0))
                .unwrap_or_else(|| "—".into()),
            itinerant_only: u.itinerant_only,
        })
        .collect();
    let dep_name = r
        .departements
        .get(&c.departement)
        .cloned()
        .unwrap_or_default();
    let epci_name = epci.and_then(|e| r.epci(e)).map(|e| e.nom.clone());
    let heading = match &epci_name {
        Some(n) => n.clone(),
        None if dep_name.is_empty() => format!("Département {}", c.departement),
        None => format!("{} ({})", dep_name, c.departement),
    };
    let t = &c.coverage.options.travel;
    Ok(ObservatoirePage {
        layout: Layout::new(format!("Observatoire — {heading}"), "/observatoire"),
        map_label: format!(
            "Carte des communes de {heading} selon le temps en voiture jusqu'au lieu « {} » le plus proche ; les mêmes chiffres sont dans le tableau plus bas.",
            c.category.label()
        ),
        heading,
        departement: c.departement.clone(),
        epci: epci_name,
        category_label: c.category.label(),
        category_slug: c.category.slug(),
        form_action: match epci {
            Some(e) => format!("/observatoire/epci/{}", urlencode(e)),
            None => "/observatoire".to_string(),
        },
        categories: Category::all().into_iter().map(|k| (k.slug(), k.label(), k == c.category)).collect(),
        thresholds: c.coverage.options.thresholds_min.iter().map(|t| (t.to_string(), *t == c.threshold)).collect(),
        threshold: c.threshold.to_string(),
        departements: r
            .departement_codes()
            .into_iter()
            .map(|d| {
                let selected = d == c.departement;
                (d, selected)
            })
            .collect(),
        summary,
        view_box: format!("0 0 800 {:.0}", projection.height),
        shapes,
        dots,
        legend: CLASSES.iter().map(|(_, color, label)| LegendItem { color, label }).collect(),
        no_data: LegendItem {
            color: NO_DATA.0,
            label: NO_DATA.1,
        },
        sort_links,
        rows,
        epcis,
        threshold_headers: c.coverage.options.thresholds_min.iter().map(|t| format!("à {t} min")).collect(),
        uncovered,
        excluded: c
            .coverage
            .excluded_places
            .iter()
            .take(10)
            .map(|e| format!("{} : {}", e.nom, e.reason))
            .collect(),
        csv_href: format!("/observatoire/communes.csv?departement={}&{common}", urlencode(&c.departement)),
        geojson_href: format!("/observatoire/communes.geojson?departement={}&{common}", urlencode(&c.departement)),
        scenario: Vec::new(),
        scenario_gains: Vec::new(),
        suggestions: Vec::new(),
        travel_note: format!(
            "Temps estimés à partir de la distance à vol d'oiseau : × {} pour les détours, les {} premiers km à {} km/h, puis {} km/h.",
            fr_decimal(t.detour_factor, 1),
            fr_decimal(t.slow_km, 0),
            fr_decimal(t.slow_speed_kmh, 0),
            fr_decimal(t.speed_kmh, 0)
        ),
    })
}

/// `GET /observatoire?departement=82&categorie=tout_lieu&seuil=10&tri=population&ordre=desc`,
/// with `&ouvrir=CODE` for the scenario "a permanence opens in this commune". Computed off the
/// executor once per query and store version ([`crate::cache`]).
pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = parse_query(raw.as_deref());
    let key = format!("page:{}", q.key());
    let s = state.clone();
    let body = state
        .pages
        .get_or_compute(key, move || render_page(&s, &q))
        .await?;
    Ok(body.into_response())
}

fn render_page(state: &AppState, q: &Query) -> Result<CachedBody, WebError> {
    let mut c = compute(state, q)?;
    let r = referential(state)?;
    let before = c.coverage.clone();
    let mut scenario = Vec::new();
    let mut gains = Vec::new();
    if !q.ouvrir.is_empty() {
        let o = scenario::open_permanence(
            r,
            &before,
            &c.departement,
            &q.ouvrir,
            c.category,
            c.threshold,
        )
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
        scenario.push(format!(
            "Scénario : une permanence ouvre à {} (centre de la commune).",
            o.commune_nom
        ));
        let pop = o.population.max(1) as f64;
        scenario.push(format!(
            "À {} minutes d'un lieu permanent : {} habitants avant ({} %), {} après ({} %), soit {} de plus.",
            c.threshold,
            fr_number(o.covered_before),
            fr_decimal(100.0 * o.covered_before as f64 / pop, 1),
            fr_number(o.covered_after),
            fr_decimal(100.0 * o.covered_after as f64 / pop, 1),
            fr_number(o.covered_after.saturating_sub(o.covered_before))
        ));
        gains = o
            .gained
            .iter()
            .map(|(nom, population)| format!("{nom} ({} hab.)", fr_number(u64::from(*population))))
            .collect();
        c.coverage = o.after;
    }
    let suggestions = scenario::suggest(&before, c.category, c.threshold, 3)
        .into_iter()
        .map(|s| {
            (
                s.nom,
                format!(
                    "{} habitants de plus à {} min",
                    fr_number(s.added_population),
                    c.threshold
                ),
                format!(
                    "/observatoire?departement={}&categorie={}&seuil={}&ouvrir={}",
                    urlencode(&c.departement),
                    c.category.slug(),
                    c.threshold,
                    urlencode(&s.code)
                ),
            )
        })
        .collect();
    let mut page = build_page(state, q, &c, None)?;
    page.scenario = scenario;
    page.scenario_gains = gains;
    page.suggestions = suggestions;
    html(&page)
}

fn html(page: &impl Template) -> Result<CachedBody, WebError> {
    page.render()
        .map(CachedBody::html)
        .map_err(|e| WebError::Unavailable(format!("gabarit : {e}")))
}

/// `GET /observatoire/epci/{siren}`
pub async fn epci_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let mut q = parse_query(raw.as_deref());
    let r = referential(&state)?;
    let e = r
        .epci(&code)
        .ok_or_else(|| WebError::NotFound(format!("l'intercommunalité « {code} » n'existe pas")))?;
    let dep = e
        .communes
        .first()
        .and_then(|c| r.commune_by_any_code(c))
        .map(|c| c.departement.clone())
        .unwrap_or_default();
    q.departement = dep;
    let code = e.code.clone();
    let key = format!("epci:{code}:{}", q.key());
    let s = state.clone();
    let body = state
        .pages
        .get_or_compute(key, move || {
            let c = compute(&s, &q)?;
            html(&build_page(&s, &q, &c, Some(&code))?)
        })
        .await?;
    Ok(body.into_response())
}

/// `GET /observatoire/communes.csv?departement=82`
pub async fn csv_download(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = parse_query(raw.as_deref());
    let key = format!("csv:{}", q.key());
    let s = state.clone();
    let body = state
        .pages
        .get_or_compute(key, move || {
            let c = compute(&s, &q)?;
            let mut out = Vec::new();
            export::write_csv(&c.coverage, &mut out)
                .map_err(|e| WebError::Unavailable(e.to_string()))?;
            Ok(CachedBody::download(
                "text/csv; charset=utf-8",
                &format!("observatoire-{}.csv", c.departement),
                out,
            ))
        })
        .await?;
    Ok(body.into_response())
}

/// `GET /observatoire/communes.geojson?departement=82&categorie=france_services`
pub async fn geojson_download(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = parse_query(raw.as_deref());
    let key = format!("geojson:{}", q.key());
    let s = state.clone();
    let body = state
        .pages
        .get_or_compute(key, move || {
            let c = compute(&s, &q)?;
            let r = referential(&s)?;
            let body = export::geojson(&c.coverage, r, c.category).to_string();
            Ok(CachedBody::download(
                "application/geo+json",
                &format!("observatoire-{}.geojson", c.departement),
                body.into_bytes(),
            ))
        })
        .await?;
    Ok(body.into_response())
}
