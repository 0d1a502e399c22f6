//! The command line as a user meets it: exit codes, messages, and the rule that a failed
//! import leaves the database as it was. Runs the real binary on real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shared_data() -> PathBuf {
    std::env::var_os("MAILLAGE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

fn example_v1() -> PathBuf {
    shared_data().join("standard-mediation-num/exemple-valide.csv")
}

/// Runs `maillage ARGS` in `dir`, with no database URL from the environment.
fn maillage(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(args)
        .current_dir(dir)
        .env_remove("MAILLAGE_DATABASE_URL")
        .env(
            "MAILLAGE_DATA_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data"),
        )
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

/// Asserts the exit code and that nothing looks like a panic or a stack trace.
fn check(o: &Output, code: i32) -> String {
    let t = text(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "unexpected exit code; output:\n{t}"
    );
    assert!(!t.contains("panicked"), "panic in output:\n{t}");
    assert!(
        !t.contains("RUST_BACKTRACE"),
        "backtrace hint in output:\n{t}"
    );
    t
}

fn count_places(dir: &Path, db: &str) -> usize {
    let o = maillage(dir, &["export", "--db", db, "--format", "standard-json"]);
    let t = check(&o, 0);
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("export is JSON ({e}):\n{t}"));
    v.as_array().map(Vec::len).unwrap_or(0)
}

#[test]
fn help_lists_the_contract_commands() {
    let dir = tempfile::tempdir().unwrap();
    let t = check(&maillage(dir.path(), &["--help"]), 0);
    for cmd in [
        "demo", "serve", "validate", "import", "export", "coverage", "tours",
    ] {
        assert!(t.contains(cmd), "`{cmd}` missing from --help:\n{t}");
    }
}

#[test]
fn unknown_command_is_a_usage_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    check(&maillage(dir.path(), &["frobnicate"]), 2);
}

#[test]
fn validate_official_example_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let t = check(
        &maillage(dir.path(), &["validate", example_v1().to_str().unwrap()]),
        0,
    );
    assert!(t.contains("valide"), "{t}");
}

#[test]
fn validate_unreadable_files_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("vide.csv");
    std::fs::write(&empty, b"").unwrap();
    check(
        &maillage(dir.path(), &["validate", empty.to_str().unwrap()]),
        2,
    );
    let random = dir.path().join("hasard.csv");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&random, bytes).unwrap();
    check(
        &maillage(dir.path(), &["validate", random.to_str().unwrap()]),
        2,
    );
    check(
        &maillage(dir.path(), &["validate", "/nonexistent/file.csv"]),
        2,
    );
}

#[test]
fn validate_json_report_names_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(example_v1()).unwrap();
    let mut lines = src.lines();
    let header = lines.next().unwrap();
    let row = lines.next().unwrap();
    let bad = row.replace("\"51100\"", "\"5110\"");
    let file = dir.path().join("mauvais.csv");
    std::fs::write(&file, format!("{header}\n{row}\n{bad}\n")).unwrap();
    let o = maillage(dir.path(), &["validate", "--json", file.to_str().unwrap()]);
    check(&o, 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    let issues = v["rapport"]["issues"].as_array().expect("issues");
    assert!(
        issues
            .iter()
            .any(|i| i["line"] == 3 && i["field"] == "code_postal" && i["severity"] == "error"),
        "{v:#}"
    );
}

#[test]
fn importing_the_same_file_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    let f = example_v1();
    let t = check(
        &maillage(dir.path(), &["import", "--db", &db, f.to_str().unwrap()]),
        0,
    );
    assert!(t.contains("1 créés"), "{t}");
    let t = check(
        &maillage(dir.path(), &["import", "--db", &db, f.to_str().unwrap()]),
        0,
    );
    assert!(t.contains("0 créés, 0 mis à jour, 1 inchangés"), "{t}");
    assert_eq!(count_places(dir.path(), &db), 1);
}

