//! Opening a store from a database URL, and applying the migrations.
//!
//! The URL decides the backend: `sqlite:PATH` (the file is created when missing; WAL journal,
//! foreign keys on), `sqlite::memory:` (tests and throwaway runs), `postgres://…` or
//! `postgresql://…`. The migrations of that backend (`migrations/sqlite` or
//! `migrations/postgres`, embedded in the binary) are applied before the store is returned, so
//! a caller never sees an old schema.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::backend::{PostgresStore, SqliteStore};
use crate::{Result, Store, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Opens (and migrates) the store behind `url`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    let url = url.trim();
    if url.starts_with("sqlite:") {
        open_sqlite(url).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        open_postgres(url).await
    } else {
        Err(StoreError::BadUrl(url.to_string()))
    }
}

async fn open_sqlite(url: &str) -> Result<Arc<dyn Store>> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::BadUrl(format!("{url} ({e})")))?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let options = if in_memory {
        options
    } else {
        // WAL lets the web server read while an import writes; NORMAL is durable in WAL mode
        // except for the last transactions on power loss, which an import can redo.
        options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // An import of the national lists writes tens of MB in one transaction: a 64 MB
            // page cache keeps it from spilling to the WAL before the commit.
            .pragma("cache_size", "-65536")
    };
    // An in-memory database lives as long as one of its connections: keep exactly one open.
    let pool_options = if in_memory {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new().max_connections(4)
    };
    let pool = pool_options
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Open(format!("{url} : {e}")))?;
    SQLITE_MIGRATIONS
        .run(&pool)
        .await
        .map_err(|e| StoreError::Open(format!("migration de {url} : {e}")))?;
    Ok(Arc::new(SqliteStore::new(pool)))
}

async fn open_postgres(url: &str) -> Result<Arc<dyn Store>> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::BadUrl(format!("{} ({e})", redact(url))))?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(15))
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Open(format!("{} : {e}", redact(url))))?;
    POSTGRES_MIGRATIONS
        .run(&pool)
        .await
        .map_err(|e| StoreError::Open(format!("migration de {} : {e}", redact(url))))?;
    Ok(Arc::new(PostgresStore::new(pool)))
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_not_shown() {
        assert_eq!(
            redact("postgres://maillage:secret@db:5432/maillage"),
            "postgres://maillage:***@db:5432/maillage"
        );
        assert_eq!(redact("postgres://db/maillage"), "postgres://db/maillage");
    }

    #[tokio::test]
    async fn unknown_scheme_is_refused_with_the_url() {
        let err = open("mysql://x").await.err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("mysql://x")));
    }
}
