//! Test support: a real, throwaway PostgreSQL server for the tests of every crate.
//!
//! The PostgreSQL tests must run against the real server, not a mock, and on a fresh machine
//! with nothing but Debian's `postgresql` package installed. So the first test of a test binary
//! that asks for PostgreSQL starts a private server: `initdb` into a temporary directory,
//! `pg_ctl start` listening only on a unix socket in that directory (no TCP port, so test
//! binaries running side by side never collide), and each test gets a fresh database
//! (`CREATE DATABASE test_<n>`). `initdb` refuses to run as root: as root the server runs as
//! the `postgres` user (created by the Debian package) through `runuser`. A small watchdog
//! process stops the server and removes the directory when the test binary exits, whatever
//! the way it exits (a `static` is never dropped).
//!
//! ```ignore
//! let Some(pg) = maillage_store::testing::postgres_or_skip().await else { return };
//! let store = maillage_store::open(&pg.url).await?;
//! ```

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use sqlx::Connection;

/// A fresh database on the throwaway server.
#[derive(Debug, Clone)]
pub struct PgTestDatabase {
    /// `postgres://postgres@localhost:5432/test_<n>?host=<socket dir>`, for [`crate::open`].
    pub url: String,
    pub name: String,
    _server: Arc<PgServer>,
}

/// The server of this test process; stopped by its watchdog when the process ends.
#[derive(Debug)]
pub struct PgServer {
    pub socket_dir: PathBuf,
    pub port: u16,
    pub log: PathBuf,
}

static SERVER: OnceLock<Result<Arc<PgServer>, String>> = OnceLock::new();
static NEXT_DB: AtomicU64 = AtomicU64::new(1);

/// A fresh database on this process's throwaway PostgreSQL server (started on first use).
/// The error says why the server could not start, in words a developer can act on.
pub async fn postgres() -> Result<PgTestDatabase, String> {
    let server = match SERVER.get() {
        Some(s) => s.clone()?,
        None => {
            let started = tokio::task::spawn_blocking(|| SERVER.get_or_init(start).clone())
                .await
                .map_err(|e| format!("démarrage de PostgreSQL interrompu : {e}"))?;
            started?
        }
    };
    let name = format!("test_{}", NEXT_DB.fetch_add(1, Ordering::SeqCst));
    let admin_url = server.url("postgres");
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .map_err(|e| format!("connexion à PostgreSQL ({admin_url}) : {e}"))?;
    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE template0"))
        .execute(&mut conn)
        .await
        .map_err(|e| format!("CREATE DATABASE {name} : {e}"))?;
    let _ = conn.close().await;
    Ok(PgTestDatabase {
        url: server.url(&name),
        name,
        _server: server,
    })
}

/// [`postgres`] for tests: `None` with a loud message when PostgreSQL is not installed here and
/// `CI` is unset; a panic when `CI` is set (CI must run the PostgreSQL tests) or when an
/// installed PostgreSQL fails to start.
pub async fn postgres_or_skip() -> Option<PgTestDatabase> {
    match postgres().await {
        Ok(db) => Some(db),
        Err(e) => {
            let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
            if in_ci || pg_bin_dir().is_some() {
                panic!("PostgreSQL de test indisponible : {e}");
            }
            eprintln!(
                "\n*** TEST POSTGRESQL SAUTÉ : {e}\n*** installer le paquet Debian `postgresql` \
                 pour le lancer (obligatoire quand CI=true)\n"
            );
            None
        }
    }
}

impl PgServer {
    fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@localhost:{}/{database}?host={}",
            self.port,
            self.socket_dir.display()
        )
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb` and `pg_ctl`, or the
/// directory of `PG_BIN` when set.
pub fn pg_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").exists().then_some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A command for a PostgreSQL tool, run as `postgres` when we are root.
fn pg_command(bin: &Path, tool: &str) -> Command {
    if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what} : {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} a échoué ({}) : {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn start() -> Result<Arc<PgServer>, String> {
    let bin = pg_bin_dir().ok_or(
        "PostgreSQL introuvable (ni /usr/lib/postgresql/*/bin/initdb, ni PG_BIN)".to_string(),
    )?;
    let dir = tempfile::Builder::new()
        .prefix("maillage-pg-")
        .tempdir()
        .map_err(|e| format!("dossier temporaire : {e}"))?
        // The watchdog removes it; a TempDir guard in a static would never run.
        .keep();
    let data = dir.join("data");
    let log = dir.join("server.log");
    if running_as_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("postgres:").arg(&dir);
                c
            },
            "chown postgres du dossier temporaire",
        )?;
    }
    let mut initdb = pg_command(&bin, "initdb");
    initdb.arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    run(initdb, "initdb")?;

    let port = 5432;
    let options = format!(
        "-p {port} -k {} -c listen_addresses='' -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200",
        dir.display()
    );
    let mut pg_ctl = pg_command(&bin, "pg_ctl");
    pg_ctl
        .arg("-D")
        .arg(&data)
        .arg("-o")
        .arg(&options)
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "60", "start"]);
    if let Err(e) = run(pg_ctl, "pg_ctl start") {
        let server_log = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        return Err(format!("{e}\n{server_log}"));
    }

    // The watchdog: waits for this process to end, then stops the server and cleans up.
    let stop = format!(
        "{} {} -D '{}' -m immediate stop",
        if running_as_root() {
            "runuser -u postgres --"
        } else {
            ""
        },
        bin.join("pg_ctl").display(),
        data.display()
    );
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("surveillance du serveur PostgreSQL : {e}"))?;

    Ok(Arc::new(PgServer {
        socket_dir: dir,
        port,
        log,
    }))
}

/// A SQLite base in a fresh temporary directory (removed when the returned guard drops).
pub fn sqlite_file() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("dossier temporaire");
    let url = format!("sqlite:{}", dir.path().join("test.sqlite").display());
    (dir, url)
}

/// Runs one async test body on both backends: `check_both!(name)` makes the module `name`
/// with a `sqlite` and a `postgres` test, each calling `name(store)` on a fresh store.
///
/// `check_both!(name, file)` puts the SQLite base in a temporary file on a multi-threaded
/// runtime (for tests of concurrency, where an in-memory base would serialise everything), and
/// `check_both!(name, |store| Wrapper::new(store).await)` hands the test something built from the
/// store (a router, a site). One macro for every crate, so the two backends are always driven
/// the same way.
#[macro_export]
macro_rules! check_both {
    ($name:ident) => {
        $crate::check_both!($name, |store| store);
    };
    ($name:ident, |$store:ident| $wrap:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $store = $crate::open("sqlite::memory:")
                    .await
                    .expect("SQLite en mémoire");
                super::$name($wrap).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(pg) = $crate::testing::postgres_or_skip().await else {
                    return;
                };
                let $store = $crate::open(&pg.url).await.expect("PostgreSQL de test");
                super::$name($wrap).await;
            }
        }
    };
    ($name:ident, file) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let (_dir, url) = $crate::testing::sqlite_file();
                let store = $crate::open(&url).await.expect("SQLite");
                super::$name(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(pg) = $crate::testing::postgres_or_skip().await else {
                    return;
                };
                let store = $crate::open(&pg.url).await.expect("PostgreSQL de test");
                super::$name(store).await;
            }
        }
    };
}
