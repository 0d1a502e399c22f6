//! `/`: the search page. The whole search is in the URL (a GET form), so it works without
//! JavaScript, can be shared, bookmarked and printed.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use maillage_model::{Dispositif, PriseEnCharge, Public, Service};

use crate::error::WebError;
use crate::hours;
use crate::layout::{render, Layout};
use crate::pages::ResultView;
use crate::query::{DaySpec, HalfDay, SearchQuery, When, RADII};
use crate::text::slug;
use crate::AppState;

/// A checkbox or select option.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

fn opts<T: Copy + PartialEq>(all: &[T], label: fn(T) -> &'static str, chosen: &[T]) -> Vec<Opt> {
    all.iter()
        .map(|v| Opt {
            value: slug(label(*v)),
            label: label(*v).to_string(),
            checked: chosen.contains(v),
        })
        .collect()
}

/// The form's state, shared by the search page, the map and the embed widget.
pub struct Form {
    pub text: String,
    pub place: String,
    pub lat: String,
    pub lon: String,
    pub radii: Vec<Opt>,
    pub services: Vec<Opt>,
    pub schemes: Vec<Opt>,
    pub publics: Vec<Opt>,
    pub support: Vec<Opt>,
    pub days: Vec<Opt>,
    pub moments: Vec<Opt>,
    pub open_now: bool,
    pub walk_in: bool,
    pub free: bool,
    pub itinerant: bool,
    pub epci: String,
    /// The intercommunalités to choose from (empty when there are too many for a list).
    pub epcis: Vec<Opt>,
    /// Number of filters set beyond text and place (shown on the filter panel).
    pub active_filters: usize,
}

/// Past this many, a list of intercommunalités is no help: people type their commune.
const MAX_EPCI_OPTIONS: usize = 150;

impl Form {
    /// Adds the list of intercommunalités that have places.
    pub fn with_epcis(mut self, index: &crate::index::SearchIndex) -> Form {
        if index.epcis.len() <= MAX_EPCI_OPTIONS {
            self.epcis = std::iter::once(Opt {
                value: String::new(),
                label: "Toutes".into(),
                checked: self.epci.is_empty(),
            })
            .chain(index.epcis.iter().map(|(code, nom)| Opt {
                value: code.clone(),
                label: nom.clone(),
                checked: *code == self.epci,
            }))
            .collect();
        }
        self
    }

