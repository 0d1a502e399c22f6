//! The two implementations of [`crate::Store`], compiled from one source file.
//!
//! `imp.rs` is written once against a type alias `DB` and included twice, once with SQLite
//! and once with PostgreSQL. The SQL text is the same for both (`$1` placeholders, `ON
//! CONFLICT … DO UPDATE`, no backend functions); the few differences (how a write transaction
//! takes its lock, the migrations) are the constants below. This keeps the two stores from
//! drifting apart without generic bounds on every sqlx call.

pub(crate) mod sqlite {
    type DB = sqlx::Sqlite;
    const BACKEND: crate::Backend = crate::Backend::Sqlite;
    /// Take the write lock at the start, not at the first write: an import reads, then writes.
    const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
    const LOCK_WRITE: Option<&str> = None;
    include!("imp.rs");
}

pub(crate) mod postgres {
    type DB = sqlx::Postgres;
    const BACKEND: crate::Backend = crate::Backend::Postgres;
    const BEGIN_WRITE: &str = "BEGIN";
    /// Serialises writers (two imports at once would compute their plans on the same state).
    const LOCK_WRITE: Option<&str> = Some("SELECT pg_advisory_xact_lock(727261)");
    include!("imp.rs");
}

pub(crate) type SqliteStore = sqlite::DbStore;
pub(crate) type PostgresStore = postgres::DbStore;
