-- The monthly digest of the listings due for confirmation (the living directory, issue 11):
-- one row per editor and month, written in the same transaction as the digest's email in the
-- outbox, so a digest is queued once per month whatever the number of app servers or runs.
-- Keep in step with ../sqlite/0800_freshness_digests.sql.
-- Personal data: which account got a digest, when (deleted with the account).

CREATE TABLE freshness_digests (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- 'YYYY-MM'
    month TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, month)
);
