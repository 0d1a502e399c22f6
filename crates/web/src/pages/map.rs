//! `/carte`: the map. Leaflet (served by our binary) is loaded on this page only; the points
//! come from `/carte/lieux.json` (compact, the current search), the background from the
//! bundled département polygons, tiles only when a tile URL is configured. The result list
//! below the map is the accessible alternative and works without JavaScript.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::{ApiError, WebError};
use crate::hours;
use crate::layout::{render, Layout};
use crate::pages::search::Form;
use crate::pages::ResultView;
use crate::query::SearchQuery;
use crate::AppState;

#[derive(Template)]
#[template(path = "map.html")]
pub struct MapPage {
    pub layout: Layout,
    pub form: Form,
    pub results: Vec<ResultView>,
    pub total: usize,
    pub points_url: String,
    pub background_url: String,
    pub tile_url: String,
    pub tile_attribution: String,
    pub list_url: String,
}

/// `GET /carte`.
pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = SearchQuery::parse(raw.as_deref())?;
    let index = state.index();
    let tours = state.tours();
    let now = hours::now_paris();
    let r = index.search(&q, now).map_err(WebError::BadRequest)?;
    let qs = q.to_query(None);
    let suffix = if qs.is_empty() {
        String::new()
    } else {
        format!("?{qs}")
    };
    render(&MapPage {
        layout: Layout::new("Carte des lieux", "/carte")
            .with_style("vendor/leaflet/leaflet.css")
            .with_style("vendor/leaflet/MarkerCluster.css")
            .with_style("vendor/leaflet/MarkerCluster.Default.css")
            .with_script("vendor/leaflet/leaflet.js")
            .with_script("vendor/leaflet/leaflet.markercluster.js")
            .with_script("app/map.js"),
        form: Form::new(&q),
        results: r
            .hits
            .iter()
            .map(|h| ResultView::from_hit(h, now, tours.as_deref()))
            .collect(),
        total: r.total,
        points_url: format!("/carte/lieux.json{suffix}"),
        background_url: crate::assets::url("geo/departements.geojson"),
        tile_url: state.config.tile_url.clone().unwrap_or_default(),
        tile_attribution: state.config.tile_attribution.clone(),
        list_url: format!("/{suffix}"),
    })
}

/// `GET /carte/lieux.json`: every point of the search as
/// `[lat, lon, id, name, approximate, link, address, when]`, the smallest form the map needs
/// (no pagination: the map shows everything, clustered). `approximate` is true for a place the
/// source gave no coordinates: it is shown at its commune's centre. The bus stops of the
/// published calendar are points too (their link is their commune's calendar, their `when`
/// the next passage); `when` is otherwise the next opening ("Ouvert jusqu'à 17 h").
pub async fn points(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut q = SearchQuery::parse(raw.as_deref())?;
    q.page = 1;
    q.per_page = usize::MAX / 2;
    q.stops = true;
    let index = state.index();
    let tours = state.tours();
    let now = hours::now_paris();
    let r = index.search(&q, now).map_err(WebError::BadRequest)?;
    let points: Vec<serde_json::Value> = r
        .hits
        .iter()
        .filter_map(|h| {
            let pos = h.entry.position?;
            let view = ResultView::from_hit(h, now, tours.as_deref());
            let when = view
                .status
                .map(|s| s.text)
                .or_else(|| view.passages.first().cloned())
                .unwrap_or_default();
            Some(serde_json::json!([
                (pos.lat * 1e5).round() / 1e5,
                (pos.lon * 1e5).round() / 1e5,
                view.id,
                view.nom,
                h.entry.approximate,
                view.href,
                format!("{}, {}", view.adresse, view.ville).trim_start_matches(", "),
                when
            ]))
        })
        .collect();
    Ok(Json(points).into_response())
}
