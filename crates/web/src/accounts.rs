//! Who is signed in, and what they may do: the session cookie (read from the database on
//! every request, so several app servers share sessions), the one-time tokens (sign-in links
//! and the anti-forgery tokens of signed-in forms), the sign-in rate limits and the
//! permission rules (an editor edits their places; a coordinator moderates the places of
//! their territory; an admin everything).
//!
//! Why the anti-forgery tokens of signed-in forms live in the database (the `signin_tokens`
//! table, purpose [`FORM_PURPOSE`], bound to the session) rather than in a keyed hash like the
//! public report form's: they must be single use, and any app server must accept a token
//! another one issued.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maillage_model::Place;
use maillage_store::accounts::{Account, AccountStore, Role, SigninToken};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::WebError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "maillage_session";
/// The anti-forgery cookie of the sign-in form (no session yet).
pub const SIGNIN_CSRF_COOKIE: &str = "maillage_jeton_connexion";
pub const FORM_PURPOSE: &str = "formulaire";
/// A sign-in link is valid this long.
pub const LINK_MINUTES: i64 = 15;
pub const SESSION_HOURS: i64 = 12;
const FORM_TOKEN_HOURS: i64 = 4;

/// Settings and counters of the accounts part of the site.
pub struct AccountsConfig {
    /// `MAILLAGE_PUBLIC_URL`: the start of every link in an email.
    pub public_url: String,
    /// Cookies get `Secure` when the site is served over HTTPS.
    pub secure_cookies: bool,
    pub limiter: Limiter,
    /// The coordinator's uploads (issue 14): the largest file accepted
    /// (`MAILLAGE_IMPORT_MAX_MO`, 200 Mo by default) and where uploads wait for their dry run
    /// (`MAILLAGE_IMPORT_DIR`, a folder of the system's temporary directory by default).
    pub upload_max_bytes: u64,
    pub upload_dir: std::path::PathBuf,
}

impl AccountsConfig {
    pub fn new(public_url: &str) -> AccountsConfig {
        let public_url = public_url.trim_end_matches('/').to_string();
        AccountsConfig {
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            limiter: Limiter::default(),
            upload_max_bytes: std::env::var("MAILLAGE_IMPORT_MAX_MO")
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(200)
                * 1024
                * 1024,
            upload_dir: std::env::var_os("MAILLAGE_IMPORT_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("maillage-imports")),
        }
    }

    pub fn from_env() -> AccountsConfig {
        AccountsConfig::new(
            &std::env::var("MAILLAGE_PUBLIC_URL")
                .unwrap_or_else(|_| "http://localhost:8080".into()),
        )
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    /// A `Set-Cookie` value with the site's flags.
    pub fn cookie(&self, name: &str, value: &str, path: &str, max_age: i64) -> String {
        format!(
            "{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
            if self.secure_cookies { "; Secure" } else { "" }
        )
    }
}

/// Sliding-window counters per key (an address, an email): how sign-in requests are limited.
#[derive(Default)]
pub struct Limiter {
    hits: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    /// Records one hit on `key`; `Err(wait)` when `max` hits happened within `window`.
    pub fn hit(&self, key: &str, max: usize, window: Duration) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = match self.hits.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if map.len() > 50_000 {
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < window));
        }
        let times = map.entry(key.to_string()).or_default();
        times.retain(|t| now.duration_since(*t) < window);
        if times.len() >= max {
            let oldest = times.first().copied().unwrap_or(now);
            return Err(window.saturating_sub(now.duration_since(oldest)));
        }
        times.push(now);
        Ok(())
    }
}

/// A 429 page with `Retry-After`.
pub fn too_many(wait: Duration) -> Response {
    let mut response = WebError::TooManyRequests.into_response();
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// 32 random bytes from the operating system, in hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored in place of a token or session id.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn store(state: &AppState) -> Result<&dyn AccountStore, WebError> {
    state
        .store
        .accounts()
        .ok_or_else(|| WebError::Unavailable("ce stockage ne garde pas les comptes".into()))
}

/// The person signed in for this request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub account: Account,
    pub session_hash: String,
}

pub async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, WebError> {
    let Some(id) = crate::security::cookie(headers, SESSION_COOKIE).filter(|c| c.len() == 64)
    else {
        return Ok(None);
    };
    let session_hash = hash(&id);
    Ok(store(state)?
        .session_account(&session_hash, Utc::now())
        .await?
        .map(|account| Viewer {
            account,
            session_hash,
        }))
}

/// The viewer, or a redirect to the sign-in page.
pub async fn require(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Response> {
    match viewer(state, headers).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(Redirect::to("/connexion").into_response()),
        Err(e) => Err(e.into_response()),
    }
}

