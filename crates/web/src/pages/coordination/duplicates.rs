//! Duplicates as the coordinator sees them: every stored place made of several source records,
//! with the reasons recorded when they were grouped and each pair of records scored again by
//! the rule; the records side by side; the listings at the same address with other names
//! ("même adresse") to review; and the two decisions, split and merge, taken by
//! `maillage_directory::duplicates` so that every later import keeps them.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maillage_directory::duplicates::{self as dup, DecisionError};
use maillage_model::{Place, SourceRef};
use maillage_store::{PlaceFilter, StoredPlace};
use serde::Deserialize;

use super::{blocking, coordinator, Scope};
use crate::accounts::{self as acc, Viewer};
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::AppState;

/// One group in the list.
pub struct GroupLine {
    pub id: String,
    pub nom: String,
    pub commune: String,
    pub sources: usize,
    /// "source:id = source:id : même SIRET, …" as recorded when grouped.
    pub reasons: Vec<String>,
    /// The lowest score of a pair of its records (a weak link is the one to look at).
    pub weakest: i32,
}

/// A pair of listings at one address.
pub struct PairLine {
    pub a_id: String,
    pub a_nom: String,
    pub b_id: String,
    pub b_nom: String,
    pub commune: String,
    pub score: i32,
    pub reason: String,
}

#[derive(askama::Template)]
#[template(path = "coordination_duplicates.html")]
struct ListPage {
    layout: Layout,
    groups: Vec<GroupLine>,
    pairs: Vec<PairLine>,
}

async fn places_in_scope(state: &AppState, viewer: &Viewer) -> Result<Vec<StoredPlace>, WebError> {
    let scope = Scope::of(state, &viewer.account).await;
    Ok(state
        .store
        .places(&PlaceFilter::default())
        .await?
        .into_iter()
        .filter(|sp| scope.contains(&sp.place))
        .collect())
}

/// `GET /coordination/doublons`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let places = places_in_scope(&state, &viewer).await?;
    // Scoring every pair of a commune is CPU work: off the executor.
    let (groups, pairs) = blocking(&state, move |_, _| {
        Box::pin(async move {
            let groups: Vec<GroupLine> = dup::groups(&places)
                .into_iter()
                .map(|g| GroupLine {
                    id: g.place.place.id.clone(),
                    nom: g.place.place.nom.clone(),
                    commune: g.place.place.commune.clone(),
                    sources: g.place.records.len(),
                    reasons: g.place.merge_reasons.clone(),
                    weakest: g.pairs.iter().map(|p| p.score.score).min().unwrap_or(0),
                })
                .collect();
            let pairs: Vec<PairLine> = dup::same_address(&places)
                .into_iter()
                .map(|p| PairLine {
                    a_id: places[p.a].place.id.clone(),
                    a_nom: places[p.a].place.nom.clone(),
                    b_id: places[p.b].place.id.clone(),
                    b_nom: places[p.b].place.nom.clone(),
                    commune: places[p.a].place.commune.clone(),
                    score: p.score.score,
                    reason: p.score.reason,
                })
                .collect();
            (groups, pairs)
        })
    })
    .await?;
    render(&ListPage {
        layout: Layout::new("Doublons", ""),
        groups,
        pairs,
    })
}

/// One field across the records, for the side-by-side table.
pub struct FieldRow {
    pub label: &'static str,
    pub values: Vec<String>,
    pub differ: bool,
}

/// One record (column) of the side-by-side table.
pub struct RecordColumn {
    pub place_id: String,
    pub source: String,
    pub source_id: String,
    /// `source|source_id`, the value of the split form's choice.
    pub key: String,
    pub observed: String,
}

pub struct PairScoreLine {
    pub a: String,
    pub b: String,
    pub score: i32,
    pub same: bool,
    pub reason: String,
}

#[derive(askama::Template)]
#[template(path = "coordination_duplicate.html")]
struct GroupPage {
    layout: Layout,
    id: String,
    nom: String,
    other: Option<(String, String)>,
    columns: Vec<RecordColumn>,
    rows: Vec<FieldRow>,
    scores: Vec<PairScoreLine>,
    reasons: Vec<String>,
    splittable: bool,
    token: String,
    error: Option<String>,
    notice: Option<String>,
}

