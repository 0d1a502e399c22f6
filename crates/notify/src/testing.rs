//! Test support (not part of the API): a real SMTP server for the tests of every crate that
//! sends email, `aiosmtpd` from the workspace's `.venv` with its `Mailbox` handler, which
//! writes each message it receives to a maildir. Here once, so the notify tests and the web's
//! browser test start it the same way.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The venv's Python if it has `aiosmtpd` (`.venv` at the workspace root, a symlink in CI
/// and locally).
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

/// A free TCP port on the loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port libre")
}

/// The running server, stopped when dropped.
pub struct SmtpServer(Child);

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `aiosmtpd` on `127.0.0.1:port`, writing to `maildir`; returns once it answers.
pub fn start_smtp(python: &Path, port: u16, maildir: &Path) -> SmtpServer {
    let child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("aiosmtpd");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd ne répond pas");
        std::thread::sleep(Duration::from_millis(100));
    }
    SmtpServer(child)
}

/// Every message received so far, raw, sorted.
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
