//! `/itinerance`: when the France Services bus comes to a commune. The next passages by
//! commune and by vehicle in plain French, searchable by commune; the iCalendar feeds
//! (`/itinerance/calendrier.ics?commune=…` or `?vehicule=…`); the monthly poster for the
//! mairie's notice board (`/itinerance/affiche?commune=…&mois=AAAA-MM`); and the communes
//! where the permanences stopped because a France Services was labelled there, with the
//! address of the new one.
//!
//! The calendar shown is the latest version published in the store (`maillage tours
//! publish`), loaded into [`AppState`] at start and again when the store changes: restarting
//! the server serves the same calendar and the same iCalendar feeds. Nothing here plans.

use maillage_model::text::fold_words as fold;
use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, NaiveDate, Utc};
use maillage_model::Place;
use maillage_store::Store;
use maillage_tours::calendar::date_fr_year;
use maillage_tours::publish::{
    ical, poster_page, sentence, stops_as_places, PosterFrame, POSTER_CSS,
};
use maillage_tours::{Site, Status, TourBook};

use super::urlencode;
use crate::error::WebError;
use crate::hours::now_paris;
use crate::layout::{render, Layout};
use crate::AppState;

/// A published calendar version, with its stops as itinerant places for the observatory.
pub struct Tours {
    pub version: i64,
    pub book: TourBook,
    pub stops: Vec<Place>,
    /// Place id → its rhythm in French.
    pub rhythms: BTreeMap<String, String>,
}

impl std::ops::Deref for Tours {
    type Target = TourBook;
    fn deref(&self) -> &TourBook {
        &self.book
    }
}

impl Tours {
    /// The site of a stop's place id (`tournee:<site>`, see `stops_as_places`).
    pub fn stop(&self, place_id: &str) -> Option<&Site> {
        self.book.site(place_id.strip_prefix("tournee:")?)
    }

    /// The next `n` passages at a site from `today`, in French (a cancelled one said so).
    pub fn next_at(&self, site_id: &str, today: NaiveDate, n: usize) -> Vec<String> {
        self.next_where(today, n, |p| p.site_id == site_id)
    }

    /// The next `n` passages at any stop of a département (INSEE code prefix), for the page
    /// of an itinerant France Services of that département.
    pub fn next_in_departement(
        &self,
        departement: &str,
        today: NaiveDate,
        n: usize,
    ) -> Vec<String> {
        self.next_where(today, n, |p| {
            self.book
                .site(&p.site_id)
                .is_some_and(|s| s.code_insee.starts_with(departement))
        })
    }

    fn next_where(
        &self,
        today: NaiveDate,
        n: usize,
        keep: impl Fn(&maillage_tours::Passage) -> bool,
    ) -> Vec<String> {
        self.book
            .calendar
            .passages
            .iter()
            .filter(|p| p.date >= today && keep(p))
            .filter(|p| !matches!(p.status, Status::Stopped { .. }))
            .take(n)
            .filter_map(|p| {
                let (s, v) = (
                    self.book.site(&p.site_id)?,
                    self.book.vehicle(&p.vehicle_id)?,
                );
                Some(sentence(p, s, v))
            })
            .collect()
    }
}

/// The latest published version, or `None` when none is published or it cannot be read
/// (said in the log: the rest of the site works without it).
pub(crate) async fn load(store: &dyn Store) -> Option<Arc<Tours>> {
    match maillage_directory::tours::published(store).await {
        Ok(Some(p)) => {
            let (stops, rhythms) = stops_as_places(&p.book.sites);
            Some(Arc::new(Tours {
                version: p.version,
                book: p.book,
                stops,
                rhythms,
            }))
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(erreur = %format!("{e:#}"), "calendrier des tournées illisible");
            None
        }
    }
}

fn book(state: &AppState) -> Result<Arc<Tours>, WebError> {
    state.tours().ok_or_else(|| {
        WebError::NotFound(
            "aucun calendrier des France Services itinérantes n'est publié pour le moment".into(),
        )
    })
}

/// The query string's `commune`, `vehicule`, `mois` (anything else is ignored).
#[derive(Default)]
struct Query {
    commune: String,
    vehicule: String,
    mois: String,
}

