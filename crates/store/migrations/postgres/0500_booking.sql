-- Appointment booking (issue 15): the slots places publish and the bookings people make.
-- Added by the booking helper (see src/booking.rs). Keep in step with the other backend's
-- 0500_booking.sql. Times are local times of the département (AAAA-MM-JJTHH:MM:SS), stored
-- as text so both backends compare them the same way.
CREATE TABLE booking_slots (
    id TEXT PRIMARY KEY,
    place_id TEXT NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL CHECK (end_at > start_at),
    capacity BIGINT NOT NULL CHECK (capacity >= 0),
    -- 'horaires' (from the place's opening hours) or 'passage' (a tour passage)
    source TEXT NOT NULL CHECK (source IN ('horaires', 'passage'))
);
CREATE INDEX booking_slots_place ON booking_slots (place_id, start_at);

-- Personal data (name, phone or email): blanked by the purge once the appointment is past.
-- The row itself stays (slot, status, dates) so attendance can still be counted.
CREATE TABLE bookings (
    -- SHA-256 of the cancellation token (the token itself is only in the link given to the
    -- person): a leaked database does not let anyone cancel.
    token_hash TEXT PRIMARY KEY,
    slot_id TEXT NOT NULL REFERENCES booking_slots (id),
    name TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    created_at TEXT NOT NULL,
    cancelled_at TEXT,
    -- 'confirmee' or 'annulee'
    status TEXT NOT NULL CHECK (status IN ('confirmee', 'annulee')),
    purged_at TEXT
);
CREATE INDEX bookings_slot ON bookings (slot_id, status);
