// Accounts, sessions, outbox, moderation, history, audit and freshness (see accounts.rs).
// Included at the end of imp.rs, so it is compiled once per backend like the rest of the store.

mod accounts_sql {
    pub const ACCOUNT_COLUMNS: &str =
        "id, email, role, territory, disabled, password_hash, created_at";
    pub const OUTBOX_COLUMNS: &str =
        "id, to_addr, subject, body, created_at, sent_at, attempts, next_try, last_error";
    pub const CHANGE_COLUMNS: &str = "id, place_id, author_id, before_json, after_json, \
         changed_fields, status, applied, moderator_id, message, created_at, decided_at";
    pub const HISTORY_COLUMNS: &str =
        "id, place_id, account_id, at, why, source, before_json, after_json, changed_fields";
}

use crate::accounts as acc;

type DbRow = <DB as sqlx::Database>::Row;

fn fields_json(fields: &[String]) -> String {
    serde_json::Value::from(fields.to_vec()).to_string()
}

fn fields_of(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Database(format!("liste de champs illisible : {e}")))
}

impl DbStore {
    async fn account_of_row(&self, r: &DbRow) -> Result<acc::Account> {
        let id: i64 = r.try_get(0).map_err(db)?;
        let role: String = r.try_get(2).map_err(db)?;
        let places = sqlx::query(
            "SELECT place_id FROM account_places WHERE account_id = $1 ORDER BY place_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(|p| p.try_get::<String, _>(0).map_err(db))
        .collect::<Result<Vec<_>>>()?;
        Ok(acc::Account {
            id,
            email: r.try_get(1).map_err(db)?,
            role: acc::Role::parse(&role)
                .ok_or_else(|| StoreError::Database(format!("rôle inconnu : {role}")))?,
            territory: r.try_get(3).map_err(db)?,
            places,
            disabled: r.try_get(4).map_err(db)?,
            password_hash: r.try_get(5).map_err(db)?,
            created_at: r.try_get(6).map_err(db)?,
        })
    }

    async fn accounts_where(&self, condition: &str, bind: Option<&str>) -> Result<Vec<acc::Account>> {
        let sql = format!(
            "SELECT {} FROM accounts WHERE {condition} ORDER BY id",
            accounts_sql::ACCOUNT_COLUMNS
        );
        let mut q = sqlx::query(&sql);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.account_of_row(r).await?);
        }
        Ok(out)
    }
}

fn outbox_of_row(r: &DbRow) -> Result<acc::OutboxMessage> {
    Ok(acc::OutboxMessage {
        id: r.try_get(0).map_err(db)?,
        to: r.try_get(1).map_err(db)?,
        subject: r.try_get(2).map_err(db)?,
        body: r.try_get(3).map_err(db)?,
        created_at: r.try_get(4).map_err(db)?,
        sent_at: r.try_get(5).map_err(db)?,
        attempts: r.try_get(6).map_err(db)?,
        next_try: r.try_get(7).map_err(db)?,
        last_error: r.try_get(8).map_err(db)?,
    })
}

fn change_of_row(r: &DbRow) -> Result<acc::Change> {
    Ok(acc::Change {
        id: r.try_get(0).map_err(db)?,
        place_id: r.try_get(1).map_err(db)?,
        author_id: r.try_get(2).map_err(db)?,
        before_json: r.try_get(3).map_err(db)?,
        after_json: r.try_get(4).map_err(db)?,
        changed_fields: fields_of(&r.try_get::<String, _>(5).map_err(db)?)?,
        status: r.try_get(6).map_err(db)?,
        applied: r.try_get(7).map_err(db)?,
        moderator_id: r.try_get(8).map_err(db)?,
        message: r.try_get(9).map_err(db)?,
        created_at: r.try_get(10).map_err(db)?,
        decided_at: r.try_get(11).map_err(db)?,
    })
}