#[test]
fn failed_import_leaves_the_database_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    check(
        &maillage(
            dir.path(),
            &["import", "--db", &db, example_v1().to_str().unwrap()],
        ),
        0,
    );
    let before = count_places(dir.path(), &db);
    // A good file and an unusable one in the same import: nothing of it is written.
    let cnfs = shared_data()
        .join("lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json");
    let empty = dir.path().join("vide.csv");
    std::fs::write(&empty, b"").unwrap();
    let o = maillage(
        dir.path(),
        &[
            "import",
            "--db",
            &db,
            cnfs.to_str().unwrap(),
            empty.to_str().unwrap(),
        ],
    );
    let t = text(&o);
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert!(!t.contains("panicked"), "{t}");
    assert_eq!(count_places(dir.path(), &db), before);
}

#[test]
fn rejected_rows_are_reported_and_written_to_a_rejects_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    let src = std::fs::read_to_string(example_v1()).unwrap();
    let mut lines = src.lines();
    let header = lines.next().unwrap();
    let row = lines.next().unwrap();
    // Second row: same place under another id, with its required name emptied.
    let bad = row
        .replace("\"structure-1\"", "\"structure-2\"")
        .replace("\"Anonymal\"", "\"\"");
    let file = dir.path().join("lieux.csv");
    std::fs::write(&file, format!("{header}\n{row}\n{bad}\n")).unwrap();
    let t = check(
        &maillage(dir.path(), &["import", "--db", &db, file.to_str().unwrap()]),
        1,
    );
    assert!(t.contains("ligne 3"), "{t}");
    let rejects = std::fs::read_to_string(dir.path().join("rejets/lieux.csv.rejets.txt"))
        .expect("rejects file written");
    assert!(rejects.contains("structure-2"), "{rejects}");
    assert_eq!(count_places(dir.path(), &db), 1);
}

#[test]
fn standard_csv_export_validates() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    let cnfs = shared_data()
        .join("lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json");
    let o = maillage(dir.path(), &["import", "--db", &db, cnfs.to_str().unwrap()]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    let out = dir.path().join("export.csv");
    check(
        &maillage(
            dir.path(),
            &[
                "export",
                "--db",
                &db,
                "--format",
                "standard-csv",
                "--out",
                out.to_str().unwrap(),
            ],
        ),
        0,
    );
    check(
        &maillage(dir.path(), &["validate", out.to_str().unwrap()]),
        0,
    );
}

