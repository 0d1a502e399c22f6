//! The search as a value: parsed from the URL query string (the URL holds the whole search, so
//! it can be shared and bookmarked), validated with French messages, and written back into
//! URLs for pagination and the export links. The HTML pages and the API share it.

use maillage_model::{Dispositif, PriseEnCharge, Public, Service};

use crate::error::WebError;
use crate::text::slug;

/// When the place must be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Now,
    /// A day and optional half-day.
    Day(DaySpec, Option<HalfDay>),
}

/// A day of a usual week, or a calendar date (then public holidays and dated closures count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaySpec {
    /// 0 = Monday.
    Weekday(usize),
    Date(chrono::NaiveDate),
}

impl DaySpec {
    pub fn to_param(self) -> String {
        match self {
            DaySpec::Weekday(d) => crate::hours::DAYS[d].to_string(),
            DaySpec::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HalfDay {
    Morning,
    Afternoon,
}

/// Output format of the API list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    GeoJson,
    Csv,
}

/// One search. Every field maps to one query parameter (see [`SearchQuery::parse`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// Free text (`q`).
    pub text: String,
    /// Where (`ou`): a commune name, postal code or INSEE code.
    pub place: String,
    /// Position from the browser's geolocation (`lat`, `lon`).
    pub position: Option<(f64, f64)>,
    /// Radius in km (`rayon`); `Some(0)` = in the commune only.
    pub radius_km: Option<u32>,
    /// An EPCI SIREN (`epci`).
    pub epci: String,
    /// A département code (`departement`).
    pub departement: String,
    pub services: Vec<Service>,
    pub publics: Vec<Public>,
    pub support: Vec<PriseEnCharge>,
    pub schemes: Vec<Dispositif>,
    pub when: Option<When>,
    /// `sans_rdv=1`
    pub walk_in: bool,
    /// `gratuit=1`
    pub free: bool,
    /// `itinerant=1`
    pub itinerant: bool,
    /// Whether the stops of the itinerant calendar are results too: set by the pages made for
    /// a person (search, map, print), never read from the URL (the API lists places).
    pub stops: bool,
    /// 1-based page (`page`).
    pub page: usize,
    /// Results per page (`par_page`, 1 to 500).
    pub per_page: usize,
    pub format: Format,
}

pub const DEFAULT_PER_PAGE: usize = 20;
pub const MAX_PER_PAGE: usize = 500;
pub const RADII: &[u32] = &[0, 5, 10, 20, 50];

fn bad(message: String) -> WebError {
    WebError::BadRequest(message)
}

fn parse_list<T: Copy>(
    all: &[T],
    label: impl Fn(T) -> &'static str,
    value: &str,
    what: &str,
) -> Result<T, WebError> {
    let s = slug(value);
    all.iter()
        .copied()
        .find(|v| slug(label(*v)) == s)
        .ok_or_else(|| {
            bad(format!(
                "{what} : « {} » n'est pas une valeur connue",
                truncate(value)
            ))
        })
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

fn flag(value: &str, name: &str) -> Result<bool, WebError> {
    match value {
        "1" | "oui" | "true" | "on" => Ok(true),
        "0" | "non" | "false" | "" => Ok(false),
        other => Err(bad(format!(
            "{name} : « {} » n'est pas compris (attendu 1 ou 0)",
            truncate(other)
        ))),
    }
}

impl SearchQuery {
    /// Parses a raw query string. Unknown parameters are ignored (links from elsewhere may
    /// carry tracking parameters); a known parameter with a wrong value is a 400 that says
    /// which parameter and why.
    pub fn parse(raw: Option<&str>) -> Result<SearchQuery, WebError> {
        let mut q = SearchQuery {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            ..Default::default()
        };
        let mut lat = None;
        let mut lon = None;
        let mut day: Option<DaySpec> = None;
        let mut half: Option<HalfDay> = None;
        let raw = raw.unwrap_or("");
        if raw.len() > 4096 {
            return Err(bad("la recherche est trop longue".into()));
        }
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let value = value.trim();
            match key.as_ref() {
                "q" => q.text = value.chars().take(200).collect(),
                "ou" => q.place = value.chars().take(100).collect(),
                "lat" | "lon" if value.is_empty() => {}
                "lat" => lat = Some(parse_coord(value, "lat", -90.0, 90.0)?),
                "lon" => lon = Some(parse_coord(value, "lon", -180.0, 180.0)?),
                "rayon" if value.is_empty() => {}
                "rayon" => {
                    let r: u32 = value.parse().map_err(|_| {
                        bad(format!(
                            "rayon : « {} » n'est pas un nombre de kilomètres",
                            truncate(value)
                        ))
                    })?;
                    if r > 200 {
                        return Err(bad("rayon : 200 km au plus".into()));
                    }
                    q.radius_km = Some(r);
                }
                "epci" => q.epci = value.chars().take(20).collect(),
                "departement" => q.departement = value.chars().take(3).collect(),
                "services" | "service" if !value.is_empty() => {
                    q.services
                        .push(parse_list(Service::ALL, Service::label, value, "services")?)
                }
                "publics" if !value.is_empty() => {
                    q.publics
                        .push(parse_list(Public::ALL, Public::label, value, "publics")?)
                }
                "prise_en_charge" if !value.is_empty() => q.support.push(parse_list(
                    PriseEnCharge::ALL,
                    PriseEnCharge::label,
                    value,
                    "prise_en_charge",
                )?),
                "dispositifs" if !value.is_empty() => q.schemes.push(parse_list(
                    Dispositif::ALL,
                    Dispositif::label,
                    value,
                    "dispositifs",
                )?),
                "ouvert" => match value {
                    "" => {}
                    "maintenant" => q.when = Some(When::Now),
                    other => {
                        return Err(bad(format!(
                            "ouvert : « {} » n'est pas compris (attendu « maintenant »)",
                            truncate(other)
                        )))
                    }
                },
                "jour" => match value {
                    "" => {}
                    v => {
                        day = Some(
                            if let Some(d) = crate::hours::DAYS.iter().position(|d| *d == v) {
                                DaySpec::Weekday(d)
                            } else if let Ok(date) =
                                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                            {
                                DaySpec::Date(date)
                            } else {
                                return Err(bad(format!(
                                    "jour : « {} » n'est ni un jour de la semaine (lundi … dimanche) ni une date (AAAA-MM-JJ)",
                                    truncate(v)
                                )));
                            },
                        )
                    }
                },
                "moment" => match value {
                    "" => {}
                    "matin" => half = Some(HalfDay::Morning),
                    "apres-midi" => half = Some(HalfDay::Afternoon),
                    other => {
                        return Err(bad(format!(
                            "moment : « {} » n'est pas compris (attendu matin ou apres-midi)",
                            truncate(other)
                        )))
                    }
                },
                "sans_rdv" => q.walk_in = flag(value, "sans_rdv")?,
                "gratuit" => q.free = flag(value, "gratuit")?,
                "itinerant" => q.itinerant = flag(value, "itinerant")?,
                "page" if value.is_empty() => {}
                "page" => {
                    q.page = value
                        .parse::<usize>()
                        .ok()
                        .filter(|p| (1..=100_000).contains(p))
                        .ok_or_else(|| {
                            bad(format!(
                                "page : « {} » n'est pas un numéro de page",
                                truncate(value)
                            ))
                        })?
                }
                "par_page" if value.is_empty() => {}
                "par_page" => {
                    q.per_page = value
                        .parse::<usize>()
                        .ok()
                        .filter(|p| (1..=MAX_PER_PAGE).contains(p))
                        .ok_or_else(|| {
                            bad(format!(
                                "par_page : entre 1 et {MAX_PER_PAGE} (reçu « {} »)",
                                truncate(value)
                            ))
                        })?
                }
                "format" => {
                    q.format = match value {
                        "" | "json" => Format::Json,
                        "geojson" => Format::GeoJson,
                        "csv" => Format::Csv,
                        other => {
                            return Err(bad(format!(
                                "format : « {} » n'est pas proposé (json, geojson ou csv)",
                                truncate(other)
                            )))
                        }
                    }
                }
                _ => {}
            }
        }
        match (lat, lon) {
            (Some(a), Some(o)) => q.position = Some((a, o)),
            (None, None) => {}
            _ => return Err(bad("lat et lon vont ensemble : donnez les deux".into())),
        }
        if let Some(d) = day {
            q.when = Some(When::Day(d, half));
        } else if half.is_some() && q.when.is_none() {
            return Err(bad("moment : choisissez aussi un jour".into()));
        }
        Ok(q)
    }

    /// The query string of this search (without `page` when `page` is `None`), for links.
    pub fn to_query(&self, page: Option<usize>) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if !self.text.is_empty() {
            s.append_pair("q", &self.text);
        }
        if !self.place.is_empty() {
            s.append_pair("ou", &self.place);
        }
        if let Some((lat, lon)) = self.position {
            s.append_pair("lat", &format!("{lat:.5}"));
            s.append_pair("lon", &format!("{lon:.5}"));
        }
        if let Some(r) = self.radius_km {
            s.append_pair("rayon", &r.to_string());
        }
        if !self.epci.is_empty() {
            s.append_pair("epci", &self.epci);
        }
        if !self.departement.is_empty() {
            s.append_pair("departement", &self.departement);
        }
        for v in &self.services {
            s.append_pair("services", &slug(v.label()));
        }
        for v in &self.publics {
            s.append_pair("publics", &slug(v.label()));
        }
        for v in &self.support {
            s.append_pair("prise_en_charge", &slug(v.label()));
        }
        for v in &self.schemes {
            s.append_pair("dispositifs", &slug(v.label()));
        }
        match self.when {
            Some(When::Now) => {
                s.append_pair("ouvert", "maintenant");
            }
            Some(When::Day(d, half)) => {
                s.append_pair("jour", &d.to_param());
                match half {
                    Some(HalfDay::Morning) => {
                        s.append_pair("moment", "matin");
                    }
                    Some(HalfDay::Afternoon) => {
                        s.append_pair("moment", "apres-midi");
                    }
                    None => {}
                }
            }
            None => {}
        }
        if self.walk_in {
            s.append_pair("sans_rdv", "1");
        }
        if self.free {
            s.append_pair("gratuit", "1");
        }
        if self.itinerant {
            s.append_pair("itinerant", "1");
        }
        if self.per_page != DEFAULT_PER_PAGE {
            s.append_pair("par_page", &self.per_page.to_string());
        }
        if let Some(p) = page {
            if p > 1 {
                s.append_pair("page", &p.to_string());
            }
        }
        s.finish()
    }

