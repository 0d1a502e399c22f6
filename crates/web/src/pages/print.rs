//! `/imprimer`: the printable list of a commune's or an intercommunalité's places (all of
//! them, no pagination), for social workers to hand to people who have no internet. The
//! print style sheet removes navigation and keeps addresses, phones and hours. Any search works
//! (words, filters): the list says which search it prints, and the form keeps it.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

use crate::error::WebError;
use crate::hours;
use crate::layout::{render, Layout};
use crate::pages::place::DayRow;
use crate::pages::ResultView;
use crate::query::SearchQuery;
use crate::AppState;

pub struct PrintItem {
    pub view: ResultView,
    pub week: Vec<DayRow>,
}

#[derive(Template)]
#[template(path = "print.html")]
pub struct PrintPage {
    pub layout: Layout,
    pub heading: String,
    pub items: Vec<PrintItem>,
    pub epcis: Vec<(String, String, bool)>,
    pub place: String,
    pub date: String,
    /// The search printed, in words ("« caf », autour de Montauban (10 km), gratuit").
    pub search: String,
    /// The search's other parameters, kept by the form when the place changes.
    pub hidden: Vec<(String, String)>,
}

/// The search in words, for the printed sheet.
fn describe(q: &SearchQuery, center: Option<&crate::index::Center>, epci: Option<&str>) -> String {
    let mut parts = Vec::new();
    if !q.text.trim().is_empty() {
        parts.push(format!("« {} »", q.text.trim()));
    }
    match (center, q.radius_km) {
        (Some(c), Some(0)) => parts.push(format!("à {}", c.label)),
        (Some(c), r) => parts.push(format!("autour de {} ({} km)", c.label, r.unwrap_or(10))),
        (None, _) => {}
    }
    if let Some(n) = epci {
        parts.push(n.to_string());
    }
    parts.extend(q.services.iter().map(|s| s.label().to_lowercase()));
    parts.extend(q.publics.iter().map(|s| s.label().to_lowercase()));
    parts.extend(q.support.iter().map(|s| s.label().to_lowercase()));
    parts.extend(q.schemes.iter().map(|s| s.label().to_string()));
    if q.when.is_some() {
        parts.push("selon les horaires demandés".into());
    }
    if q.free {
        parts.push("gratuit".into());
    }
    if q.walk_in {
        parts.push("sans rendez-vous".into());
    }
    if q.itinerant {
        parts.push("lieux itinérants".into());
    }
    if parts.is_empty() {
        "tous les lieux".into()
    } else {
        parts.join(", ")
    }
}

/// `GET /imprimer?ou=…` or `?epci=…` (any search works).
pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let mut q = SearchQuery::parse(raw.as_deref())?;
    q.page = 1;
    q.per_page = 2000;
    q.stops = true;
    let index = state.index();
    let tours = state.tours();
    let now = hours::now_paris();
    let r = index.search(&q, now).map_err(WebError::BadRequest)?;
    let items = r
        .hits
        .iter()
        .map(|h| {
            let week = h
                .entry
                .hours()
                .map(|oh| {
                    hours::week_table(oh)
                        .iter()
                        .enumerate()
                        .filter(|(_, iv)| !iv.is_empty())
                        .map(|(i, iv)| DayRow {
                            day: hours::DAYS[i],
                            text: iv
                                .iter()
                                .map(|(a, b)| {
                                    format!("{}–{}", hours::fmt_time(*a), hours::fmt_time(*b))
                                })
                                .collect::<Vec<_>>()
                                .join(", "),
                        })
                        .collect()
                })
                .unwrap_or_default();
            PrintItem {
                view: ResultView::from_hit(h, now, tours.as_deref()),
                week,
            }
        })
        .collect();
    let epci_name = index
        .epcis
        .iter()
        .find(|(c, _)| *c == q.epci)
        .map(|(_, n)| n.clone());
    let heading = match (&epci_name, &r.center) {
        (Some(n), _) => format!("Lieux d'aide au numérique — {n}"),
        (None, Some(c)) => format!("Lieux d'aide au numérique autour de {}", c.label),
        (None, None) => "Lieux d'aide au numérique".to_string(),
    };
    render(&PrintPage {
        layout: Layout::new(heading.clone(), ""),
        heading,
        items,
        epcis: index
            .epcis
            .iter()
            .map(|(c, n)| (c.clone(), n.clone(), *c == q.epci))
            .collect(),
        place: q.place.clone(),
        search: describe(&q, r.center.as_ref(), epci_name.as_deref()),
        hidden: form_urlencoded::parse(q.to_query(None).as_bytes())
            .filter(|(k, _)| k != "ou" && k != "epci" && k != "par_page")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        date: {
            let d = now.date();
            format!("{}", d.format("%d/%m/%Y"))
        },
    })
}
