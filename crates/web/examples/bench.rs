//! Benchmark of the public API at national scale (issue 4's figures), run on this machine:
//!
//!     cargo run --release -p maillage-web --example bench -- [TOTAL_PLACES]
//!
//! 1. Builds a SQLite store from every shared national source (conseiller numérique list,
//!    France Services 2024, Aidants Connect) through the real import (`maillage_directory`:
//!    readers, checks, de-duplication), plus perturbed copies
//!    up to TOTAL_PLACES (default 50,000).
//! 2. Starts the real server in a child process (this binary with `serve DB`), so its memory
//!    (VmRSS) is the server's alone.
//! 3. Loads `/api/v1/lieux` with a text query and a distance filter from 64 concurrent
//!    keep-alive clients (a tokio + hyper load generator on the same machine), and the same
//!    for `/healthz` as the baseline of the run: prints req/s, p50/p95/p99 and the ratio.
//! 4. Bytes before the first result: our search page (HTML, gzip) against the national
//!    cartography's approach, the whole dataset as JSON (gzip); prints the ratio.
//! 5. The search index alone, in this process, from 64 threads: the relevance ranking
//!    against the first version's ordering ([`Ranking::Baseline`], every word required,
//!    alphabetical) on the same index, queries and machine, interleaved: p50/p99 and the ratio.
//!
//! `-- mixed` is issue 9's observatory under load ([`drive_mixed`]); `-- booking` issue 15's
//! booking p95 at 32 clients against `/healthz` ([`drive_booking`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use maillage_model::{Place, Position};
use maillage_standard::read::Format;
use maillage_store::{ImportPlan, PlannedPlace, SourceRecord};
use maillage_territory::Referential;
use maillage_web::index::{Ranking, SearchIndex};
use maillage_web::query::SearchQuery;

const CLIENTS: usize = 64;
const REQUESTS: usize = 30_000;

fn shared_data() -> PathBuf {
    std::env::var("MAILLAGE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if args.get(1).map(String::as_str) == Some("serve") {
        rt.block_on(serve(&args[2], &args[3]));
    } else if args.get(1).map(String::as_str) == Some("mixed") {
        rt.block_on(drive_mixed());
    } else if args.get(1).map(String::as_str) == Some("booking") {
        rt.block_on(drive_booking());
    } else {
        let total: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(50_000);
        rt.block_on(drive(total));
    }
}

/// The child: the real server on the given store, printing its address when ready.
async fn serve(db: &str, shared: &str) {
    let store = maillage_store::open(db).await.expect("open store");
    let referential = Referential::load_shared(Path::new(shared))
        .ok()
        .map(Arc::new);
    let state = maillage_web::AppState::new(store, referential)
        .await
        .expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    println!("{}", listener.local_addr().expect("addr"));
    std::io::stdout().flush().expect("flush");
    maillage_web::serve_on(state, listener, std::future::pending())
        .await
        .expect("serve");
}

