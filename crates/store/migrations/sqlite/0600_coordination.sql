-- The coordinator's imports from the browser (issue 14): each uploaded file, its dry run and,
-- once applied, who applied it and what it did. The `imports` table (0001) stays the store's
-- own log of every import, from the command line too; this one adds who and the file kept for
-- the dry run. Keep in step with ../postgres/0600_coordination.sql.
CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Who uploaded it; the line stays (without its author) when the account is deleted.
    account_id BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    -- The name the browser gave, shown in the history; never used as a path.
    file_name TEXT NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    -- Where the upload waits for its dry run and apply (a server-side temporary file).
    stored_path TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    -- The format chosen in the form (`auto`, `france-services`…), as `maillage import --format`.
    format TEXT NOT NULL,
    -- 'essai' (uploaded, dry run only), 'en-cours' (being applied), 'applique'
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    applied_at TEXT,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    merged BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX import_runs_status ON import_runs (status, id);
