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

/// A place as the API returns it, serialised straight to the output (no intermediate JSON
/// tree: the list endpoint is the hot path): the standard's field names, `latitude` /
/// `longitude` instead of `position`, and `distance_km` in a search around a point.
pub struct ApiPlace<'a>(pub &'a Place, pub Option<f64>);

impl serde::Serialize for ApiPlace<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let p = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &p.id)?;
        m.serialize_entry("pivot", &p.pivot)?;
        m.serialize_entry("nom", &p.nom)?;
        m.serialize_entry("commune", &p.commune)?;
        m.serialize_entry("code_postal", &p.code_postal)?;
        m.serialize_entry("code_insee", &p.code_insee)?;
        m.serialize_entry("adresse", &p.adresse)?;
        m.serialize_entry("complement_adresse", &p.complement_adresse)?;
        m.serialize_entry("latitude", &p.position.map(|x| x.lat))?;
        m.serialize_entry("longitude", &p.position.map(|x| x.lon))?;
        m.serialize_entry("typologie", &p.typologie)?;
        m.serialize_entry("telephone", &p.telephone)?;
        m.serialize_entry("courriels", &p.courriels)?;
        m.serialize_entry("site_web", &p.site_web)?;
        m.serialize_entry("horaires", &p.horaires)?;
        m.serialize_entry("presentation_resume", &p.presentation_resume)?;
        m.serialize_entry("presentation_detail", &p.presentation_detail)?;
        m.serialize_entry("source", &p.source)?;
        m.serialize_entry("itinerance", &p.itinerance)?;
        m.serialize_entry("structure_parente", &p.structure_parente)?;
        m.serialize_entry("date_maj", &p.date_maj)?;
        m.serialize_entry("services", &p.services)?;
        m.serialize_entry(
            "publics_specifiquement_adresses",
            &p.publics_specifiquement_adresses,
        )?;
        m.serialize_entry("prise_en_charge_specifique", &p.prise_en_charge_specifique)?;
        m.serialize_entry("frais_a_charge", &p.frais_a_charge)?;
        m.serialize_entry(
            "dispositif_programmes_nationaux",
            &p.dispositif_programmes_nationaux,
        )?;
        m.serialize_entry("formations_labels", &p.formations_labels)?;
        m.serialize_entry("autres_formations_labels", &p.autres_formations_labels)?;
        m.serialize_entry("modalites_acces", &p.modalites_acces)?;
        m.serialize_entry("modalites_accompagnement", &p.modalites_accompagnement)?;
        m.serialize_entry("fiche_acces_libre", &p.fiche_acces_libre)?;
        m.serialize_entry("prise_rdv", &p.prise_rdv)?;
        if let Some(d) = self.1 {
            m.serialize_entry("distance_km", &((d * 100.0).round() / 100.0))?;
        }
        m.end()
    }
}

/// [`ApiPlace`] as a JSON tree, for the one-place endpoint that adds its sources.
pub fn place_json(p: &Place, distance_km: Option<f64>) -> Value {
    serde_json::to_value(ApiPlace(p, distance_km)).unwrap_or(Value::Null)
}

#[cfg(test)]
#[test]
fn api_place_fields_are_the_catalogues_in_its_order() {
    // The API speaks the standard: the same names, in the schema's order (`model::fields`).
    let json = serde_json::to_string(&ApiPlace(&Place::default(), None)).expect("place");
    let at: Vec<Option<usize>> = maillage_model::fields::FIELD_NAMES
        .iter()
        .map(|f| json.find(&format!("\"{f}\":")))
        .collect();
    assert!(
        at.iter().all(Option::is_some),
        "every field of the catalogue: {json}"
    );
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "in the catalogue's order: {json}"
    );
}

#[cfg(test)]
#[test]
fn api_place_has_every_field_of_the_place() {
    // A field added to Place must be added to ApiPlace too.
    let p = Place::default();
    let full = serde_json::to_value(&p).expect("place");
    let api = place_json(&p, None);
    for key in full.as_object().expect("object").keys() {
        if key != "position" {
            assert!(api.get(key).is_some(), "{key} missing from the API");
        }
    }
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
            #[derive(serde::Serialize)]
            struct Page<'a> {
                total: usize,
                page: usize,
                par_page: usize,
                pages: usize,
                suivante: Option<String>,
                precedente: Option<String>,
                centre: Option<Value>,
                lieux: Vec<ApiPlace<'a>>,
            }
            let body = Page {
                total: r.total,
                page: q.page,
                par_page: q.per_page,
                pages,
                suivante: (q.page < pages).then(|| link(q.page + 1)),
                precedente: (q.page > 1).then(|| link(q.page - 1)),
                centre: r.center.as_ref().map(|c| {
                    json!({
                        "latitude": c.position.lat, "longitude": c.position.lon, "libelle": c.label
                    })
                }),
                lieux: r
                    .hits
                    .iter()
                    .map(|h| ApiPlace(&h.entry.place, h.distance_km))
                    .collect(),
            };
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
        // Twelve months without confirmation: flagged, never hidden (see pages::freshness).
        let stale =
            crate::pages::freshness::is_stale(&state, &stored.place.id, stored.place.date_maj)
                .await;
        map.insert("peut_etre_perime".into(), json!(stale));
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
