//! The open API v1: the same search as the pages, as JSON (paginated), GeoJSON or the
//! standard's CSV; one place by its stable id; the OpenAPI 3.1 document and a readable
//! documentation page served offline. Errors are JSON with a French message, status 400 for
//! a parameter that can be fixed, never a 500 with a cause.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maillage_model::Place;
use serde_json::{json, Value};

use crate::error::{ApiError, WebError};
use crate::hours;
use crate::layout::{render, Layout};
use crate::query::{Format, SearchQuery};
use crate::AppState;

/// The OpenAPI document, written by hand next to this file (a test checks that every route it
/// lists answers as documented).
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /healthz`: the server answers and the index is loaded.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let n = state.index().len();
    Json(json!({ "statut": "ok", "lieux": n })).into_response()
}

/// A place as the API returns it: the standard's field names, plus `latitude`/`longitude`
/// and, in a search around a point, `distance_km`.
pub fn place_json(p: &Place, distance_km: Option<f64>) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.remove("position");
        map.insert("latitude".into(), json!(p.position.map(|x| x.lat)));
        map.insert("longitude".into(), json!(p.position.map(|x| x.lon)));
        if let Some(d) = distance_km {
            map.insert("distance_km".into(), json!((d * 100.0).round() / 100.0));
        }
    }
    v
}

fn attachment(mut response: Response, content_type: &'static str, name: &str) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// `GET /api/v1/lieux`.
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = SearchQuery::parse(raw.as_deref())?;
    let index = state.index();
    let r = index
        .search(&q, hours::now_paris())
        .map_err(WebError::BadRequest)?;
    match q.format {
        Format::Json => {
            let pages = r.total.div_ceil(q.per_page).max(1);
            let link = |p: usize| format!("/api/v1/lieux?{}", q.to_query(Some(p)));
            let body = json!({
                "total": r.total,
                "page": q.page,
                "par_page": q.per_page,
                "pages": pages,
                "suivante": (q.page < pages).then(|| link(q.page + 1)),
                "precedente": (q.page > 1).then(|| link(q.page - 1)),
                "centre": r.center.as_ref().map(|c| json!({
                    "latitude": c.position.lat, "longitude": c.position.lon, "libelle": c.label
                })),
                "lieux": r.hits.iter().map(|h| place_json(&h.entry.place, h.distance_km)).collect::<Vec<_>>(),
            });
            Ok(Json(body).into_response())
        }
        Format::GeoJson => {
            let places: Vec<Place> = r.hits.iter().map(|h| (*h.entry.place).clone()).collect();
            let mut out = Vec::new();
            maillage_standard::write::write_geojson(&places, &mut out)
                .map_err(|e| WebError::Unavailable(format!("export GeoJSON : {e}")))?;
            Ok(attachment(
                out.into_response(),
                "application/geo+json",
                "lieux.geojson",
            ))
        }
        Format::Csv => {
            let places: Vec<Place> = r.hits.iter().map(|h| (*h.entry.place).clone()).collect();
            let mut out = Vec::new();
            maillage_standard::write::write_standard_csv(&places, &mut out)
                .map_err(|e| WebError::Unavailable(format!("export CSV : {e}")))?;
            Ok(attachment(
                out.into_response(),
                "text/csv; charset=utf-8",
                "lieux.csv",
            ))
        }
    }
}

/// `GET /api/v1/lieux/{id}`: one place with its sources and field provenance.
pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let stored = state.store.place(&id).await?.ok_or_else(|| {
        WebError::NotFound(format!(
            "aucun lieu n'a l'identifiant « {} »",
            id.chars().take(80).collect::<String>()
        ))
    })?;
    let mut v = place_json(&stored.place, None);
    if let Value::Object(map) = &mut v {
        map.insert(
            "sources".into(),
            json!(stored
                .records
                .iter()
                .map(|r| json!({"source": r.source.source, "source_id": r.source.source_id, "date": r.observed}))
                .collect::<Vec<_>>()),
        );
        map.insert("provenance".into(), json!(stored.provenance));
        map.insert("mis_a_jour_le".into(), json!(stored.updated_at));
    }
    Ok(Json(v).into_response())
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Response {
    let mut r = OPENAPI.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// One documented parameter, for the documentation page.
pub struct ParamDoc {
    pub name: String,
    pub description: String,
    pub example: String,
}

#[derive(Template)]
#[template(path = "api.html")]
struct ApiPage {
    layout: Layout,
    params: Vec<ParamDoc>,
    openapi_url: &'static str,
}

/// `GET /api`: the API documentation, read from the OpenAPI document itself (so the page and
/// the document never disagree), served offline.
pub async fn docs() -> Result<Response, WebError> {
    let doc: Value = serde_json::from_str(OPENAPI)
        .map_err(|e| WebError::Unavailable(format!("document OpenAPI : {e}")))?;
    let params = doc["paths"]["/api/v1/lieux"]["get"]["parameters"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|p| ParamDoc {
                    name: p["name"].as_str().unwrap_or("").to_string(),
                    description: p["description"].as_str().unwrap_or("").to_string(),
                    example: p["example"]
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| p["example"].as_u64().map(|n| n.to_string()))
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    render(&ApiPage {
        layout: Layout::new("Données ouvertes et API", "/api"),
        params,
        openapi_url: "/api/v1/openapi.json",
    })
}
