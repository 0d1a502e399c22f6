//! Every route of the site, in one place. A section added by another helper is one line here
//! (its handlers live in `pages/<section>.rs`).

use axum::routing::{delete, get, post};
use axum::Router;

use crate::{api, assets, booking, pages, security, AppState};

pub fn router(state: AppState) -> Router {
    // The open API: GET only, readable from any origin (CORS).
    let api = Router::new()
        .route("/api/v1/lieux", get(api::list))
        .route("/api/v1/lieux/{id}", get(api::one))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/creneaux", get(booking::list))
        .layer(security::cors());

    Router::new()
        .route("/", get(pages::search::page))
        .route("/lieux/{id}", get(pages::place::page))
        .route("/lieux/{id}/signaler", post(pages::place::report))
        .route("/carte", get(pages::map::page))
        .route("/carte/lieux.json", get(pages::map::points))
        .route("/embed", get(pages::embed::widget))
        .route("/embed/generateur", get(pages::embed::generator))
        .route("/imprimer", get(pages::print::page))
        .route("/api", get(api::docs))
        .merge(pages::legal::routes()) // legal pages, /composants, /theme.css, logos
        .route("/healthz", get(api::healthz))
        .route("/static/{version}/{*path}", get(assets::serve))
        .merge(pages::observatoire::routes()) // /observatoire…: territory helper
        .route("/itinerance", get(pages::itinerance::page))
        .route("/itinerance/calendrier.ics", get(pages::itinerance::ics))
        .route("/itinerance/affiche", get(pages::itinerance::poster))
        .route(
            "/itinerance/affiche.css",
            get(pages::itinerance::poster_css),
        )
        .merge(pages::account::routes()) // /connexion, /espace, /moderation: accounts helper
        .merge(pages::coordination::routes()) // /coordination…: the coordinator's space
        .merge(api)
        // Booking (issue 15): writes stay outside the CORS layer, so other sites cannot book.
        .route("/api/v1/creneaux/{id}/reservations", post(booking::book))
        .route("/api/v1/reservations/{jeton}", delete(booking::cancel))
        .route("/lieux/{id}/reserver", post(pages::booking::book))
        .route("/orientation", get(pages::orientation::page))
        .route("/espace/agenda", get(pages::agenda::page))
        .route("/espace/agenda/presence", post(pages::agenda::attendance))
        .route("/espace/agenda/reserver", post(pages::agenda::book))
        .route("/reservation/{jeton}", get(pages::booking::page))
        .route("/reservation/{jeton}/annuler", post(pages::booking::cancel))
        .route(
            "/reservation/{jeton}/rendez-vous.ics",
            get(pages::booking::ics),
        )
        .fallback(pages::not_found)
        // The configured identity, for the layout of every page (error pages included).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::identity::scope,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}
