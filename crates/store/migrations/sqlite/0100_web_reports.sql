-- Error reports sent from a place page ("signaler une erreur"), waiting for moderation.
-- Added by the web crate (see src/reports.rs). Keep in step with ../postgres/0100_web_reports.sql.
-- No foreign key to places: a report stays readable even if its place is later merged away.
CREATE TABLE place_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    place_id TEXT NOT NULL,
    message TEXT NOT NULL CHECK (length(message) BETWEEN 1 AND 2000),
    contact TEXT NOT NULL CHECK (length(contact) <= 200),
    created_at TEXT NOT NULL,
    -- 'a-moderer' until a moderator handles it
    status TEXT NOT NULL
);
CREATE INDEX place_reports_status ON place_reports (status, created_at);
