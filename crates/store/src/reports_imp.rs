// Error reports (added by the web helper; see reports.rs). Included at the end of imp.rs, so
// it is compiled once per backend like the rest of the store.

impl DbStore {
    async fn add_report_impl(&self, report: &crate::NewPlaceReport) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO place_reports (place_id, message, contact, created_at, status) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&report.place_id)
        .bind(&report.message)
        .bind(&report.contact)
        .bind(Utc::now())
        .bind(crate::reports::REPORT_PENDING)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        row.try_get::<i64, _>(0).map_err(db)
    }

    async fn reports_impl(&self, pending_only: bool) -> Result<Vec<crate::PlaceReport>> {
        let rows = sqlx::query(
            "SELECT id, place_id, message, contact, created_at, status FROM place_reports \
             WHERE ($1 = FALSE OR status = $2) ORDER BY created_at, id",
        )
        .bind(pending_only)
        .bind(crate::reports::REPORT_PENDING)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(crate::PlaceReport {
                    id: r.try_get(0).map_err(db)?,
                    place_id: r.try_get(1).map_err(db)?,
                    message: r.try_get(2).map_err(db)?,
                    contact: r.try_get(3).map_err(db)?,
                    created_at: r.try_get(4).map_err(db)?,
                    status: r.try_get(5).map_err(db)?,
                })
            })
            .collect()
    }
}
