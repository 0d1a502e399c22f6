-- Accounts, sign-in, sessions, the email outbox, moderation, change history, audit log and
-- freshness (the living directory, issue 11; see src/accounts.rs).
-- Keep in step with ../postgres/0300_accounts.sql: same tables, same columns, same names.
-- Personal data: accounts.email (and password hash), sessions, signin_tokens, outbox (the
-- address and text of each message), the author of changes/history and the audit log.

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE CHECK (email <> ''),
    role TEXT NOT NULL CHECK (role IN ('editeur', 'agent', 'coordinateur', 'admin')),
    -- Département code or EPCI SIREN a coordinator (or agent) works for.
    territory TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    -- argon2 PHC string, when the person chose a password (the link always works).
    password_hash TEXT,
    created_at TEXT NOT NULL
);

-- The places an editor may change. No foreign key to places: an id may be an alias.
CREATE TABLE account_places (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    place_id TEXT NOT NULL,
    PRIMARY KEY (account_id, place_id)
);
CREATE INDEX account_places_place ON account_places (place_id);

-- One-time sign-in links: only the SHA-256 of the token is kept.
CREATE TABLE signin_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- 'connexion', or 'revendication' (claiming place_id), or 'confirmation' (toujours exact)
    purpose TEXT NOT NULL,
    place_id TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Sessions shared by every app server; only the SHA-256 of the cookie value is kept.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Email waiting to be sent (or sent): a message is claimed before it is sent, so it leaves
-- once even when several workers run or one restarts.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_try);

-- Changes waiting for (or past) moderation.
CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    place_id TEXT NOT NULL,
    author_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    -- JSON of the Place before and after, and the JSON array of changed fields.
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    changed_fields TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('en_attente', 'approuvee', 'rejetee')),
    -- Post-moderation: the change was applied at once and is still reviewed.
    applied BOOLEAN NOT NULL DEFAULT FALSE,
    moderator_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    message TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX changes_status ON changes (status, created_at);
CREATE INDEX changes_place ON changes (place_id);

-- Every change applied to a place (who, what, when, why, source), for revert.
CREATE TABLE place_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    place_id TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    at TEXT NOT NULL,
    why TEXT NOT NULL,
    source TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    changed_fields TEXT NOT NULL
);
CREATE INDEX place_history_place ON place_history (place_id, at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_account ON audit_log (account_id, at);

CREATE TABLE freshness (
    place_id TEXT PRIMARY KEY,
    interval_months INTEGER NOT NULL DEFAULT 6 CHECK (interval_months IN (1, 3, 6, 12, 16)),
    last_confirmed DATE,
    reminder_sent_at TEXT
);

-- Territories switched to post-moderation (pre-moderation is the default: no row).
CREATE TABLE territory_moderation (
    territory TEXT PRIMARY KEY,
    post_moderation BOOLEAN NOT NULL
);