    pub fn new(q: &SearchQuery) -> Form {
        let day = match q.when {
            Some(When::Day(d, _)) => Some(d),
            _ => None,
        };
        let half = match q.when {
            Some(When::Day(_, h)) => h,
            _ => None,
        };
        let mut radii = vec![Opt {
            value: String::new(),
            label: "10 km autour (par défaut)".into(),
            checked: q.radius_km.is_none(),
        }];
        radii.extend(RADII.iter().map(|r| Opt {
            value: r.to_string(),
            label: if *r == 0 {
                "Dans la commune seulement".into()
            } else {
                format!("{r} km autour")
            },
            checked: q.radius_km == Some(*r),
        }));
        let mut days = vec![Opt {
            value: String::new(),
            label: "N'importe quel jour".into(),
            checked: day.is_none(),
        }];
        // The coming week as dates (public holidays count), plus a usual weekday when the
        // URL asked for one.
        let today = hours::now_paris().date();
        for offset in 0..7 {
            let date = today + chrono::Duration::days(offset);
            let name = format!(
                "{} {}",
                hours::DAYS[chrono::Datelike::weekday(&date).num_days_from_monday() as usize],
                hours::french_day_month(date)
            );
            days.push(Opt {
                value: DaySpec::Date(date).to_param(),
                label: match offset {
                    0 => format!("aujourd'hui, {name}"),
                    1 => format!("demain, {name}"),
                    _ => name,
                },
                checked: day == Some(DaySpec::Date(date)),
            });
        }
        if let Some(DaySpec::Weekday(d)) = day {
            days.push(Opt {
                value: hours::DAYS[d].to_string(),
                label: format!("le {} (semaine habituelle)", hours::DAYS[d]),
                checked: true,
            });
        }
        let moments = vec![
            Opt {
                value: String::new(),
                label: "Toute la journée".into(),
                checked: half.is_none(),
            },
            Opt {
                value: "matin".into(),
                label: "Le matin".into(),
                checked: half == Some(HalfDay::Morning),
            },
            Opt {
                value: "apres-midi".into(),
                label: "L'après-midi".into(),
                checked: half == Some(HalfDay::Afternoon),
            },
        ];
        let schemes_shown = [
            Dispositif::FranceServices,
            Dispositif::ConseillersNumeriques,
            Dispositif::AidantsConnect,
            Dispositif::PointAccesCaf,
        ];
        let active_filters = q.services.len()
            + q.schemes.len()
            + q.publics.len()
            + q.support.len()
            + usize::from(q.when.is_some())
            + usize::from(q.walk_in)
            + usize::from(q.free)
            + usize::from(q.itinerant);
        Form {
            text: q.text.clone(),
            place: q.place.clone(),
            lat: q
                .position
                .map(|p| format!("{:.5}", p.0))
                .unwrap_or_default(),
            lon: q
                .position
                .map(|p| format!("{:.5}", p.1))
                .unwrap_or_default(),
            radii,
            services: opts(Service::ALL, Service::label, &q.services),
            schemes: opts(&schemes_shown, Dispositif::label, &q.schemes),
            publics: opts(Public::ALL, Public::label, &q.publics),
            support: opts(PriseEnCharge::ALL, PriseEnCharge::label, &q.support),
            days,
            moments,
            open_now: q.when == Some(When::Now),
            walk_in: q.walk_in,
            free: q.free,
            itinerant: q.itinerant,
            epci: q.epci.clone(),
            epcis: Vec::new(),
            active_filters,
        }
    }
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub form: Form,
    pub results: Vec<ResultView>,
    pub total: usize,
    pub heading: String,
    pub error: Option<String>,
    pub unknown_words: Vec<String>,
    /// The same search without the words that found nothing, to propose removing them.
    pub without_unknown_url: Option<String>,
    /// "Vouliez-vous dire …": the corrected text and its search.
    pub did_you_mean: Option<(String, String)>,
    /// Said when no place has every word, or none around has them.
    pub notice: Option<String>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub page: usize,
    pub pages: usize,
    pub map_url: String,
    /// The map beside the results, loaded only when asked for (JavaScript only).
    pub points_url: String,
    pub background_url: String,
    pub tile_url: String,
    pub tile_attribution: String,
    pub map_scripts: String,
    pub map_styles: String,
    pub print_url: String,
    pub csv_url: String,
    pub geojson_url: String,
}

