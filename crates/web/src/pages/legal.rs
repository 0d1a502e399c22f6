//! The pages a French public site must publish, linked from every footer (accessibility
//! statement, legal mentions with the data licence, personal data, site map), the page of our
//! components (`/composants`, hidden from navigation, checked by the browser suite like the
//! others), and the identity's files: the colours stylesheet and the logos.
//!
//! The personal-data page is generated from [`PERSONAL_DATA`], one entry per table of the store
//! that holds personal data. An engineer adding such a table adds its entry here; a test reads
//! the migrations and fails on a table that is neither listed here nor in [`NOT_PERSONAL`].

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::WebError;
use crate::identity::{self, Colour};
use crate::layout::{render, Layout, FOOTER};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accessibilite", get(accessibility))
        .route("/mentions-legales", get(mentions))
        .route("/donnees-personnelles", get(personal_data))
        .route("/plan-du-site", get(sitemap))
        .route("/composants", get(components))
        .route("/theme.css", get(theme_css))
        .route("/embed/theme.css", get(embed_theme_css))
        .route("/identite/logo", get(logo))
        .route("/identite/partenaires/{n}", get(partner_logo))
}

/// One table of the store holding personal data.
pub struct PersonalTable {
    pub table: &'static str,
    /// What is kept, in plain words.
    pub what: &'static str,
    pub why: &'static str,
    pub how_long: &'static str,
    /// Who sees it.
    pub who: &'static str,
}