fn parse_query(raw: Option<&str>) -> Query {
    let mut q = Query::default();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let v = v.trim().chars().take(100).collect::<String>();
        match k.as_ref() {
            "commune" => q.commune = v,
            "vehicule" => q.vehicule = v,
            "mois" => q.mois = v,
            _ => {}
        }
    }
    q
}

pub struct Line {
    pub text: String,
    pub off: bool,
}

pub struct Group {
    pub title: String,
    pub commune: Option<String>,
    pub ical: String,
    pub lines: Vec<Line>,
}

pub struct StopView {
    pub commune: String,
    pub text: String,
}

/// One labelling of the history: what it stopped, what went on.
pub struct HistoryRow {
    pub date: String,
    pub name: String,
    pub effect: String,
}

/// The labellings that touched the bus's communes, oldest first, with their effect: the
/// permanences hosted by the commune stop, the département's MDS keep theirs.
fn history(book: &TourBook) -> Vec<HistoryRow> {
    let mut rows: Vec<(NaiveDate, HistoryRow)> = Vec::new();
    for l in &book.events.labellings {
        let sites: Vec<_> = book
            .sites
            .iter()
            .filter(|s| s.code_insee == l.code_insee)
            .collect();
        if sites.is_empty() {
            continue;
        }
        let effect = sites
            .iter()
            .map(|s| {
                if s.stops_on_labelling() {
                    format!("{} : permanences arrêtées", s.name)
                } else {
                    format!("{} : continue ({})", s.name, s.kind.label_fr())
                }
            })
            .collect::<Vec<_>>()
            .join(" ; ");
        rows.push((
            l.date,
            HistoryRow {
                date: date_fr_year(l.date),
                name: l.name.clone(),
                effect,
            },
        ));
    }
    rows.sort_by_key(|r| r.0);
    rows.into_iter().map(|r| r.1).collect()
}

#[derive(Template)]
#[template(path = "itinerance.html")]
pub struct ItinerancePage {
    pub layout: Layout,
    pub commune: String,
    pub communes: Vec<String>,
    pub vehicles: Vec<(String, String)>,
    pub groups: Vec<Group>,
    pub stops: Vec<StopView>,
    pub period: String,
    pub month: String,
    pub not_found: bool,
    pub history: Vec<HistoryRow>,
}

/// `GET /itinerance?commune=…`
pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = parse_query(raw.as_deref());
    let book = book(&state)?;
    let today = now_paris().date();
    let mut communes: Vec<String> = book.sites.iter().map(|s| s.commune.clone()).collect();
    communes.sort();
    communes.dedup();
    let wanted = fold(&q.commune);
    let shown: Vec<&String> = communes
        .iter()
        .filter(|c| wanted.is_empty() || fold(c).contains(&wanted))
        .collect();
    let mut groups = Vec::new();
    for commune in &shown {
        let ids: Vec<&str> = book
            .sites
            .iter()
            .filter(|s| &&s.commune == commune)
            .map(|s| s.id.as_str())
            .collect();
        let lines: Vec<Line> = book
            .calendar
            .passages
            .iter()
            .filter(|p| p.date >= today && ids.contains(&p.site_id.as_str()))
            .filter(|p| !matches!(p.status, Status::Stopped { .. }))
            .take(if wanted.is_empty() { 2 } else { 12 })
            .filter_map(|p| {
                let (s, v) = (book.site(&p.site_id)?, book.vehicle(&p.vehicle_id)?);
                Some(Line {
                    text: sentence(p, s, v),
                    off: !p.takes_place(),
                })
            })
            .collect();
        if lines.is_empty() {
            continue;
        }
        groups.push(Group {
            title: (*commune).clone(),
            commune: Some((*commune).clone()),
            ical: format!("/itinerance/calendrier.ics?commune={}", urlencode(commune)),
            lines,
        });
    }
    if let Some(v) = book.vehicle(&q.vehicule) {
        let lines = book
            .calendar
            .passages
            .iter()
            .filter(|p| p.date >= today && p.vehicle_id == v.id && p.takes_place())
            .take(20)
            .filter_map(|p| {
                Some(Line {
                    text: sentence(p, book.site(&p.site_id)?, v),
                    off: false,
                })
            })
            .collect();
        groups.insert(
            0,
            Group {
                title: v.name.clone(),
                commune: None,
                ical: format!("/itinerance/calendrier.ics?vehicule={}", urlencode(&v.id)),
                lines,
            },
        );
    }
    let mut stops: Vec<StopView> = Vec::new();
    for s in &book.sites {
        if !(wanted.is_empty() || fold(&s.commune).contains(&wanted)) {
            continue;
        }
        // Stopped before the calendar starts (left out of the plan), or during it.
        let notice = book.stop_notice(&s.id).or_else(|| {
            book.calendar
                .passages
                .iter()
                .find(|p| p.site_id == s.id && matches!(p.status, Status::Stopped { .. }))
                .and_then(|p| p.notice.clone())
        });
        if let Some(text) = notice {
            stops.push(StopView {
                commune: s.commune.clone(),
                text,
            });
        }
    }
    let not_found = !wanted.is_empty() && groups.is_empty() && stops.is_empty();
    let page = ItinerancePage {
        layout: Layout::new("France Services itinérantes", "/itinerance"),
        commune: q.commune,
        communes,
        vehicles: book
            .vehicles
            .iter()
            .map(|v| (v.id.clone(), v.name.clone()))
            .collect(),
        groups,
        stops,
        period: format!(
            "du {} au {}",
            date_fr_year(today.max(book.from)),
            date_fr_year(book.to)
        ),
        month: format!("{:04}-{:02}", today.year(), today.month()),
        not_found,
        history: history(&book),
    };
    render(&page)
}