async fn build_store(
    db: &str,
    total: usize,
    shared: &Path,
    referential: &Referential,
) -> Vec<Place> {
    let store = maillage_store::open(db).await.expect("open store");
    store
        .replace_territory(&referential.communes, &referential.epcis)
        .await
        .expect("territory");
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let files = [
        (
            "lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json",
            "conseiller-numerique",
            Format::CnfsJson,
        ),
        (
            "france-services/liste-fs-20240801.csv",
            "france-services",
            Format::FranceServices,
        ),
        (
            "dispositifs/20240212-aidants-connect-structures.csv",
            "aidants-connect",
            Format::AidantsConnect,
        ),
    ];
    // The real sources through the real import (read, check, de-duplicate, one transaction),
    // as `maillage import` runs it.
    let lookup: &dyn maillage_model::CommuneLookup = referential;
    let reads = files
        .iter()
        .map(|(file, source, format)| {
            maillage_directory::import::read_file(
                &shared.join(file),
                format,
                Some(source),
                Some(lookup),
            )
            .unwrap_or_else(|e| panic!("{file}: {e:#}"))
        })
        .collect();
    let (outcome, reads) = maillage_directory::import(store.as_ref(), reads)
        .await
        .expect("import");
    for r in &reads {
        println!("  {}: {} records", r.path.display(), r.records.len());
    }
    println!(
        "  import: {} created, {} merged",
        outcome.created, outcome.merged
    );
    let mut all: Vec<Place> = Vec::new();
    let real: Vec<Place> = store
        .places(&Default::default())
        .await
        .expect("places")
        .into_iter()
        .map(|s| s.place)
        .collect();
    all.extend(real.iter().cloned());
    // Perturbed copies: same shape as real places, moved by up to ~3 km, renamed.
    let mut copies = Vec::new();
    let mut i = 0usize;
    while real.len() + copies.len() < total {
        let mut p = real[i % real.len()].clone();
        let n = i / real.len() + 1;
        let jitter = ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
        p.id = format!("{}-copie-{n}", p.id);
        p.nom = format!("{} (antenne {n})", p.nom);
        if let Some(pos) = p.position {
            p.position = Some(Position::new(
                pos.lat + jitter * 0.05,
                pos.lon - jitter * 0.05,
            ));
        }
        copies.push(PlannedPlace {
            records: vec![SourceRecord {
                source: maillage_model::SourceRef {
                    source: "copie".into(),
                    source_id: p.id.clone(),
                },
                place: p.clone(),
                observed: date,
            }],
            place: p,
            ..Default::default()
        });
        i += 1;
    }
    all.extend(copies.iter().map(|c| c.place.clone()));
    for chunk in copies.chunks(10_000) {
        store
            .apply_import(ImportPlan {
                source: "copie".into(),
                file: "copies".into(),
                places: chunk.to_vec(),
                rejected: 0,
            })
            .await
            .expect("copies");
    }
    println!(
        "  store: {} places",
        store.count_places().await.expect("count")
    );
    all
}

fn vm_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

struct Figures {
    rps: f64,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    errors: usize,
}

async fn load(base: &str, uris: Arc<Vec<String>>) -> Figures {
    load_with(base, uris, CLIENTS, REQUESTS).await
}

/// `requests` GETs spread over `clients` keep-alive clients, cycling through `uris`.
async fn load_with(base: &str, uris: Arc<Vec<String>>, clients: usize, requests: usize) -> Figures {
    let base = base.to_string();
    load_requests(
        clients,
        requests,
        move |c, k| {
            hyper::Request::get(format!("{base}{}", uris[(c * 31 + k) % uris.len()]))
                .body(http_body_util::Full::new(Bytes::new()))
                .expect("request")
        },
        |status| status.is_success(),
    )
    .await
}

