// The coordinator's uploads and account rights (see coordination.rs). Included at the end of
// imp.rs, so it is compiled once per backend like the rest of the store.

const RUN_COLUMNS: &str = "id, account_id, file_name, stored_path, size_bytes, sha256, format, \
     status, created_at, applied_at, created, updated, unchanged, merged, rejected";

fn run_of_row(row: &<DB as sqlx::Database>::Row) -> Result<crate::coordination::ImportRun> {
    let count = |name: &str| -> Result<u64> {
        Ok(row.try_get::<i64, _>(name).map_err(db)?.max(0) as u64)
    };
    Ok(crate::coordination::ImportRun {
        id: row.try_get("id").map_err(db)?,
        account_id: row.try_get("account_id").map_err(db)?,
        file_name: row.try_get("file_name").map_err(db)?,
        stored_path: row.try_get("stored_path").map_err(db)?,
        size_bytes: count("size_bytes")?,
        sha256: row.try_get("sha256").map_err(db)?,
        format: row.try_get("format").map_err(db)?,
        status: row.try_get("status").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        applied_at: row.try_get("applied_at").map_err(db)?,
        outcome: ImportOutcome {
            created: count("created")?,
            updated: count("updated")?,
            unchanged: count("unchanged")?,
            merged: count("merged")?,
            rejected: count("rejected")?,
        },
    })
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl DbStore {
    async fn add_import_run_impl(&self, run: &crate::coordination::NewImportRun) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO import_runs (account_id, file_name, stored_path, size_bytes, sha256, \
             format, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(run.account_id)
        .bind(&run.file_name)
        .bind(&run.stored_path)
        .bind(signed(run.size_bytes))
        .bind(&run.sha256)
        .bind(&run.format)
        .bind(crate::coordination::RUN_STAGED)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        row.try_get::<i64, _>(0).map_err(db)
    }

    async fn import_run_impl(&self, id: i64) -> Result<Option<crate::coordination::ImportRun>> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM import_runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(run_of_row).transpose()
    }

    async fn import_runs_impl(&self, limit: u64) -> Result<Vec<crate::coordination::ImportRun>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM import_runs ORDER BY id DESC LIMIT $1"
        ))
        .bind(signed(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(run_of_row).collect()
    }

    async fn set_import_run_status_impl(&self, id: i64, from: &str, to: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE import_runs SET status = $1 WHERE id = $2 AND status = $3")
            .bind(to)
            .bind(id)
            .bind(from)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish_import_run_impl(&self, id: i64, outcome: &ImportOutcome) -> Result<()> {
        sqlx::query(
            "UPDATE import_runs SET status = $1, applied_at = $2, created = $3, updated = $4, \
             unchanged = $5, merged = $6, rejected = $7 WHERE id = $8",
        )
        .bind(crate::coordination::RUN_APPLIED)
        .bind(Utc::now())
        .bind(signed(outcome.created))
        .bind(signed(outcome.updated))
        .bind(signed(outcome.unchanged))
        .bind(signed(outcome.merged))
        .bind(signed(outcome.rejected))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn set_account_access_impl(
        &self,
        account_id: i64,
        role: crate::accounts::Role,
        territory: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE accounts SET role = $1, territory = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(territory)
            .bind(account_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_report_status_impl(&self, id: i64, status: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE place_reports SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }
}