/// `GET /itinerance/calendrier.ics?commune=…` or `?vehicule=…`
pub async fn ics(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = parse_query(raw.as_deref());
    let book = book(&state)?;
    let (name, ids): (String, Vec<String>) = if !q.vehicule.is_empty() {
        let v = book.vehicle(&q.vehicule).ok_or_else(|| {
            WebError::NotFound(format!("le véhicule « {} » n'existe pas", q.vehicule))
        })?;
        (v.name.clone(), Vec::new())
    } else if !q.commune.is_empty() {
        let sites = book.sites_of_commune(&q.commune);
        if sites.is_empty() {
            return Err(WebError::NotFound(format!(
                "le bus ne passe pas à « {} »",
                q.commune
            )));
        }
        (
            format!("Bus France Services à {}", sites[0].commune),
            sites.iter().map(|s| s.id.clone()).collect(),
        )
    } else {
        return Err(WebError::BadRequest(
            "préciser la commune (?commune=…) ou le véhicule (?vehicule=…)".into(),
        ));
    };
    let body = ical(
        &name,
        book.calendar.passages.iter().filter(|p| {
            if q.vehicule.is_empty() {
                ids.contains(&p.site_id)
            } else {
                p.vehicle_id == q.vehicule
            }
        }),
        |id| book.site(id),
        |id| book.vehicle(id),
        Utc::now(),
    );
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response())
}

/// `GET /itinerance/affiche.css`: the poster's styles.
pub async fn poster_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        POSTER_CSS,
    )
        .into_response()
}