/// `requests` requests made by `make(client, k)`, spread over `clients` keep-alive clients;
/// an answer is an error unless `ok(status)`.
async fn load_requests(
    clients: usize,
    requests: usize,
    make: impl Fn(usize, usize) -> hyper::Request<http_body_util::Full<Bytes>> + Send + Sync + 'static,
    ok: fn(hyper::StatusCode) -> bool,
) -> Figures {
    let client: Client<_, http_body_util::Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(clients)
        .build_http();
    let make = Arc::new(make);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, make) = (client.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(requests / clients + 1);
            let mut errors = 0;
            for k in 0..requests / clients {
                let request = make(c, k);
                let t = Instant::now();
                match client.request(request).await {
                    Ok(resp) => {
                        let good = ok(resp.status());
                        let _ = resp.into_body().collect().await;
                        if !good {
                            errors += 1;
                        }
                    }
                    Err(_) => errors += 1,
                }
                lat.push(t.elapsed());
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.expect("task");
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed();
    all.sort();
    let q = |f: f64| all[((all.len() as f64 * f) as usize).min(all.len() - 1)];
    Figures {
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50: q(0.50),
        p95: q(0.95),
        p99: q(0.99),
        errors,
    }
}

async fn gzip_len(bytes: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip").len()
}

async fn fetch(base: &str, uri: &str) -> Vec<u8> {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let resp = client
        .get(format!("{base}{uri}").parse().expect("uri"))
        .await
        .expect("get");
    resp.into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

async fn drive(total: usize) {
    let shared = shared_data();
    let dir = tempfile::tempdir().expect("temp dir");
    // BENCH_KEEP_DB=PATH keeps the store for other measurements (the map with many points).
    let db = match std::env::var("BENCH_KEEP_DB") {
        Ok(path) => format!("sqlite:{path}"),
        Err(_) => format!("sqlite:{}", dir.path().join("bench.sqlite").display()),
    };
    println!(
        "building a store of {total} places from {} …",
        shared.display()
    );
    let t = Instant::now();
    let referential = Referential::load_shared(&shared).expect("referential");
    let places = build_store(&db, total, &shared, &referential).await;
    println!("  built in {:.1} s", t.elapsed().as_secs_f64());

    let (mut child, base) = spawn_server(&db, &shared);
    let rss_idle = vm_rss_kb(child.id());

    // Queries: a text query around real communes that have places, 10 km.
    let mut communes: Vec<String> = places
        .iter()
        .take(20_000)
        .filter(|p| p.position.is_some())
        .map(|p| p.commune.clone())
        .collect();
    communes.sort();
    communes.dedup();
    let search: Vec<String> = communes
        .iter()
        .take(200)
        .map(|c| {
            format!(
                "/api/v1/lieux?q=demarche&ou={}&rayon=10",
                form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>()
            )
        })
        .collect();
    // Keep only queries that answer with results (a few source commune names are not in the
    // COG, and some communes have no matching place within 10 km).
    let mut ok = Vec::new();
    let mut results = 0u64;
    for u in &search {
        let body = fetch(&base, u).await;
        let total = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["total"].as_u64())
            .unwrap_or(0);
        if total > 0 {
            ok.push(u.clone());
            results += total;
        }
    }
    println!(
        "  {} search URLs (text + commune + 10 km), {:.1} matching places on average (20 per page returned)",
        ok.len(),
        results as f64 / ok.len().max(1) as f64
    );
    let _ = load(&base, Arc::new(ok.clone())).await; // warm-up
    let baseline = load(&base, Arc::new(vec!["/healthz".to_string()])).await;
    let api = load(&base, Arc::new(ok.clone())).await;
    let rss_loaded = vm_rss_kb(child.id());

    // Bytes before the first result.
    let page = fetch(
        &base,
        &format!(
            "/?q=demarche&ou={}",
            form_urlencoded::byte_serialize(communes[0].as_bytes()).collect::<String>()
        ),
    )
    .await;
    let mut dataset = Vec::new();
    maillage_standard::write::write_standard_json(&places, &mut dataset).expect("json");
    let page_gz = gzip_len(&page).await;
    let dataset_gz = gzip_len(&dataset).await;
    let _ = child.kill();
    let _ = child.wait();
    // The same server without the territory referential in memory (the search still knows
    // every commune from the store; only the observatory needs the referential).
    let mut bare = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["serve", &db, "/nonexistent"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("server process");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(bare.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("server address");
    let rss_bare = vm_rss_kb(bare.id());
    let _ = bare.kill();
    let _ = bare.wait();

    println!("\n== /api/v1/lieux, text + distance, {CLIENTS} concurrent clients, {REQUESTS} requests, {} places ==", places.len());
    println!("baseline /healthz : {:>8.0} req/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  errors {}", baseline.rps, ms(baseline.p50), ms(baseline.p95), ms(baseline.p99), baseline.errors);
    println!("search            : {:>8.0} req/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  errors {}", api.rps, ms(api.p50), ms(api.p95), ms(api.p99), api.errors);
    println!(
        "ratio search/baseline throughput: {:.2}",
        api.rps / baseline.rps
    );
    println!("\n== server memory (VmRSS) ==");
    println!(
        "without the territory referential in the process: {:.1} MB",
        rss_bare as f64 / 1024.0
    );
    println!(
        "with the national referential, after start (index built): {:.1} MB; after the load: {:.1} MB",
        rss_idle as f64 / 1024.0,
        rss_loaded as f64 / 1024.0
    );
    println!("\n== bytes before the first result is visible ==");
    println!(
        "our search page (HTML, gzip): {page_gz} bytes ({} raw)",
        page.len()
    );
    println!("whole dataset as JSON (gzip), the national cartography's approach: {dataset_gz} bytes ({} raw)", dataset.len());
    println!(
        "ratio dataset/page: {:.0}×",
        dataset_gz as f64 / page_gz as f64
    );
    compare_rankings(places, &referential, &ok);
}

/// Step 5: relevance against the baseline ordering, on one index, from 64 threads.
fn compare_rankings(places: Vec<Place>, referential: &Referential, around: &[String]) {
    let t = Instant::now();
    let index = SearchIndex::build(places, &referential.communes, &referential.epcis);
    println!(
        "\n== search index alone, {} places (built in {:.1} s), {CLIENTS} threads ==",
        index.len(),
        t.elapsed().as_secs_f64()
    );
    // The API's distance queries, plus words people type with no place (the whole index).
    let mut queries: Vec<SearchQuery> = around
        .iter()
        .filter_map(|u| u.split_once('?'))
        .filter_map(|(_, qs)| SearchQuery::parse(Some(qs)).ok())
        .collect();
    for text in [
        "caf",
        "impots",
        "pole+emploi",
        "imprimer+un+document",
        "ordinateur+pas+cher",
        "france+services",
        "mediatheque",
        "aide+aux+d%C3%A9marches",
    ] {
        if let Ok(q) = SearchQuery::parse(Some(&format!("q={text}"))) {
            queries.push(q);
        }
    }
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("date");
    let per_thread = REQUESTS / CLIENTS;
    let (mut relevance, mut baseline) = (Vec::new(), Vec::new());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (index, queries) = (&index, &queries);
                scope.spawn(move || {
                    let (mut r, mut b) = (Vec::new(), Vec::new());
                    for k in 0..per_thread {
                        let q = &queries[(c * 7 + k) % queries.len()];
                        // Interleaved, so both see the same machine.
                        for (ranking, out) in
                            [(Ranking::Relevance, &mut r), (Ranking::Baseline, &mut b)]
                        {
                            let t = Instant::now();
                            let found = index.search_with(q, now, ranking).map(|x| x.total);
                            out.push(t.elapsed());
                            std::hint::black_box(found.ok());
                        }
                    }
                    (r, b)
                })
            })
            .collect();
        for h in handles {
            let (r, b) = h.join().expect("thread");
            relevance.extend(r);
            baseline.extend(b);
        }
    });
    let q = |v: &mut Vec<Duration>, p: f64| {
        v.sort();
        v[((v.len() as f64 - 1.0) * p) as usize]
    };
    let (r50, r99) = (q(&mut relevance, 0.5), q(&mut relevance, 0.99));
    let (b50, b99) = (q(&mut baseline, 0.5), q(&mut baseline, 0.99));
    println!(
        "{} queries each ({} distinct)",
        relevance.len(),
        queries.len()
    );
    println!(
        "baseline (first version) : p50 {:>6.3} ms  p99 {:>6.3} ms",
        ms(b50),
        ms(b99)
    );
    println!(
        "relevance                : p50 {:>6.3} ms  p99 {:>6.3} ms",
        ms(r50),
        ms(r99)
    );
    println!(
        "ratio relevance/baseline: p50 {:.2}, p99 {:.2}",
        r50.as_secs_f64() / b50.as_secs_f64(),
        r99.as_secs_f64() / b99.as_secs_f64()
    );
}

