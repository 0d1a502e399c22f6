-- The itinerant France Services in the store (see src/tours.rs): the coordinator's input
-- (sites, vehicles, events), the proposed plan, and every published calendar version.
-- The tours crate's values are stored as JSON documents the store does not interpret, beside
-- the columns that keys and lists need. Keep in step with ../sqlite/0400_tours.sql.
CREATE TABLE tour_sites (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE tour_vehicles (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

-- kind: closure, leave or labelling; event_key identifies an event within its kind (a
-- labelling is keyed by its commune, so that a list imported twice adds it once)
CREATE TABLE tour_events (
    kind TEXT NOT NULL,
    event_key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, event_key)
);

-- the proposed plan: one row (id = 1), replaced by each `maillage tours plan`
CREATE TABLE tour_plan (
    id INTEGER PRIMARY KEY,
    planned_at TEXT NOT NULL,
    data TEXT NOT NULL
);

-- every published calendar, never updated nor deleted: version 1, 2, 3…; the primary key
-- makes two coordinators publishing on the same previous version a conflict
CREATE TABLE tour_publications (
    version BIGINT PRIMARY KEY,
    -- RFC 3339, UTC
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    -- ISO dates (AAAA-MM-JJ), inclusive
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    -- the whole tour book (sites, vehicles, plan, events, calendar) as JSON
    book TEXT NOT NULL,
    -- the changes against the previous version, each with its public notice, as JSON
    changes TEXT NOT NULL
);