#[test]
fn demo_builds_its_database_from_shipped_data_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let o = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(["demo", "--no-serve", "--db-file", db.to_str().unwrap()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("MAILLAGE_DATA_DIR")
        // The demo must not read the shared data folder.
        .env("MAILLAGE_SHARED_DATA", "/nonexistent")
        .output()
        .unwrap();
    let t = check(&o, 0);
    assert!(t.contains("lieux en Tarn-et-Garonne"), "{t}");
    let db_url = format!("sqlite:{}", db.display());
    let n = count_places(dir.path(), &db_url);
    assert!(n >= 40, "only {n} places in the demo:\n{t}");
}

#[test]
fn import_json_prints_the_whole_report_and_every_merge() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/lieux");
    let fs = data.join("liste-fs-20240801-82.csv");
    let ac = data.join("20240212-aidants-connect-structures-82.csv");
    let o = maillage(
        dir.path(),
        &[
            "import",
            "--json",
            "--db",
            &db,
            fs.to_str().unwrap(),
            ac.to_str().unwrap(),
        ],
    );
    let t = text(&o);
    assert!(!t.contains("panicked"), "{t}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}):\n{t}"));
    assert_eq!(v["importe"], true, "{v:#}");
    let files = v["fichiers"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    let records: u64 = files
        .iter()
        .map(|f| f["enregistrements"].as_u64().unwrap())
        .sum();
    let bilan = &v["bilan"];
    let created = bilan["crees"].as_u64().unwrap();
    let merged = bilan["fusionnes"].as_u64().unwrap();
    // regression: records merged into a *new* place were not counted as merges. Two files of
    // one département describe some places twice: every record is either a new place or a
    // merge.
    assert!(merged > 0, "{bilan}");
    assert_eq!(created + merged, records, "{bilan}");
    // Every problem is in the JSON, not only the first thirty.
    for f in files {
        let issues = f["rapport"]["issues"].as_array().expect("issues");
        let warnings = f["rapport"]["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["severity"] == "warning")
            .count();
        assert!(issues.len() >= warnings);
    }
}

#[test]
fn two_demos_side_by_side_keep_their_own_base() {
    // regression: two `maillage demo` shared /tmp/maillage-demo.sqlite and the second deleted
    // the first one's base. Each demo now prepares its own; with --db-file, that file.
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.sqlite");
    let b = dir.path().join("b.sqlite");
    let t = check(
        &maillage(
            dir.path(),
            &["demo", "--no-serve", "--db-file", a.to_str().unwrap()],
        ),
        0,
    );
    assert!(t.contains("lieux"), "{t}");
    check(
        &maillage(
            dir.path(),
            &["demo", "--no-serve", "--db-file", b.to_str().unwrap()],
        ),
        0,
    );
    assert!(a.exists() && b.exists());
    let db_a = format!("sqlite:{}", a.display());
    let db_b = format!("sqlite:{}", b.display());
    assert_eq!(
        count_places(dir.path(), &db_a),
        count_places(dir.path(), &db_b)
    );
    // Without --db-file, the demo's base lives in a directory of its own, gone at exit.
    let o = maillage(dir.path(), &["demo", "--no-serve"]);
    let t = check(&o, 0);
    let base = t
        .lines()
        .find_map(|l| l.strip_prefix("Base de démonstration : "))
        .expect("the demo names its base");
    assert!(!base.ends_with("/tmp/maillage-demo.sqlite"), "{base}");
    assert!(!Path::new(base).exists(), "removed at exit: {base}");
}

#[test]
fn serve_refuses_an_unreadable_colour_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[identite]\nservice = \"Inclusion numérique 82\"\ncouleur_principale = \"#ffdd00\"\n",
    )
    .expect("write");
    let db = format!("sqlite:{}", dir.path().join("m.sqlite").display());
    let bad_arg = bad.display().to_string();
    let o = maillage(
        dir.path(),
        &[
            "serve",
            "--db",
            &db,
            "--addr",
            "127.0.0.1:0",
            "--config",
            &bad_arg,
        ],
    );
    let t = check(&o, 2);
    assert!(
        t.contains("couleur principale #ffdd00 refusée") && t.contains("4,5:1"),
        "{t}"
    );
    // The same refusal through the environment, for the demo.
    let o = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(["demo", "--no-serve", "--db-file"])
        .arg(dir.path().join("demo.sqlite"))
        .current_dir(dir.path())
        .env("MAILLAGE_COULEUR_SECONDAIRE", "#202020")
        .output()
        .expect("runs");
    let t = check(&o, 2);
    assert!(t.contains("couleur secondaire #202020 refusée"), "{t}");
}