/// The real server in a child process on `db`; returns it with its base URL.
fn spawn_server(db: &str, shared: &Path) -> (std::process::Child, String) {
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["serve", db, &shared.display().to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("server process");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("server address");
    (child, format!("http://{}", line.trim()))
}

/// Issue 9's figures: the search API's p99 while 8 clients load `/observatoire` on the same
/// server, against its p99 while the same 8 clients load `/healthz` (the same pressure on the
/// CPU without the observatory's work); then `/observatoire` alone at 16 clients.
///
///     cargo run --release -p maillage-web --example bench -- mixed
async fn drive_mixed() {
    const PRESSURE_CLIENTS: usize = 8;
    let shared = shared_data();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("bench.sqlite").display());
    let referential = Referential::load_shared(&shared).expect("referential");
    println!("building a store of the national places …");
    let places = build_store(&db, 0, &shared, &referential).await;
    let (mut child, base) = spawn_server(&db, &shared);

    // The search URLs of the first benchmark: text + commune + 10 km.
    let mut communes: Vec<String> = places
        .iter()
        .filter(|p| p.position.is_some())
        .map(|p| p.commune.clone())
        .collect();
    communes.sort();
    communes.dedup();
    let search: Arc<Vec<String>> = Arc::new(
        communes
            .iter()
            .step_by(communes.len() / 100 + 1)
            .map(|c| {
                format!(
                    "/api/v1/lieux?q=demarche&ou={}&rayon=10",
                    form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>()
                )
            })
            .collect(),
    );
    // The observatory of the twelve départements with the most places, in turn (each
    // computed once per store version, then served from the cache).
    let mut per_dep: std::collections::BTreeMap<String, usize> = Default::default();
    for p in &places {
        if let Some(d) = p.departement() {
            *per_dep.entry(d.to_string()).or_default() += 1;
        }
    }
    let mut deps: Vec<(String, usize)> = per_dep.into_iter().collect();
    deps.sort_by_key(|d| std::cmp::Reverse(d.1));
    let observatoire: Arc<Vec<String>> = Arc::new(
        deps.iter()
            .take(12)
            .map(|(d, _)| format!("/observatoire?departement={d}"))
            .collect(),
    );
    let healthz = Arc::new(vec!["/healthz".to_string()]);
    let _ = load_with(&base, search.clone(), 8, 4_000).await; // warm-up of the search

    // The search measured while `pressure` is loaded by 8 other clients, for as long as the
    // search measurement lasts.
    async fn under(
        base: &str,
        search: Arc<Vec<String>>,
        pressure: Arc<Vec<String>>,
    ) -> (Figures, Figures) {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut pressers = Vec::new();
        for c in 0..PRESSURE_CLIENTS {
            let (stop, pressure, base) = (stop.clone(), pressure.clone(), base.to_string());
            pressers.push(tokio::spawn(async move {
                let client: Client<_, Empty<Bytes>> =
                    Client::builder(TokioExecutor::new()).build_http();
                let mut lat = Vec::new();
                let mut k = c;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let uri: hyper::Uri = format!("{base}{}", pressure[k % pressure.len()])
                        .parse()
                        .expect("uri");
                    let t = Instant::now();
                    if let Ok(resp) = client.get(uri).await {
                        let _ = resp.into_body().collect().await;
                    }
                    lat.push(t.elapsed());
                    k += 1;
                }
                lat
            }));
        }
        let start = Instant::now();
        let searched = load_with(base, search, 8, 8_000).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let elapsed = start.elapsed();
        let mut all = Vec::new();
        for p in pressers {
            all.extend(p.await.expect("pressure task"));
        }
        all.sort();
        let q = |f: f64| all[((all.len() as f64 * f) as usize).min(all.len().saturating_sub(1))];
        let pressed = Figures {
            rps: all.len() as f64 / elapsed.as_secs_f64(),
            p50: q(0.50),
            p95: q(0.95),
            p99: q(0.99),
            errors: 0,
        };
        (searched, pressed)
    }
    let (with_healthz, healthz_load) = under(&base, search.clone(), healthz).await;
    let (with_obs, obs_load) = under(&base, search.clone(), observatoire.clone()).await;
    let obs_alone = load_with(&base, observatoire.clone(), 16, 8_000).await;
    let _ = child.kill();
    let _ = child.wait();

    println!(
        "\n== search API p99 under pressure, {} places, 8 search clients ==",
        places.len()
    );
    println!("while 8 clients load /healthz      : search p50 {:>6.2} ms  p99 {:>7.2} ms  ({:.0} req/s; /healthz {:.0} req/s)", ms(with_healthz.p50), ms(with_healthz.p99), with_healthz.rps, healthz_load.rps);
    println!("while 8 clients load /observatoire : search p50 {:>6.2} ms  p99 {:>7.2} ms  ({:.0} req/s; /observatoire {:.0} req/s, p99 {:.1} ms)", ms(with_obs.p50), ms(with_obs.p99), with_obs.rps, obs_load.rps, ms(obs_load.p99));
    println!(
        "ratio of the search p99 (observatoire / healthz): {:.2} (target at most 3)",
        ms(with_obs.p99) / ms(with_healthz.p99).max(1e-9)
    );
    println!(
        "\n== /observatoire from the cache, 16 clients, {} départements in turn ==",
        observatoire.len()
    );
    println!(
        "{:.0} req/s  p50 {:.2} ms  p99 {:.2} ms  errors {} (target at least 500 req/s)",
        obs_alone.rps,
        ms(obs_alone.p50),
        ms(obs_alone.p99),
        obs_alone.errors
    );
}

