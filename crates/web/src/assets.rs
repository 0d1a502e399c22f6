//! Static files (our design system's CSS and JS, Leaflet, and the DSFR for the opt-in State
//! theme only) embedded in the binary and served under content-hashed URLs, so browsers cache
//! them for a year and never see a stale file. The configured colours are not here: they are
//! generated at start (`/theme.css`, see `identity.rs`).
//!
//! All files share one version segment, the hash of every embedded byte:
//! `/static/<hash>/dsfr/dsfr.css`. One shared segment (rather than one hash per file) keeps the
//! relative `url(fonts/…)` and `url(icons/…)` inside the vendored DSFR CSS working unchanged.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// The embedded files and their shared version.
pub struct Assets {
    pub version: String,
    files: HashMap<&'static str, &'static [u8]>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let mut hasher = Sha256::new();
    let mut files = HashMap::new();
    for (path, bytes) in embedded::FILES {
        hasher.update(path.as_bytes());
        hasher.update(bytes);
        files.insert(*path, *bytes);
    }
    let version = hex::encode(&hasher.finalize()[..6]);
    Assets { version, files }
});

/// The public URL of an embedded file (`app/app.css` → `/static/3fa2…/app/app.css`).
pub fn url(path: &str) -> String {
    format!("/static/{}/{}", ASSETS.version, path)
}

/// The bytes of an embedded file, for tests and for inlining nothing (CSP forbids inline).
pub fn get(path: &str) -> Option<&'static [u8]> {
    ASSETS.files.get(path).copied()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "geojson" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// `GET /static/{version}/{*path}`.
pub async fn serve(Path((version, path)): Path<(String, String)>) -> Response {
    let Some(bytes) = get(&path) else {
        return (StatusCode::NOT_FOUND, "fichier introuvable").into_response();
    };
    // An old version segment still gets the file (a page cached before a deploy), but must
    // not be cached for long under a URL that now means something else.
    let cache = if version == ASSETS.version {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
