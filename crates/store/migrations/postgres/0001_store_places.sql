-- Places, their source records, provenance, merges and the territory referential (PostgreSQL).
-- Keep in step with ../sqlite/0001_store_places.sql: same tables, same columns, same names.

CREATE TABLE places (
    id TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
    -- The whole Place as serde_json writes it, without its id (the key above); the columns
    -- below are copies for filters.
    data TEXT NOT NULL,
    -- JSON arrays, read and written with the place: [{field, source, date}] and [reason].
    -- (Kept here rather than one row per field: with 20 rows per place, inserting the
    -- 260,000 provenance rows of 13,000 places took 1.2 s of a 2.7 s import on SQLite.)
    provenance TEXT NOT NULL,
    merge_reasons TEXT NOT NULL,
    nom TEXT NOT NULL,
    -- Folded name, commune and address (lower case, no accents), for text search.
    search TEXT NOT NULL,
    code_insee TEXT,
    departement TEXT,
    code_postal TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    date_maj DATE,
    itinerant BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX places_departement ON places (departement);
CREATE INDEX places_code_insee ON places (code_insee);
CREATE INDEX places_code_postal ON places (code_postal);
CREATE INDEX places_lat_lon ON places (lat, lon);

CREATE TABLE place_sources (
    place_id TEXT NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source <> ''),
    source_id TEXT NOT NULL CHECK (source_id <> ''),
    -- The Place as this source gave it, before merging (JSON): places are re-merged from
    -- these, and a split gives the split-off place these values. NULL when it equals the
    -- place's own `data` (most places have one source): stored once, not twice.
    record TEXT,
    -- Date the record's values are valid at.
    observed DATE NOT NULL,
    PRIMARY KEY (source, source_id)
);
CREATE INDEX place_sources_place ON place_sources (place_id);

-- Ids of places absorbed in a merge, so that links to them keep working.
CREATE TABLE place_aliases (
    old_id TEXT PRIMARY KEY NOT NULL,
    new_id TEXT NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX place_aliases_new ON place_aliases (new_id);

-- Operators' decisions that two source records are different places; (a) sorts before (b).
CREATE TABLE keep_apart (
    a_source TEXT NOT NULL,
    a_source_id TEXT NOT NULL,
    b_source TEXT NOT NULL,
    b_source_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (a_source, a_source_id, b_source, b_source_id)
);

CREATE TABLE imports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source TEXT NOT NULL,
    file TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    merged BIGINT NOT NULL,
    rejected BIGINT NOT NULL
);

CREATE TABLE communes (
    code TEXT PRIMARY KEY NOT NULL,
    nom TEXT NOT NULL,
    departement TEXT NOT NULL,
    epci TEXT,
    -- JSON array of postal codes.
    codes_postaux TEXT NOT NULL,
    population BIGINT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    ifn DOUBLE PRECISION
);
CREATE INDEX communes_departement ON communes (departement);

CREATE TABLE epcis (
    code TEXT PRIMARY KEY NOT NULL,
    nom TEXT NOT NULL,
    kind TEXT NOT NULL,
    population BIGINT NOT NULL,
    -- JSON array of commune INSEE codes.
    communes TEXT NOT NULL,
    ifn DOUBLE PRECISION
);