/// The signed-in person, as a handler's argument: a request without a live session is sent
/// to the sign-in page before the handler runs. Why an extractor: every page of the space and
/// of moderation starts with this check, and written once it cannot be forgotten or drift.
pub struct SignedIn(pub Viewer);

impl axum::extract::FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        require(state, &parts.headers).await.map(SignedIn)
    }
}

/// The body of a form, or a French 400 that says what to do (a truncated or garbled body).
pub fn form_body<T>(
    form: Result<axum::extract::Form<T>, axum::extract::rejection::FormRejection>,
) -> Result<T, WebError> {
    form.map(|axum::extract::Form(f)| f).map_err(|_| {
        WebError::BadRequest("le formulaire envoyé est illisible ; rechargez la page".into())
    })
}

/// Issues a single-use anti-forgery token for a form of this session.
pub async fn form_token(state: &AppState, viewer: &Viewer) -> Result<String, WebError> {
    let token = random_token();
    store(state)?
        .add_token(&SigninToken {
            token_hash: hash(&token),
            account_id: viewer.account.id,
            purpose: FORM_PURPOSE.into(),
            place_id: Some(viewer.session_hash.clone()),
            expires_at: Utc::now() + chrono::Duration::hours(FORM_TOKEN_HOURS),
        })
        .await?;
    Ok(token)
}

/// Uses a form token once; [`WebError::Forbidden`] unless it was issued to this session and
/// not used yet.
pub async fn check_form_token(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
) -> Result<(), WebError> {
    if token.len() != 64 {
        return Err(WebError::Forbidden);
    }
    match store(state)?.use_token(&hash(token), Utc::now()).await? {
        Some(t)
            if t.purpose == FORM_PURPOSE
                && t.account_id == viewer.account.id
                && t.place_id.as_deref() == Some(viewer.session_hash.as_str()) =>
        {
            Ok(())
        }
        _ => Err(WebError::Forbidden),
    }
}

/// Whether a place lies in a territory: a département code (`82`, `2A`, `971`) or an EPCI
/// SIREN (9 digits, looked up through the commune referential).
pub async fn in_territory(state: &AppState, territory: &str, place: &Place) -> bool {
    if territory.len() <= 3 {
        return place.departement() == Some(territory);
    }
    let Some(code) = place.code_insee.as_deref() else {
        return false;
    };
    if let Some(r) = &state.referential {
        if let Some(c) = r.communes.iter().find(|c| c.code == code) {
            return c.epci.as_deref() == Some(territory);
        }
    }
    match state.store.communes(place.departement()).await {
        Ok(communes) => communes
            .iter()
            .any(|c| c.code == code && c.epci.as_deref() == Some(territory)),
        Err(_) => false,
    }
}

/// Whether an account may moderate changes of a place (and change it directly).
pub async fn can_moderate(state: &AppState, account: &Account, place: &Place) -> bool {
    match account.role {
        Role::Admin => true,
        Role::Coordinateur => match &account.territory {
            Some(t) => in_territory(state, t, place).await,
            None => false,
        },
        Role::Editeur | Role::Agent => false,
    }
}

/// Whether an account may propose changes to a place: its editors, and its moderators.
pub async fn can_edit(state: &AppState, account: &Account, place: &Place) -> bool {
    account.places.contains(&place.id) || can_moderate(state, account, place).await
}

/// A 303 to `to` (after a POST).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_counts_per_key_and_says_how_long_to_wait() {
        let l = Limiter::default();
        let w = Duration::from_secs(600);
        assert!(l.hit("a", 2, w).is_ok());
        assert!(l.hit("a", 2, w).is_ok());
        let wait = l.hit("a", 2, w).expect_err("limité");
        assert!(wait <= w && wait > Duration::from_secs(590), "{wait:?}");
        assert!(l.hit("b", 2, w).is_ok());
    }

    #[test]
    fn cookies_are_secure_over_https_only() {
        let c = AccountsConfig::new("https://annuaire.exemple.fr/");
        assert_eq!(
            c.link("/connexion/x"),
            "https://annuaire.exemple.fr/connexion/x"
        );
        assert!(c.cookie("s", "v", "/", 60).ends_with("; Secure"));
        let plain = AccountsConfig::new("http://localhost:8080").cookie("s", "v", "/", 60);
        assert!(plain.contains("HttpOnly; SameSite=Lax") && !plain.contains("Secure"));
        assert_ne!(random_token(), random_token());
        assert_eq!(hash("x").len(), 64);
    }
}
