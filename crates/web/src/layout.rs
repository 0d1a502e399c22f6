//! What every page template shares: title, navigation, asset URLs. Each page struct has a
//! `layout: Layout` field and its template `{% extends "base.html" %}`; the base template
//! draws the DSFR header (with skip links), navigation and footer from it.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::assets;
use crate::error::WebError;

/// One entry of the main navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The shared part of every page.
pub struct Layout {
    /// The page title (without the site name, added by the base template).
    pub title: String,
    pub nav: Vec<NavItem>,
    pub favicon: String,
    pub css_dsfr: String,
    pub css_app: String,
    pub css_print: String,
    pub js_app: String,
    /// Extra scripts for this page only (the map loads Leaflet only where it is shown).
    pub scripts: Vec<String>,
    pub styles: Vec<String>,
    /// A page inside a municipal site's iframe: no header, no footer.
    pub embedded: bool,
}

/// The main navigation, in order. A helper adding a section adds one line here.
const NAV: &[(&str, &str)] = &[
    ("/", "Rechercher"),
    ("/carte", "Carte"),
    ("/observatoire", "Observatoire"),
    ("/itinerance", "France Services itinérantes"),
    ("/api", "Données ouvertes"),
];

impl Layout {
    /// `current` is the path of the navigation entry to mark as the current page ("" for none).
    pub fn new(title: impl Into<String>, current: &str) -> Layout {
        Layout {
            title: title.into(),
            nav: NAV
                .iter()
                .map(|(href, label)| NavItem {
                    href,
                    label,
                    current: *href == current,
                })
                .collect(),
            favicon: assets::url("vendor/dsfr/favicon.svg"),
            css_dsfr: assets::url("vendor/dsfr/dsfr.css"),
            css_app: assets::url("app/app.css"),
            css_print: assets::url("app/print.css"),
            js_app: assets::url("app/app.js"),
            scripts: Vec::new(),
            styles: Vec::new(),
            embedded: false,
        }
    }

    pub fn with_script(mut self, path: &str) -> Layout {
        self.scripts.push(assets::url(path));
        self
    }

    pub fn with_style(mut self, path: &str) -> Layout {
        self.styles.push(assets::url(path));
        self
    }

    pub fn embedded(mut self) -> Layout {
        self.embedded = true;
        self
    }
}

/// Renders a page template into a response; a template failure becomes the error page.
pub fn render<T: Template>(page: &T) -> Result<Response, WebError> {
    page.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| WebError::Unavailable(format!("gabarit : {e}")))
}
