//! maillage-web: the public directory on the web — search (`/`), place pages, map, embeddable
//! widget, printable lists — and the open API v1 with its OpenAPI document.
//!
//! Entry points: [`AppState::new`] (loads the search index from a store), [`router`] (every
//! route, in `router.rs`) and [`serve`]. Handlers are thin: parse the request into a value
//! ([`query::SearchQuery`]), ask the in-memory [`index::SearchIndex`] or the store, fill an askama
//! page struct or a JSON value. One error type ([`error::WebError`]) becomes a French page or a
//! JSON error; no cause (SQL, I/O) is ever shown. Pages work without JavaScript; scripts only
//! add geolocation and the map.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use maillage_store::{PlaceFilter, Store};
use maillage_territory::Referential;

pub mod accounts;
pub mod api;
pub mod assets;
pub mod booking;
pub mod cache;
pub mod display;
pub mod error;
pub mod hours;
pub mod hours_grid;
pub mod identity;
pub mod index;
pub mod layout;
pub mod pages;
pub mod query;
pub mod reports;
pub mod router;
pub mod security;
pub mod text;
pub mod vocabulary;

pub use error::WebError;
pub use router::router;

use index::SearchIndex;

/// Settings of the web server.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Raster tile URL template for the map (`https://…/{z}/{x}/{y}.png`); `None` draws only the
    /// bundled polygons (no network at run time by default).
    pub tile_url: Option<String>,
    /// Attribution shown under the tiles.
    pub tile_attribution: String,
    /// Who runs the service: names, logo, colours, contact, legal mentions, theme.
    pub identity: Arc<identity::Identity>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            tile_url: std::env::var("MAILLAGE_TILE_URL")
                .ok()
                .filter(|s| !s.is_empty()),
            tile_attribution: std::env::var("MAILLAGE_TILE_ATTRIBUTION")
                .unwrap_or_else(|_| "© contributeurs OpenStreetMap".into()),
            identity: Arc::new(identity::Identity::demo()),
        }
    }
}

/// The State's Plan IGN tiles (Géoplateforme, open licence, no key): the map background of a
/// server run with `maillage serve` unless `MAILLAGE_TILE_URL` says otherwise (empty: none).
pub const PLAN_IGN_TILES: &str = "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}";

impl WebConfig {
    /// For a production server: the Plan IGN background when no tile URL is configured at
    /// all (`MAILLAGE_TILE_URL` unset). The demo and the tests keep the default, offline.
    pub fn with_production_tiles(mut self) -> WebConfig {
        if self.tile_url.is_none() && std::env::var_os("MAILLAGE_TILE_URL").is_none() {
            self.tile_url = Some(PLAN_IGN_TILES.to_string());
            if std::env::var_os("MAILLAGE_TILE_ATTRIBUTION").is_none() {
                self.tile_attribution = "© IGN – Plan IGN".to_string();
            }
        }
        self
    }
}

/// Shared state of every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The territory referential (communes, EPCI, polygons), when loaded: the observatory
    /// needs it; the search uses it to name communes when the store holds none.
    pub referential: Option<Arc<Referential>>,
    pub config: Arc<WebConfig>,
    index: Arc<RwLock<Arc<SearchIndex>>>,
    pub(crate) security: Arc<security::Security>,
    /// Expensive responses (the observatory), computed off the executor; cleared on reload.
    pub(crate) pages: Arc<cache::PageCache>,
    /// Sign-in settings and limits (the accounts part; see [`accounts`]).
    pub accounts: Arc<accounts::AccountsConfig>,
    /// The published calendar of the itinerant France Services (loaded from the store; see
    /// `pages::itinerance`), swapped in whole when a new version is published.
    tours: Arc<RwLock<Option<Arc<pages::itinerance::Tours>>>>,
    /// Where booking confirmations and reminders go for people who gave only a phone number
    /// (the logging implementation until a provider is configured; tests read it).
    pub sms: Arc<maillage_notify::sms::LogSms>,
}

impl AppState {
    /// Loads every place of the store into the search index. `referential` is an
    /// `Arc<Referential>`, or an `Option` of one (`None`: the search takes the communes from
    /// the store).
    pub async fn new(
        store: Arc<dyn Store>,
        referential: impl Into<Option<Arc<Referential>>>,
    ) -> Result<AppState, WebError> {
        Self::with_config(store, referential, WebConfig::default()).await
    }