/// Every table holding personal data. Add an entry with the migration that creates the table.
pub const PERSONAL_DATA: &[PersonalTable] = &[
    PersonalTable {
        table: "place_reports",
        what: "Les signalements d'erreur envoyés depuis la fiche d'un lieu : le message, et votre courriel ou téléphone si vous avez choisi de le donner (facultatif).",
        why: "Corriger la fiche du lieu, et vous répondre si vous l'avez demandé.",
        how_long: "Jusqu'au traitement du signalement par l'équipe, puis effacés 90 jours après leur envoi.",
        who: "L'équipe qui tient l'annuaire (modération).",
    },
    PersonalTable {
        table: "home_visits",
        what: "Les demandes de visite à domicile du bus France Services faites par un partenaire (France Services, mairie, maison départementale des solidarités) pour une personne qui ne peut pas se déplacer : nom ou initiales, téléphone, adresse, motif.",
        why: "Venir aider la personne chez elle.",
        how_long: "Les données personnelles sont effacées un temps fixé après la visite ; la demande reste, anonyme, pour les chiffres d'activité.",
        who: "Les agents du bus France Services et le partenaire qui a fait la demande.",
    },
    PersonalTable {
        table: "accounts",
        what: "Les comptes des personnes qui tiennent l'annuaire (structures, agents, coordination) : adresse électronique, rôle, territoire, et le mot de passe s'il a été choisi (sous forme chiffrée, jamais en clair).",
        why: "Vous permettre de mettre à jour la fiche de votre structure et de modérer.",
        how_long: "Jusqu'à la suppression du compte, que vous pouvez demander vous-même depuis « Mon espace ».",
        who: "Vous, et l'équipe de coordination de votre territoire.",
    },
    PersonalTable {
        table: "account_places",
        what: "Les lieux que chaque compte peut modifier.",
        why: "Vérifier que seule la structure concernée modifie sa fiche.",
        how_long: "Effacé avec le compte.",
        who: "L'équipe de coordination.",
    },
    PersonalTable {
        table: "signin_tokens",
        what: "Les liens de connexion à usage unique (valables 15 minutes) et les jetons des formulaires, rattachés à un compte ; seule une empreinte du lien est gardée.",
        why: "Vous connecter sans mot de passe, et protéger les formulaires.",
        how_long: "Effacés dès qu'ils ont servi ou expiré (purge toutes les 6 heures), et avec le compte.",
        who: "Personne : le logiciel seul s'en sert.",
    },
    PersonalTable {
        table: "sessions",
        what: "Les sessions ouvertes (12 heures), rattachées à un compte ; seule une empreinte de l'identifiant est gardée.",
        why: "Rester connecté d'une page à l'autre.",
        how_long: "Effacées à la déconnexion, à leur expiration (purge toutes les 6 heures) ou avec le compte.",
        who: "Personne : le logiciel seul s'en sert.",
    },
    PersonalTable {
        table: "outbox",
        what: "Les courriels à envoyer ou envoyés (liens de connexion, rappels, réponses de modération) : l'adresse du destinataire et le texte.",
        why: "Envoyer chaque message une fois, même si le serveur redémarre.",
        how_long: "Effacés 30 jours après leur envoi.",
        who: "L'équipe technique.",
    },
    PersonalTable {
        table: "freshness_digests",
        what: "Le mois où chaque compte de structure a reçu la synthèse de ses fiches à confirmer.",
        why: "N'envoyer cette synthèse qu'une fois par mois.",
        how_long: "Effacé avec le compte.",
        who: "Personne : le logiciel seul s'en sert.",
    },
    PersonalTable {
        table: "changes",
        what: "Les modifications de fiches proposées, avec l'identifiant du compte qui les propose et le message de modération.",
        why: "Modérer les modifications et garder l'historique de chaque fiche.",
        how_long: "L'auteur est effacé quand son compte est supprimé ; la modification reste, anonyme.",
        who: "L'équipe de coordination.",
    },
    PersonalTable {
        table: "place_history",
        what: "L'historique des modifications des fiches, avec l'identifiant du compte auteur.",
        why: "Savoir qui a changé quoi et pouvoir revenir en arrière.",
        how_long: "L'auteur est effacé quand son compte est supprimé.",
        who: "L'équipe de coordination.",
    },
    PersonalTable {
        table: "audit_log",
        what: "Le journal des connexions, des changements de droits et des décisions de modération, avec l'identifiant du compte.",
        why: "La sécurité du service.",
        how_long: "Le compte est effacé du journal quand il est supprimé.",
        who: "Les administrateurs.",
    },
    PersonalTable {
        table: "bookings",
        what: "Les rendez-vous pris en ligne ou par un agent : le nom, et le téléphone ou le courriel donné pour être recontacté ; après le rendez-vous, si la personne est venue, absente ou excusée.",
        why: "Vous recevoir au créneau choisi, vous envoyer la confirmation et un rappel deux jours avant (par courriel, ou par SMS sans courriel).",
        how_long: "Le nom et les coordonnées sont effacés automatiquement 30 jours après le rendez-vous ; le rendez-vous reste, anonyme, pour les chiffres d'activité.",
        who: "Les agents du lieu où le rendez-vous est pris.",
    },
    PersonalTable {
        table: "tour_events",
        what: "Les événements des tournées : fermetures de salles, labellisations, et les congés des agents des bus (l'identifiant ou le nom de l'agent donné par la coordination, et les dates).",
        why: "Établir le calendrier des passages.",
        how_long: "Tant que le calendrier qui en dépend est publié ; à retirer par la coordination ensuite (pas encore d'effacement automatique).",
        who: "L'équipe de coordination des tournées.",
    },
    PersonalTable {
        table: "import_runs",
        what: "Les fichiers importés depuis l'espace de coordination, avec l'identifiant du compte qui les a déposés et appliqués.",
        why: "Savoir qui a importé quel fichier, et quand.",
        how_long: "L'auteur est effacé quand son compte est supprimé ; la ligne d'historique reste, anonyme. Le fichier déposé est effacé du serveur dès qu'il est appliqué.",
        who: "L'équipe de coordination.",
    },
];

/// Tables of the store that hold no personal data, with the reason (the test requires every
/// table of the migrations to be in one list or the other).
pub const NOT_PERSONAL: &[(&str, &str)] = &[
    (
        "places",
        "fiches publiques des lieux (structures, pas des personnes)",
    ),
    (
        "place_sources",
        "fiches des lieux telles que publiées par leurs sources",
    ),
    ("place_aliases", "anciens identifiants des lieux fusionnés"),
    ("keep_apart", "lieux à ne pas fusionner"),
    ("imports", "journal des imports de fichiers publics"),
    ("communes", "référentiel des communes"),
    ("epcis", "référentiel des intercommunalités"),
    ("freshness", "dates de confirmation des fiches des lieux"),
    (
        "territory_moderation",
        "mode de modération choisi par chaque territoire",
    ),
    ("tour_sites", "lieux de passage des bus (mairies, salles)"),
    ("tour_vehicles", "véhicules des tournées et leur base"),
    ("tour_plan", "plan de tournée proposé"),
    ("tour_publications", "calendriers publiés des tournées"),
    ("booking_slots", "créneaux ouverts à la réservation"),
];

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    layout: Layout,
}

/// `/accessibilite`: the accessibility statement in the RGAA's form.
pub async fn accessibility() -> Result<Response, WebError> {
    render(&AccessibilityPage {
        layout: Layout::new("Accessibilité", ""),
    })
}

