//! What every page template shares: title, navigation, asset URLs and the territory's
//! identity. Each page struct has a `layout: Layout` field and its template
//! `{% extends "base.html" %}`; the base template draws the header (with skip links),
//! navigation and footer from it — our own components, or the State's DSFR header only under
//! the opt-in `etat` theme.

use std::sync::Arc;

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::assets;
use crate::error::WebError;
use crate::identity::{self, Identity, Theme};

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
    /// The DSFR stylesheet, only under the `etat` theme.
    pub css_dsfr: Option<String>,
    /// `/theme.css?v=…`: the configured colours.
    pub css_theme: String,
    pub css_app: String,
    pub css_print: String,
    pub js_app: String,
    /// Extra scripts for this page only (the map loads Leaflet only where it is shown).
    pub scripts: Vec<String>,
    pub styles: Vec<String>,
    /// A page inside a municipal site's iframe: no header, no footer.
    pub embedded: bool,
    /// Who runs the service (the request's configured identity).
    pub id: Arc<Identity>,
    /// The State's theme (DSFR header and Marianne block).
    pub etat: bool,
    /// The footer's links, every page (legal pages included).
    pub footer: &'static [(&'static str, &'static str)],
}

/// The main navigation, in order. A helper adding a section adds one line here.
const NAV: &[(&str, &str)] = &[
    ("/", "Rechercher"),
    ("/orientation", "Trouver la bonne aide"),
    ("/carte", "Carte"),
    ("/observatoire", "Observatoire"),
    ("/itinerance", "France Services itinérantes"),
    ("/api", "Données ouvertes"),
];

/// The footer's links: the pages a French public site must publish, and the open data.
pub const FOOTER: &[(&str, &str)] = &[
    ("/accessibilite", "Accessibilité : partiellement conforme"),
    ("/mentions-legales", "Mentions légales"),
    ("/donnees-personnelles", "Données personnelles"),
    ("/plan-du-site", "Plan du site"),
    ("/api", "Données ouvertes et API"),
    ("/embed/generateur", "Intégrer l'annuaire à votre site"),
    ("/imprimer", "Liste à imprimer"),
];

/// The theme stylesheet's URL, versioned by its content so a new colour is never cached stale.
pub fn theme_url(id: &Identity) -> String {
    let hash = Sha256::digest(id.stylesheet().as_bytes());
    format!("/theme.css?v={}", hex::encode(&hash[..6]))
}

impl Layout {
    /// `current` is the path of the navigation entry to mark as the current page ("" for none).
    pub fn new(title: impl Into<String>, current: &str) -> Layout {
        let id = identity::current();
        let etat = id.theme == Theme::Etat;
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
            favicon: if etat {
                assets::url("vendor/dsfr/favicon.svg")
            } else {
                assets::url("app/favicon.svg")
            },
            css_dsfr: etat.then(|| assets::url("vendor/dsfr/dsfr.css")),
            css_theme: theme_url(&id),
            css_app: assets::url("app/app.css"),
            css_print: assets::url("app/print.css"),
            js_app: assets::url("app/app.js"),
            scripts: Vec::new(),
            styles: Vec::new(),
            embedded: false,
            id,
            etat,
            footer: FOOTER,
        }
    }

    /// The full name for titles and headers ("Service — Opérateur").
    pub fn site_name(&self) -> String {
        self.id.full_name()
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