    pub async fn with_config(
        store: Arc<dyn Store>,
        referential: impl Into<Option<Arc<Referential>>>,
        config: WebConfig,
    ) -> Result<AppState, WebError> {
        let referential = referential.into();
        let tours = pages::itinerance::load(store.as_ref()).await;
        let index = build_index(store.as_ref(), referential.as_deref(), tours.as_deref()).await?;
        Ok(AppState {
            store,
            referential,
            config: Arc::new(config),
            index: Arc::new(RwLock::new(Arc::new(index))),
            security: Arc::new(security::Security::new()),
            pages: Arc::new(cache::PageCache::default()),
            accounts: Arc::new(accounts::AccountsConfig::from_env()),
            tours: Arc::new(RwLock::new(tours)),
            sms: Arc::new(maillage_notify::sms::LogSms::default()),
        })
    }

    /// The current index (a snapshot: a reload swaps in a new one without blocking readers).
    pub fn index(&self) -> Arc<SearchIndex> {
        match self.index.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The published tours calendar, if one is published.
    pub fn tours(&self) -> Option<Arc<pages::itinerance::Tours>> {
        match self.tours.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds the index from the store and reloads the published tours calendar; call
    /// after an import (which may publish a calendar version) or any write to places.
    pub async fn reload(&self) -> Result<(), WebError> {
        let tours = pages::itinerance::load(self.store.as_ref()).await;
        let fresh = Arc::new(
            build_index(
                self.store.as_ref(),
                self.referential.as_deref(),
                tours.as_deref(),
            )
            .await?,
        );
        match self.index.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        match self.tours.write() {
            Ok(mut guard) => *guard = tours,
            Err(poisoned) => *poisoned.into_inner() = tours,
        }
        // Everything computed from the old content is stale.
        self.pages.clear();
        Ok(())
    }
}

async fn build_index(
    store: &dyn Store,
    referential: Option<&Referential>,
    tours: Option<&pages::itinerance::Tours>,
) -> Result<SearchIndex, WebError> {
    // Page through the store so that only one page of stored places (with their source
    // records and provenance, which the index does not keep) is in memory at a time.
    const PAGE: u64 = 2_000;
    let mut places = Vec::new();
    let mut offset = 0;
    loop {
        let page = store
            .places(&PlaceFilter {
                limit: Some(PAGE),
                offset,
                ..Default::default()
            })
            .await?;
        let n = page.len() as u64;
        places.extend(page.into_iter().map(|sp| sp.place));
        if n < PAGE {
            break;
        }
        offset += PAGE;
    }
    let mut communes = store.communes(None).await?;
    let mut epcis = store.epcis().await?;
    if let Some(r) = referential {
        if communes.is_empty() {
            communes = r.communes.clone();
        }
        if epcis.is_empty() {
            epcis = r.epcis.clone();
        }
    }
    // The bus stops of the published calendar are results too (a person looking for help in
    // Lavit must find the bus that stops there).
    // A stop whose permanences stopped (a France Services was labelled there) or with no
    // passage ahead is not offered.
    let today = hours::now_paris().date();
    let stops = tours
        .map(|t| {
            t.stops
                .iter()
                .filter(|p| {
                    t.stop(&p.id).is_some_and(|site| {
                        t.book
                            .calendar
                            .passages
                            .iter()
                            .any(|x| x.site_id == site.id && x.date >= today && x.takes_place())
                    })
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let index = tokio::task::spawn_blocking(move || {
        SearchIndex::build_with_stops(places, stops, &communes, &epcis)
    })
    .await
    .map_err(|e| WebError::Unavailable(format!("construction de l'index : {e}")))?;
    Ok(index)
}

/// Serves until Ctrl-C (or SIGTERM), then finishes the requests in flight. Imports run by
/// another process (`maillage import`) show up within [`WATCH_EVERY`]: see
/// [`AppState::watch_store`].
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let watcher = tokio::spawn(state.clone().watch_store(WATCH_EVERY));
    let mailer = spawn_mailer(&state);
    let purger = tokio::spawn(purge_every(state.store.clone(), PURGE_EVERY));
    let reminders = tokio::spawn(pages::booking::reminder_job(
        state.clone(),
        std::time::Duration::from_secs(300),
    ));
    let result = serve_on(state, listener, shutdown_signal()).await;
    watcher.abort();
    purger.abort();
    reminders.abort();
    mailer.iter().for_each(|m| m.abort());
    result
}

/// Starts the outbox worker when `MAILLAGE_SMTP_URL` is set (else messages wait in the
/// outbox), and the freshness reminders and monthly digests (checked every six hours).
fn spawn_mailer(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let mailer = match maillage_notify::Mailer::from_env() {
        Ok(Some(m)) => m,
        Ok(None) => {
            tracing::warn!(
                "MAILLAGE_SMTP_URL absent : les courriels attendent dans la boîte d'envoi"
            );
            return Vec::new();
        }
        Err(e) => {
            tracing::error!(erreur = %e, "serveur de courriel mal réglé");
            return Vec::new();
        }
    };
    let sender = tokio::spawn(maillage_notify::run_worker(
        state.store.clone(),
        mailer,
        std::time::Duration::from_secs(10),
    ));
    let reminders = state.clone();
    let daily = tokio::spawn(async move {
        loop {
            let today = chrono::Utc::now().date_naive();
            if let Err(e) = pages::freshness::send_reminders(&reminders, today).await {
                tracing::warn!(erreur = %e, "rappels de confirmation non envoyés");
            }
            // Once per editor and month, however often this runs (see directory::freshness).
            match maillage_directory::freshness::send_monthly_digest(
                reminders.store.as_ref(),
                &reminders.accounts.public_url,
                today,
            )
            .await
            {
                Ok(run) if run.queued > 0 => {
                    tracing::info!(courriels = run.queued, "synthèses mensuelles")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(erreur = %e, "synthèses mensuelles non envoyées"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(6 * 3600)).await;
        }
    });
    vec![sender, daily]
}

/// How often [`serve`] deletes what is no longer needed (used or expired sign-in links,
/// expired sessions, old sent emails, old handled reports): see
/// `maillage_store::accounts::AccountStore::purge`.
pub const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// Purges at once, then every `every`, until the task is dropped. Several servers may run it:
/// the purge is one transaction of deletes, and a second run deletes nothing more.
pub async fn purge_every(store: Arc<dyn Store>, every: std::time::Duration) {
    loop {
        if let Some(accounts) = store.accounts() {
            let policy = maillage_store::accounts::PurgePolicy::default();
            match accounts.purge(chrono::Utc::now(), &policy).await {
                Ok(done) => tracing::info!(
                    jetons = done.tokens,
                    sessions = done.sessions,
                    courriels = done.emails,
                    signalements = done.reports,
                    "purge"
                ),
                Err(e) => tracing::warn!(erreur = %e, "purge impossible"),
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// How often [`serve`] looks for writes made by other processes.
pub const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

impl AppState {
    /// Rebuilds the index whenever the store changed (a new import, a different number of
    /// places after a split, a new tours calendar version), checking every `every`. Runs until the task is dropped.
    pub async fn watch_store(self, every: std::time::Duration) {
        let fingerprint = |s: AppState| async move {
            let last_import = s.store.imports(1).await.ok()?.first().map(|r| r.id);
            let count = s.store.count_places().await.ok()?;
            let tours = s.store.latest_tour_version().await.ok()?;
            Some((last_import, count, tours))
        };
        // Unknown at first: the index may have been built before an import that committed
        // while this watch was starting, so the first tick reloads once (regression: a test
        // importing right after spawning the watch could be missed).
        let mut seen = None;
        loop {
            tokio::time::sleep(every).await;
            let now = fingerprint(self.clone()).await;
            if now.is_some() && now != seen {
                match self.reload().await {
                    Ok(()) => {
                        tracing::info!(lieux = self.index().len(), "index rechargé");
                        seen = now;
                    }
                    Err(e) => tracing::warn!(erreur = %e, "rechargement de l'index impossible"),
                }
            }
        }
    }
}

/// Serves on an already bound listener until `shutdown` resolves (tests bind 127.0.0.1:0).
pub async fn serve_on(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