fn history_of_row(r: &DbRow) -> Result<acc::HistoryEntry> {
    Ok(acc::HistoryEntry {
        id: r.try_get(0).map_err(db)?,
        place_id: r.try_get(1).map_err(db)?,
        account_id: r.try_get(2).map_err(db)?,
        at: r.try_get(3).map_err(db)?,
        why: r.try_get(4).map_err(db)?,
        source: r.try_get(5).map_err(db)?,
        before_json: r.try_get(6).map_err(db)?,
        after_json: r.try_get(7).map_err(db)?,
        changed_fields: fields_of(&r.try_get::<String, _>(8).map_err(db)?)?,
    })
}

fn freshness_of_row(r: &DbRow) -> Result<acc::Freshness> {
    Ok(acc::Freshness {
        place_id: r.try_get(0).map_err(db)?,
        interval_months: r.try_get(1).map_err(db)?,
        last_confirmed: r.try_get(2).map_err(db)?,
        reminder_sent_at: r.try_get(3).map_err(db)?,
    })
}

#[async_trait]
impl acc::AccountStore for DbStore {
    async fn create_account(&self, account: &acc::NewAccount) -> Result<acc::Account> {
        let email = acc::normalise_email(&account.email);
        if self.account_by_email(&email).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "un compte existe déjà pour {email}"
            )));
        }
        let mut tx = self.pool.begin().await.map_err(db)?;
        let row = sqlx::query(
            "INSERT INTO accounts (email, role, territory, disabled, created_at) \
             VALUES ($1, $2, $3, FALSE, $4) RETURNING id",
        )
        .bind(&email)
        .bind(account.role.as_str())
        .bind(account.territory.as_deref())
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let id: i64 = row.try_get(0).map_err(db)?;
        for place in &account.places {
            sqlx::query(
                "INSERT INTO account_places (account_id, place_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(place)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        self.account(id)
            .await?
            .ok_or_else(|| StoreError::Database("compte créé introuvable".into()))
    }

    async fn account(&self, id: i64) -> Result<Option<acc::Account>> {
        let sql = format!(
            "SELECT {} FROM accounts WHERE id = $1",
            accounts_sql::ACCOUNT_COLUMNS
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        match row {
            Some(r) => Ok(Some(self.account_of_row(&r).await?)),
            None => Ok(None),
        }
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<acc::Account>> {
        let email = acc::normalise_email(email);
        Ok(self
            .accounts_where("email = $1", Some(&email))
            .await?
            .into_iter()
            .next())
    }

    async fn accounts_list(&self) -> Result<Vec<acc::Account>> {
        self.accounts_where("TRUE", None).await
    }

    async fn add_account_place(&self, account_id: i64, place_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO account_places (account_id, place_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(account_id)
        .bind(place_id)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn place_editors(&self, place_id: &str) -> Result<Vec<acc::Account>> {
        self.accounts_where(
            "id IN (SELECT account_id FROM account_places WHERE place_id = $1)",
            Some(place_id),
        )
        .await
    }

    async fn set_password_hash(&self, account_id: i64, hash: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(account_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn set_disabled(&self, account_id: i64, disabled: bool) -> Result<()> {
        sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(account_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_account(&self, account_id: i64) -> Result<()> {
        // Foreign keys cascade to places, tokens and sessions and empty the author of
        // changes, history and audit lines.
        sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(account_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn add_token(&self, token: &acc::SigninToken) -> Result<()> {
        sqlx::query(
            "INSERT INTO signin_tokens (token_hash, account_id, purpose, place_id, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.token_hash)
        .bind(token.account_id)
        .bind(&token.purpose)
        .bind(token.place_id.as_deref())
        .bind(Utc::now())
        .bind(token.expires_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn use_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<acc::SigninToken>> {
        let row = sqlx::query(
            "UPDATE signin_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING token_hash, account_id, purpose, place_id, expires_at",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(acc::SigninToken {
                token_hash: r.try_get(0).map_err(db)?,
                account_id: r.try_get(1).map_err(db)?,
                purpose: r.try_get(2).map_err(db)?,
                place_id: r.try_get(3).map_err(db)?,
                expires_at: r.try_get(4).map_err(db)?,
            })
        })
        .transpose()
    }

    async fn create_session(&self, id_hash: &str, account_id: i64, expires_at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, account_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id_hash)
        .bind(account_id)
        .bind(Utc::now())
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn session_account(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<acc::Account>> {
        let row = sqlx::query(
            "SELECT account_id FROM sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get(0).map_err(db)?;
        Ok(self.account(id).await?.filter(|a| !a.disabled))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn enqueue_email(&self, to: &str, subject: &str, body: &str) -> Result<i64> {
        let now = Utc::now();
        let row = sqlx::query(
            "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_try) \
             VALUES ($1, $2, $3, $4, 0, $4) RETURNING id",
        )
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        row.try_get(0).map_err(db)
    }

    async fn claim_email(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Option<acc::OutboxMessage>> {
        let sql = format!(
            "UPDATE outbox SET next_try = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM outbox WHERE sent_at IS NULL AND next_try <= $1 \
                         ORDER BY next_try, id LIMIT 1) \
               AND sent_at IS NULL AND next_try <= $1 \
             RETURNING {}",
            accounts_sql::OUTBOX_COLUMNS
        );
        let row = sqlx::query(&sql)
            .bind(now)
            .bind(lease_until)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(outbox_of_row).transpose()
    }

    async fn mark_email_sent(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn mark_email_failed(&self, id: i64, next_try: DateTime<Utc>, error: &str) -> Result<()> {
        sqlx::query("UPDATE outbox SET next_try = $1, last_error = $2 WHERE id = $3")
            .bind(next_try)
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn outbox(&self) -> Result<Vec<acc::OutboxMessage>> {
        let sql = format!(
            "SELECT {} FROM outbox ORDER BY id",
            accounts_sql::OUTBOX_COLUMNS
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(outbox_of_row).collect()
    }

    async fn add_change(&self, change: &acc::NewChange) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO changes (place_id, author_id, before_json, after_json, changed_fields, \
             status, applied, message, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8) RETURNING id",
        )
        .bind(&change.place_id)
        .bind(change.author_id)
        .bind(&change.before_json)
        .bind(&change.after_json)
        .bind(fields_json(&change.changed_fields))
        .bind(acc::CHANGE_PENDING)
        .bind(change.applied)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        row.try_get(0).map_err(db)
    }

    async fn change(&self, id: i64) -> Result<Option<acc::Change>> {
        let sql = format!(
            "SELECT {} FROM changes WHERE id = $1",
            accounts_sql::CHANGE_COLUMNS
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(change_of_row).transpose()
    }

    async fn changes(&self, status: Option<&str>) -> Result<Vec<acc::Change>> {
        let sql = format!(
            "SELECT {} FROM changes WHERE ($1 IS NULL OR status = $1) ORDER BY created_at, id",
            accounts_sql::CHANGE_COLUMNS
        );
        let rows = sqlx::query(&sql)
            .bind(status)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(change_of_row).collect()
    }

    async fn decide_change(&self, id: i64, status: &str, moderator_id: i64, message: &str, at: DateTime<Utc>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE changes SET status = $1, moderator_id = $2, message = $3, decided_at = $4 \
             WHERE id = $5 AND status = $6",
        )
        .bind(status)
        .bind(moderator_id)
        .bind(message)
        .bind(at)
        .bind(id)
        .bind(acc::CHANGE_PENDING)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn add_history(&self, entry: &acc::HistoryEntry) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO place_history (place_id, account_id, at, why, source, before_json, \
             after_json, changed_fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&entry.place_id)
        .bind(entry.account_id)
        .bind(entry.at)
        .bind(&entry.why)
        .bind(&entry.source)
        .bind(&entry.before_json)
        .bind(&entry.after_json)
        .bind(fields_json(&entry.changed_fields))
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        row.try_get(0).map_err(db)
    }

    async fn history(&self, place_id: &str) -> Result<Vec<acc::HistoryEntry>> {
        let sql = format!(
            "SELECT {} FROM place_history WHERE place_id = $1 ORDER BY at DESC, id DESC",
            accounts_sql::HISTORY_COLUMNS
        );
        let rows = sqlx::query(&sql)
            .bind(place_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(history_of_row).collect()
    }

    async fn history_entry(&self, id: i64) -> Result<Option<acc::HistoryEntry>> {
        let sql = format!(
            "SELECT {} FROM place_history WHERE id = $1",
            accounts_sql::HISTORY_COLUMNS
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(history_of_row).transpose()
    }

    async fn audit(&self, account_id: Option<i64>, action: &str, detail: &str) -> Result<()> {
        sqlx::query("INSERT INTO audit_log (at, account_id, action, detail) VALUES ($1, $2, $3, $4)")
            .bind(Utc::now())
            .bind(account_id)
            .bind(action)
            .bind(detail)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn audit_log(&self, account_id: Option<i64>, limit: u64) -> Result<Vec<acc::AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, account_id, action, detail FROM audit_log \
             WHERE ($1 IS NULL OR account_id = $1) ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(acc::AuditEntry {
                    id: r.try_get(0).map_err(db)?,
                    at: r.try_get(1).map_err(db)?,
                    account_id: r.try_get(2).map_err(db)?,
                    action: r.try_get(3).map_err(db)?,
                    detail: r.try_get(4).map_err(db)?,
                })
            })
            .collect()
    }

    async fn freshness(&self, place_id: &str) -> Result<acc::Freshness> {
        let row = sqlx::query(
            "SELECT place_id, interval_months, last_confirmed, reminder_sent_at FROM freshness \
             WHERE place_id = $1",
        )
        .bind(place_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        match row {
            Some(r) => freshness_of_row(&r),
            None => Ok(acc::Freshness {
                place_id: place_id.to_string(),
                interval_months: acc::DEFAULT_INTERVAL_MONTHS,
                last_confirmed: None,
                reminder_sent_at: None,
            }),
        }
    }

    async fn set_freshness(&self, f: &acc::Freshness) -> Result<()> {
        sqlx::query(
            "INSERT INTO freshness (place_id, interval_months, last_confirmed, reminder_sent_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (place_id) DO UPDATE SET \
             interval_months = excluded.interval_months, last_confirmed = excluded.last_confirmed, \
             reminder_sent_at = excluded.reminder_sent_at",
        )
        .bind(&f.place_id)
        .bind(f.interval_months)
        .bind(f.last_confirmed)
        .bind(f.reminder_sent_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn freshness_all(&self) -> Result<Vec<acc::Freshness>> {
        let rows = sqlx::query(
            "SELECT place_id, interval_months, last_confirmed, reminder_sent_at FROM freshness \
             ORDER BY place_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(freshness_of_row).collect()
    }

    async fn enqueue_digest(&self, account_id: i64, month: &str, to: &str, subject: &str, body: &str) -> Result<bool> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let new = sqlx::query(
            "INSERT INTO freshness_digests (account_id, month, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id, month) DO NOTHING",
        )
        .bind(account_id)
        .bind(month)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
            == 1;
        if !new {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_try) \
             VALUES ($1, $2, $3, $4, 0, $4)",
        )
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn purge(&self, now: DateTime<Utc>, policy: &acc::PurgePolicy) -> Result<acc::PurgeCounts> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let tokens = sqlx::query("DELETE FROM signin_tokens WHERE used_at IS NOT NULL OR expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        let emails = sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at <= $1")
            .bind(now - chrono::Duration::days(policy.sent_email_days))
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        let reports = sqlx::query("DELETE FROM place_reports WHERE status <> $1 AND created_at <= $2")
            .bind(crate::reports::REPORT_PENDING)
            .bind(now - chrono::Duration::days(policy.handled_report_days))
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        tx.commit().await.map_err(db)?;
        Ok(acc::PurgeCounts {
            tokens,
            sessions,
            emails,
            reports,
        })
    }

    async fn post_moderation(&self, territory: &str) -> Result<bool> {
        let row = sqlx::query("SELECT post_moderation FROM territory_moderation WHERE territory = $1")
            .bind(territory)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(|r| r.try_get::<bool, _>(0).map_err(db))
            .transpose()
            .map(|b| b.unwrap_or(false))
    }

    async fn set_post_moderation(&self, territory: &str, post: bool) -> Result<()> {
        sqlx::query(
            "INSERT INTO territory_moderation (territory, post_moderation) VALUES ($1, $2) \
             ON CONFLICT (territory) DO UPDATE SET post_moderation = excluded.post_moderation",
        )
        .bind(territory)
        .bind(post)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }
}
