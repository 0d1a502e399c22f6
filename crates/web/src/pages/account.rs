//! Signing in and out, and the signed-in person's space: `/connexion` (an email address → a
//! one-time link, the same answer whether an account exists or not), `/connexion/{jeton}`
//! (the link: single use, 15 minutes, opens a new session), `POST /deconnexion`, `/espace`
//! (my places, what waits, what is due) and the person's own data (download, delete).

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maillage_store::accounts::{
    Account, Role, SigninToken, CHANGE_PENDING, TOKEN_CLAIM, TOKEN_CONFIRM, TOKEN_SIGNIN,
};
use serde::Deserialize;

use crate::accounts::{self as acc, SignedIn};
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::AppState;

/// Sign-in requests allowed per email and per address within [`SIGNIN_WINDOW`].
pub const SIGNIN_PER_EMAIL: usize = 3;
pub const SIGNIN_PER_ADDRESS: usize = 10;
pub const SIGNIN_WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(askama::Template)]
#[template(path = "connexion.html")]
struct SigninPage {
    layout: Layout,
    token: String,
    email: String,
    sent: bool,
    /// Back from an old "toujours exact" link: the listing is confirmed, no session opened.
    confirmed: bool,
    error: Option<String>,
}

/// A "toujours exact" link confirms for this long (a reminder is read days later); it opens
/// a session only within the sign-in links' own minutes, so an old email never signs anyone in.
const CONFIRM_LINK_DAYS: i64 = 30;

