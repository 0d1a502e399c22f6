// The store implementation, written once against the type alias `DB` and included by
// `backend.rs` for SQLite and for PostgreSQL (see there why). No inner doc comment here:
// `include!` does not accept one.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use maillage_model::{fold, Commune, Epci, Place, Position, SourceRef};
use sqlx::{Pool, QueryBuilder, Row, Transaction};

use crate::{
    Backend, FieldProvenance, ImportOutcome, ImportPlan, ImportRecord, KeepApart, PlaceFilter,
    Result, Store, StoreError, StoredPlace,
};

/// Rows per multi-row statement: under SQLite's 32,766 and PostgreSQL's 65,535 bound
/// parameters for the widest table (15 columns).
const CHUNK: usize = 1000;

pub(crate) struct DbStore {
    pool: Pool<DB>,
}

fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn unreadable(what: &str, id: &str, e: serde_json::Error) -> StoreError {
    StoreError::Database(format!("{what} illisible pour {id} : {e}"))
}

/// The stored form of a place: its JSON and the copies of the fields that filters use.
struct PlaceRow {
    id: String,
    /// The place as JSON, without its id (the id is the key): a record equal to the place
    /// is then stored as NULL.
    data: String,
    /// JSON arrays: read and written with the place, never queried on their own.
    provenance: String,
    merge_reasons: String,
    nom: String,
    search: String,
    code_insee: Option<String>,
    departement: Option<String>,
    code_postal: String,
    lat: Option<f64>,
    lon: Option<f64>,
    date_maj: Option<NaiveDate>,
    itinerant: bool,
}

fn search_text(place: &Place) -> String {
    fold(&format!(
        "{} {} {} {}",
        place.nom, place.commune, place.adresse, place.code_postal
    ))
}

/// The row of `place` stored under `id` (the place's own `id` field is not stored).
fn place_row(
    id: &str,
    place: &Place,
    provenance: &[FieldProvenance],
    merge_reasons: &[String],
) -> Result<PlaceRow> {
    let json = |what: &str, r: serde_json::Result<String>| {
        r.map_err(|e| StoreError::Database(format!("{what} du lieu {id} : {e}")))
    };
    let data = if place.id.is_empty() {
        json("valeurs", serde_json::to_string(place))?
    } else {
        json(
            "valeurs",
            serde_json::to_string(&Place {
                id: String::new(),
                ..place.clone()
            }),
        )?
    };
    Ok(PlaceRow {
        id: id.to_string(),
        data,
        provenance: json("provenance", serde_json::to_string(&dedup_provenance(provenance)))?,
        merge_reasons: json("raisons", serde_json::to_string(merge_reasons))?,
        nom: place.nom.clone(),
        search: search_text(place),
        code_insee: place.code_insee.clone(),
        departement: place.departement().map(str::to_string),
        code_postal: place.code_postal.clone(),
        lat: place.position.map(|p| p.lat),
        lon: place.position.map(|p| p.lon),
        date_maj: place.date_maj,
        itinerant: place.is_itinerant(),
    })
}