/// `GET /itinerance/affiche?commune=…&mois=AAAA-MM`: the printable poster.
pub async fn poster(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = parse_query(raw.as_deref());
    let book = book(&state)?;
    let sites = book.sites_of_commune(&q.commune);
    let Some(site) = sites.first() else {
        return Err(WebError::NotFound(format!(
            "le bus ne passe pas à « {} »",
            q.commune
        )));
    };
    let today = now_paris().date();
    let month = if q.mois.is_empty() {
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
    } else {
        NaiveDate::parse_from_str(&format!("{}-01", q.mois), "%Y-%m-%d").ok()
    }
    .ok_or_else(|| {
        WebError::BadRequest(format!(
            "mois « {} » non compris : écrire AAAA-MM, par exemple 2027-01",
            q.mois
        ))
    })?;
    // The poster's styles come from a stylesheet: the CSP forbids inline `<style>`.
    let id = crate::identity::current();
    let contact = [
        id.phone.as_ref().map(|t| format!("Téléphone : {t}")),
        id.email.as_ref().map(|e| format!("Courriel : {e}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let frame = PosterFrame {
        stylesheet: Some("/itinerance/affiche.css".into()),
        brand: id.full_name(),
        contact,
    };
    Ok(Html(poster_page(
        &frame,
        &site.commune,
        month.year(),
        month.month(),
        &book.calendar,
        &book.sites,
        &book.vehicles,
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    /// A store holding the shipped tours (a test fixture: the web itself reads no file),
    /// planned and published as the coordinator does.
    pub(crate) async fn published_store() -> std::sync::Arc<dyn maillage_store::Store> {
        let store = maillage_store::open("sqlite::memory:")
            .await
            .expect("store");
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/tours");
        let files = ["sites-82.csv", "vehicules-82.csv", "evenements-82.csv"].map(|f| dir.join(f));
        let files: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
        let today = crate::hours::now_paris().date();
        maillage_directory::tours::import_files(store.as_ref(), &files)
            .await
            .expect("import");
        maillage_directory::tours::plan(store.as_ref(), today, false)
            .await
            .expect("plan");
        maillage_directory::tours::publish(store.as_ref(), "test", today)
            .await
            .expect("publish");
        store
    }

    async fn get(uri: &str) -> (StatusCode, String, String) {
        let state = crate::AppState::new(published_store().await, None)
            .await
            .expect("state");
        let resp = crate::router(state)
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = resp.status();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = axum::body::to_bytes(resp.into_body(), 10_000_000)
            .await
            .expect("body");
        (status, ctype, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn itinerance_page_lists_next_passages_in_plain_french() {
        let (status, _, html) = get("/itinerance?commune=Dunes").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Le bus France Services"), "{html}");
        assert!(html.contains("est à Dunes le "), "{html}");
        assert!(html.contains("/itinerance/calendrier.ics?commune=Dunes"));
        // Villebrumier's France Services (labelled 1 January 2022) replaces the bus there.
        let (_, _, html) = get("/itinerance?commune=Villebrumier").await;
        assert!(html.contains("France services de Villebrumier"), "{html}");
        assert!(html.contains("ne passe plus"), "{html}");
        // The history of labellings, with what each one did.
        let (_, _, html) = get("/itinerance").await;
        assert!(html.contains("Historique"), "{html}");
        assert!(
            html.contains("Mairie de Villebrumier : permanences arrêtées"),
            "{html}"
        );
        assert!(
            html.contains("Maison départementale des solidarités de Montech : continue"),
            "{html}"
        );
    }

    #[tokio::test]
    async fn ical_feed_and_poster_are_served() {
        let (status, ctype, body) = get("/itinerance/calendrier.ics?vehicule=bus-1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(ctype.starts_with("text/calendar"));
        assert!(body.starts_with("BEGIN:VCALENDAR\r\n") && body.contains("BEGIN:VEVENT"));
        let (status, _, html) = get("/itinerance/affiche?commune=Dunes&mois=2027-01").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Bus France Services à Dunes — janvier 2027"));
    }

    #[tokio::test]
    async fn unknown_commune_and_bad_month_say_what_to_do() {
        let (status, _, html) = get("/itinerance?commune=%3Cscript%3E").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("Le bus ne passe pas à « &#60;script&#62; »")
                || html.contains("&lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>alert"));
        let (status, _, _) = get("/itinerance/affiche?commune=Dunes&mois=janvier").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _, _) = get("/itinerance/calendrier.ics").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn without_a_published_calendar_the_pages_say_so() {
        let store = maillage_store::open("sqlite::memory:")
            .await
            .expect("store");
        let state = crate::AppState::new(store, None).await.expect("state");
        let resp = crate::router(state)
            .oneshot(
                Request::get("/itinerance")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let bytes = axum::body::to_bytes(resp.into_body(), 10_000_000)
            .await
            .expect("body");
        let html = String::from_utf8_lossy(&bytes);
        // The public 404 page, not a 500: the site works without a published calendar.
        assert!(html.contains("Page introuvable"), "{html}");
    }
}
