// Booking follow-up (migration 0700; see booking.rs): the cancellation page, the agents'
// agenda and the reminders. Included at the end of imp.rs, compiled once per backend.

const BOOKED_COLUMNS: &str = "SELECT b.token_hash, b.slot_id, b.name, b.phone, b.email, b.status, \
     b.created_at, b.cancelled_at, b.purged_at, b.attendance, b.reminded_at, b.booked_by, \
     s.place_id, s.start_at, s.end_at, s.capacity, s.source \
     FROM bookings b JOIN booking_slots s ON s.id = b.slot_id";

fn booked_of_row(r: &<DB as sqlx::Database>::Row) -> Result<crate::BookedSlot> {
    let text = |i: usize| -> Result<String> { r.try_get(i).map_err(db) };
    let opt = |i: usize| -> Result<Option<String>> { r.try_get(i).map_err(db) };
    let capacity: i64 = r.try_get(15).map_err(db)?;
    let source = text(16)?;
    let attendance = opt(9)?;
    Ok(crate::BookedSlot {
        key: text(0)?,
        booking: crate::BookingRow {
            slot_id: text(1)?,
            name: text(2)?,
            phone: opt(3)?,
            email: opt(4)?,
            status: text(5)?,
            created_at: time_of(&text(6)?)?,
            cancelled_at: opt(7)?.as_deref().map(time_of).transpose()?,
            purged: opt(8)?.is_some(),
        },
        slot: crate::Slot {
            id: text(1)?,
            place_id: text(12)?,
            start: time_of(&text(13)?)?,
            end: time_of(&text(14)?)?,
            capacity: u32::try_from(capacity).unwrap_or(0),
            source: crate::booking::SlotSource::parse(&source).ok_or_else(|| {
                StoreError::Database(format!("origine de créneau inconnue : {source}"))
            })?,
        },
        attendance: attendance.as_deref().and_then(crate::Attendance::parse),
        reminded_at: opt(10)?.as_deref().map(time_of).transpose()?,
        booked_by: r.try_get(11).map_err(db)?,
    })
}

impl DbStore {
    async fn booked_slot_impl(&self, key: &str) -> Result<Option<crate::BookedSlot>> {
        let row = sqlx::query(&format!("{BOOKED_COLUMNS} WHERE b.token_hash = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(booked_of_row).transpose()
    }

    async fn bookings_between_impl(
        &self,
        place_ids: &[String],
        from: chrono::NaiveDateTime,
        to: chrono::NaiveDateTime,
    ) -> Result<Vec<crate::BookedSlot>> {
        if place_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..place_ids.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "{BOOKED_COLUMNS} WHERE s.start_at >= $1 AND s.start_at < $2 \
             AND s.place_id IN ({}) ORDER BY s.start_at, s.place_id, b.created_at, b.token_hash",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(time_text(from)).bind(time_text(to));
        for id in place_ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(booked_of_row).collect()
    }

    async fn set_attendance_impl(
        &self,
        key: &str,
        attendance: Option<crate::Attendance>,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE bookings SET attendance = $2 WHERE token_hash = $1")
            .bind(key)
            .bind(attendance.map(crate::Attendance::as_str))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_booked_by_impl(&self, key: &str, account_id: i64) -> Result<()> {
        sqlx::query("UPDATE bookings SET booked_by = $2 WHERE token_hash = $1")
            .bind(key)
            .bind(account_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn due_reminders_impl(
        &self,
        now: chrono::NaiveDateTime,
        until: chrono::NaiveDateTime,
    ) -> Result<Vec<crate::BookedSlot>> {
        let rows = sqlx::query(&format!(
            "{BOOKED_COLUMNS} WHERE b.status = 'confirmee' AND b.reminded_at IS NULL \
             AND b.purged_at IS NULL AND s.start_at > $1 AND s.start_at <= $2 \
             ORDER BY s.start_at, b.token_hash"
        ))
        .bind(time_text(now))
        .bind(time_text(until))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(booked_of_row).collect()
    }

    async fn mark_reminded_impl(
        &self,
        key: &str,
        now: chrono::NaiveDateTime,
        email: Option<&crate::QueuedEmail>,
    ) -> Result<bool> {
        // The conditional update is the claim: only one transaction sees `reminded_at IS NULL`
        // (PostgreSQL re-checks it after waiting on the row lock; SQLite's write lock is taken
        // at BEGIN). The email is queued only by the one that claimed.
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db)?;
        let claimed = sqlx::query(
            "UPDATE bookings SET reminded_at = $2 WHERE token_hash = $1 \
             AND reminded_at IS NULL AND status = 'confirmee'",
        )
        .bind(key)
        .bind(time_text(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
            == 1;
        if !claimed {
            return Ok(false);
        }
        if let Some(e) = email {
            let queued = Utc::now();
            sqlx::query(
                "INSERT INTO outbox (to_addr, subject, body, created_at, attempts, next_try) \
                 VALUES ($1, $2, $3, $4, 0, $4)",
            )
            .bind(&e.to)
            .bind(&e.subject)
            .bind(&e.body)
            .bind(queued)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }
}
