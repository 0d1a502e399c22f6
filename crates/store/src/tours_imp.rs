// The tours tables (see tours.rs). Included at the end of imp.rs, so it is compiled once
// per backend like the rest of the store.

fn tour_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Database(format!("date « {s} » illisible : {e}")))
}

fn tour_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Database(format!("horodatage « {s} » illisible : {e}")))
}

fn tour_rows(rows: &[<DB as sqlx::Database>::Row]) -> Result<Vec<crate::TourRow>> {
    rows.iter()
        .map(|r| {
            Ok(crate::TourRow {
                id: r.try_get(0).map_err(db)?,
                data: r.try_get(1).map_err(db)?,
            })
        })
        .collect()
}

fn tour_publication_of_row(r: &<DB as sqlx::Database>::Row) -> Result<crate::TourPublication> {
    Ok(crate::TourPublication {
        version: r.try_get("version").map_err(db)?,
        published_at: tour_time(&r.try_get::<String, _>("published_at").map_err(db)?)?,
        published_by: r.try_get("published_by").map_err(db)?,
        period_from: tour_date(&r.try_get::<String, _>("period_from").map_err(db)?)?,
        period_to: tour_date(&r.try_get::<String, _>("period_to").map_err(db)?)?,
        book: r.try_get("book").map_err(db)?,
        changes: r.try_get("changes").map_err(db)?,
    })
}

async fn insert_tour_events(
    tx: &mut Transaction<'static, DB>,
    events: &[crate::TourEventRow],
) -> Result<u64> {
    let mut added = 0;
    for e in events {
        added += sqlx::query(
            "INSERT INTO tour_events (kind, event_key, data) VALUES ($1, $2, $3) \
             ON CONFLICT (kind, event_key) DO NOTHING",
        )
        .bind(&e.kind)
        .bind(&e.key)
        .bind(&e.data)
        .execute(&mut **tx)
        .await
        .map_err(db)?
        .rows_affected();
    }
    Ok(added)
}

impl DbStore {
    async fn replace_tour_input_impl(&self, change: &crate::TourInputChange) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (table, rows) in [
            ("tour_sites", &change.sites),
            ("tour_vehicles", &change.vehicles),
        ] {
            let Some(rows) = rows else { continue };
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            for r in rows {
                sqlx::query(&format!("INSERT INTO {table} (id, data) VALUES ($1, $2)"))
                    .bind(&r.id)
                    .bind(&r.data)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match e {
                        sqlx::Error::Database(d) if d.is_unique_violation() => {
                            StoreError::Conflict(format!("identifiant « {} » en double", r.id))
                        }
                        e => db(e),
                    })?;
            }
        }
        if let Some(events) = &change.events {
            sqlx::query("DELETE FROM tour_events")
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            insert_tour_events(&mut tx, events).await?;
        }
        tx.commit().await.map_err(db)
    }

    async fn add_tour_events_impl(&self, events: &[crate::TourEventRow]) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let added = insert_tour_events(&mut tx, events).await?;
        tx.commit().await.map_err(db)?;
        Ok(added)
    }

    async fn tour_input_impl(&self) -> Result<crate::TourInput> {
        let sites = sqlx::query("SELECT id, data FROM tour_sites ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let vehicles = sqlx::query("SELECT id, data FROM tour_vehicles ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let events =
            sqlx::query("SELECT kind, event_key, data FROM tour_events ORDER BY kind, event_key")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        Ok(crate::TourInput {
            sites: tour_rows(&sites)?,
            vehicles: tour_rows(&vehicles)?,
            events: events
                .iter()
                .map(|r| {
                    Ok(crate::TourEventRow {
                        kind: r.try_get(0).map_err(db)?,
                        key: r.try_get(1).map_err(db)?,
                        data: r.try_get(2).map_err(db)?,
                    })
                })
                .collect::<Result<_>>()?,
        })
    }

    async fn save_tour_plan_impl(&self, row: &crate::TourPlanRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO tour_plan (id, planned_at, data) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET planned_at = excluded.planned_at, data = excluded.data",
        )
        .bind(row.planned_at.to_rfc3339())
        .bind(&row.data)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn tour_plan_impl(&self) -> Result<Option<crate::TourPlanRow>> {
        let row = sqlx::query("SELECT planned_at, data FROM tour_plan WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| {
            Ok(crate::TourPlanRow {
                planned_at: tour_time(&r.try_get::<String, _>(0).map_err(db)?)?,
                data: r.try_get(1).map_err(db)?,
            })
        })
        .transpose()
    }

    async fn publish_tours_impl(&self, p: &crate::NewTourPublication) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM tour_publications")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let conflict = || {
            StoreError::Conflict(format!(
                "le calendrier a été publié entre-temps (version {} attendue comme la dernière) : \
                 relire la dernière version avant de publier",
                p.expected_previous
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "aucune".into())
            ))
        };
        if latest != p.expected_previous {
            return Err(conflict());
        }
        let version = latest.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO tour_publications \
             (version, published_at, published_by, period_from, period_to, book, changes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(version)
        .bind(p.published_at.to_rfc3339())
        .bind(&p.published_by)
        .bind(p.period_from.format("%Y-%m-%d").to_string())
        .bind(p.period_to.format("%Y-%m-%d").to_string())
        .bind(&p.book)
        .bind(&p.changes)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => conflict(),
            e => db(e),
        })?;
        tx.commit().await.map_err(db)?;
        Ok(version)
    }

    async fn tour_publication_impl(
        &self,
        version: Option<i64>,
    ) -> Result<Option<crate::TourPublication>> {
        let row = match version {
            Some(v) => sqlx::query("SELECT * FROM tour_publications WHERE version = $1").bind(v),
            None => sqlx::query("SELECT * FROM tour_publications ORDER BY version DESC LIMIT 1"),
        }
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(tour_publication_of_row).transpose()
    }

    async fn tour_publications_impl(&self) -> Result<Vec<crate::TourPublication>> {
        let rows = sqlx::query("SELECT * FROM tour_publications ORDER BY version")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(tour_publication_of_row).collect()
    }

    async fn latest_tour_version_impl(&self) -> Result<Option<i64>> {
        sqlx::query_scalar("SELECT MAX(version) FROM tour_publications")
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }
}
