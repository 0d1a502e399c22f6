//! HTML pages. One module per page family; each handler parses its input, asks the index or
//! the store, fills a page struct (askama template under `templates/`) and renders it.
//! Shared view helpers (a place as a result line, filter options) live here.

use maillage_model::{Dispositif, Place};

use crate::error::WebError;
use crate::hours;
use crate::index::Hit;

pub mod account;
pub mod agenda;
pub mod booking;
pub mod choropleth;
pub mod coordination;
pub mod edit;
pub mod embed;
pub mod freshness;
pub mod itinerance;
pub mod legal;
pub mod map;
pub mod moderation;
pub mod observatoire;
pub mod orientation;
pub mod place;
pub mod print;
pub mod search;

/// A place as one line of results.
pub struct ResultView {
    pub id: String,
    /// Where the name links: the place's page, or the calendar of a bus stop's commune.
    pub href: String,
    /// For a bus stop: its next two passages in French, and its poster for the month.
    pub passages: Vec<String>,
    pub poster: Option<String>,
    pub nom: String,
    pub adresse: String,
    pub ville: String,
    /// "à 3,2 km"
    pub distance: Option<String>,
    /// The place is placed at its commune's centre (the source gave no coordinates).
    pub approximate: bool,
    pub status: Option<hours::Status>,
    pub services: Vec<&'static str>,
    pub badges: Vec<&'static str>,
    pub walk_in: bool,
    pub free: bool,
    pub itinerant: bool,
    pub telephone: Option<String>,
}

/// "3,2 km", "800 m".
pub fn fmt_distance(km: f64) -> String {
    if km < 1.0 {
        format!("{} m", ((km * 1000.0) / 50.0).round() as u64 * 50)
    } else if km < 10.0 {
        format!("{:.1} km", km).replace('.', ",")
    } else {
        format!("{} km", km.round() as u64)
    }
}

/// A French phone number for display: `+33563000000` → `05 63 00 00 00`.
pub fn fmt_phone(e164: &str) -> String {
    let digits: String = e164.chars().filter(|c| c.is_ascii_digit()).collect();
    let national = match digits.strip_prefix("33") {
        Some(rest) if e164.starts_with('+') && rest.len() == 9 => format!("0{rest}"),
        _ => digits.clone(),
    };
    if national.len() == 10 {
        national
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        e164.to_string()
    }
}

impl ResultView {
    /// The result as shown; `tours` (the published calendar) gives a bus stop its passages.
    pub fn from_hit(
        hit: &Hit<'_>,
        now: chrono::NaiveDateTime,
        tours: Option<&itinerance::Tours>,
    ) -> ResultView {
        let p: &Place = &hit.entry.place;
        let stop = tours.filter(|_| hit.entry.stop).and_then(|t| t.stop(&p.id));
        let (href, passages, poster) = match (stop, tours) {
            (Some(site), Some(t)) => (
                format!("/itinerance?commune={}", urlencode(&site.commune)),
                t.next_at(&site.id, now.date(), 2),
                Some(format!(
                    "/itinerance/affiche?commune={}&mois={}",
                    urlencode(&site.commune),
                    now.format("%Y-%m")
                )),
            ),
            _ => (format!("/lieux/{}", urlencode(&p.id)), Vec::new(), None),
        };
        ResultView {
            id: p.id.clone(),
            href,
            passages,
            poster,
            nom: crate::display::name(&p.nom),
            adresse: crate::display::address(&p.adresse, &p.code_postal, &p.commune),
            ville: format!("{} {}", p.code_postal, crate::display::name(&p.commune))
                .trim()
                .to_string(),
            distance: hit.distance_km.map(fmt_distance),
            approximate: hit.entry.approximate,
            status: hit.entry.hours().and_then(|oh| hours::status(oh, now)),
            services: p.services.iter().map(|s| s.label()).collect(),
            badges: p
                .dispositif_programmes_nationaux
                .iter()
                .filter(|d| {
                    matches!(
                        d,
                        Dispositif::FranceServices
                            | Dispositif::AidantsConnect
                            | Dispositif::ConseillersNumeriques
                    )
                })
                .map(|d| d.label())
                .collect(),
            walk_in: p
                .modalites_acces
                .contains(&maillage_model::ModaliteAcces::SePresenter),
            free: p.frais_a_charge.contains(&maillage_model::Frais::Gratuit),
            itinerant: p.is_itinerant(),
            telephone: p.telephone.as_deref().map(fmt_phone),
        }
    }
}

/// A value for a URL's query string or path segment.
pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Any unknown path: the French 404 page.
pub async fn not_found() -> WebError {
    WebError::NotFound("cette page n'existe pas".into())
}
