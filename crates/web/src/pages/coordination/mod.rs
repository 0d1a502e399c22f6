//! The coordinator's space (`/coordination`, issue 14): what the département's coordinator
//! did with a shell and CSV files, done from the browser: imports with a dry run and their
//! history ([`imports`]), the de-duplication's groups with split and merge ([`duplicates`]),
//! one inbox for the error reports and the moderation queue ([`inbox`]), the accounts with
//! the audit log ([`accounts`]), the tours' plan and publication ([`tours`]) and the home
//! visits partners ask for and the coordinator slots into a tour day ([`visits`]).
//!
//! Who may enter: a coordinator (of a territory) or an administrator; anyone else signed in
//! gets a 403 page, a visitor the sign-in page. A coordinator only sees and decides what lies
//! in their territory. Handlers stay thin: the use cases are `maillage_directory`'s
//! (`import_runs`, `duplicates`), the rules of who may do what are here and in
//! `crate::accounts`.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maillage_model::{CommuneLookup, Place};
use maillage_store::accounts::{Account, Role};

use crate::accounts::{self as acc, Viewer};
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::AppState;

pub mod accounts;
pub mod duplicates;
pub mod imports;
pub mod inbox;
pub mod tours;
pub mod visits;

/// Every route of the coordinator's space (merged by `router.rs`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coordination", get(home))
        .route(
            "/coordination/imports",
            get(imports::page).post(imports::upload).layer(
                // The upload counts its own bytes against the configured limit and says so in
                // French; axum's default 2 Mo cap would refuse with a bare 413 first.
                axum::extract::DefaultBodyLimit::disable(),
            ),
        )
        .route("/coordination/imports/{id}", get(imports::show))
        .route(
            "/coordination/imports/{id}/rejets.csv",
            get(imports::rejects),
        )
        .route("/coordination/imports/{id}/appliquer", post(imports::apply))
        .route("/coordination/doublons", get(duplicates::page))
        .route("/coordination/doublons/fusionner", post(duplicates::merge))
        .route("/coordination/doublons/{id}", get(duplicates::show))
        .route(
            "/coordination/doublons/{id}/separer",
            post(duplicates::split),
        )
        .route("/coordination/signalements", get(inbox::page))
        .route("/coordination/signalements/traites", post(inbox::handled))
        .route(
            "/coordination/comptes",
            get(accounts::page).post(accounts::invite),
        )
        .route("/coordination/comptes/{id}", post(accounts::change))
        .route("/coordination/journal", get(accounts::journal))
        .route("/coordination/tournees", get(tours::page))
        .route("/coordination/tournees/planifier", post(tours::plan))
        .route("/coordination/tournees/publier", post(tours::publish))
        .route("/coordination/tournees/site", post(tours::site))
        .route("/coordination/visites", get(visits::list))
        .route(
            "/coordination/visites/{id}",
            get(visits::show).post(visits::schedule),
        )
        // The partners' side of home visits (agents of France Services, mairies, MDS).
        .route(
            "/espace/visites",
            get(visits::requests).post(visits::request),
        )
}