fn client_ip(headers_ext: &axum::http::Extensions) -> String {
    headers_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// The anti-forgery cookie of the sign-in form (double submit, like the report form).
fn signin_csrf(state: &AppState, headers: &HeaderMap) -> (String, bool) {
    match crate::security::cookie(headers, acc::SIGNIN_CSRF_COOKIE).filter(|c| c.len() == 32) {
        Some(c) => (c, false),
        None => (state.security.new_cookie_value(), true),
    }
}

fn with_signin_cookie(state: &AppState, mut response: Response, value: &str) -> Response {
    let cookie = state
        .accounts
        .cookie(acc::SIGNIN_CSRF_COOKIE, value, "/connexion", 3600);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn signin_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, WebError> {
    let (cookie, set) = signin_csrf(&state, &headers);
    let page = SigninPage {
        layout: Layout::new("Connexion", ""),
        token: state.security.form_token(&cookie),
        email: String::new(),
        sent: false,
        confirmed: raw.as_deref() == Some("fiche=confirmee"),
        error: None,
    };
    let response = render(&page)?;
    Ok(if set {
        with_signin_cookie(&state, response, &cookie)
    } else {
        response
    })
}

#[derive(Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    mot_de_passe: String,
}

pub async fn signin_send(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    form: Result<Form<SigninForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let form = acc::form_body(form)?;
    let cookie =
        crate::security::cookie(&parts.headers, acc::SIGNIN_CSRF_COOKIE).unwrap_or_default();
    if !state.security.check(&cookie, &form.jeton) {
        return Err(WebError::Forbidden);
    }
    let email = maillage_store::accounts::normalise_email(&form.email);
    let mut page = SigninPage {
        layout: Layout::new("Connexion", ""),
        token: state.security.form_token(&cookie),
        email: email.chars().take(200).collect(),
        sent: false,
        confirmed: false,
        error: None,
    };
    if !email.contains('@') || email.len() > 200 {
        page.error =
            Some("Saisissez une adresse de courriel complète, par exemple nom@exemple.fr.".into());
        let mut r = render(&page)?;
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let limiter = &state.accounts.limiter;
    if let Err(wait) = limiter
        .hit(
            &format!("ip:{}", client_ip(&parts.extensions)),
            SIGNIN_PER_ADDRESS,
            SIGNIN_WINDOW,
        )
        .and_then(|_| limiter.hit(&format!("email:{email}"), SIGNIN_PER_EMAIL, SIGNIN_WINDOW))
    {
        return Ok(acc::too_many(wait));
    }
    let store = acc::store(&state)?;
    let account = store
        .account_by_email(&email)
        .await?
        .filter(|a| !a.disabled);
    if !form.mot_de_passe.is_empty() {
        // Password sign-in: the same vague answer for a wrong password and an unknown email.
        if let Some(a) = account
            .as_ref()
            .filter(|a| password_matches(a, &form.mot_de_passe))
        {
            return open_session(&state, &parts.headers, a, "mot de passe").await;
        }
        page.error = Some("Adresse ou mot de passe incorrect. Vous pouvez aussi demander un lien de connexion en laissant le mot de passe vide.".into());
        let mut r = render(&page)?;
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    if let Some(account) = account {
        send_link(&state, &account, TOKEN_SIGNIN, None).await?;
    }
    page.sent = true;
    render(&page)
}

fn password_matches(account: &Account, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let Some(stored) = account.password_hash.as_deref() else {
        return false;
    };
    PasswordHash::new(stored)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// An argon2 hash of a password (for `maillage compte` and the space's password form).
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Creates a one-time link and queues the email that carries it.
pub async fn send_link(
    state: &AppState,
    account: &Account,
    purpose: &str,
    place: Option<(&str, &str)>,
) -> Result<(), WebError> {
    let token = acc::random_token();
    let store = acc::store(state)?;
    let lifetime = if purpose == TOKEN_CONFIRM {
        chrono::Duration::days(CONFIRM_LINK_DAYS)
    } else {
        chrono::Duration::minutes(acc::LINK_MINUTES)
    };
    store
        .add_token(&SigninToken {
            token_hash: acc::hash(&token),
            account_id: account.id,
            purpose: purpose.into(),
            place_id: place.map(|(id, _)| id.to_string()),
            expires_at: Utc::now() + lifetime,
        })
        .await?;
    let link = state.accounts.link(&format!("/connexion/{token}"));
    let (subject, body) = match (purpose, place) {
        (TOKEN_CLAIM, Some((_, nom))) => (
            format!("Gérer la fiche « {nom} »"),
            format!(
                "Bonjour,\n\nQuelqu'un a demandé à gérer la fiche « {nom} » de l'annuaire de l'inclusion numérique, avec cette adresse de courriel.\n\nPour la gérer, ouvrez ce lien dans les {} minutes :\n{link}\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n",
                acc::LINK_MINUTES
            ),
        ),
        (TOKEN_CONFIRM, Some((_, nom))) => (
            format!("La fiche « {nom} » est-elle toujours exacte ?"),
            format!(
                "Bonjour,\n\nLa fiche « {nom} » doit être confirmée. Si elle est toujours exacte, un clic suffit :\n{link}\n\nSinon, ce lien vous connecte aussi pour la modifier, pendant {} minutes (il reste valable {CONFIRM_LINK_DAYS} jours pour confirmer).\n",
                acc::LINK_MINUTES
            ),
        ),
        _ => (
            "Votre lien de connexion".to_string(),
            format!(
                "Bonjour,\n\nVoici votre lien pour vous connecter à l'annuaire de l'inclusion numérique. Il ne sert qu'une fois, pendant {} minutes :\n{link}\n\nSi vous n'avez rien demandé, ignorez ce message.\n",
                acc::LINK_MINUTES
            ),
        ),
    };
    store.enqueue_email(&account.email, &subject, &body).await?;
    Ok(())
}

/// Opens a new session (a new id: a session id known before sign-in is never reused) and
/// closes the one the browser had, if any.
async fn open_session(
    state: &AppState,
    headers: &HeaderMap,
    account: &Account,
    how: &str,
) -> Result<Response, WebError> {
    let store = acc::store(state)?;
    if let Some(old) = crate::security::cookie(headers, acc::SESSION_COOKIE) {
        store.delete_session(&acc::hash(&old)).await?;
    }
    let id = acc::random_token();
    store
        .create_session(
            &acc::hash(&id),
            account.id,
            Utc::now() + chrono::Duration::hours(acc::SESSION_HOURS),
        )
        .await?;
    store.audit(Some(account.id), "connexion", how).await?;
    let mut response = acc::see_other("/espace");
    let cookie = state
        .accounts
        .cookie(acc::SESSION_COOKIE, &id, "/", acc::SESSION_HOURS * 3600);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

pub async fn signin_link(
    State(state): State<AppState>,
    Path(jeton): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let expired = || {
        WebError::NotFound(
            "ce lien de connexion a déjà servi ou a expiré ; demandez-en un nouveau depuis la page Connexion".into(),
        )
    };
    if jeton.len() != 64 {
        return Err(expired());
    }
    let store = acc::store(&state)?;
    let token = store
        .use_token(&acc::hash(&jeton), Utc::now())
        .await?
        .filter(|t| t.purpose != acc::FORM_PURPOSE)
        .ok_or_else(expired)?;
    let account = store
        .account(token.account_id)
        .await?
        .filter(|a| !a.disabled)
        .ok_or_else(expired)?;
    let mut how = "lien".to_string();
    match (token.purpose.as_str(), token.place_id.as_deref()) {
        (TOKEN_CLAIM, Some(place)) => {
            store.add_account_place(account.id, place).await?;
            store
                .audit(
                    Some(account.id),
                    "droits",
                    &format!("fiche revendiquée : {place}"),
                )
                .await?;
            how = format!("lien de revendication ({place})");
        }
        (TOKEN_CONFIRM, Some(place)) => {
            crate::pages::freshness::confirm(&state, place, Some(account.id)).await?;
            how = format!("lien « toujours exact » ({place})");
            let sent_at = token.expires_at - chrono::Duration::days(CONFIRM_LINK_DAYS);
            if Utc::now() - sent_at > chrono::Duration::minutes(acc::LINK_MINUTES) {
                store.audit(Some(account.id), "confirmation", &how).await?;
                return Ok(acc::see_other("/connexion?fiche=confirmee"));
            }
        }
        _ => {}
    }
    open_session(&state, &headers, &account, &how).await
}

#[derive(Deserialize)]
pub struct TokenOnly {
    #[serde(default)]
    jeton: String,
}

pub async fn signout(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    form: Result<Form<TokenOnly>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(|_| WebError::Forbidden)?;
    acc::check_form_token(&state, &viewer, &form.jeton).await?;
    let store = acc::store(&state)?;
    store.delete_session(&viewer.session_hash).await?;
    store
        .audit(Some(viewer.account.id), "deconnexion", "")
        .await?;
    let mut response = acc::see_other("/connexion");
    let cookie = state.accounts.cookie(acc::SESSION_COOKIE, "", "/", 0);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// One of my places, on `/espace`.
pub struct MyPlace {
    pub id: String,
    pub nom: String,
    pub commune: String,
    pub pending: usize,
    /// « à confirmer » when the listing is due for confirmation.
    pub due: bool,
    pub freshness: String,
}

#[derive(askama::Template)]
#[template(path = "espace.html")]
struct SpacePage {
    layout: Layout,
    email: String,
    role: &'static str,
    territory: Option<String>,
    places: Vec<MyPlace>,
    moderator: bool,
    queue: usize,
    /// An agent (or an administrator): the agenda of appointments is theirs.
    agent: bool,
    token_out: String,
    token_delete: String,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct SpaceQuery {
    #[serde(default)]
    envoye: Option<String>,
}

pub async fn space(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    axum::extract::Query(query): axum::extract::Query<SpaceQuery>,
) -> Result<Response, WebError> {
    let store = acc::store(&state)?;
    let pending = store.changes(Some(CHANGE_PENDING)).await?;
    let today = Utc::now().date_naive();
    let mut places = Vec::new();
    for id in &viewer.account.places {
        let Some(sp) = state.store.place(id).await? else {
            continue;
        };
        let f = store.freshness(&sp.place.id).await?;
        let state_of = crate::pages::freshness::state(&f, sp.place.date_maj, today);
        places.push(MyPlace {
            pending: pending.iter().filter(|c| c.place_id == sp.place.id).count(),
            id: sp.place.id.clone(),
            nom: sp.place.nom.clone(),
            commune: sp.place.commune.clone(),
            due: state_of.due,
            freshness: state_of.words,
        });
    }
    let moderator = matches!(viewer.account.role, Role::Coordinateur | Role::Admin);
    let queue = if moderator {
        crate::pages::moderation::queue_for(&state, &viewer.account)
            .await?
            .len()
    } else {
        0
    };
    let notice = match query.envoye.as_deref() {
        Some("attente") => Some("Votre modification est enregistrée. Elle attend la relecture de la coordination avant d'être publiée."),
        Some("publie") => Some("Votre modification est publiée."),
        Some("confirme") => Some("Merci : la fiche est confirmée."),
        Some("frequence") => Some("La fréquence de confirmation est enregistrée."),
        _ => None,
    };
    let page = SpacePage {
        layout: Layout::new("Mon espace", ""),
        email: viewer.account.email.clone(),
        role: viewer.account.role.label(),
        territory: viewer.account.territory.clone(),
        places,
        moderator,
        queue,
        agent: matches!(viewer.account.role, Role::Agent | Role::Admin),
        token_out: acc::form_token(&state, &viewer).await?,
        token_delete: acc::form_token(&state, &viewer).await?,
        notice,
    };
    render(&page)
}

/// Everything stored about the signed-in person, as JSON (the right of access).
pub async fn my_data(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
) -> Result<Response, WebError> {
    let store = acc::store(&state)?;
    let id = viewer.account.id;
    let changes: Vec<_> = store
        .changes(None)
        .await?
        .into_iter()
        .filter(|c| c.author_id == Some(id))
        .collect();
    let mails: Vec<_> = store
        .outbox()
        .await?
        .into_iter()
        .filter(|m| m.to == viewer.account.email)
        .collect();
    let body = serde_json::json!({
        "compte": viewer.account,
        "modifications": changes,
        "courriels": mails,
        "journal": store.audit_log(Some(id), 1000).await?,
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mes-donnees.json\"",
            ),
        ],
        body.to_string(),
    )
        .into_response())
}

/// Deletes the signed-in person's account (the right to erasure). Their changes stay, without
/// an author.
pub async fn delete_me(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    form: Result<Form<TokenOnly>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(|_| WebError::Forbidden)?;
    acc::check_form_token(&state, &viewer, &form.jeton).await?;
    let store = acc::store(&state)?;
    store
        .audit(
            None,
            "suppression",
            "compte supprimé à la demande de la personne",
        )
        .await?;
    store.delete_account(viewer.account.id).await?;
    let mut response = acc::see_other("/connexion");
    let cookie = state.accounts.cookie(acc::SESSION_COOKIE, "", "/", 0);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(askama::Template)]
#[template(path = "revendiquer.html")]
struct ClaimPage {
    layout: Layout,
    id: String,
    nom: String,
    token: String,
    has_email: bool,
    sent: bool,
}

/// "Gérer cette fiche": the link is sent to the email on the listing only, so nobody can take
/// over a listing they do not receive mail for.
pub async fn claim_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let sp = state
        .store
        .place(&id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("le lieu « {id} » n'existe pas ou plus")))?;
    let (cookie, set) = signin_csrf(&state, &headers);
    let page = ClaimPage {
        layout: Layout::new(format!("Gérer la fiche « {} »", sp.place.nom), ""),
        id: sp.place.id.clone(),
        nom: sp.place.nom.clone(),
        token: state.security.form_token(&cookie),
        has_email: !sp.place.courriels.is_empty(),
        sent: false,
    };
    let response = render(&page)?;
    Ok(if set {
        with_signin_cookie(&state, response, &cookie)
    } else {
        response
    })
}

pub async fn claim_send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
    form: Result<Form<TokenOnly>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(|_| WebError::Forbidden)?;
    let cookie =
        crate::security::cookie(&parts.headers, acc::SIGNIN_CSRF_COOKIE).unwrap_or_default();
    if !state.security.check(&cookie, &form.jeton) {
        return Err(WebError::Forbidden);
    }
    let sp = state
        .store
        .place(&id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("le lieu « {id} » n'existe pas ou plus")))?;
    if let Err(wait) = state.accounts.limiter.hit(
        &format!("fiche:{}", sp.place.id),
        SIGNIN_PER_EMAIL,
        SIGNIN_WINDOW,
    ) {
        return Ok(acc::too_many(wait));
    }
    let store = acc::store(&state)?;
    for email in sp.place.courriels.iter().take(3) {
        let account = match store.account_by_email(email).await? {
            Some(a) => a,
            None => {
                let a = store
                    .create_account(&maillage_store::accounts::NewAccount {
                        email: email.clone(),
                        role: Role::Editeur,
                        territory: None,
                        places: Vec::new(),
                    })
                    .await?;
                store
                    .audit(
                        Some(a.id),
                        "droits",
                        "compte créé par revendication de fiche",
                    )
                    .await?;
                a
            }
        };
        if !account.disabled {
            send_link(
                &state,
                &account,
                TOKEN_CLAIM,
                Some((&sp.place.id, &sp.place.nom)),
            )
            .await?;
        }
    }
    render(&ClaimPage {
        layout: Layout::new(format!("Gérer la fiche « {} »", sp.place.nom), ""),
        id: sp.place.id.clone(),
        nom: sp.place.nom.clone(),
        token: state.security.form_token(&cookie),
        has_email: !sp.place.courriels.is_empty(),
        sent: true,
    })
}

/// The routes of accounts, the space and moderation (merged by `router.rs`).
pub fn routes() -> axum::Router<AppState> {
    use crate::pages::{edit, moderation};
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/connexion", get(signin_form).post(signin_send))
        .route("/connexion/{jeton}", get(signin_link))
        .route("/deconnexion", post(signout))
        .route("/espace", get(space))
        .route("/espace/donnees", get(my_data))
        .route("/espace/supprimer", post(delete_me))
        .route(
            "/espace/lieux/{id}/modifier",
            get(edit::form).post(edit::save),
        )
        .route("/espace/revendiquer/{id}", get(claim_form).post(claim_send))
        .route(
            "/espace/lieux/{id}/confirmer",
            post(crate::pages::freshness::confirm_place),
        )
        .route("/moderation", get(moderation::queue))
        .route(
            "/moderation/lieux/{id}/historique",
            get(moderation::history),
        )
        .route(
            "/moderation/historique/{id}/annuler",
            post(moderation::revert),
        )
        .route(
            "/moderation/fraicheur",
            get(crate::pages::freshness::dashboard),
        )
        .route(
            "/moderation/{id}",
            get(moderation::show).post(moderation::decide),
        )
}
