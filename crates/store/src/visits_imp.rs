// Home visits (added by the tours helper; see visits.rs). Included at the end of imp.rs, so
// it is compiled once per backend like the rest of the store.

impl DbStore {
    async fn save_home_visit_impl(&self, row: &crate::HomeVisitRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO home_visits (id, status, closed_on, data) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
             closed_on = excluded.closed_on, data = excluded.data",
        )
        .bind(&row.id)
        .bind(&row.status)
        .bind(&row.closed_on)
        .bind(&row.data)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn home_visits_impl(&self) -> Result<Vec<crate::HomeVisitRow>> {
        let rows = sqlx::query("SELECT id, status, closed_on, data FROM home_visits ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(crate::HomeVisitRow {
                    id: r.try_get(0).map_err(db)?,
                    status: r.try_get(1).map_err(db)?,
                    closed_on: r.try_get(2).map_err(db)?,
                    data: r.try_get(3).map_err(db)?,
                })
            })
            .collect()
    }
}
