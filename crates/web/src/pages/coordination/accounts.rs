//! Accounts from the coordinator's space: invite a person (the account is created and the
//! sign-in link goes out through the outbox, like any sign-in link), change a role and a
//! territory, disable or enable an account, and read the audit log.
//!
//! Who may do what: an administrator manages every account; a coordinator manages the
//! accounts of their own territory (and the editors of its places), gives only the roles
//! editor, agent or coordinator, and only for that territory; nobody disables or demotes
//! themselves from here (so a territory is never left without its coordinator by mistake).
//! Every change is written to the audit log.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maillage_store::accounts::{Account, AuditEntry, NewAccount, Role, TOKEN_SIGNIN};
use serde::Deserialize;

use super::{coordinator, Scope};
use crate::accounts::{self as acc, Viewer};
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::AppState;

/// Whether `viewer` may manage `account`.
async fn manages(state: &AppState, scope: &Scope, viewer: &Account, account: &Account) -> bool {
    match viewer.role {
        Role::Admin => true,
        Role::Coordinateur => {
            if account.role == Role::Admin {
                return false;
            }
            if account.territory.is_some() && account.territory == viewer.territory {
                return true;
            }
            if account.role != Role::Editeur || account.places.is_empty() {
                return false;
            }
            for id in &account.places {
                match state.store.place(id).await {
                    Ok(Some(sp)) if scope.contains(&sp.place) => {}
                    _ => return false,
                }
            }
            true
        }
        Role::Editeur | Role::Agent => false,
    }
}

/// One account of the list.
pub struct AccountLine {
    pub account: Account,
    pub own: bool,
}

#[derive(askama::Template)]
#[template(path = "coordination_accounts.html")]
struct AccountsPage {
    layout: Layout,
    lines: Vec<AccountLine>,
    roles: Vec<(&'static str, &'static str)>,
    admin: bool,
    territory: String,
    token: String,
    error: Option<String>,
    notice: Option<String>,
}

fn roles_for(viewer: &Account) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .into_iter()
        .filter(|r| viewer.role == Role::Admin || *r != Role::Admin)
        .map(|r| (r.as_str(), r.label()))
        .collect()
}