fn fields(p: &Place) -> Vec<(&'static str, String)> {
    vec![
        ("Nom", p.nom.clone()),
        ("Adresse", p.adresse.clone()),
        ("Code postal", p.code_postal.clone()),
        ("Commune", p.commune.clone()),
        ("Code INSEE", p.code_insee.clone().unwrap_or_default()),
        ("SIRET ou RNA", p.pivot.clone()),
        ("Téléphone", p.telephone.clone().unwrap_or_default()),
        ("Courriels", p.courriels.join(", ")),
        ("Horaires", p.horaires.clone().unwrap_or_default()),
        (
            "Position",
            p.position
                .map(|x| format!("{:.5}, {:.5}", x.lat, x.lon))
                .unwrap_or_default(),
        ),
        (
            "Services",
            p.services
                .iter()
                .map(|s| s.label())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ]
}

#[derive(Deserialize, Default)]
pub struct GroupQuery {
    /// Another place to compare with (and merge).
    #[serde(default)]
    avec: String,
    /// What was just done (after the redirect of a decision).
    #[serde(default)]
    fait: String,
    #[serde(default)]
    nouveau: String,
}

async fn in_scope(state: &AppState, viewer: &Viewer, id: &str) -> Result<StoredPlace, WebError> {
    let not_found =
        || WebError::NotFound("ce lieu n'existe pas ou ne relève pas de votre territoire".into());
    let sp = state.store.place(id).await?.ok_or_else(not_found)?;
    if !Scope::of(state, &viewer.account).await.contains(&sp.place) {
        return Err(not_found());
    }
    Ok(sp)
}

async fn group_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    q: &GroupQuery,
    error: Option<String>,
) -> Result<GroupPage, WebError> {
    let sp = in_scope(state, viewer, id).await?;
    let other = if q.avec.is_empty() {
        None
    } else {
        Some(in_scope(state, viewer, &q.avec).await?)
    };
    let mut records: Vec<(String, &maillage_store::SourceRecord)> = sp
        .records
        .iter()
        .map(|r| (sp.place.id.clone(), r))
        .collect();
    if let Some(o) = &other {
        records.extend(o.records.iter().map(|r| (o.place.id.clone(), r)));
    }
    let columns = records
        .iter()
        .map(|(pid, r)| RecordColumn {
            place_id: pid.clone(),
            source: r.source.source.clone(),
            source_id: r.source.source_id.clone(),
            key: format!("{}|{}", r.source.source, r.source.source_id),
            observed: r.observed.format("%d/%m/%Y").to_string(),
        })
        .collect();
    let per_record: Vec<Vec<(&'static str, String)>> =
        records.iter().map(|(_, r)| fields(&r.place)).collect();
    let rows = (0..per_record.first().map(Vec::len).unwrap_or(0))
        .map(|f| {
            let values: Vec<String> = per_record.iter().map(|v| v[f].1.clone()).collect();
            FieldRow {
                label: per_record[0][f].0,
                differ: values.iter().any(|v| *v != values[0]),
                values,
            }
        })
        .collect();
    let mut scores = Vec::new();
    for a in 0..records.len() {
        for b in a + 1..records.len() {
            let s = maillage_standard::dedup::compare(
                &maillage_standard::dedup::Features::of(&records[a].1.place),
                &maillage_standard::dedup::Features::of(&records[b].1.place),
            );
            scores.push(PairScoreLine {
                a: format!(
                    "{}:{}",
                    records[a].1.source.source, records[a].1.source.source_id
                ),
                b: format!(
                    "{}:{}",
                    records[b].1.source.source, records[b].1.source.source_id
                ),
                score: s.score,
                same: s.same,
                reason: s.reason,
            });
        }
    }
    let notice = match q.fait.as_str() {
        "separe" => Some(format!(
            "Enregistrement séparé : il forme désormais la fiche {}. Cette décision sera respectée par tous les imports suivants.",
            q.nouveau
        )),
        "fusionne" => Some(
            "Fiches fusionnées. L'ancienne adresse de la fiche absorbée mène à celle-ci.".into(),
        ),
        _ => None,
    };
    Ok(GroupPage {
        layout: Layout::new(format!("Sources de {}", sp.place.nom), ""),
        id: sp.place.id.clone(),
        nom: sp.place.nom.clone(),
        other: other.map(|o| (o.place.id.clone(), o.place.nom.clone())),
        columns,
        rows,
        scores,
        reasons: sp.merge_reasons.clone(),
        splittable: sp.records.len() > 1,
        token: acc::form_token(state, viewer).await?,
        error,
        notice,
    })
}

/// `GET /coordination/doublons/{id}[?avec=ID]`: the records side by side.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<GroupQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    render(&group_page(&state, &viewer, &id, &q, None).await?)
}

