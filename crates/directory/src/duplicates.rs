//! The de-duplication seen and corrected by the coordinator: the groups it made (a stored
//! place with several source records) with why, each pair of records scored again by the same
//! rule ([`maillage_standard::dedup::compare`]); the pairs of listings at the same address
//! that the rule kept apart ("même adresse", to review); and the two decisions.
//!
//! Why both decisions survive every later import: a split records keep-apart pairs
//! ([`Store::split`]) that the grouping of every import respects and the store refuses to
//! break; a merge puts the records of both listings in one stored place, and an import never
//! regroups stored places among themselves (a known source record always returns to the place
//! that holds it), so it stays merged. Both re-merge the places they touch through one
//! `apply_import`, so the values shown are those of the records each place now holds.

use std::collections::{BTreeMap, HashSet};

use maillage_model::{Place, SourceRef};
use maillage_standard::dedup::similarity::AddressMatch;
use maillage_standard::dedup::{compare, Features, PairScore};
use maillage_store::{ImportPlan, Store, StoreError, StoredPlace};

use crate::import::planned_place;

/// Two records (or two places) and how the rule scores them.
#[derive(Debug, Clone)]
pub struct ScoredPair {
    pub a: usize,
    pub b: usize,
    pub score: PairScore,
}

/// A stored place made of several source records.
#[derive(Debug, Clone)]
pub struct Group {
    pub place: StoredPlace,
    /// Every pair of its records, indices into `place.records`.
    pub pairs: Vec<ScoredPair>,
}

fn score(a: &Place, b: &Place) -> PairScore {
    compare(&Features::of(a), &Features::of(b))
}

/// The groups among `places`, largest first (then by name).
pub fn groups(places: &[StoredPlace]) -> Vec<Group> {
    let mut out: Vec<Group> = places
        .iter()
        .filter(|sp| sp.records.len() > 1)
        .map(|sp| {
            let mut pairs = Vec::new();
            for a in 0..sp.records.len() {
                for b in a + 1..sp.records.len() {
                    pairs.push(ScoredPair {
                        a,
                        b,
                        score: score(&sp.records[a].place, &sp.records[b].place),
                    });
                }
            }
            Group {
                place: sp.clone(),
                pairs,
            }
        })
        .collect();
    out.sort_by(|x, y| {
        y.place
            .records
            .len()
            .cmp(&x.place.records.len())
            .then_with(|| x.place.place.nom.cmp(&y.place.place.nom))
    });
    out
}

/// Pairs of distinct stored places of one commune at the same number and street whose
/// names the rule did not take as one place: listings to look at ("même adresse"). Indices
/// into `places`.
pub fn same_address(places: &[StoredPlace]) -> Vec<ScoredPair> {
    let mut by_commune: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, sp) in places.iter().enumerate() {
        let key = sp
            .place
            .code_insee
            .clone()
            .unwrap_or_else(|| sp.place.code_postal.clone());
        if !key.is_empty() && !sp.place.adresse.trim().is_empty() {
            by_commune.entry(key).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for members in by_commune.values() {
        let features: Vec<Features> = members
            .iter()
            .map(|&i| Features::of(&places[i].place))
            .collect();
        for x in 0..members.len() {
            for y in x + 1..members.len() {
                let s = compare(&features[x], &features[y]);
                if s.address == AddressMatch::Same && !s.same {
                    out.push(ScoredPair {
                        a: members[x],
                        b: members[y],
                        score: s,
                    });
                }
            }
        }
    }
    out
}

/// Why a decision was refused, in words for the coordinator.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn label(r: &SourceRef) -> String {
    format!("{}:{}", r.source, r.source_id)
}

/// Writes the places again from the records they hold (one transaction).
async fn remerge(
    store: &dyn Store,
    places: Vec<(String, StoredPlace, Vec<String>)>,
    why: &str,
) -> Result<(), DecisionError> {
    let planned = places
        .into_iter()
        .map(|(id, sp, absorbs)| planned_place(id, sp.records, sp.merge_reasons, absorbs))
        .collect();
    store
        .apply_import(ImportPlan {
            source: "coordination".into(),
            file: why.into(),
            places: planned,
            rejected: 0,
        })
        .await?;
    Ok(())
}

/// Splits one source record out of a place: it becomes a place of its own, kept apart from
/// the others on every later import. Returns the new place's id.
pub async fn split(
    store: &dyn Store,
    place_id: &str,
    source: &SourceRef,
    reason: &str,
) -> Result<String, DecisionError> {
    let new_id = store.split(place_id, source, reason).await?;
    // The place that stays still shows the values of the record that left until it is merged
    // again from the records it keeps; its reasons that name that record no longer hold.
    if let Some(mut rest) = store.place(place_id).await? {
        let gone = label(source);
        rest.merge_reasons.retain(|r| !r.contains(&gone));
        if rest.records.len() < 2 {
            rest.merge_reasons.clear();
        }
        let id = rest.place.id.clone();
        remerge(store, vec![(id, rest, Vec::new())], "séparation").await?;
    }
    Ok(new_id)
}

/// Merges the listing `absorbed` into `kept`: one place with the records of both (the old id
/// stays an alias, so links keep working). Refused when the coordination earlier kept one of
/// their records apart from the other's.
pub async fn merge(
    store: &dyn Store,
    kept: &str,
    absorbed: &str,
    reason: &str,
) -> Result<(), DecisionError> {
    let not_found = |id: &str| DecisionError::Refused(format!("le lieu « {id} » n'existe pas"));
    let a = store.place(kept).await?.ok_or_else(|| not_found(kept))?;
    let b = store
        .place(absorbed)
        .await?
        .ok_or_else(|| not_found(absorbed))?;
    if a.place.id == b.place.id {
        return Err(DecisionError::Refused(
            "ces deux fiches sont déjà un seul lieu".into(),
        ));
    }
    let ours: HashSet<&SourceRef> = a.records.iter().map(|r| &r.source).collect();
    let theirs: HashSet<&SourceRef> = b.records.iter().map(|r| &r.source).collect();
    for k in store.keep_apart().await? {
        if (ours.contains(&k.a) && theirs.contains(&k.b))
            || (ours.contains(&k.b) && theirs.contains(&k.a))
        {
            return Err(DecisionError::Refused(format!(
                "la coordination a séparé {} et {} (« {} ») : ces fiches restent deux lieux",
                label(&k.a),
                label(&k.b),
                k.reason
            )));
        }
    }
    let mut merged = a.clone();
    merged.records.extend(b.records.iter().cloned());
    merged.merge_reasons.extend(b.merge_reasons.iter().cloned());
    let why: String = reason.trim().chars().take(300).collect();
    merged.merge_reasons.push(format!(
        "{} = {} : fusion décidée par la coordination{}",
        a.records
            .first()
            .map(|r| label(&r.source))
            .unwrap_or_default(),
        b.records
            .first()
            .map(|r| label(&r.source))
            .unwrap_or_default(),
        if why.is_empty() {
            String::new()
        } else {
            format!(" ({why})")
        }
    ));
    let id = a.place.id.clone();
    remerge(
        store,
        vec![(id, merged, vec![b.place.id.clone()])],
        "fusion",
    )
    .await
}
