//! `/imprimer`: the printable list of a commune's or an intercommunalité's places (all of
//! them, no pagination), for social workers to hand to people who have no internet. The
//! print style sheet removes navigation and keeps addresses, phones and hours.

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
}

/// `GET /imprimer?ou=…` or `?epci=…` (any search works).
pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let mut q = SearchQuery::parse(raw.as_deref())?;
    q.page = 1;
    q.per_page = 2000;
    let index = state.index();
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
                view: ResultView::from_hit(h, now),
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
        date: {
            let d = now.date();
            format!("{}", d.format("%d/%m/%Y"))
        },
    })
}