#[derive(Template)]
#[template(path = "mentions.html")]
struct MentionsPage {
    layout: Layout,
}

/// `/mentions-legales`: publisher, director of publication, host and the data licence.
pub async fn mentions() -> Result<Response, WebError> {
    render(&MentionsPage {
        layout: Layout::new("Mentions légales", ""),
    })
}

#[derive(Template)]
#[template(path = "personal_data.html")]
struct PersonalDataPage {
    layout: Layout,
    tables: &'static [PersonalTable],
}

/// `/donnees-personnelles`: generated from [`PERSONAL_DATA`].
pub async fn personal_data() -> Result<Response, WebError> {
    render(&PersonalDataPage {
        layout: Layout::new("Données personnelles", ""),
        tables: PERSONAL_DATA,
    })
}

#[derive(Template)]
#[template(path = "sitemap.html")]
struct SitemapPage {
    layout: Layout,
    footer: &'static [(&'static str, &'static str)],
}

/// `/plan-du-site`: the navigation and the footer's pages.
pub async fn sitemap() -> Result<Response, WebError> {
    render(&SitemapPage {
        layout: Layout::new("Plan du site", ""),
        footer: FOOTER,
    })
}

#[derive(Template)]
#[template(path = "components.html")]
struct ComponentsPage {
    layout: Layout,
}

/// `/composants`: every component of the design system on one page (not in the navigation).
pub async fn components() -> Result<Response, WebError> {
    render(&ComponentsPage {
        layout: Layout::new("Composants", ""),
    })
}

fn css(body: String, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

/// `/theme.css?v=…`: the configured colours (the URL carries a hash of its content).
pub async fn theme_css(State(state): State<AppState>) -> Response {
    css(
        state.config.identity.stylesheet(),
        "public, max-age=31536000, immutable",
    )
}

#[derive(serde::Deserialize)]
pub struct EmbedColours {
    #[serde(default)]
    principale: String,
    #[serde(default)]
    secondaire: String,
}

/// The colours of an embedded widget: the host site's when given and readable, else ours.
pub fn embed_colours(id: &identity::Identity, primary: &str, secondary: &str) -> (Colour, Colour) {
    let p = Colour::parse(primary)
        .and_then(|c| identity::check_primary(c).ok())
        .unwrap_or(id.primary);
    let s = Colour::parse(secondary)
        .and_then(|c| identity::check_secondary(c).ok())
        .unwrap_or(id.secondary);
    (p, s)
}

/// The widget's colour parameters of a query string, checked (each falls back to ours), as
/// the query of `/embed/theme.css`; `None` when the host site gave no colour.
pub fn embed_colour_query(id: &identity::Identity, raw: Option<&str>) -> Option<String> {
    let (mut primary, mut secondary) = (None, None);
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "principale" if !v.is_empty() => primary = Some(v.into_owned()),
            "secondaire" if !v.is_empty() => secondary = Some(v.into_owned()),
            _ => {}
        }
    }
    if primary.is_none() && secondary.is_none() {
        return None;
    }
    let (p, s) = embed_colours(
        id,
        primary.as_deref().unwrap_or(""),
        secondary.as_deref().unwrap_or(""),
    );
    Some(format!(
        "principale={}&secondaire={}",
        &p.hex()[1..],
        &s.hex()[1..]
    ))
}

/// `/embed/theme.css?principale=rrggbb&secondaire=rrggbb`: the host site's colours for the
/// widget, each checked for contrast (an unreadable or malformed colour falls back to ours).
pub async fn embed_theme_css(State(state): State<AppState>, q: Query<EmbedColours>) -> Response {
    let (p, s) = embed_colours(&state.config.identity, &q.principale, &q.secondaire);
    css(identity::theme_css(p, s), "public, max-age=86400")
}

fn image(img: Option<&identity::Image>) -> Response {
    match img {
        Some(i) => (
            [
                (header::CONTENT_TYPE, i.content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            i.bytes.as_ref().clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "pas de logo configuré").into_response(),
    }
}

/// `/identite/logo`: the configured logo file.
pub async fn logo(State(state): State<AppState>) -> Response {
    image(state.config.identity.logo.as_ref())
}

/// `/identite/partenaires/{n}`: the n-th partner's logo (from 0).
pub async fn partner_logo(State(state): State<AppState>, Path(n): Path<usize>) -> Response {
    image(
        state
            .config
            .identity
            .partners
            .get(n)
            .and_then(|p| p.logo.as_ref()),
    )
}