/// The two records of a keep-apart decision in their stored order.
fn ordered(a: &SourceRef, b: &SourceRef) -> (SourceRef, SourceRef) {
    if (&a.source, &a.source_id) <= (&b.source, &b.source_id) {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

/// Appends the conditions of a filter to a query that already has a `WHERE` clause.
fn push_filter(qb: &mut QueryBuilder<'static, DB>, filter: &PlaceFilter) {
    if let Some(d) = &filter.departement {
        qb.push(" AND departement = ").push_bind(d.clone());
    }
    if let Some(c) = &filter.code_insee {
        qb.push(" AND code_insee = ").push_bind(c.clone());
    }
    if let Some(c) = &filter.code_postal {
        qb.push(" AND code_postal = ").push_bind(c.clone());
    }
    if let Some(i) = filter.itinerant {
        qb.push(" AND itinerant = ").push_bind(i);
    }
    if let Some(text) = &filter.text {
        for word in fold(text).split_whitespace() {
            // LIKE wildcards typed by a user are matched literally.
            let escaped = word
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            qb.push(" AND search LIKE ")
                .push_bind(format!("%{escaped}%"))
                .push(" ESCAPE '\\'");
        }
    }
    if let Some([min_lon, min_lat, max_lon, max_lat]) = filter.bbox {
        qb.push(" AND lat >= ").push_bind(min_lat);
        qb.push(" AND lat <= ").push_bind(max_lat);
        qb.push(" AND lon >= ").push_bind(min_lon);
        qb.push(" AND lon <= ").push_bind(max_lon);
    }
}

/// Which places a read is about.
enum Selection<'a> {
    Filter(&'a PlaceFilter),
    Id(&'a str),
}

/// `SELECT id FROM places WHERE …` for a selection, to use as a sub-query.
fn push_selection(qb: &mut QueryBuilder<'static, DB>, selection: &Selection) {
    qb.push("SELECT id FROM places WHERE 1 = 1");
    match selection {
        Selection::Id(id) => {
            qb.push(" AND id = ").push_bind(id.to_string());
        }
        Selection::Filter(filter) => {
            push_filter(qb, filter);
            if filter.limit.is_some() || filter.offset > 0 {
                let limit = filter.limit.unwrap_or(i64::MAX as u64).min(i64::MAX as u64);
                qb.push(" ORDER BY id LIMIT ")
                    .push_bind(limit as i64)
                    .push(" OFFSET ")
                    .push_bind(filter.offset.min(i64::MAX as u64) as i64);
            }
        }
    }
}

/// What pass one of an import decided for one planned place.
struct Decision {
    target: String,
    is_new: bool,
    /// Sources added or places absorbed: the place changes even if its values do not.
    touched: bool,
}

impl DbStore {
    pub(crate) fn new(pool: Pool<DB>) -> Self {
        DbStore { pool }
    }

    async fn begin_write(&self) -> Result<Transaction<'static, DB>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db)?;
        if let Some(lock) = LOCK_WRITE {
            sqlx::query(lock).execute(&mut *tx).await.map_err(db)?;
        }
        Ok(tx)
    }

    async fn load(&self, selection: Selection<'_>) -> Result<Vec<StoredPlace>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;

        let mut qb = QueryBuilder::<DB>::new(
            "SELECT id, data, provenance, merge_reasons, updated_at FROM places WHERE id IN (",
        );
        push_selection(&mut qb, &selection);
        qb.push(") ORDER BY id");
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(db)?;
        let mut places = Vec::with_capacity(rows.len());
        let mut index = HashMap::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("id").map_err(db)?;
            let data: String = row.try_get("data").map_err(db)?;
            let provenance: String = row.try_get("provenance").map_err(db)?;
            let reasons: String = row.try_get("merge_reasons").map_err(db)?;
            let mut place: Place =
                serde_json::from_str(&data).map_err(|e| unreadable("lieu", &id, e))?;
            place.id = id.clone();
            index.insert(id.clone(), places.len());
            places.push(StoredPlace {
                place,
                records: Vec::new(),
                provenance: serde_json::from_str(&provenance)
                    .map_err(|e| unreadable("provenance", &id, e))?,
                merge_reasons: serde_json::from_str(&reasons)
                    .map_err(|e| unreadable("raisons de fusion", &id, e))?,
                updated_at: row.try_get("updated_at").map_err(db)?,
            });
        }
        if places.is_empty() {
            return Ok(places);
        }

        let mut qb = QueryBuilder::<DB>::new(
            "SELECT place_id, source, source_id, record, observed FROM place_sources \
             WHERE place_id IN (",
        );
        push_selection(&mut qb, &selection);
        qb.push(") ORDER BY place_id, source, source_id");
        for row in qb.build().fetch_all(&mut *conn).await.map_err(db)? {
            let place_id: String = row.try_get("place_id").map_err(db)?;
            if let Some(&i) = index.get(&place_id) {
                let record: Option<String> = row.try_get("record").map_err(db)?;
                let place = match record {
                    Some(json) => serde_json::from_str(&json)
                        .map_err(|e| unreadable("enregistrement source", &place_id, e))?,
                    // NULL: the record is the place's own values.
                    None => Place {
                        id: String::new(),
                        ..places[i].place.clone()
                    },
                };
                places[i].records.push(crate::SourceRecord {
                    source: SourceRef {
                        source: row.try_get("source").map_err(db)?,
                        source_id: row.try_get("source_id").map_err(db)?,
                    },
                    place,
                    observed: row.try_get("observed").map_err(db)?,
                });
            }
        }
        Ok(places)
    }

    async fn resolve_alias(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT new_id FROM place_aliases WHERE old_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| r.try_get::<String, _>("new_id").map_err(db))
            .transpose()
    }
}

async fn upsert_places(
    tx: &mut Transaction<'static, DB>,
    rows: &[&PlaceRow],
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut qb = QueryBuilder::<DB>::new(
            "INSERT INTO places (id, data, provenance, merge_reasons, nom, search, code_insee, \
             departement, code_postal, lat, lon, date_maj, itinerant, created_at, updated_at) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.id.clone())
                .push_bind(r.data.clone())
                .push_bind(r.provenance.clone())
                .push_bind(r.merge_reasons.clone())
                .push_bind(r.nom.clone())
                .push_bind(r.search.clone())
                .push_bind(r.code_insee.clone())
                .push_bind(r.departement.clone())
                .push_bind(r.code_postal.clone())
                .push_bind(r.lat)
                .push_bind(r.lon)
                .push_bind(r.date_maj)
                .push_bind(r.itinerant)
                .push_bind(now)
                .push_bind(now);
        });
        qb.push(
            " ON CONFLICT (id) DO UPDATE SET data = excluded.data, \
             provenance = excluded.provenance, merge_reasons = excluded.merge_reasons, \
             nom = excluded.nom, \
             search = excluded.search, code_insee = excluded.code_insee, \
             departement = excluded.departement, code_postal = excluded.code_postal, \
             lat = excluded.lat, lon = excluded.lon, date_maj = excluded.date_maj, \
             itinerant = excluded.itinerant, updated_at = excluded.updated_at",
        );
        qb.build().execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

