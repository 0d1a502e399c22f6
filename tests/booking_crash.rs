//! Booking through the real binary: the demo publishes the France Services' slots, the
//! `rendez-vous` commands run on its base, and the server killed with SIGKILL in the middle
//! of a burst of bookings loses none it confirmed: after a restart every booking that got a
//! 201 is in the base exactly once, and none that got anything else is there.
//!
//! HTTP is spoken by hand over `std::net::TcpStream` (one request per connection, HTTP/1.1
//! with `Connection: close`): the test needs no HTTP client crate for a dozen lines.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn maillage(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(args)
        .current_dir(dir)
        .env_remove("MAILLAGE_DATABASE_URL")
        .env_remove("MAILLAGE_SMTP_URL")
        .output()
        .expect("the maillage binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fresh demo base (imports, tours, slots), without serving it.
fn demo_base(dir: &Path) -> (PathBuf, String) {
    let db = dir.join("demo.sqlite");
    let o = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(["demo", "--no-serve", "--db-file"])
        .arg(&db)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("MAILLAGE_DATA_DIR")
        .output()
        .expect("demo runs");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    (db.clone(), t)
}

/// The number in front of `words` in `t` ("1234 créneaux").
fn number_before(t: &str, words: &str) -> u64 {
    let at = t
        .find(words)
        .unwrap_or_else(|| panic!("« {words} » not in:\n{t}"));
    t[..at]
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number before « {words} » in:\n{t}"))
}

#[test]
fn the_demo_publishes_france_services_slots_and_the_rendez_vous_commands_run() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, t) = demo_base(dir.path());
    let slots = number_before(&t, "créneaux de rendez-vous publiés");
    let places = number_before(&t, "France Services.");
    assert!(slots > 0 && places > 0, "{t}");
    let url = format!("sqlite:{}", db.display());
    // Publishing again updates the same slots (same ids): the same count, nothing doubled.
    let o = maillage(dir.path(), &["rendez-vous", "publier", "--db", &url]);
    let t2 = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t2}");
    assert_eq!(number_before(&t2, "créneaux publiés"), slots, "{t2}");
    let o = maillage(dir.path(), &["rendez-vous", "rappels", "--db", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("0 rappel(s)"), "{}", text(&o));
    let o = maillage(dir.path(), &["rendez-vous", "purger", "--db", &url]);
    assert!(
        text(&o).contains("0 rendez-vous anonymisé(s)"),
        "{}",
        text(&o)
    );
    let o = maillage(
        dir.path(),
        &[
            "rendez-vous",
            "rappels",
            "--db",
            "sqlite:/nulle/part.sqlite",
        ],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn serve(url: &str, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(["serve", "--db", url, "--addr", &format!("127.0.0.1:{port}")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("MAILLAGE_SMTP_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let deadline = Instant::now() + Duration::from_secs(120);
    while request(port, "GET", "/healthz", "").map(|(s, _)| s) != Some(200) {
        assert!(Instant::now() < deadline, "the server does not answer");
        std::thread::sleep(Duration::from_millis(200));
    }
    Server(child)
}

/// One HTTP request; the status and body, or `None` when the connection failed (the server
/// was killed while answering).
fn request(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split_whitespace().nth(1)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

#[test]
fn bookings_confirmed_before_a_sigkill_are_all_there_once_after_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, _) = demo_base(dir.path());
    let url = format!("sqlite:{}", db.display());
    let port = free_port();
    let server = serve(&url, port);
    let (_, list) = request(port, "GET", "/api/v1/creneaux", "").expect("slots");
    let v: serde_json::Value = serde_json::from_str(
        list.trim_start_matches(|c: char| c != '{')
            .trim_end_matches(|c: char| c != '}'),
    )
    .expect("JSON");
    let ids: Vec<String> = v["creneaux"]
        .as_array()
        .expect("slots")
        .iter()
        .filter(|s| s["places_restantes"].as_u64() >= Some(2))
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect();
    assert!(ids.len() >= 20, "{} slots", ids.len());

    // 8 clients book in a loop; the server is killed with SIGKILL while they run.
    let results = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let ids = ids.clone();
            let results = results.clone();
            std::thread::spawn(move || {
                // Until the server is gone: the kill always lands inside the burst, while
                // bookings still succeed (a week of the demo's slots, two places each).
                for i in 0..5000 {
                    let id = &ids[(i * 8 + c) % ids.len()];
                    let name = format!("Client {c} essai {i}");
                    let body = format!(r#"{{"nom":"{name}","telephone":"0563000000"}}"#);
                    let path = format!("/api/v1/creneaux/{id}/reservations");
                    let got = request(port, "POST", &path, &body);
                    let status = got.as_ref().map(|(s, _)| *s);
                    results.lock().expect("lock").push((name, status));
                    if status.is_none() {
                        break;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let pid = server.0.id();
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    for c in clients {
        c.join().expect("client");
    }
    drop(server);
    let results = results.lock().expect("lock").clone();
    let created: Vec<&String> = results
        .iter()
        .filter(|(_, s)| *s == Some(201))
        .map(|(n, _)| n)
        .collect();
    let failed: Vec<&String> = results
        .iter()
        .filter(|(_, s)| *s != Some(201))
        .map(|(n, _)| n)
        .collect();
    assert!(
        !created.is_empty(),
        "some bookings were made before the kill"
    );
    assert!(
        results.iter().any(|(_, s)| s.is_none()),
        "the kill cut the burst"
    );

    // Restart on the same base, then read what is stored.
    let port2 = free_port();
    let _again = serve(&url, port2);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let names: Vec<String> = rt.block_on(async {
        let store = maillage_store::open(&url).await.expect("store");
        let mut names = Vec::new();
        for id in &ids {
            for b in store.bookings_of_slot(id).await.expect("rows") {
                names.push(b.name);
            }
        }
        names
    });
    for n in &created {
        let times = names.iter().filter(|m| m == n).count();
        assert_eq!(times, 1, "{n} got a 201: stored {times} times");
    }
    for n in &failed {
        // A request cut by the kill may have committed before its answer was written: it is
        // there at most once, never twice. A request refused (409, 422) is not there at all.
        let times = names.iter().filter(|m| m == n).count();
        assert!(times <= 1, "{n}: stored {times} times");
    }
    let refused: Vec<_> = results
        .iter()
        .filter(|(_, s)| matches!(s, Some(s) if *s != 201))
        .collect();
    for (n, s) in &refused {
        assert!(!names.contains(n), "{n} got {s:?} and is stored");
    }
    println!(
        "SIGKILL pendant la rafale : {} réponses 201 toutes présentes une fois après redémarrage, {} requêtes coupées, {} refusées",
        created.len(),
        failed.len() - refused.len(),
        refused.len()
    );
}
