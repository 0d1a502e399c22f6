//! The one error type of the web layer, rendered as a French page with a next step (HTML) or
//! as a JSON object (API). Causes (SQL, I/O) are logged, never shown: a visitor sees what
//! happened in plain words and what to do next.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use crate::layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A page or place that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A parameter the visitor (or a re-user of the API) can fix; the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// A form sent without its anti-forgery token or with a stale one.
    #[error("le formulaire a expiré ; rechargez la page et envoyez-le à nouveau")]
    Forbidden,
    /// A signed-in person whose role does not open this page (the coordinator's space).
    #[error("{0}")]
    NotAllowed(String),
    #[error("trop de demandes en peu de temps ; réessayez dans quelques minutes")]
    TooManyRequests,
    /// The database failed; the cause is logged, not shown.
    #[error("le service est momentanément indisponible")]
    Unavailable(String),
}

impl From<maillage_store::StoreError> for WebError {
    fn from(e: maillage_store::StoreError) -> Self {
        match e {
            maillage_store::StoreError::NotFound(id) => {
                WebError::NotFound(format!("le lieu « {id} » n'existe pas ou plus"))
            }
            other => WebError::Unavailable(other.to_string()),
        }
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden | WebError::NotAllowed(_) => StatusCode::FORBIDDEN,
            WebError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            WebError::NotFound(_) => "Page introuvable",
            WebError::BadRequest(_) => "Recherche incomplète ou incorrecte",
            WebError::Forbidden => "Formulaire expiré",
            WebError::NotAllowed(_) => "Accès réservé",
            WebError::TooManyRequests => "Trop de demandes",
            WebError::Unavailable(_) => "Service momentanément indisponible",
        }
    }

    fn next_step(&self) -> &'static str {
        match self {
            WebError::NotFound(_) => {
                "Vérifiez l'adresse, ou cherchez le lieu depuis la page d'accueil."
            }
            WebError::BadRequest(_) => "Corrigez la recherche, ou repartez d'une recherche vide.",
            WebError::Forbidden => "Rechargez la page du lieu puis envoyez le formulaire.",
            WebError::NotAllowed(_) => {
                "Connectez-vous avec un compte de la coordination, ou demandez cet accès à l'équipe du département."
            }
            WebError::TooManyRequests => "Patientez quelques minutes puis réessayez.",
            WebError::Unavailable(_) => {
                "Réessayez dans quelques minutes. Si le problème dure, prévenez l'équipe du département."
            }
        }
    }

    fn log(&self) {
        if let WebError::Unavailable(cause) = self {
            tracing::error!(%cause, "erreur du service");
        }
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: String,
    next_step: &'a str,
    status: u16,
}

/// "le lieu…" → "Le lieu…" (messages are written to follow a colon in the API).
fn first_upper(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        let page = ErrorPage {
            layout: Layout::new(self.title(), ""),
            title: self.title(),
            message: first_upper(&self.to_string()),
            next_step: self.next_step(),
            status: self.status().as_u16(),
        };
        let body = askama::Template::render(&page).unwrap_or_else(|_| {
            // The error page itself failed to render: plain text, still French, still no cause.
            format!("{} — {}", self.title(), self.next_step())
        });
        (self.status(), Html(body)).into_response()
    }
}

/// The same error for the JSON API: `{"erreur": {"statut": 400, "message": "…"}}`.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let body = serde_json::json!({
            "erreur": { "statut": status.as_u16(), "message": self.0.to_string() }
        });
        (status, Json(body)).into_response()
    }
}