#[test]
fn mapping_init_then_import_of_a_form_export() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("crates/standard/tests/fixtures/formulaire-region.csv");
    let mapping = root.join("crates/standard/mappings/formulaire-region.toml");
    let db = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    let format = format!("mapping:{}", mapping.display());
    let t = check(
        &maillage(
            dir.path(),
            &[
                "import",
                "--db",
                &db,
                "--format",
                &format,
                fixture.to_str().unwrap(),
            ],
        ),
        0,
    );
    assert!(t.contains("10 créés"), "{t}");
    let o = maillage(
        dir.path(),
        &["export", "--db", &db, "--format", "standard-json"],
    );
    check(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tilleuls = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["nom"] == "Espace numérique des Tilleuls")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(
        tilleuls["horaires"],
        "Mo,Tu 09:00-12:00,14:00-17:00; We 09:00-12:00; Fr 14:00-17:00"
    );
    let publics = tilleuls["publics_specifiquement_adresses"].to_string();
    for p in ["Seniors", "Familles et/ou enfants", "Jeunes"] {
        assert!(publics.contains(p), "{publics}");
    }
    // The template command writes a mapping that the import accepts.
    let out = dir.path().join("modele.toml");
    check(
        &maillage(
            dir.path(),
            &[
                "mapping",
                "init",
                fixture.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
        ),
        0,
    );
    let toml = std::fs::read_to_string(&out).unwrap();
    assert!(toml.contains("[fields.horaires.days]"), "{toml}");
    // Not overwritten a second time.
    let again = maillage(
        dir.path(),
        &[
            "mapping",
            "init",
            fixture.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(text(&again).contains("existe déjà"), "{}", text(&again));
    let db2 = format!("sqlite:{}", dir.path().join("u.sqlite").display());
    let format2 = format!("mapping:{}", out.display());
    let t = check(
        &maillage(
            dir.path(),
            &[
                "import",
                "--db",
                &db2,
                "--format",
                &format2,
                fixture.to_str().unwrap(),
            ],
        ),
        0,
    );
    assert!(t.contains("10 créés"), "{t}");
}

#[test]
fn two_fresh_demos_announce_the_same_buses_on_the_same_days() {
    // regression: three starts of `maillage demo` gave Lavit three different buses and days
    // (the solver never gives the same routes twice). The demo now lays the routes shipped in
    // data/tours/plan-82.json on the stored input.
    let dir = tempfile::tempdir().unwrap();
    let calendar = |name: &str| {
        let file = dir.path().join(name);
        check(
            &maillage(
                dir.path(),
                &["demo", "--no-serve", "--db-file", file.to_str().unwrap()],
            ),
            0,
        );
        let url = format!("sqlite:{}", file.display());
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = maillage_store::open(&url).await.unwrap();
            let published = store
                .tour_publication(None)
                .await
                .unwrap()
                .expect("the demo publishes its calendar");
            let book: serde_json::Value = serde_json::from_str(&published.book).unwrap();
            (book["plan"].clone(), book["calendar"].clone())
        })
    };
    let (plan_a, calendar_a) = calendar("a.sqlite");
    let (plan_b, calendar_b) = calendar("b.sqlite");
    assert_eq!(plan_a, plan_b);
    assert!(
        calendar_a.to_string().contains("Lavit"),
        "Lavit is a stop of the demo"
    );
    assert_eq!(calendar_a, calendar_b);
}