/// Deletes the rows of `table` whose `column` is one of `ids`.
async fn delete_in(
    tx: &mut Transaction<'static, DB>,
    table: &str,
    column: &str,
    ids: &[String],
) -> Result<()> {
    for chunk in ids.chunks(CHUNK) {
        let mut qb = QueryBuilder::<DB>::new(format!("DELETE FROM {table} WHERE {column} IN ("));
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(id.clone());
        }
        qb.push(")");
        qb.build().execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

/// Provenance without repeated (field, source) pairs, the last one winning.
fn dedup_provenance(provenance: &[FieldProvenance]) -> Vec<FieldProvenance> {
    let mut seen = HashSet::new();
    let mut out: Vec<FieldProvenance> = provenance
        .iter()
        .rev()
        .filter(|p| seen.insert((p.field.as_str(), p.source.as_str())))
        .cloned()
        .collect();
    out.reverse();
    out
}

#[async_trait]
impl Store for DbStore {
    fn backend(&self) -> Backend {
        BACKEND
    }

    async fn apply_import(&self, plan: ImportPlan) -> Result<ImportOutcome> {
        let now = Utc::now();
        let mut tx = self.begin_write().await?;

        // The state the plan applies to, read inside the write transaction.
        let mut owner: HashMap<SourceRef, String> = HashMap::new();
        let mut refs_of: HashMap<String, Vec<SourceRef>> = HashMap::new();
        for row in sqlx::query("SELECT place_id, source, source_id FROM place_sources")
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?
        {
            let r = SourceRef {
                source: row.try_get("source").map_err(db)?,
                source_id: row.try_get("source_id").map_err(db)?,
            };
            let place_id: String = row.try_get("place_id").map_err(db)?;
            refs_of.entry(place_id.clone()).or_default().push(r.clone());
            owner.insert(r, place_id);
        }
        let original_owner = owner.clone();
        let mut aliases: HashMap<String, String> = HashMap::new();
        for row in sqlx::query("SELECT old_id, new_id FROM place_aliases")
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?
        {
            aliases.insert(
                row.try_get("old_id").map_err(db)?,
                row.try_get("new_id").map_err(db)?,
            );
        }
        let original_aliases: HashSet<String> = aliases.keys().cloned().collect();
        let mut existing: HashSet<String> = HashSet::new();
        for row in sqlx::query("SELECT id FROM places")
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?
        {
            existing.insert(row.try_get("id").map_err(db)?);
        }
        let mut apart: HashMap<SourceRef, Vec<SourceRef>> = HashMap::new();
        for k in keep_apart_rows(&mut tx).await? {
            apart.entry(k.a.clone()).or_default().push(k.b.clone());
            apart.entry(k.b).or_default().push(k.a);
        }

        // Pass one: which stored place each planned place becomes, what it absorbs.
        let mut created: HashSet<String> = HashSet::new();
        let mut absorbed: Vec<String> = Vec::new();
        let mut absorbed_set: HashSet<String> = HashSet::new();
        let mut dirty_aliases: HashSet<String> = HashSet::new();
        let mut dirty_refs: HashSet<SourceRef> = HashSet::new();
        let mut decisions = Vec::with_capacity(plan.places.len());
        let mut outcome = ImportOutcome {
            rejected: plan.rejected,
            ..ImportOutcome::default()
        };

        for planned in &plan.places {
            let resolve = |aliases: &HashMap<String, String>, id: &str| -> String {
                let mut id = id.to_string();
                // Chains are flattened on write; the bound only guards against a corrupt cycle.
                for _ in 0..64 {
                    match aliases.get(&id) {
                        Some(next) if *next != id => id = next.clone(),
                        _ => break,
                    }
                }
                id
            };
            let live = |id: &str, created: &HashSet<String>, absorbed: &HashSet<String>| {
                (existing.contains(id) || created.contains(id)) && !absorbed.contains(id)
            };
            let owners: Vec<String> = planned
                .records
                .iter()
                .filter_map(|r| owner.get(&r.source))
                .map(|id| resolve(&aliases, id))
                .collect();
            let target = if !planned.place.id.trim().is_empty() {
                resolve(&aliases, planned.place.id.trim())
            } else if let Some(first) = owners.first() {
                first.clone()
            } else {
                crate::ids::new_place_id(
                    planned.records.first().map(|r| &r.source),
                    &planned.place,
                    |id| {
                    existing.contains(id) || created.contains(id) || aliases.contains_key(id)
                })
            };
            let is_new = !live(&target, &created, &absorbed_set);
            if is_new {
                created.insert(target.clone());
            }

            let mut to_absorb: Vec<String> = Vec::new();
            for id in planned.absorbs.iter().map(|id| resolve(&aliases, id)) {
                if !live(&id, &created, &absorbed_set) {
                    return Err(StoreError::NotFound(format!(
                        "{id} (à fusionner dans {target})"
                    )));
                }
                to_absorb.push(id);
            }
            to_absorb.extend(owners);
            let mut touched = false;
            for old in to_absorb {
                if old == target || absorbed_set.contains(&old) {
                    continue;
                }
                touched = true;
                for r in refs_of.remove(&old).unwrap_or_default() {
                    owner.insert(r.clone(), target.clone());
                    refs_of.entry(target.clone()).or_default().push(r.clone());
                    dirty_refs.insert(r);
                }
                for (key, value) in aliases.iter_mut() {
                    if *value == old {
                        *value = target.clone();
                        dirty_aliases.insert(key.clone());
                    }
                }
                aliases.insert(old.clone(), target.clone());
                dirty_aliases.insert(old.clone());
                absorbed_set.insert(old.clone());
                absorbed.push(old);
                outcome.merged += 1;
            }
            for r in planned.records.iter().map(|r| &r.source) {
                if owner.get(r) != Some(&target) {
                    owner.insert(r.clone(), target.clone());
                    refs_of.entry(target.clone()).or_default().push(r.clone());
                    dirty_refs.insert(r.clone());
                    touched = true;
                }
            }
            if let Some(refs) = refs_of.get(&target) {
                let set: HashSet<&SourceRef> = refs.iter().collect();
                for r in refs {
                    for other in apart.get(r).into_iter().flatten() {
                        if set.contains(other) {
                            return Err(StoreError::Conflict(format!(
                                "le plan d'import réunit {}:{} et {}:{}, qu'un opérateur a \
                                 séparés ; import annulé",
                                r.source, r.source_id, other.source, other.source_id
                            )));
                        }
                    }
                }
            }
            decisions.push(Decision {
                target,
                is_new,
                touched,
            });
        }

        // Pass two: compare with the stored values, keep only what changes.
        let stored_ids: Vec<String> = decisions
            .iter()
            .filter(|d| !d.is_new && existing.contains(&d.target))
            .map(|d| d.target.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        // id → (data, provenance, merge_reasons) as stored.
        let mut stored: HashMap<String, (String, String, String)> =
            HashMap::with_capacity(stored_ids.len());
        // record → (place id, record JSON or NULL for "the place's own values", observed).
        let mut stored_records: HashMap<SourceRef, (String, Option<String>, NaiveDate)> =
            HashMap::new();
        for chunk in stored_ids.chunks(CHUNK) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT id, data, provenance, merge_reasons FROM places WHERE id IN (",
            );
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(id.clone());
            }
            qb.push(")");
            for row in qb.build().fetch_all(&mut *tx).await.map_err(db)? {
                stored.insert(
                    row.try_get("id").map_err(db)?,
                    (
                        row.try_get("data").map_err(db)?,
                        row.try_get("provenance").map_err(db)?,
                        row.try_get("merge_reasons").map_err(db)?,
                    ),
                );
            }
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT place_id, source, source_id, record, observed FROM place_sources \
                 WHERE place_id IN (",
            );
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(id.clone());
            }
            qb.push(")");
            for row in qb.build().fetch_all(&mut *tx).await.map_err(db)? {
                stored_records.insert(
                    SourceRef {
                        source: row.try_get("source").map_err(db)?,
                        source_id: row.try_get("source_id").map_err(db)?,
                    },
                    (
                        row.try_get("place_id").map_err(db)?,
                        row.try_get("record").map_err(db)?,
                        row.try_get("observed").map_err(db)?,
                    ),
                );
            }
        }
        // Each planned record as stored: its JSON, computed once.
        let mut record_json: Vec<Vec<String>> = Vec::with_capacity(plan.places.len());
        for planned in &plan.places {
            let mut jsons = Vec::with_capacity(planned.records.len());
            for r in &planned.records {
                jsons.push(serde_json::to_string(&r.place).map_err(|e| {
                    StoreError::Database(format!("{}:{} : {e}", r.source.source, r.source.source_id))
                })?);
            }
            record_json.push(jsons);
        }
        let same_record = |r: &crate::SourceRecord, json: &String| match stored_records
            .get(&r.source)
        {
            Some((place_id, record, observed)) => {
                *observed == r.observed
                    && match record {
                        Some(stored_json) => stored_json == json,
                        None => stored.get(place_id).is_some_and(|(data, _, _)| data == json),
                    }
            }
            None => false,
        };

        let mut writes: HashMap<String, usize> = HashMap::new(); // target → index in `rows`
        let mut rows: Vec<(PlaceRow, usize)> = Vec::new(); // row, planned place index
        for (i, (planned, decision)) in plan.places.iter().zip(&decisions).enumerate() {
            let row = place_row(
                &decision.target,
                &planned.place,
                &planned.provenance,
                &planned.merge_reasons,
            )?;
            let current = match writes.get(&decision.target) {
                Some(&w) => {
                    let r = &rows[w].0;
                    Some((&r.data, &r.provenance, &r.merge_reasons))
                }
                None => stored.get(&decision.target).map(|(d, p, m)| (d, p, m)),
            };
            if decision.is_new {
                outcome.created += 1;
            } else if !decision.touched
                && current == Some((&row.data, &row.provenance, &row.merge_reasons))
                && planned
                    .records
                    .iter()
                    .zip(&record_json[i])
                    .all(|(r, json)| same_record(r, json))
            {
                outcome.unchanged += 1;
                continue;
            } else {
                outcome.updated += 1;
            }
            match writes.get(&decision.target) {
                Some(&w) => rows[w] = (row, i),
                None => {
                    writes.insert(decision.target.clone(), rows.len());
                    rows.push((row, i));
                }
            }
        }
        // A place merged into a later one of the same plan is not written.
        rows.retain(|(row, _)| !absorbed_set.contains(&row.id));
        let final_rows: HashMap<&str, &PlaceRow> =
            rows.iter().map(|(r, _)| (r.id.as_str(), r)).collect();

        // Writes, in an order the foreign keys accept.

        // A stored record kept as NULL ("the place's own values") whose place is rewritten
        // without a new version of that record gets its values written out first.
        let mut keep_values: Vec<&SourceRef> = Vec::new();
        for (row, i) in &rows {
            let planned: HashSet<&SourceRef> =
                plan.places[*i].records.iter().map(|r| &r.source).collect();
            for r in refs_of.get(&row.id).into_iter().flatten() {
                if !planned.contains(r)
                    && stored_records
                        .get(r)
                        .is_some_and(|(place_id, record, _)| record.is_none() && *place_id == row.id)
                {
                    keep_values.push(r);
                }
            }
        }
        for r in keep_values {
            sqlx::query(
                "UPDATE place_sources SET record = \
                 (SELECT data FROM places WHERE places.id = place_sources.place_id) \
                 WHERE source = $1 AND source_id = $2 AND record IS NULL",
            )
            .bind(&r.source)
            .bind(&r.source_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }

        let place_rows: Vec<&PlaceRow> = rows.iter().map(|(r, _)| r).collect();
        upsert_places(&mut tx, &place_rows, now).await?;

        // Source records: the new, changed or moved records of written places, then the
        // records that only move (from an absorbed place).
        let mut source_rows: Vec<(String, &SourceRef, &String, NaiveDate)> = Vec::new();
        let mut seen_refs: HashSet<&SourceRef> = HashSet::new();
        for (_, i) in rows.iter().rev() {
            for (r, json) in plan.places[*i].records.iter().zip(&record_json[*i]).rev() {
                // The last planned version of a record wins.
                if !seen_refs.insert(&r.source) {
                    continue;
                }
                if let Some(place_id) = owner.get(&r.source) {
                    let stored_as_null = stored_records
                        .get(&r.source)
                        .is_some_and(|(_, record, _)| record.is_none());
                    if original_owner.get(&r.source) != Some(place_id)
                        || stored_as_null
                        || !same_record(r, json)
                    {
                        source_rows.push((place_id.clone(), &r.source, json, r.observed));
                    }
                }
            }
        }
        // Records moved without a planned version of their own: from a place absorbed by this
        // plan (then only the owner changes) or from a place created and absorbed within it.
        let mut latest: HashMap<&SourceRef, (&String, NaiveDate)> = HashMap::new();
        for (planned, jsons) in plan.places.iter().zip(&record_json) {
            for (r, json) in planned.records.iter().zip(jsons) {
                latest.insert(&r.source, (json, r.observed));
            }
        }
        let mut moved: Vec<&SourceRef> = dirty_refs
            .iter()
            .filter(|r| !seen_refs.contains(*r))
            .collect();
        moved.sort_by(|a, b| (&a.source, &a.source_id).cmp(&(&b.source, &b.source_id)));
        let mut owner_only: Vec<(&String, &SourceRef)> = Vec::new();
        for r in moved {
            let Some(place_id) = owner.get(r) else { continue };
            if original_owner.get(r) == Some(place_id) {
                continue;
            }
            match (original_owner.contains_key(r), latest.get(r)) {
                (true, _) => owner_only.push((place_id, r)),
                (false, Some(&(json, observed))) => {
                    source_rows.push((place_id.clone(), r, json, observed))
                }
                (false, None) => {}
            }
        }
        for (place_id, r) in owner_only {
            // A NULL record meant "the values of the absorbed place": write them out.
            sqlx::query(
                "UPDATE place_sources SET place_id = $1, record = COALESCE(record, \
                 (SELECT data FROM places WHERE places.id = place_sources.place_id)) \
                 WHERE source = $2 AND source_id = $3",
            )
            .bind(place_id)
            .bind(&r.source)
            .bind(&r.source_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        for chunk in source_rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO place_sources (place_id, source, source_id, record, observed) ",
            );
            qb.push_values(chunk, |mut b, (place_id, r, json, observed)| {
                // A record equal to its place's values is not stored twice.
                let same_as_place = final_rows
                    .get(place_id.as_str())
                    .is_some_and(|row| row.data == **json);
                b.push_bind(place_id.clone())
                    .push_bind(r.source.clone())
                    .push_bind(r.source_id.clone())
                    .push_bind((!same_as_place).then(|| (*json).clone()))
                    .push_bind(*observed);
            });
            qb.push(
                " ON CONFLICT (source, source_id) DO UPDATE SET place_id = excluded.place_id, \
                 record = excluded.record, observed = excluded.observed",
            );
            qb.build().execute(&mut *tx).await.map_err(db)?;
        }
        // Aliases of the absorbed places (and of the places they had absorbed before).
        let mut alias_rows: Vec<(String, String)> = dirty_aliases
            .iter()
            .filter(|old| existing.contains(*old) || original_aliases.contains(*old))
            .filter_map(|old| aliases.get(old).map(|new| (old.clone(), new.clone())))
            .collect();
        alias_rows.sort();
        for chunk in alias_rows.chunks(CHUNK) {
            let mut qb =
                QueryBuilder::<DB>::new("INSERT INTO place_aliases (old_id, new_id, created_at) ");
            qb.push_values(chunk, |mut b, (old, new)| {
                b.push_bind(old.clone()).push_bind(new.clone()).push_bind(now);
            });
            qb.push(" ON CONFLICT (old_id) DO UPDATE SET new_id = excluded.new_id");
            qb.build().execute(&mut *tx).await.map_err(db)?;
        }

        let gone: Vec<String> = absorbed
            .iter()
            .filter(|id| existing.contains(*id))
            .cloned()
            .collect();
        delete_in(&mut tx, "places", "id", &gone).await?;

        sqlx::query(
            "INSERT INTO imports (source, file, imported_at, created, updated, unchanged, \
             merged, rejected) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&plan.source)
        .bind(&plan.file)
        .bind(now)
        .bind(outcome.created as i64)
        .bind(outcome.updated as i64)
        .bind(outcome.unchanged as i64)
        .bind(outcome.merged as i64)
        .bind(outcome.rejected as i64)
        .execute(&mut *tx)
        .await
        .map_err(db)?;

        tx.commit().await.map_err(db)?;
        Ok(outcome)
    }

    async fn place(&self, id: &str) -> Result<Option<StoredPlace>> {
        let found = self.load(Selection::Id(id)).await?;
        if let Some(place) = found.into_iter().next() {
            return Ok(Some(place));
        }
        match self.resolve_alias(id).await? {
            Some(new_id) => Ok(self.load(Selection::Id(&new_id)).await?.into_iter().next()),
            None => Ok(None),
        }
    }

    async fn places(&self, filter: &PlaceFilter) -> Result<Vec<StoredPlace>> {
        self.load(Selection::Filter(filter)).await
    }

    async fn count_places(&self) -> Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM places")
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        Ok(row.try_get::<i64, _>("n").map_err(db)?.max(0) as u64)
    }

    async fn count_matching(&self, filter: &PlaceFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<DB>::new("SELECT COUNT(*) AS n FROM places WHERE 1 = 1");
        push_filter(&mut qb, filter);
        let row = qb.build().fetch_one(&self.pool).await.map_err(db)?;
        Ok(row.try_get::<i64, _>("n").map_err(db)?.max(0) as u64)
    }

    async fn place_id_for_source(&self, source: &SourceRef) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT place_id FROM place_sources WHERE source = $1 AND source_id = $2")
                .bind(&source.source)
                .bind(&source.source_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        row.map(|r| r.try_get::<String, _>("place_id").map_err(db))
            .transpose()
    }

    async fn imports(&self, limit: u64) -> Result<Vec<ImportRecord>> {
        let rows = sqlx::query(
            "SELECT id, source, file, imported_at, created, updated, unchanged, merged, rejected \
             FROM imports ORDER BY id DESC LIMIT $1",
        )
        .bind(limit.min(i64::MAX as u64) as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let count = |row: &<DB as sqlx::Database>::Row, name: &str| -> Result<u64> {
            Ok(row.try_get::<i64, _>(name).map_err(db)?.max(0) as u64)
        };
        rows.iter()
            .map(|row| {
                Ok(ImportRecord {
                    id: row.try_get("id").map_err(db)?,
                    source: row.try_get("source").map_err(db)?,
                    file: row.try_get("file").map_err(db)?,
                    imported_at: row.try_get("imported_at").map_err(db)?,
                    outcome: ImportOutcome {
                        created: count(row, "created")?,
                        updated: count(row, "updated")?,
                        unchanged: count(row, "unchanged")?,
                        merged: count(row, "merged")?,
                        rejected: count(row, "rejected")?,
                    },
                })
            })
            .collect()
    }

    async fn split(&self, place_id: &str, source: &SourceRef, reason: &str) -> Result<String> {
        let now = Utc::now();
        let mut tx = self.begin_write().await?;

        let alias = sqlx::query("SELECT new_id FROM place_aliases WHERE old_id = $1")
            .bind(place_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let place_id = match alias {
            Some(row) => row.try_get::<String, _>("new_id").map_err(db)?,
            None => place_id.to_string(),
        };
        let row = sqlx::query("SELECT data, provenance FROM places WHERE id = $1")
            .bind(&place_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(place_id.clone()))?;
        let data: String = row.try_get("data").map_err(db)?;
        let merged: Place =
            serde_json::from_str(&data).map_err(|e| unreadable("lieu", &place_id, e))?;
        let provenance: String = row.try_get("provenance").map_err(db)?;
        let provenance: Vec<FieldProvenance> = serde_json::from_str(&provenance)
            .map_err(|e| unreadable("provenance", &place_id, e))?;

        let mut others = Vec::new();
        let mut original: Option<Option<String>> = None;
        for row in sqlx::query(
            "SELECT source, source_id, record FROM place_sources WHERE place_id = $1 \
             ORDER BY source, source_id",
        )
        .bind(&place_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        {
            let r = SourceRef {
                source: row.try_get("source").map_err(db)?,
                source_id: row.try_get("source_id").map_err(db)?,
            };
            if r == *source {
                original = Some(row.try_get("record").map_err(db)?);
            } else {
                others.push(r);
            }
        }
        let Some(record) = original else {
            return Err(StoreError::NotFound(format!(
                "{}:{} dans le lieu {place_id}",
                source.source, source.source_id
            )));
        };
        if others.is_empty() {
            return Err(StoreError::Conflict(format!(
                "le lieu {place_id} n'a qu'une source ({}:{}) : rien à séparer",
                source.source, source.source_id
            )));
        }

        let mut taken = HashSet::new();
        for row in sqlx::query("SELECT id FROM places UNION SELECT old_id FROM place_aliases")
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?
        {
            taken.insert(row.try_get::<String, _>(0).map_err(db)?);
        }
        let place = match record {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| unreadable("enregistrement", &place_id, e))?,
            None => merged,
        };
        let new_id =
            crate::ids::new_place_id(Some(source), &place, |id| taken.contains(id));
        // The split-off place keeps the provenance of the values its own source gave.
        let own: Vec<FieldProvenance> = provenance
            .into_iter()
            .filter(|p| p.source == source.source)
            .collect();
        upsert_places(&mut tx, &[&place_row(&new_id, &place, &own, &[])?], now).await?;
        // The record keeps its stored form: NULL still means the values of the place it was
        // in, which are now exactly the split-off place's values.
        sqlx::query("UPDATE place_sources SET place_id = $1 WHERE source = $2 AND source_id = $3")
            .bind(&new_id)
            .bind(&source.source)
            .bind(&source.source_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for other in &others {
            let (a, b) = ordered(source, other);
            sqlx::query(
                "INSERT INTO keep_apart (a_source, a_source_id, b_source, b_source_id, reason, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (a_source, a_source_id, b_source, b_source_id) \
                 DO UPDATE SET reason = excluded.reason",
            )
            .bind(&a.source)
            .bind(&a.source_id)
            .bind(&b.source)
            .bind(&b.source_id)
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        sqlx::query("UPDATE places SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&place_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(new_id)
    }

    async fn keep_apart(&self) -> Result<Vec<KeepApart>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let rows = sqlx::query(
            "SELECT a_source, a_source_id, b_source, b_source_id, reason FROM keep_apart \
             ORDER BY a_source, a_source_id, b_source, b_source_id",
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        rows.iter().map(keep_apart_of_row).collect()
    }

    async fn replace_territory(&self, communes: &[Commune], epcis: &[Epci]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM communes")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM epcis")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for chunk in communes.chunks(CHUNK) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO communes (code, nom, departement, epci, codes_postaux, population, \
                 lat, lon, ifn) ",
            );
            let mut encoded = Vec::with_capacity(chunk.len());
            for c in chunk {
                encoded.push(
                    serde_json::to_string(&c.codes_postaux)
                        .map_err(|e| StoreError::Database(format!("commune {} : {e}", c.code)))?,
                );
            }
            qb.push_values(chunk.iter().zip(encoded), |mut b, (c, codes)| {
                b.push_bind(c.code.clone())
                    .push_bind(c.nom.clone())
                    .push_bind(c.departement.clone())
                    .push_bind(c.epci.clone())
                    .push_bind(codes)
                    .push_bind(i64::from(c.population))
                    .push_bind(c.centre.map(|p| p.lat))
                    .push_bind(c.centre.map(|p| p.lon))
                    .push_bind(c.ifn);
            });
            qb.build().execute(&mut *tx).await.map_err(db)?;
        }
        for chunk in epcis.chunks(CHUNK) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO epcis (code, nom, kind, population, communes, ifn) ",
            );
            let mut encoded = Vec::with_capacity(chunk.len());
            for e in chunk {
                encoded.push(
                    serde_json::to_string(&e.communes)
                        .map_err(|err| StoreError::Database(format!("EPCI {} : {err}", e.code)))?,
                );
            }
            qb.push_values(chunk.iter().zip(encoded), |mut b, (e, members)| {
                b.push_bind(e.code.clone())
                    .push_bind(e.nom.clone())
                    .push_bind(e.kind.clone())
                    .push_bind(i64::from(e.population))
                    .push_bind(members)
                    .push_bind(e.ifn);
            });
            qb.build().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn communes(&self, departement: Option<&str>) -> Result<Vec<Commune>> {
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT code, nom, departement, epci, codes_postaux, population, lat, lon, ifn \
             FROM communes WHERE 1 = 1",
        );
        if let Some(d) = departement {
            qb.push(" AND departement = ").push_bind(d.to_string());
        }
        qb.push(" ORDER BY code");
        let rows = qb.build().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter()
            .map(|row| {
                let code: String = row.try_get("code").map_err(db)?;
                let codes: String = row.try_get("codes_postaux").map_err(db)?;
                let lat: Option<f64> = row.try_get("lat").map_err(db)?;
                let lon: Option<f64> = row.try_get("lon").map_err(db)?;
                let population: i64 = row.try_get("population").map_err(db)?;
                Ok(Commune {
                    codes_postaux: serde_json::from_str(&codes)
                        .map_err(|e| unreadable("codes postaux", &code, e))?,
                    nom: row.try_get("nom").map_err(db)?,
                    departement: row.try_get("departement").map_err(db)?,
                    epci: row.try_get("epci").map_err(db)?,
                    population: u32::try_from(population).unwrap_or(u32::MAX),
                    centre: lat.zip(lon).map(|(lat, lon)| Position { lat, lon }),
                    ifn: row.try_get("ifn").map_err(db)?,
                    code,
                })
            })
            .collect()
    }

    async fn epcis(&self) -> Result<Vec<Epci>> {
        let rows = sqlx::query(
            "SELECT code, nom, kind, population, communes, ifn FROM epcis ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let code: String = row.try_get("code").map_err(db)?;
                let members: String = row.try_get("communes").map_err(db)?;
                let population: i64 = row.try_get("population").map_err(db)?;
                Ok(Epci {
                    communes: serde_json::from_str(&members)
                        .map_err(|e| unreadable("communes", &code, e))?,
                    nom: row.try_get("nom").map_err(db)?,
                    kind: row.try_get("kind").map_err(db)?,
                    population: u32::try_from(population).unwrap_or(u32::MAX),
                    ifn: row.try_get("ifn").map_err(db)?,
                    code,
                })
            })
            .collect()
    }

    async fn add_report(&self, report: &crate::NewPlaceReport) -> Result<i64> {
        self.add_report_impl(report).await
    }

    async fn reports(&self, pending_only: bool) -> Result<Vec<crate::PlaceReport>> {
        self.reports_impl(pending_only).await
    }

    async fn save_home_visit(&self, row: &crate::HomeVisitRow) -> Result<()> {
        self.save_home_visit_impl(row).await
    }

    async fn home_visits(&self) -> Result<Vec<crate::HomeVisitRow>> {
        self.home_visits_impl().await
    }

    fn accounts(&self) -> Option<&dyn crate::accounts::AccountStore> {
        Some(self)
    }

    async fn replace_tour_input(&self, change: &crate::TourInputChange) -> Result<()> {
        self.replace_tour_input_impl(change).await
    }

    async fn add_tour_events(&self, events: &[crate::TourEventRow]) -> Result<u64> {
        self.add_tour_events_impl(events).await
    }

    async fn tour_input(&self) -> Result<crate::TourInput> {
        self.tour_input_impl().await
    }

    async fn save_tour_plan(&self, row: &crate::TourPlanRow) -> Result<()> {
        self.save_tour_plan_impl(row).await
    }

    async fn tour_plan(&self) -> Result<Option<crate::TourPlanRow>> {
        self.tour_plan_impl().await
    }

    async fn publish_tours(&self, publication: &crate::NewTourPublication) -> Result<i64> {
        self.publish_tours_impl(publication).await
    }

    async fn tour_publication(&self, version: Option<i64>) -> Result<Option<crate::TourPublication>> {
        self.tour_publication_impl(version).await
    }

    async fn tour_publications(&self) -> Result<Vec<crate::TourPublication>> {
        self.tour_publications_impl().await
    }

    async fn latest_tour_version(&self) -> Result<Option<i64>> {
        self.latest_tour_version_impl().await
    }

    async fn save_slots(&self, slots: &[crate::Slot]) -> Result<u64> {
        self.save_slots_impl(slots).await
    }

    async fn slots(&self, query: &crate::SlotQuery) -> Result<Vec<crate::SlotAvailability>> {
        self.slots_impl(query).await
    }

    async fn slot(&self, id: &str) -> Result<Option<crate::SlotAvailability>> {
        self.slot_impl(id).await
    }

    async fn book(&self, booking: &crate::NewBooking) -> Result<crate::BookingOutcome> {
        self.book_impl(booking).await
    }

    async fn cancel_booking(
        &self,
        token_hash: &str,
        limit: chrono::NaiveDateTime,
        now: chrono::NaiveDateTime,
    ) -> Result<crate::CancelOutcome> {
        self.cancel_booking_impl(token_hash, limit, now).await
    }

    async fn purge_bookings(
        &self,
        ended_before: chrono::NaiveDateTime,
        now: chrono::NaiveDateTime,
    ) -> Result<u64> {
        self.purge_bookings_impl(ended_before, now).await
    }

    async fn add_import_run(&self, run: &crate::coordination::NewImportRun) -> Result<i64> {
        self.add_import_run_impl(run).await
    }

    async fn import_run(&self, id: i64) -> Result<Option<crate::coordination::ImportRun>> {
        self.import_run_impl(id).await
    }

    async fn import_runs(&self, limit: u64) -> Result<Vec<crate::coordination::ImportRun>> {
        self.import_runs_impl(limit).await
    }

    async fn set_import_run_status(&self, id: i64, from: &str, to: &str) -> Result<bool> {
        self.set_import_run_status_impl(id, from, to).await
    }

    async fn finish_import_run(&self, id: i64, outcome: &ImportOutcome) -> Result<()> {
        self.finish_import_run_impl(id, outcome).await
    }

    async fn set_account_access(
        &self,
        account_id: i64,
        role: crate::accounts::Role,
        territory: Option<&str>,
    ) -> Result<bool> {
        self.set_account_access_impl(account_id, role, territory).await
    }

    async fn set_report_status(&self, id: i64, status: &str) -> Result<bool> {
        self.set_report_status_impl(id, status).await
    }

    async fn bookings_of_slot(&self, slot_id: &str) -> Result<Vec<crate::BookingRow>> {
        self.bookings_of_slot_impl(slot_id).await
    }

    async fn booked_slot(&self, key: &str) -> Result<Option<crate::BookedSlot>> {
        self.booked_slot_impl(key).await
    }

    async fn bookings_between(
        &self,
        place_ids: &[String],
        from: chrono::NaiveDateTime,
        to: chrono::NaiveDateTime,
    ) -> Result<Vec<crate::BookedSlot>> {
        self.bookings_between_impl(place_ids, from, to).await
    }

    async fn set_attendance(
        &self,
        key: &str,
        attendance: Option<crate::Attendance>,
    ) -> Result<bool> {
        self.set_attendance_impl(key, attendance).await
    }

    async fn set_booked_by(&self, key: &str, account_id: i64) -> Result<()> {
        self.set_booked_by_impl(key, account_id).await
    }

    async fn due_reminders(
        &self,
        now: chrono::NaiveDateTime,
        until: chrono::NaiveDateTime,
    ) -> Result<Vec<crate::BookedSlot>> {
        self.due_reminders_impl(now, until).await
    }

    async fn mark_reminded(
        &self,
        key: &str,
        now: chrono::NaiveDateTime,
        email: Option<&crate::QueuedEmail>,
    ) -> Result<bool> {
        self.mark_reminded_impl(key, now, email).await
    }
}

async fn keep_apart_rows(tx: &mut Transaction<'static, DB>) -> Result<Vec<KeepApart>> {
    let rows = sqlx::query(
        "SELECT a_source, a_source_id, b_source, b_source_id, reason FROM keep_apart",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    rows.iter().map(keep_apart_of_row).collect()
}

fn keep_apart_of_row(row: &<DB as sqlx::Database>::Row) -> Result<KeepApart> {
    Ok(KeepApart {
        a: SourceRef {
            source: row.try_get("a_source").map_err(db)?,
            source_id: row.try_get("a_source_id").map_err(db)?,
        },
        b: SourceRef {
            source: row.try_get("b_source").map_err(db)?,
            source_id: row.try_get("b_source_id").map_err(db)?,
        },
        reason: row.try_get("reason").map_err(db)?,
    })
}

include!("reports_imp.rs");
include!("visits_imp.rs");
include!("accounts_imp.rs");
include!("tours_imp.rs");
include!("booking_imp.rs");
include!("coordination_imp.rs");
include!("booking_followup_imp.rs");