#[derive(Deserialize)]
pub struct SplitForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    enregistrement: String,
    #[serde(default)]
    motif: String,
}

async fn refused(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    q: &GroupQuery,
    message: String,
) -> Result<Response, WebError> {
    let mut r = render(&group_page(state, viewer, id, q, Some(message)).await?)?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

/// `POST /coordination/doublons/{id}/separer`.
pub async fn split(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: super::Posted<SplitForm>,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let form = super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    let sp = in_scope(&state, &viewer, &id).await?;
    let q = GroupQuery::default();
    let motif: String = form.motif.trim().chars().take(300).collect();
    let Some((source, source_id)) = form.enregistrement.split_once('|') else {
        return refused(
            &state,
            &viewer,
            &id,
            &q,
            "Choisissez l'enregistrement à séparer.".into(),
        )
        .await;
    };
    if motif.is_empty() {
        return refused(&state, &viewer, &id, &q, "Dites en quelques mots pourquoi ces enregistrements sont deux lieux : la raison est gardée avec la décision.".into()).await;
    }
    let source = SourceRef {
        source: source.into(),
        source_id: source_id.into(),
    };
    match dup::split(state.store.as_ref(), &sp.place.id, &source, &motif).await {
        Ok(new_id) => {
            acc::store(&state)?
                .audit(
                    Some(viewer.account.id),
                    "separation",
                    &format!(
                        "{}:{} séparé de {} (nouvelle fiche {new_id}) : {motif}",
                        source.source, source.source_id, sp.place.id
                    ),
                )
                .await?;
            state.reload().await?;
            Ok(acc::see_other(&format!(
                "/coordination/doublons/{}?fait=separe&nouveau={}",
                urlencode(&sp.place.id),
                urlencode(&new_id)
            )))
        }
        Err(DecisionError::Refused(m)) => refused(&state, &viewer, &id, &q, m).await,
        Err(DecisionError::Store(maillage_store::StoreError::Conflict(m)))
        | Err(DecisionError::Store(maillage_store::StoreError::NotFound(m))) => {
            refused(
                &state,
                &viewer,
                &id,
                &q,
                format!("Séparation impossible : {m}."),
            )
            .await
        }
        Err(DecisionError::Store(e)) => Err(e.into()),
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    garder: String,
    #[serde(default)]
    absorber: String,
    #[serde(default)]
    motif: String,
}

/// `POST /coordination/doublons/fusionner`: `absorber` joins `garder`.
pub async fn merge(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: super::Posted<MergeForm>,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let form = super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    let kept = in_scope(&state, &viewer, form.garder.trim()).await?;
    let absorbed = form.absorber.trim().to_string();
    let q = GroupQuery {
        avec: absorbed.clone(),
        ..Default::default()
    };
    if absorbed.is_empty() {
        return refused(
            &state,
            &viewer,
            &kept.place.id,
            &GroupQuery::default(),
            "Indiquez l'identifiant de la fiche à fusionner avec celle-ci.".into(),
        )
        .await;
    }
    let other = in_scope(&state, &viewer, &absorbed).await?;
    let motif: String = form.motif.trim().chars().take(300).collect();
    match dup::merge(
        state.store.as_ref(),
        &kept.place.id,
        &other.place.id,
        &motif,
    )
    .await
    {
        Ok(()) => {
            acc::store(&state)?
                .audit(
                    Some(viewer.account.id),
                    "fusion",
                    &format!(
                        "{} fusionné dans {} : {motif}",
                        other.place.id, kept.place.id
                    ),
                )
                .await?;
            state.reload().await?;
            Ok(acc::see_other(&format!(
                "/coordination/doublons/{}?fait=fusionne",
                urlencode(&kept.place.id)
            )))
        }
        Err(DecisionError::Refused(m)) => refused(&state, &viewer, &kept.place.id, &q, m).await,
        Err(DecisionError::Store(maillage_store::StoreError::Conflict(m))) => {
            refused(
                &state,
                &viewer,
                &kept.place.id,
                &q,
                format!("Fusion impossible : {m}."),
            )
            .await
        }
        Err(DecisionError::Store(e)) => Err(e.into()),
    }
}
