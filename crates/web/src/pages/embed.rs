//! `/embed`: the widget a mairie pastes into its site (an iframe), pre-filtered by commune,
//! services and radius; and `/embed/generateur`, the page that writes the snippet. The widget
//! may be framed by any origin (no `X-Frame-Options`, no `frame-ancestors`), carries no
//! header or footer, and stays light: no script at all.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::error::WebError;
use crate::hours;
use crate::layout::{render, Layout};
use crate::pages::search::Form;
use crate::pages::ResultView;
use crate::query::SearchQuery;
use crate::AppState;

#[derive(Template)]
#[template(path = "embed.html")]
pub struct EmbedPage {
    pub layout: Layout,
    pub results: Vec<ResultView>,
    pub total: usize,
    pub heading: String,
    pub more_url: String,
}

/// `GET /embed?ou=…&services=…&rayon=…`.
pub async fn widget(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let mut q = SearchQuery::parse(raw.as_deref())?;
    if q.per_page == crate::query::DEFAULT_PER_PAGE {
        q.per_page = 10;
    }
    let index = state.index();
    let tours = state.tours();
    let now = hours::now_paris();
    let r = index.search(&q, now).map_err(WebError::BadRequest)?;
    let heading = match (&r.center, r.total) {
        (_, 0) => "Aucun lieu trouvé".to_string(),
        (Some(c), n) => format!(
            "{n} lieu{} d'aide au numérique autour de {}",
            if n > 1 { "x" } else { "" },
            c.label
        ),
        (None, n) => format!(
            "{n} lieu{} d'aide au numérique",
            if n > 1 { "x" } else { "" }
        ),
    };
    let qs = q.to_query(None);
    let mut layout = Layout::new(heading.clone(), "").embedded();
    // The host site's colours, when given and readable (else ours).
    if let Some(c) = crate::pages::legal::embed_colour_query(&state.config.identity, raw.as_deref())
    {
        layout.css_theme = format!("/embed/theme.css?{c}");
    }
    render(&EmbedPage {
        layout,
        results: r
            .hits
            .iter()
            .map(|h| ResultView::from_hit(h, now, tours.as_deref()))
            .collect(),
        total: r.total,
        heading,
        more_url: if qs.is_empty() {
            "/".into()
        } else {
            format!("/?{qs}")
        },
    })
}

#[derive(Template)]
#[template(path = "embed_generator.html")]
pub struct GeneratorPage {
    pub layout: Layout,
    pub form: Form,
    pub snippet: Option<String>,
    pub preview_url: Option<String>,
    /// The host site's colours as typed (shown back in the form).
    pub colour_primary: String,
    pub colour_secondary: String,
}

/// `GET /embed/generateur`: a form (commune, radius, services) that writes the iframe code.
pub async fn generator(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = SearchQuery::parse(raw.as_deref())?;
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    // Behind a proxy the scheme is in X-Forwarded-Proto; a local address is plain http.
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("http") => "http",
        Some(_) => "https",
        None if host.starts_with("127.")
            || host.starts_with("localhost")
            || host.starts_with('[') =>
        {
            "http"
        }
        None => "https",
    };
    let mut qs = q.to_query(None);
    if let Some(c) = crate::pages::legal::embed_colour_query(&state.config.identity, raw.as_deref())
    {
        qs = if qs.is_empty() {
            c
        } else {
            format!("{qs}&{c}")
        };
    }
    let (snippet, preview_url) = if raw.as_deref().is_some_and(|r| !r.is_empty()) {
        let src = format!(
            "/embed{}",
            if qs.is_empty() {
                String::new()
            } else {
                format!("?{qs}")
            }
        );
        (
            Some(format!(
                "<iframe src=\"{scheme}://{host}{}\" title=\"Lieux d'aide au numérique près de chez vous\" width=\"100%\" height=\"600\" style=\"border:0\" loading=\"lazy\"></iframe>",
                src.replace('&', "&amp;")
            )),
            Some(src),
        )
    } else {
        (None, None)
    };
    render(&GeneratorPage {
        layout: Layout::new("Intégrer l'annuaire à votre site", ""),
        form: Form::new(&q).with_epcis(&state.index()),
        snippet,
        preview_url,
        colour_primary: param(raw.as_deref(), "principale"),
        colour_secondary: param(raw.as_deref(), "secondaire"),
    })
}

fn param(raw: Option<&str>, key: &str) -> String {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