/// `GET /`.
pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (q, parse_error) = match SearchQuery::parse(raw.as_deref()) {
        Ok(q) => (q, None),
        // A wrong parameter on the page is shown above an empty search, not as an error
        // page: the person can fix it in the form.
        Err(WebError::BadRequest(m)) => (
            SearchQuery {
                page: 1,
                per_page: crate::query::DEFAULT_PER_PAGE,
                ..Default::default()
            },
            Some(m),
        ),
        Err(e) => return Err(e),
    };
    let mut q = q;
    q.stops = true;
    let index = state.index();
    let tours = state.tours();
    let now = hours::now_paris();
    let mut error = parse_error;
    let mut found = index.search(&q, now);
    // A page past the last one (an old link, a hand-edited URL) shows the last page.
    if let Ok(r) = &found {
        let last = r.total.div_ceil(q.per_page).max(1);
        if q.page > last {
            q.page = last;
            found = index.search(&q, now);
        }
    }
    let mut without_unknown_url = None;
    let mut did_you_mean = None;
    let mut notice = None;
    let (results, total, center, unknown_words) = match found {
        Ok(r) => {
            let replace_text = |text: String| {
                let mut other = q.clone();
                other.text = text;
                other.page = 1;
                format!("/?{}", other.to_query(None))
            };
            let remove = |words: &[String]| {
                crate::vocabulary::words(&q.text)
                    .into_iter()
                    .filter(|w| !words.contains(w))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            if !r.unknown_words.is_empty() {
                without_unknown_url = Some(replace_text(remove(&r.unknown_words)));
            }
            did_you_mean = r.did_you_mean.clone().map(|t| (t.clone(), replace_text(t)));
            if !r.relaxed.is_empty() {
                notice = Some(format!(
                    "Aucun lieu {} n'a « {} » : voici les lieux d'aide les plus proches.",
                    r.center
                        .as_ref()
                        .map(|c| format!("autour de {}", c.label))
                        .unwrap_or_default(),
                    r.relaxed.join(" ")
                ));
            } else if r.partial {
                notice = Some(
                    "Aucun lieu n'a tous ces mots : voici ceux qui en ont le plus.".to_string(),
                );
            }
            (
                r.hits
                    .iter()
                    .map(|h| ResultView::from_hit(h, now, tours.as_deref()))
                    .collect(),
                r.total,
                r.center,
                r.unknown_words,
            )
        }
        Err(m) => {
            error = Some(m);
            (Vec::new(), 0, None, Vec::new())
        }
    };
    let pages = total.div_ceil(q.per_page).max(1);
    let link = |p: usize| {
        let qs = q.to_query(Some(p));
        if qs.is_empty() {
            "/".to_string()
        } else {
            format!("/?{qs}")
        }
    };
    let heading = match (&center, total) {
        (_, 0) => "Aucun lieu ne correspond à cette recherche".to_string(),
        (Some(c), 1) => format!("1 lieu autour de {}", c.label),
        (Some(c), n) => format!("{n} lieux autour de {}", c.label),
        (None, 1) => "1 lieu".to_string(),
        (None, n) => format!("{n} lieux"),
    };
    let qs = q.to_query(None);
    let with = |base: &str, extra: &str| {
        let mut url = base.to_string();
        let parts: Vec<&str> = [qs.as_str(), extra]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        if !parts.is_empty() {
            url.push('?');
            url.push_str(&parts.join("&"));
        }
        url
    };
    let title = if q.is_empty() {
        "Trouver de l'aide pour le numérique et les démarches en ligne".to_string()
    } else {
        format!("Recherche : {heading}")
    };
    render(&SearchPage {
        layout: Layout::new(title, "/"),
        form: Form::new(&q).with_epcis(&index),
        results,
        total,
        heading,
        error,
        unknown_words,
        without_unknown_url,
        did_you_mean,
        notice,
        prev_url: (q.page > 1).then(|| link(q.page - 1)),
        next_url: (q.page < pages).then(|| link(q.page + 1)),
        page: q.page,
        pages,
        map_url: with("/carte", ""),
        points_url: with("/carte/lieux.json", ""),
        background_url: crate::assets::url("geo/departements.geojson"),
        tile_url: state.config.tile_url.clone().unwrap_or_default(),
        tile_attribution: state.config.tile_attribution.clone(),
        map_scripts: [
            "vendor/leaflet/leaflet.js",
            "vendor/leaflet/leaflet.markercluster.js",
            "app/map.js",
        ]
        .map(crate::assets::url)
        .join(" "),
        map_styles: [
            "vendor/leaflet/leaflet.css",
            "vendor/leaflet/MarkerCluster.css",
            "vendor/leaflet/MarkerCluster.Default.css",
        ]
        .map(crate::assets::url)
        .join(" "),
        print_url: with("/imprimer", ""),
        csv_url: with("/api/v1/lieux", "format=csv&par_page=500"),
        geojson_url: with("/api/v1/lieux", "format=geojson&par_page=500"),
    })
}
