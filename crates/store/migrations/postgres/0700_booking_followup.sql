-- Booking follow-up (issue 15): the 48-hour reminder, sent once, and what the agent noted
-- after the appointment. Keep in step with the other backend's 0700_booking_followup.sql.
-- reminded_at is set in the same transaction that queues the reminder, so a restart (or a
-- second server) never queues it twice.
ALTER TABLE bookings ADD COLUMN reminded_at TEXT;
-- 'vu' (the person came), 'absent' (no-show) or 'excuse' (excused); NULL until noted. Not
-- personal data on its own: the counts of the network's activity are made from it.
ALTER TABLE bookings ADD COLUMN attendance TEXT CHECK (attendance IN ('vu', 'absent', 'excuse'));
-- Who made the booking: NULL for the person themselves, the agent's account id otherwise.
ALTER TABLE bookings ADD COLUMN booked_by BIGINT;