    /// Whether any criterion is set (an empty search lists everything, by name).
    pub fn is_empty(&self) -> bool {
        let mut blank = self.clone();
        blank.page = 1;
        blank.per_page = DEFAULT_PER_PAGE;
        blank.format = Format::Json;
        blank
            == SearchQuery {
                page: 1,
                per_page: DEFAULT_PER_PAGE,
                ..Default::default()
            }
    }
}

fn parse_coord(value: &str, name: &str, min: f64, max: f64) -> Result<f64, WebError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (min..=max).contains(v))
        .ok_or_else(|| {
            bad(format!(
                "{name} : « {} » n'est pas une coordonnée valide",
                truncate(value)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_survives_a_round_trip_through_its_url() {
        let raw = "q=d%C3%A9marches&ou=Montauban&rayon=10&services=aide-aux-demarches-administratives&jour=mardi&moment=matin&gratuit=1&sans_rdv=1&page=2";
        let q = SearchQuery::parse(Some(raw)).expect("valid search");
        assert_eq!(q.text, "démarches");
        assert_eq!(q.services, vec![Service::AideDemarches]);
        assert_eq!(
            q.when,
            Some(When::Day(DaySpec::Weekday(1), Some(HalfDay::Morning)))
        );
        assert_eq!(q.page, 2);
        let again = SearchQuery::parse(Some(&q.to_query(Some(q.page)))).expect("round trip");
        assert_eq!(again, q);
    }

    #[test]
    fn a_day_is_a_weekday_or_a_date() {
        let q = SearchQuery::parse(Some("jour=2026-11-11&moment=apres-midi")).expect("date");
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 11).expect("date");
        assert_eq!(
            q.when,
            Some(When::Day(DaySpec::Date(date), Some(HalfDay::Afternoon)))
        );
        assert_eq!(
            SearchQuery::parse(Some(&q.to_query(None))).expect("round trip"),
            q
        );
    }

    #[test]
    fn full_labels_are_accepted_like_slugs() {
        let q = SearchQuery::parse(Some("services=Aide+aux+d%C3%A9marches+administratives"))
            .expect("label accepted");
        assert_eq!(q.services, vec![Service::AideDemarches]);
    }

    #[test]
    fn bad_values_say_which_parameter_is_wrong() {
        for (raw, needle) in [
            ("services=cuisine", "services"),
            ("lat=91&lon=2", "lat"),
            ("lat=44", "lat et lon"),
            ("rayon=-3", "rayon"),
            ("par_page=100000", "par_page"),
            ("jour=lundimatin", "jour"),
            ("format=xml", "format"),
        ] {
            match SearchQuery::parse(Some(raw)) {
                Err(WebError::BadRequest(m)) => assert!(m.contains(needle), "{raw}: {m}"),
                other => panic!("{raw}: expected a 400, got {other:?}"),
            }
        }
    }
}