/// Issue 15's figure: `POST /api/v1/creneaux/{id}/reservations` from 32 concurrent clients
/// on the real server (a child process on a SQLite file, the default deployment), each
/// booking a place in a transaction that locks the database (see `maillage_store::booking`),
/// against `/healthz` from the same 32 clients in the same run; prints p50/p95/p99 and the
/// ratio of the p95s. The slots are wide (capacity 10,000) so every request books: the
/// figure is the cost of a booking, not of a refusal.
///
///     cargo run --release -p maillage-web --example bench -- booking
async fn drive_booking() {
    const BOOKING_CLIENTS: usize = 32;
    const BOOKINGS: usize = 6_400;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("booking.sqlite").display());
    let store = maillage_store::open(&db).await.expect("open store");
    let start = chrono::Utc::now().naive_utc() + chrono::Duration::days(2);
    let slots: Vec<maillage_store::Slot> = (0..200)
        .map(|i| maillage_store::Slot {
            id: format!("bench-{i}"),
            place_id: format!("lieu-{}", i % 20),
            start: start + chrono::Duration::minutes(30 * i),
            end: start + chrono::Duration::minutes(30 * i + 30),
            capacity: 10_000,
            source: maillage_store::SlotSource::OpeningHours,
        })
        .collect();
    store.save_slots(&slots).await.expect("slots");
    drop(store);
    let (mut child, base) = spawn_server(&db, Path::new("/nonexistent"));
    let healthz = Arc::new(vec!["/healthz".to_string()]);
    let _ = load_with(&base, healthz.clone(), BOOKING_CLIENTS, 3_200).await; // warm-up
    let health = load_with(&base, healthz, BOOKING_CLIENTS, BOOKINGS).await;

    let booking_base = base.clone();
    let booked = load_requests(
        BOOKING_CLIENTS,
        BOOKINGS,
        move |c, k| {
            let body = format!(r#"{{"nom":"Client {c} {k}","telephone":"0563000000"}}"#);
            hyper::Request::post(format!(
                "{booking_base}/api/v1/creneaux/bench-{}/reservations",
                (c * 31 + k) % 200
            ))
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(Bytes::from(body)))
            .expect("request")
        },
        |status| status == hyper::StatusCode::CREATED,
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    println!("\n== booking, {BOOKING_CLIENTS} clients, {BOOKINGS} requests, SQLite ==");
    println!(
        "POST reservations : {:.0} req/s  p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  not 201: {}",
        booked.rps,
        ms(booked.p50),
        ms(booked.p95),
        ms(booked.p99),
        booked.errors
    );
    println!(
        "GET /healthz      : {:.0} req/s  p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  errors {}",
        health.rps,
        ms(health.p50),
        ms(health.p95),
        ms(health.p99),
        health.errors
    );
    println!(
        "ratio of the p95s (booking / healthz): {:.1} (target: booking p95 under 50 ms)",
        ms(booked.p95) / ms(health.p95).max(1e-9)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
