// Appointment booking (added by the booking helper; see booking.rs). Included at the end of
// imp.rs, so it is compiled once per backend like the rest of the store.

/// Locks the slot row until the end of the booking transaction on PostgreSQL, so concurrent
/// bookings of one slot count and insert one after the other. SQLite has no row locks (and no
/// `FOR UPDATE`): there the whole transaction is `BEGIN IMMEDIATE`, which takes the database's
/// write lock before the count.
const SLOT_FOR_BOOKING: &str = match BACKEND {
    Backend::Postgres => "SELECT capacity, start_at FROM booking_slots WHERE id = $1 FOR UPDATE",
    Backend::Sqlite => "SELECT capacity, start_at FROM booking_slots WHERE id = $1",
};

const BOOKING_FOR_CANCEL: &str = match BACKEND {
    Backend::Postgres => {
        "SELECT b.status, s.start_at FROM bookings b JOIN booking_slots s ON s.id = b.slot_id \
         WHERE b.token_hash = $1 FOR UPDATE OF b"
    }
    Backend::Sqlite => {
        "SELECT b.status, s.start_at FROM bookings b JOIN booking_slots s ON s.id = b.slot_id \
         WHERE b.token_hash = $1"
    }
};

const SLOT_COLUMNS: &str = "SELECT s.id, s.place_id, s.start_at, s.end_at, s.capacity, s.source, \
     (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = s.id AND b.status = 'confirmee') \
     FROM booking_slots s";

fn time_text(t: chrono::NaiveDateTime) -> String {
    t.format(crate::booking::TIME_FORMAT).to_string()
}

fn time_of(text: &str) -> Result<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(text, crate::booking::TIME_FORMAT)
        .map_err(|e| StoreError::Database(format!("heure de créneau illisible « {text} » : {e}")))
}

fn slot_of_row(r: &<DB as sqlx::Database>::Row) -> Result<crate::SlotAvailability> {
    let start: String = r.try_get(2).map_err(db)?;
    let end: String = r.try_get(3).map_err(db)?;
    let capacity: i64 = r.try_get(4).map_err(db)?;
    let source: String = r.try_get(5).map_err(db)?;
    let taken: i64 = r.try_get(6).map_err(db)?;
    let capacity = u32::try_from(capacity).unwrap_or(0);
    Ok(crate::SlotAvailability {
        slot: crate::Slot {
            id: r.try_get(0).map_err(db)?,
            place_id: r.try_get(1).map_err(db)?,
            start: time_of(&start)?,
            end: time_of(&end)?,
            capacity,
            source: crate::booking::SlotSource::parse(&source).ok_or_else(|| {
                StoreError::Database(format!("origine de créneau inconnue : {source}"))
            })?,
        },
        remaining: capacity.saturating_sub(u32::try_from(taken).unwrap_or(u32::MAX)),
    })
}