async fn accounts_page(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let scope = Scope::of(state, &viewer.account).await;
    let mut lines = Vec::new();
    for a in acc::store(state)?.accounts_list().await? {
        if manages(state, &scope, &viewer.account, &a).await {
            lines.push(AccountLine {
                own: a.id == viewer.account.id,
                account: a,
            });
        }
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = render(&AccountsPage {
        layout: Layout::new("Comptes", ""),
        lines,
        roles: roles_for(&viewer.account),
        admin: viewer.account.role == Role::Admin,
        territory: viewer.account.territory.clone().unwrap_or_default(),
        // One token for every form of the page: only one of them is sent, and the page that
        // follows carries a new one.
        token: acc::form_token(state, viewer).await?,
        error,
        notice,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// `GET /coordination/comptes`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    accounts_page(&state, &viewer, None, None).await
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    territoire: String,
    #[serde(default)]
    lieu: String,
}

/// The role and territory asked for, checked against what the viewer may give.
fn access(viewer: &Account, role: &str, territory: &str) -> Result<(Role, Option<String>), String> {
    let role = Role::parse(role)
        .filter(|r| viewer.role == Role::Admin || *r != Role::Admin)
        .ok_or_else(|| "Choisissez un rôle dans la liste.".to_string())?;
    let territory = if viewer.role == Role::Admin {
        let t = territory.trim();
        let valid = t.is_empty()
            || ((t.len() <= 3 || t.len() == 9) && t.chars().all(|c| c.is_ascii_alphanumeric()));
        if !valid {
            return Err("Le territoire est un code de département (82, 2A, 971) ou le SIREN d'une intercommunalité (9 chiffres).".into());
        }
        (!t.is_empty()).then(|| t.to_string())
    } else {
        viewer.territory.clone()
    };
    if matches!(role, Role::Coordinateur) && territory.is_none() {
        return Err("Un compte de coordination a besoin d'un territoire.".into());
    }
    Ok((role, territory))
}

/// `POST /coordination/comptes`: invites a person.
pub async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: super::Posted<InviteForm>,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let form = super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    let email = form.email.trim().to_string();
    if email.len() > 200 || !email.contains('@') || email.contains(char::is_whitespace) {
        return accounts_page(
            &state,
            &viewer,
            Some("Donnez une adresse de courriel valable, par exemple nom@exemple.fr.".into()),
            None,
        )
        .await;
    }
    let (role, territory) = match access(&viewer.account, &form.role, &form.territoire) {
        Ok(x) => x,
        Err(m) => return accounts_page(&state, &viewer, Some(m), None).await,
    };
    let mut places = Vec::new();
    let lieu = form.lieu.trim();
    if !lieu.is_empty() {
        let scope = Scope::of(&state, &viewer.account).await;
        match state.store.place(lieu).await? {
            Some(sp) if scope.contains(&sp.place) => places.push(sp.place.id),
            _ => {
                return accounts_page(
                    &state,
                    &viewer,
                    Some(format!(
                        "Le lieu « {lieu} » n'existe pas dans votre territoire."
                    )),
                    None,
                )
                .await
            }
        }
    }
    let store = acc::store(&state)?;
    let account = match store
        .create_account(&NewAccount {
            email: email.clone(),
            role,
            territory,
            places,
        })
        .await
    {
        Ok(a) => a,
        Err(maillage_store::StoreError::Conflict(_)) => {
            return accounts_page(
                &state,
                &viewer,
                Some(format!("Un compte existe déjà pour {email}.")),
                None,
            )
            .await
        }
        Err(e) => return Err(e.into()),
    };
    store
        .audit(
            Some(viewer.account.id),
            "droits",
            &format!("invitation de {} ({})", account.email, role.as_str()),
        )
        .await?;
    crate::pages::account::send_link(&state, &account, TOKEN_SIGNIN, None).await?;
    accounts_page(
        &state,
        &viewer,
        None,
        Some(format!(
            "Compte créé pour {} : un lien de connexion lui est envoyé par courriel.",
            account.email
        )),
    )
    .await
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    territoire: String,
    /// `desactiver`, `activer`, or empty (role and territory only).
    #[serde(default)]
    action: String,
}

/// `POST /coordination/comptes/{id}`: changes an account's role and territory, or disables
/// or enables it.
pub async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: super::Posted<ChangeForm>,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let form = super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    let not_found =
        || WebError::NotFound("ce compte n'existe pas ou ne relève pas de votre territoire".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let store = acc::store(&state)?;
    let account = store.account(id).await?.ok_or_else(not_found)?;
    let scope = Scope::of(&state, &viewer.account).await;
    if !manages(&state, &scope, &viewer.account, &account).await {
        return Err(not_found());
    }
    if account.id == viewer.account.id {
        return accounts_page(&state, &viewer, Some("Vous ne pouvez pas changer ou désactiver votre propre compte depuis cette page : demandez-le à un administrateur.".into()), None).await;
    }
    let notice = match form.action.as_str() {
        "desactiver" | "activer" => {
            let disabled = form.action == "desactiver";
            store.set_disabled(account.id, disabled).await?;
            store
                .audit(
                    Some(viewer.account.id),
                    "droits",
                    &format!(
                        "{} {}",
                        if disabled {
                            "désactivation de"
                        } else {
                            "réactivation de"
                        },
                        account.email
                    ),
                )
                .await?;
            format!(
                "Compte {} {}.",
                account.email,
                if disabled {
                    "désactivé : il ne peut plus se connecter"
                } else {
                    "réactivé"
                }
            )
        }
        _ => {
            let (role, territory) = match access(&viewer.account, &form.role, &form.territoire) {
                Ok(x) => x,
                Err(m) => return accounts_page(&state, &viewer, Some(m), None).await,
            };
            if !state
                .store
                .set_account_access(account.id, role, territory.as_deref())
                .await?
            {
                return Err(not_found());
            }
            store
                .audit(
                    Some(viewer.account.id),
                    "droits",
                    &format!(
                        "{} : {} → {}{}",
                        account.email,
                        account.role.as_str(),
                        role.as_str(),
                        territory
                            .as_deref()
                            .map(|t| format!(", territoire {t}"))
                            .unwrap_or_default()
                    ),
                )
                .await?;
            format!("Droits de {} changés : {}.", account.email, role.label())
        }
    };
    accounts_page(&state, &viewer, None, Some(notice)).await
}

/// One line of the audit log, with the account's address.
pub struct JournalLine {
    pub entry: AuditEntry,
    pub who: String,
}

#[derive(askama::Template)]
#[template(path = "coordination_journal.html")]
struct JournalPage {
    layout: Layout,
    lines: Vec<JournalLine>,
}

/// `GET /coordination/journal`: the audit log (an administrator's whole log; a coordinator's,
/// the lines of the accounts they manage and their own).
pub async fn journal(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let store = acc::store(&state)?;
    let scope = Scope::of(&state, &viewer.account).await;
    let mut shown = std::collections::HashMap::new();
    for a in store.accounts_list().await? {
        if a.id == viewer.account.id || manages(&state, &scope, &viewer.account, &a).await {
            shown.insert(a.id, a.email);
        }
    }
    let admin = viewer.account.role == Role::Admin;
    let lines = store
        .audit_log(None, 500)
        .await?
        .into_iter()
        .filter_map(|entry| {
            let who = match entry.account_id {
                Some(id) => shown.get(&id).cloned()?,
                None if admin => "compte supprimé".into(),
                None => return None,
            };
            Some(JournalLine { entry, who })
        })
        .collect();
    render(&JournalPage {
        layout: Layout::new("Journal des actions", ""),
        lines,
    })
}