#[test]
fn monthly_digest_is_queued_once_per_editor_and_month() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("t.sqlite").display());
    let f = example_v1();
    check(
        &maillage(dir.path(), &["import", "--db", &db, f.to_str().unwrap()]),
        0,
    );
    let o = maillage(
        dir.path(),
        &["export", "--db", &db, "--format", "standard-json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let id = v[0]["id"].as_str().expect("id").to_string();
    check(
        &maillage(
            dir.path(),
            &[
                "compte",
                "creer",
                "--db",
                &db,
                "--email",
                "structure@exemple.fr",
                "--role",
                "editeur",
                "--lieu",
                &id,
            ],
        ),
        0,
    );
    let digest = |date: &str| {
        check(
            &maillage(
                dir.path(),
                &[
                    "entretien",
                    "synthese",
                    "--db",
                    &db,
                    "--url",
                    "https://annuaire.exemple.fr",
                    "--date",
                    date,
                ],
            ),
            0,
        )
    };
    let t = digest("2026-12-01");
    assert!(t.contains("1 courriel(s) mis dans la boîte d'envoi"), "{t}");
    let t = digest("2026-12-24");
    assert!(
        t.contains("0 courriel(s)") && t.contains("1 déjà envoyé(s)"),
        "{t}"
    );
    let t = digest("2027-01-02");
    assert!(t.contains("1 courriel(s) mis dans la boîte d'envoi"), "{t}");
    let bad = maillage(
        dir.path(),
        &["entretien", "synthese", "--db", &db, "--date", "demain"],
    );
    check(&bad, 2);
    // The purge hook: nothing was sent (no mail server here), so nothing to delete.
    let t = check(
        &maillage(dir.path(), &["entretien", "purge", "--db", &db]),
        0,
    );
    assert!(
        t.contains("Purge : 0 lien(s) de connexion, 0 session(s), 0 courriel(s)"),
        "{t}"
    );
}

/// `maillage demo --departement CODE --no-serve`, then `maillage serve` on the same base: the
/// store holds only places of that département (by INSEE code, else postal code), and its
/// observatory page answers 200 over real HTTP.
fn demo_of(code: &str, name_in_output: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let o = maillage(
        dir.path(),
        &[
            "demo",
            "--no-serve",
            "--departement",
            code,
            "--db-file",
            db.to_str().unwrap(),
        ],
    );
    let t = check(&o, 0);
    assert!(t.contains(name_in_output), "{t}");
    // Tours are shipped for 82 only: no other département gets a calendar.
    assert_eq!(t.contains("du calendrier publiée"), code == "82", "{t}");
    let url = format!("sqlite:{}", db.display());
    let o = maillage(
        dir.path(),
        &["export", "--db", &url, "--format", "standard-json"],
    );
    let export = check(&o, 0);
    let places: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("export is JSON ({e}):\n{export}"));
    let places = places.as_array().expect("an array of places");
    assert!(
        places.len() >= 10,
        "only {} places for {code}:\n{t}",
        places.len()
    );
    for p in places {
        let insee = p["code_insee"].as_str().unwrap_or("");
        let cp = p["code_postal"].as_str().unwrap_or("");
        assert!(
            insee.starts_with(code) || (insee.is_empty() && cp.starts_with(code)),
            "a place of another département in the demo of {code}: {p}"
        );
    }
    // The site on that base: the observatory of the département answers.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(["serve", "--db", &url, "--addr", &addr])
        .current_dir(dir.path())
        .env_remove("MAILLAGE_DATABASE_URL")
        .env(
            "MAILLAGE_DATA_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data"),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("maillage serve starts");
    let response = (|| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                use std::io::{Read, Write};
                let request = format!(
                    "GET /observatoire?departement={code} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
                );
                s.write_all(request.as_bytes()).ok()?;
                let mut body = Vec::new();
                s.read_to_end(&mut body).ok()?;
                return Some(String::from_utf8_lossy(&body).to_string());
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    })();
    let _ = server.kill();
    let _ = server.wait();
    let response = response.expect("the site answers");
    let status = response.lines().next().unwrap_or("");
    assert!(
        status.contains(" 200 "),
        "{status}\n{}",
        &response[..response.len().min(2000)]
    );
    assert!(
        response.contains("Observatoire"),
        "{}",
        &response[..response.len().min(2000)]
    );
}

#[test]
fn demo_of_tarn_et_garonne_by_code() {
    demo_of("82", "lieux en Tarn-et-Garonne");
}

#[test]
fn demo_of_haute_vienne() {
    demo_of("87", "lieux en Haute-Vienne");
}

#[test]
fn demo_of_ille_et_vilaine() {
    demo_of("35", "lieux en Ille-et-Vilaine");
}

#[test]
fn demo_of_allier() {
    demo_of("03", "lieux en Allier");
}

#[test]
fn demo_of_la_reunion_overseas() {
    demo_of("974", "lieux du département 974");
}

#[test]
fn demo_of_an_unknown_departement_is_refused_in_french() {
    let dir = tempfile::tempdir().unwrap();
    let o = maillage(dir.path(), &["demo", "--no-serve", "--departement", "99"]);
    let t = check(&o, 2);
    assert!(t.contains("n'est pas dans le référentiel"), "{t}");
}