impl DbStore {
    async fn save_slots_impl(&self, slots: &[crate::Slot]) -> Result<u64> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db)?;
        for s in slots {
            sqlx::query(
                "INSERT INTO booking_slots (id, place_id, start_at, end_at, capacity, source) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
                 place_id = excluded.place_id, start_at = excluded.start_at, \
                 end_at = excluded.end_at, capacity = excluded.capacity, source = excluded.source",
            )
            .bind(&s.id)
            .bind(&s.place_id)
            .bind(time_text(s.start))
            .bind(time_text(s.end))
            .bind(i64::from(s.capacity))
            .bind(s.source.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(slots.len() as u64)
    }

    async fn slots_impl(&self, q: &crate::SlotQuery) -> Result<Vec<crate::SlotAvailability>> {
        let rows = match &q.place_id {
            Some(place) => {
                sqlx::query(&format!(
                    "{SLOT_COLUMNS} WHERE s.place_id = $1 AND s.start_at >= $2 \
                     AND s.start_at < $3 ORDER BY s.start_at, s.id"
                ))
                .bind(place)
                .bind(time_text(q.from))
                .bind(time_text(q.to))
                .fetch_all(&self.pool)
                .await
            }
            None => {
                sqlx::query(&format!(
                    "{SLOT_COLUMNS} WHERE s.start_at >= $1 AND s.start_at < $2 \
                     ORDER BY s.start_at, s.id"
                ))
                .bind(time_text(q.from))
                .bind(time_text(q.to))
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(db)?;
        rows.iter().map(slot_of_row).collect()
    }

    async fn slot_impl(&self, id: &str) -> Result<Option<crate::SlotAvailability>> {
        let row = sqlx::query(&format!("{SLOT_COLUMNS} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(slot_of_row).transpose()
    }

    async fn book_impl(&self, b: &crate::NewBooking) -> Result<crate::BookingOutcome> {
        use crate::BookingOutcome as O;
        // One transaction: lock (see SLOT_FOR_BOOKING), count, insert. Returning early drops
        // the transaction, which rolls it back.
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db)?;
        let Some(slot) = sqlx::query(SLOT_FOR_BOOKING)
            .bind(&b.slot_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
        else {
            return Ok(O::NoSuchSlot);
        };
        let capacity: i64 = slot.try_get(0).map_err(db)?;
        let start: String = slot.try_get(1).map_err(db)?;
        if time_of(&start)? < b.not_before {
            return Ok(O::TooLate);
        }
        let taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM bookings WHERE slot_id = $1 AND status = 'confirmee'",
        )
        .bind(&b.slot_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if taken >= capacity {
            return Ok(O::Full);
        }
        sqlx::query(
            "INSERT INTO bookings (token_hash, slot_id, name, phone, email, created_at, status) \
             VALUES ($1, $2, $3, $4, $5, $6, 'confirmee')",
        )
        .bind(&b.token_hash)
        .bind(&b.slot_id)
        .bind(&b.name)
        .bind(&b.phone)
        .bind(&b.email)
        .bind(time_text(b.created_at))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(O::Booked)
    }

    async fn cancel_booking_impl(
        &self,
        token_hash: &str,
        limit: chrono::NaiveDateTime,
        now: chrono::NaiveDateTime,
    ) -> Result<crate::CancelOutcome> {
        use crate::CancelOutcome as O;
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db)?;
        let Some(row) = sqlx::query(BOOKING_FOR_CANCEL)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
        else {
            return Ok(O::NotFound);
        };
        let status: String = row.try_get(0).map_err(db)?;
        let start: String = row.try_get(1).map_err(db)?;
        if status == "annulee" {
            return Ok(O::AlreadyCancelled);
        }
        if time_of(&start)? < limit {
            return Ok(O::TooLate);
        }
        sqlx::query(
            "UPDATE bookings SET status = 'annulee', cancelled_at = $2 WHERE token_hash = $1",
        )
        .bind(token_hash)
        .bind(time_text(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(O::Cancelled)
    }

    async fn purge_bookings_impl(
        &self,
        ended_before: chrono::NaiveDateTime,
        now: chrono::NaiveDateTime,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE bookings SET name = '', phone = NULL, email = NULL, purged_at = $2 \
             WHERE purged_at IS NULL \
             AND slot_id IN (SELECT id FROM booking_slots WHERE end_at < $1)",
        )
        .bind(time_text(ended_before))
        .bind(time_text(now))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn bookings_of_slot_impl(&self, slot_id: &str) -> Result<Vec<crate::BookingRow>> {
        let rows = sqlx::query(
            "SELECT slot_id, name, phone, email, status, created_at, cancelled_at, purged_at \
             FROM bookings WHERE slot_id = $1 ORDER BY created_at, token_hash",
        )
        .bind(slot_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                let created: String = r.try_get(5).map_err(db)?;
                let cancelled: Option<String> = r.try_get(6).map_err(db)?;
                let purged: Option<String> = r.try_get(7).map_err(db)?;
                Ok(crate::BookingRow {
                    slot_id: r.try_get(0).map_err(db)?,
                    name: r.try_get(1).map_err(db)?,
                    phone: r.try_get(2).map_err(db)?,
                    email: r.try_get(3).map_err(db)?,
                    status: r.try_get(4).map_err(db)?,
                    created_at: time_of(&created)?,
                    cancelled_at: cancelled.as_deref().map(time_of).transpose()?,
                    purged: purged.is_some(),
                })
            })
            .collect()
    }
}
