//! The coverage figures as files: one CSV row per commune, a JSON report, a GeoJSON of the
//! communes (polygons where we have them, centres elsewhere) with the figures as properties.
//!
//! The CLI (`maillage coverage`) and the observatory page's downloads write the same files, so
//! they live here, next to the figures, and not in either front end.

use std::io::Write;

use serde::Serialize;

use crate::coverage::{AreaFigures, Category, Coverage, ExcludedPlace, Reach, Uncovered};
use crate::referential::Referential;

fn minutes_label(m: f64) -> String {
    format!("{}", m.round() as i64)
}

/// The CSV header: commune columns, then per category the nearest place, its distance, time
/// and rhythm when itinerant, then per threshold the reach of any help.
pub fn csv_header(coverage: &Coverage) -> Vec<String> {
    let mut h: Vec<String> = [
        "code_insee",
        "commune",
        "departement",
        "epci",
        "population",
        "ifn",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in &coverage.categories {
        let s = c.slug();
        h.push(format!("{s}_lieu"));
        h.push(format!("{s}_km"));
        h.push(format!("{s}_minutes"));
        h.push(format!("{s}_itinerance"));
    }
    for t in &coverage.options.thresholds_min {
        h.push(format!("acces_{}min", minutes_label(*t)));
    }
    h
}

/// Writes one row per commune.
pub fn write_csv<W: Write>(coverage: &Coverage, w: W) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(csv_header(coverage))?;
    let any = coverage.category_index(Category::Any).unwrap_or(0);
    for c in &coverage.communes {
        let mut row: Vec<String> = vec![
            c.code.clone(),
            c.nom.clone(),
            c.departement.clone(),
            c.epci.clone().unwrap_or_default(),
            c.population.to_string(),
            c.ifn.map(|v| format!("{v:.2}")).unwrap_or_default(),
        ];
        for a in &c.access {
            match &a.nearest {
                Some(n) => {
                    row.push(n.nom.clone());
                    row.push(format!("{:.2}", n.km));
                    row.push(format!("{:.1}", n.minutes));
                    row.push(n.itinerant.clone().unwrap_or_default());
                }
                None => row.extend(std::iter::repeat_n(String::new(), 4)),
            }
        }
        for t in &coverage.options.thresholds_min {
            let reach = if c.centre.is_none() {
                "position inconnue"
            } else {
                c.access
                    .get(any)
                    .map(|a| a.reach(*t))
                    .unwrap_or(Reach::None)
                    .label()
            };
            row.push(reach.to_string());
        }
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}

/// The JSON report of a computation.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub departement: Option<&'a str>,
    pub mode: &'static str,
    pub options: &'a crate::coverage::CoverageOptions,
    pub categories: Vec<(&'static str, String)>,
    pub totals: Vec<AreaFigures>,
    pub epci: Vec<AreaFigures>,
    pub communes_sans_aide: Vec<Uncovered>,
    pub communes: &'a [crate::coverage::CommuneAccess],
    pub lieux_exclus: &'a [ExcludedPlace],
    pub communes_sans_position: &'a [String],
    pub lieux_utilises: usize,
    pub lieux_au_centre_de_leur_commune: usize,
}

pub fn report<'a>(coverage: &'a Coverage, referential: &Referential) -> Report<'a> {
    Report {
        departement: coverage.options.departement.as_deref(),
        mode: if coverage.by_road {
            "routes"
        } else {
            "estimation"
        },
        options: &coverage.options,
        categories: coverage
            .categories
            .iter()
            .map(|c| (c.slug(), c.label()))
            .collect(),
        totals: coverage.by_departement(referential, Category::Any),
        epci: coverage.by_epci(referential, Category::Any),
        communes_sans_aide: coverage.uncovered(Category::Any, coverage.options.reach_min),
        communes: &coverage.communes,
        lieux_exclus: &coverage.excluded_places,
        communes_sans_position: &coverage.communes_without_centre,
        lieux_utilises: coverage.places_used,
        lieux_au_centre_de_leur_commune: coverage.places_at_commune_centre,
    }
}

/// A GeoJSON FeatureCollection of the communes with their figures for one category.
pub fn geojson(
    coverage: &Coverage,
    referential: &Referential,
    category: Category,
) -> serde_json::Value {
    let ci = coverage.category_index(category).unwrap_or(0);
    let features: Vec<serde_json::Value> = coverage
        .communes
        .iter()
        .filter_map(|c| {
            let geometry = match referential.polygons.get(&c.code) {
                Some(mp) => multipolygon_json(mp),
                None => {
                    let p = c.centre?;
                    serde_json::json!({"type": "Point", "coordinates": [p.lon, p.lat]})
                }
            };
            let a = c.access.get(ci)?;
            let n = a.nearest.as_ref();
            Some(serde_json::json!({
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "code_insee": c.code,
                    "commune": c.nom,
                    "epci": c.epci,
                    "population": c.population,
                    "ifn": c.ifn,
                    "categorie": category.slug(),
                    "lieu": n.map(|n| n.nom.clone()),
                    "km": n.map(|n| (n.km * 100.0).round() / 100.0),
                    "minutes": n.map(|n| (n.minutes * 10.0).round() / 10.0),
                    "itinerance": n.and_then(|n| n.itinerant.clone()),
                    "acces": coverage.options.thresholds_min.iter()
                        .map(|t| (format!("{}min", minutes_label(*t)), a.reach(*t).label()))
                        .collect::<std::collections::BTreeMap<_, _>>(),
                }
            }))
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}

fn multipolygon_json(mp: &geo::MultiPolygon<f64>) -> serde_json::Value {
    let ring =
        |ls: &geo::LineString<f64>| -> Vec<[f64; 2]> { ls.coords().map(|c| [c.x, c.y]).collect() };
    let polys: Vec<Vec<Vec<[f64; 2]>>> =
        mp.0.iter()
            .map(|p| {
                let mut rings = vec![ring(p.exterior())];
                rings.extend(p.interiors().iter().map(ring));
                rings
            })
            .collect();
    serde_json::json!({"type": "MultiPolygon", "coordinates": polys})
}
