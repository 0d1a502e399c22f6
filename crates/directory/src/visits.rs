//! Home visits requested from the site: a partner (a fixed France Services, a mairie
//! secretariat, a maison départementale des solidarités, each with an agent account) asks for
//! a visit for a person who cannot travel; the coordinator slots it into a tour day of the
//! published calendar near that day's stops (`maillage_tours::visits::propose`, the same code
//! as `maillage tours visites`); the partner sees the status. The rows are the store's
//! `home_visits`, purged on schedule by `maillage tours visites purger`.
//!
//! Why the requesting account is in the visit's id (`visite-<compte>-<n>`): the tours crate's
//! `Visit` knows partners by name, not accounts; the id is the one link the store keeps, so a
//! partner's list needs no new column and the purge stays as it is.

use anyhow::{bail, Context};
use chrono::NaiveDate;
use maillage_store::{HomeVisitRow, Store};
use maillage_tours::visits::{self, PartnerKind, Person, Visit, VisitSlot};

/// Why the person cannot travel (the deliberation reserves visits to the least mobile).
pub const REASONS: &[(&str, &str)] = &[
    ("age", "âge"),
    ("handicap", "handicap ou maladie"),
    ("autre", "autre raison de ne pas pouvoir se déplacer"),
];

fn row(v: &Visit) -> anyhow::Result<HomeVisitRow> {
    Ok(HomeVisitRow {
        id: v.id.clone(),
        status: serde_json::to_value(v.status)?
            .as_str()
            .unwrap_or_default()
            .to_string(),
        closed_on: v.closed_on.map(|d| d.to_string()),
        data: serde_json::to_string(v)?,
    })
}

/// Every stored visit.
pub async fn all(store: &dyn Store) -> anyhow::Result<Vec<Visit>> {
    store
        .home_visits()
        .await?
        .iter()
        .map(|r| {
            serde_json::from_str(&r.data).with_context(|| format!("visite {} illisible", r.id))
        })
        .collect()
}

fn prefix(account_id: i64) -> String {
    format!("visite-{account_id}-")
}

/// The visits an account requested.
pub async fn of_account(store: &dyn Store, account_id: i64) -> anyhow::Result<Vec<Visit>> {
    let p = prefix(account_id);
    Ok(all(store)
        .await?
        .into_iter()
        .filter(|v| v.id.starts_with(&p))
        .collect())
}

/// What a partner gives.
pub struct Request {
    pub account_id: i64,
    pub partner_kind: PartnerKind,
    pub partner_name: String,
    /// A commune where a bus stops (INSEE code).
    pub code_insee: String,
    pub person: Person,
    /// One of [`REASONS`], with the help needed if given.
    pub reason: String,
}

/// Records a request; the home is placed at the tour site of its commune (the crew gets the
/// address; the route only needs the commune). Returns the visit's id.
pub async fn request(store: &dyn Store, r: Request, today: NaiveDate) -> anyhow::Result<String> {
    let Some(published) = crate::tours::published(store).await? else {
        bail!("aucun calendrier de tournée n'est publié : les visites ne peuvent pas encore être planifiées");
    };
    let Some(site) = published
        .book
        .sites
        .iter()
        .find(|s| s.code_insee == r.code_insee)
    else {
        bail!("le bus ne passe pas dans cette commune : choisissez une commune de la liste");
    };
    let n = of_account(store, r.account_id).await?.len() + 1;
    let id = format!("{}{n}", prefix(r.account_id));
    let v = Visit::request(
        &id,
        r.partner_kind,
        &r.partner_name,
        &site.code_insee,
        &site.commune,
        site.position,
        r.person,
        &r.reason,
        today,
    )?;
    store.save_home_visit(&row(&v)?).await?;
    Ok(id)
}

async fn one(store: &dyn Store, id: &str) -> anyhow::Result<Visit> {
    all(store)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .with_context(|| format!("visite « {id} » introuvable"))
}

/// Up to five slots on tour days of the bus serving the commune, from `today` on.
pub async fn propose(
    store: &dyn Store,
    id: &str,
    today: NaiveDate,
) -> anyhow::Result<Vec<VisitSlot>> {
    let v = one(store, id).await?;
    let Some(p) = crate::tours::published(store).await? else {
        bail!("aucun calendrier de tournée n'est publié");
    };
    let book = p.book;
    tokio::task::spawn_blocking(move || {
        visits::propose(
            &v,
            &book.plan,
            &book.calendar,
            &book.sites,
            &book.vehicles,
            today,
            5,
        )
    })
    .await
    .context("proposition interrompue")?
    .map_err(Into::into)
}

/// Slots the visit on the `choice`-th (1-based) slot proposed now.
pub async fn schedule(
    store: &dyn Store,
    id: &str,
    choice: usize,
    today: NaiveDate,
) -> anyhow::Result<VisitSlot> {
    let slot = propose(store, id, today)
        .await?
        .into_iter()
        .nth(choice.saturating_sub(1))
        .with_context(|| format!("pas de créneau n° {choice}"))?;
    let mut v = one(store, id).await?;
    v.schedule(slot.clone())?;
    store.save_home_visit(&row(&v)?).await?;
    Ok(slot)
}
