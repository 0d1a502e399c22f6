//! A real local SMTP server for tests (`aiosmtpd` from the project's `.venv`, with its
//! `Mailbox` handler, which writes every message it receives to a maildir).
//!
//! Why here rather than in each test: the outbox test of this crate and the web's browser
//! test of the sign-in links both need the same server, started the same way; tests use a
//! real server, never a mock (see the architecture page).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The venv's Python, when it has `aiosmtpd` (`.venv` is a symlink at the workspace root in
/// CI and locally).
pub fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = root.join(".venv/bin/python");
    let ok = Command::new(&p)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    ok.then_some(p)
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(2525)
}

/// A running `aiosmtpd`; stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl SmtpServer {
    /// Starts the server on `127.0.0.1:port`, writing to `maildir`, and waits until it
    /// accepts connections (at most 20 s).
    pub fn start(python: &Path, port: u16, maildir: &Path) -> std::io::Result<SmtpServer> {
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let server = SmtpServer {
            child,
            port,
            maildir: maildir.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(std::io::Error::other("aiosmtpd ne répond pas"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    /// `smtp://127.0.0.1:PORT`, for [`crate::Mailer::new`].
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, as raw text, sorted.
    pub fn received(&self) -> Vec<String> {
        received(&self.maildir)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `aiosmtpd` on `127.0.0.1:port`, writing to `maildir`; panics when it cannot (for
/// tests, where that is the clearest failure).
pub fn start_smtp(python: &Path, port: u16, maildir: &Path) -> SmtpServer {
    SmtpServer::start(python, port, maildir).expect("aiosmtpd")
}

/// Every message received so far in `maildir`, raw, sorted.
pub fn received(maildir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