/// The viewer if they may use the coordinator's space; else the sign-in redirect (visitor) or
/// a 403 page (any other role, or a coordinator with no territory).
pub async fn coordinator(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Response> {
    let viewer = acc::require(state, headers).await?;
    let allowed = match viewer.account.role {
        Role::Admin => true,
        Role::Coordinateur => viewer.account.territory.is_some(),
        Role::Editeur | Role::Agent => false,
    };
    if allowed {
        Ok(viewer)
    } else {
        Err(WebError::NotAllowed(
            "cet espace est réservé à la coordination du territoire et aux administrateurs".into(),
        )
        .into_response())
    }
}

/// A form posted to the coordinator's space, as axum hands it over.
pub type Posted<T> = Result<axum::extract::Form<T>, axum::extract::rejection::FormRejection>;

pub fn unreadable() -> WebError {
    WebError::BadRequest("le formulaire envoyé est illisible ; rechargez la page".into())
}

/// Reads a posted form and spends its single-use anti-forgery token (`token` says which field
/// holds it): a stale or forged form stops here, before anything is read or written.
pub async fn read_form<T>(
    state: &AppState,
    viewer: &Viewer,
    form: Posted<T>,
    token: impl FnOnce(&T) -> &str,
) -> Result<T, WebError> {
    let axum::extract::Form(form) = form.map_err(|_| unreadable())?;
    acc::check_form_token(state, viewer, token(&form)).await?;
    Ok(form)
}

/// Which places an account may act on, computed once per request (a département code is
/// compared directly; an EPCI goes through the commune referential once, not per place).
pub struct Scope {
    all: bool,
    departement: Option<String>,
    communes: HashSet<String>,
}

impl Scope {
    pub async fn of(state: &AppState, account: &Account) -> Scope {
        let territory = match (account.role, &account.territory) {
            (Role::Admin, _) => None,
            (_, Some(t)) => Some(t.clone()),
            (_, None) => {
                return Scope {
                    all: false,
                    departement: None,
                    communes: HashSet::new(),
                }
            }
        };
        let Some(t) = territory else {
            return Scope {
                all: true,
                departement: None,
                communes: HashSet::new(),
            };
        };
        if t.len() <= 3 {
            return Scope {
                all: false,
                departement: Some(t),
                communes: HashSet::new(),
            };
        }
        let mut communes: HashSet<String> = match &state.referential {
            Some(r) => r
                .communes
                .iter()
                .filter(|c| c.epci.as_deref() == Some(t.as_str()))
                .map(|c| c.code.clone())
                .collect(),
            None => HashSet::new(),
        };
        if communes.is_empty() {
            communes = state
                .store
                .communes(None)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|c| c.epci.as_deref() == Some(t.as_str()))
                .map(|c| c.code)
                .collect();
        }
        Scope {
            all: false,
            departement: None,
            communes,
        }
    }

    pub fn contains(&self, place: &Place) -> bool {
        if self.all {
            return true;
        }
        if let Some(d) = &self.departement {
            return place.departement() == Some(d.as_str());
        }
        place
            .code_insee
            .as_deref()
            .is_some_and(|c| self.communes.contains(c))
    }
}

/// Runs a use case that holds the referential as a `&dyn CommuneLookup` (not `Sync`, so its
/// future cannot move between the server's threads) on a blocking thread of the runtime; the
/// heavy reading and de-duplication stay off the async executor that way too.
pub async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, WebError>
where
    T: Send + 'static,
    F: for<'a> FnOnce(
            &'a dyn maillage_store::Store,
            Option<&'a dyn CommuneLookup>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>
        + Send
        + 'static,
{
    let store = state.store.clone();
    let referential = state.referential.clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let lookup = referential.as_deref().map(|r| r as &dyn CommuneLookup);
        handle.block_on(f(store.as_ref(), lookup))
    })
    .await
    .map_err(|e| WebError::Unavailable(format!("tâche interrompue : {e}")))
}

#[derive(askama::Template)]
#[template(path = "coordination_home.html")]
struct HomePage {
    layout: Layout,
    email: String,
    territory: Option<String>,
    admin: bool,
    staged: usize,
    groups: usize,
    inbox: usize,
}

/// `/coordination`: the entry to each part, with what waits in each.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let scope = Scope::of(&state, &viewer.account).await;
    let staged = state
        .store
        .import_runs(200)
        .await?
        .iter()
        .filter(|r| {
            r.status == maillage_store::coordination::RUN_STAGED
                && imports::visible(&viewer.account, r)
        })
        .count();
    let places = state
        .store
        .places(&maillage_store::PlaceFilter::default())
        .await?;
    let groups = places
        .iter()
        .filter(|sp| sp.records.len() > 1 && scope.contains(&sp.place))
        .count();
    let inbox = inbox::count(&state, &viewer.account, &scope).await?;
    render(&HomePage {
        layout: Layout::new("Espace de coordination", ""),
        email: viewer.account.email.clone(),
        territory: viewer.account.territory.clone(),
        admin: viewer.account.role == Role::Admin,
        staged,
        groups,
        inbox,
    })
}
