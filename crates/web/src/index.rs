//! The in-memory search index: every place of the store, with its words, position and hours
//! pre-digested, so that a search with text, filters and distance answers in well under a
//! millisecond without touching the database. Built at start and rebuilt after writes
//! ([`crate::AppState::reload`]); readers keep using the old index until the new one is swapped
//! in.
//!
//! Text: folded and stemmed words (see [`crate::text`]) in a sorted vocabulary; a query word
//! matches every word it is a prefix of, and all query words must match. A commune name or a
//! postal code in the text becomes a location ("there and around"). Distance: a grid of
//! 0.1° cells, then haversine on the few candidates.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDateTime;
use maillage_model::{
    Commune, Dispositif, Epci, Frais, ModaliteAcces, Place, Position, PriseEnCharge, Public,
    Service,
};
use opening_hours::OpeningHours;

use crate::hours::{self, WeekMask};
use crate::query::{DaySpec, HalfDay, SearchQuery, When};
use crate::text::{fold, stem, tokens};

/// Where a search is centred, and why (shown to the person: "autour de Montauban").
#[derive(Debug, Clone, PartialEq)]
pub struct Center {
    pub position: Position,
    pub label: String,
    /// The INSEE code when the centre is a commune (radius 0 = this commune only).
    pub commune: Option<String>,
}

/// A commune that can be named in a search.
#[derive(Debug, Clone)]
struct Locality {
    code: String,
    name: String,
    folded: String,
    postal_codes: Vec<String>,
    center: Position,
    population: u32,
}

/// One indexed place.
pub struct Entry {
    pub place: Arc<Place>,
    services: u16,
    publics: u16,
    support: u16,
    schemes: u16,
    free: bool,
    walk_in: bool,
    /// Parsed hours, shared between places with the same hours text.
    hours: Option<Arc<OpeningHours>>,
    week: Option<WeekMask>,
    folded_name: String,
    /// Ids (positions in the sorted vocabulary) of the entry's words, ascending.
    words: Box<[u32]>,
}

impl Entry {
    pub fn hours(&self) -> Option<&OpeningHours> {
        self.hours.as_deref()
    }
}

/// A result: the entry and its distance from the search centre.
pub struct Hit<'a> {
    pub entry: &'a Entry,
    pub distance_km: Option<f64>,
}

/// One page of results.
pub struct Results<'a> {
    pub hits: Vec<Hit<'a>>,
    pub total: usize,
    pub center: Option<Center>,
    /// Words of the query that matched nothing at all (said to the person).
    pub unknown_words: Vec<String>,
}

pub struct SearchIndex {
    entries: Vec<Entry>,
    by_id: HashMap<String, u32>,
    vocab: Vec<(Box<str>, Vec<u32>)>,
    grid: HashMap<(i32, i32), Vec<u32>>,
    localities: Vec<Locality>,
    by_postal: HashMap<String, Vec<usize>>,
    by_code: HashMap<String, usize>,
    /// Folded commune name → locality (the most populated when names repeat).
    by_name: HashMap<String, usize>,
    epci_communes: HashMap<String, HashSet<String>>,
    /// (SIREN, name) of the intercommunalités that have places, by name.
    pub epcis: Vec<(String, String)>,
}

fn bits<T: PartialEq + Copy>(all: &[T], values: &[T]) -> u16 {
    values
        .iter()
        .filter_map(|v| all.iter().position(|a| a == v))
        .fold(0u16, |acc, i| acc | (1 << i))
}

fn cell(p: Position) -> (i32, i32) {
    ((p.lat * 10.0).floor() as i32, (p.lon * 10.0).floor() as i32)
}

/// Query words that also mean "help with an online procedure": people name the body, not the
/// service of the standard.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("caf", &["demarch"]),
    ("impot", &["demarch"]),
    ("ant", &["demarch"]),
    ("cpam", &["demarch"]),
    ("ameli", &["demarch"]),
    ("retrait", &["demarch"]),
    ("msa", &["demarch"]),
    ("carsat", &["demarch"]),
    ("franc travail", &["demarch", "insertion"]),
    ("emploi", &["insertion"]),
    ("ordinateur", &["outil", "materiel"]),
    ("internet", &["internet", "outil"]),
    ("smartphone", &["outil"]),
    ("telephon", &["outil", "telephon"]),
];

/// [`SYNONYMS`] with their keys stemmed once.
static SYNONYM_STEMS: std::sync::LazyLock<Vec<(&'static str, String, &'static [&'static str])>> =
    std::sync::LazyLock::new(|| {
        SYNONYMS
            .iter()
            .map(|(key, alts)| {
                let stemmed = key.split(' ').map(stem).collect::<Vec<_>>().join(" ");
                (*key, stemmed, *alts)
            })
            .collect()
    });

impl SearchIndex {
    pub fn build(places: Vec<Place>, communes: &[Commune], epcis: &[Epci]) -> SearchIndex {
        let mut places = places;
        places.sort_by(|a, b| a.id.cmp(&b.id));
        let mut vocab: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut grid: HashMap<(i32, i32), Vec<u32>> = HashMap::new();
        let mut entries = Vec::with_capacity(places.len());
        let mut parsed_hours: HashMap<String, (Option<Arc<OpeningHours>>, Option<WeekMask>)> =
            HashMap::new();
        let mut by_id = HashMap::with_capacity(places.len());
        for (i, place) in places.into_iter().enumerate() {
            let i = i as u32;
            let mut words: Vec<String> = Vec::new();
            for text in [
                &place.nom,
                &place.commune,
                &place.code_postal,
                &place.adresse,
            ] {
                words.extend(tokens(text));
            }
            for s in &place.services {
                words.extend(tokens(s.label()));
            }
            for d in &place.dispositif_programmes_nationaux {
                words.extend(tokens(d.label()));
            }
            for p in &place.publics_specifiquement_adresses {
                words.extend(tokens(p.label()));
            }
            for p in &place.prise_en_charge_specifique {
                words.extend(tokens(p.label()));
            }
            for t in &place.typologie {
                words.extend(tokens(t));
                if let Some(label) = maillage_model::typologie_label(t) {
                    words.extend(tokens(label));
                }
            }
            if let Some(r) = &place.presentation_resume {
                words.extend(tokens(r));
            }
            words.sort();
            words.dedup();
            for w in words {
                vocab.entry(w).or_default().push(i);
            }
            if let Some(p) = place.position {
                grid.entry(cell(p)).or_default().push(i);
            }
            // Many places share the same hours text: parse (and keep) each text once.
            let (parsed, week) = match place.horaires.as_deref().map(str::trim) {
                Some(text) if !text.is_empty() => parsed_hours
                    .entry(text.to_string())
                    .or_insert_with(|| {
                        let oh = hours::parse(text).map(Arc::new);
                        let week = oh
                            .as_ref()
                            .map(|oh| WeekMask::from_table(&hours::week_table(oh)));
                        (oh, week)
                    })
                    .clone(),
                _ => (None, None),
            };
            by_id.insert(place.id.clone(), i);
            entries.push(Entry {
                services: bits(Service::ALL, &place.services),
                publics: bits(Public::ALL, &place.publics_specifiquement_adresses),
                support: bits(PriseEnCharge::ALL, &place.prise_en_charge_specifique),
                schemes: bits(Dispositif::ALL, &place.dispositif_programmes_nationaux),
                free: place.frais_a_charge.contains(&Frais::Gratuit),
                walk_in: place.modalites_acces.contains(&ModaliteAcces::SePresenter),
                hours: parsed,
                week,
                folded_name: fold(&place.nom),
                words: Box::new([]),
                place: Arc::new(place),
            });
        }

        // Localities: the referential's communes, completed by the communes of the places
        // (a store without referential still finds "Montauban").
        let mut localities: Vec<Locality> = communes
            .iter()
            .filter_map(|c| {
                Some(Locality {
                    code: c.code.clone(),
                    name: c.nom.clone(),
                    folded: fold(&c.nom)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                    postal_codes: c.codes_postaux.clone(),
                    center: c.centre?,
                    population: c.population,
                })
            })
            .collect();
        let known: HashSet<String> = localities.iter().map(|l| l.code.clone()).collect();
        let mut from_places: BTreeMap<String, (String, Vec<String>, f64, f64, u32)> =
            BTreeMap::new();
        for e in &entries {
            let p = &e.place;
            let (Some(code), Some(pos)) = (&p.code_insee, p.position) else {
                continue;
            };
            if known.contains(code) {
                continue;
            }
            let slot = from_places
                .entry(code.clone())
                .or_insert_with(|| (p.commune.clone(), Vec::new(), 0.0, 0.0, 0));
            if !slot.1.contains(&p.code_postal) {
                slot.1.push(p.code_postal.clone());
            }
            slot.2 += pos.lat;
            slot.3 += pos.lon;
            slot.4 += 1;
        }
        for (code, (name, postal, lat, lon, n)) in from_places {
            localities.push(Locality {
                code,
                folded: fold(&name).split_whitespace().collect::<Vec<_>>().join(" "),
                name,
                postal_codes: postal,
                center: Position::new(lat / n as f64, lon / n as f64),
                population: 0,
            });
        }
        let mut by_postal: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_code = HashMap::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, l) in localities.iter().enumerate() {
            by_code.insert(l.code.clone(), i);
            let slot = by_name.entry(l.folded.clone()).or_insert(i);
            if localities[*slot].population < l.population {
                *slot = i;
            }
            for cp in &l.postal_codes {
                by_postal.entry(cp.clone()).or_default().push(i);
            }
        }
        let epci_communes = epcis
            .iter()
            .map(|e| (e.code.clone(), e.communes.iter().cloned().collect()))
            .collect();
        // Only the intercommunalités that have places, for the forms' lists.
        let place_communes: HashSet<&str> = entries
            .iter()
            .filter_map(|e| e.place.code_insee.as_deref())
            .collect();
        let mut epci_list: Vec<(String, String)> = epcis
            .iter()
            .filter(|e| {
                e.communes
                    .iter()
                    .any(|c| place_communes.contains(c.as_str()))
            })
            .map(|e| (e.code.clone(), e.nom.clone()))
            .collect();
        epci_list.sort_by(|a, b| a.1.cmp(&b.1));
        let vocab: Vec<(Box<str>, Vec<u32>)> = vocab
            .into_iter()
            .map(|(k, v)| (k.into_boxed_str(), v))
            .collect();
        let mut words: Vec<Vec<u32>> = vec![Vec::new(); entries.len()];
        for (id, (_, postings)) in vocab.iter().enumerate() {
            for &i in postings {
                words[i as usize].push(id as u32);
            }
        }
        for (entry, w) in entries.iter_mut().zip(words) {
            entry.words = w.into_boxed_slice();
        }
        SearchIndex {
            entries,
            by_id,
            vocab,
            grid,
            localities,
            by_postal,
            by_code,
            by_name,
            epci_communes,
            epcis: epci_list,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|i| &self.entries[*i as usize])
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The name of a commune by INSEE code, when known.
    pub fn commune_name(&self, code: &str) -> Option<&str> {
        self.by_code
            .get(code)
            .map(|i| self.localities[*i].name.as_str())
    }

    /// The vocabulary ids of the words starting with `prefix`: a contiguous range, since the
    /// vocabulary is sorted.
    fn prefix_range(&self, prefix: &str) -> Option<(u32, u32)> {
        let lo = self.vocab.partition_point(|(w, _)| w.as_ref() < prefix);
        let len = self.vocab[lo..]
            .iter()
            .take_while(|(w, _)| w.starts_with(prefix))
            .count();
        (len > 0).then_some((lo as u32, (lo + len) as u32))
    }

    /// Marks in `set` every entry having a word in `range`.
    fn mark_range(&self, (lo, hi): (u32, u32), set: &mut [u64]) {
        for (_, postings) in &self.vocab[lo as usize..hi as usize] {
            for &i in postings {
                set[i as usize / 64] |= 1 << (i % 64);
            }
        }
    }

    /// Resolves the "where" of a search: a commune name, postal code or INSEE code.
    fn locate(&self, s: &str) -> Option<Center> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        if s.len() == 5 && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            if let Some(&i) = self.by_code.get(s) {
                let l = &self.localities[i];
                return Some(Center {
                    position: l.center,
                    label: l.name.clone(),
                    commune: Some(l.code.clone()),
                });
            }
            if let Some(list) = self.by_postal.get(s) {
                let n = list.len() as f64;
                let lat = list
                    .iter()
                    .map(|i| self.localities[*i].center.lat)
                    .sum::<f64>()
                    / n;
                let lon = list
                    .iter()
                    .map(|i| self.localities[*i].center.lon)
                    .sum::<f64>()
                    / n;
                let single = (list.len() == 1).then(|| self.localities[list[0]].code.clone());
                return Some(Center {
                    position: Position::new(lat, lon),
                    label: s.to_string(),
                    commune: single,
                });
            }
        }
        let folded = fold(s).split_whitespace().collect::<Vec<_>>().join(" ");
        // "St Antonin" is how many people type "Saint-Antonin".
        let folded = match folded.strip_prefix("st ") {
            Some(rest) => format!("saint {rest}"),
            None => folded,
        };
        self.by_name
            .get(&folded)
            .map(|i| &self.localities[*i])
            .map(|l| Center {
                position: l.center,
                label: l.name.clone(),
                commune: Some(l.code.clone()),
            })
    }

    /// Finds a commune named inside free text ("aide caf montauban"), longest name first;
    /// returns the centre and the text without it.
    fn locate_in_text(&self, text: &str) -> Option<(Center, String)> {
        let words: Vec<String> = fold(text).split_whitespace().map(str::to_string).collect();
        if words.is_empty() {
            return None;
        }
        for len in (1..=words.len().min(6)).rev() {
            for start in 0..=words.len() - len {
                let candidate = words[start..start + len].join(" ");
                let is_postal =
                    candidate.len() == 5 && candidate.bytes().all(|b| b.is_ascii_digit());
                if candidate.len() < 3 {
                    continue;
                }
                let found = if is_postal {
                    self.locate(&candidate)
                } else {
                    self.by_name.get(&candidate).map(|i| {
                        let l = &self.localities[*i];
                        Center {
                            position: l.center,
                            label: l.name.clone(),
                            commune: Some(l.code.clone()),
                        }
                    })
                };
                if let Some(center) = found {
                    let rest = words[..start]
                        .iter()
                        .chain(&words[start + len..])
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" ");
                    return Some((center, rest));
                }
            }
        }
        None
    }

    /// Runs a search. `now` is the local time in Paris (open-now filter, "ouvert jusqu'à").
    pub fn search(&self, q: &SearchQuery, now: NaiveDateTime) -> Result<Results<'_>, String> {
        let n = self.entries.len();
        // Where.
        let mut text = q.text.clone();
        let mut center = None;
        if let Some((lat, lon)) = q.position {
            center = Some(Center {
                position: Position::new(lat, lon),
                label: "votre position".into(),
                commune: None,
            });
        } else if !q.place.is_empty() {
            center = Some(self.locate(&q.place).ok_or_else(|| {
                format!(
                    "ou : la commune « {} » n'est pas connue ; essayez son code postal",
                    q.place.chars().take(60).collect::<String>()
                )
            })?);
        } else if let Some((c, rest)) = self.locate_in_text(&q.text) {
            center = Some(c);
            text = rest;
        }
        let radius = match (&center, q.radius_km) {
            (None, _) => None,
            (Some(_), Some(r)) => Some(r),
            (Some(_), None) => Some(10),
        };
        let only_commune = match (&center, radius) {
            (Some(c), Some(0)) => c.commune.clone(),
            _ => None,
        };
        let epci_set = if q.epci.is_empty() {
            None
        } else {
            Some(self.epci_communes.get(&q.epci).ok_or_else(|| {
                format!(
                    "epci : « {} » n'est pas une intercommunalité connue",
                    q.epci.chars().take(20).collect::<String>()
                )
            })?)
        };

        // Text: every word must match (itself or a synonym) as a word prefix. Each query word
        // becomes a few ranges of vocabulary ids.
        let mut unknown_words = Vec::new();
        let folded_text = fold(&text);
        let mut terms: Vec<Vec<(u32, u32)>> = Vec::new();
        for word in tokens(&text) {
            if word.len() < 2 {
                continue;
            }
            let mut ranges: Vec<(u32, u32)> = self.prefix_range(&word).into_iter().collect();
            for (key, key_stem, alternatives) in SYNONYM_STEMS.iter() {
                if word == *key_stem || (key.contains(' ') && folded_text.contains(key)) {
                    ranges.extend(alternatives.iter().filter_map(|alt| self.prefix_range(alt)));
                }
            }
            if ranges.is_empty() {
                unknown_words.push(word.clone());
            }
            terms.push(ranges);
        }
        let spatial = center.is_some() && radius.is_some() && only_commune.is_none();
        // Around a point, the few candidates of the grid cells check their own word ids; for a
        // search over everything, a bit set per query word is cheaper.
        let text_set: Option<Vec<u64>> = if spatial || terms.is_empty() {
            None
        } else {
            let mut acc: Option<Vec<u64>> = None;
            for ranges in &terms {
                let mut set = vec![0u64; n.div_ceil(64)];
                for r in ranges {
                    self.mark_range(*r, &mut set);
                }
                acc = Some(match acc {
                    None => set,
                    Some(mut a) => {
                        a.iter_mut().zip(&set).for_each(|(x, y)| *x &= y);
                        a
                    }
                });
            }
            acc
        };
        let has_words = |e: &Entry| {
            terms.iter().all(|ranges| {
                ranges.iter().any(|&(lo, hi)| {
                    let k = e.words.partition_point(|w| *w < lo);
                    k < e.words.len() && e.words[k] < hi
                })
            })
        };

        let service_bits = bits(Service::ALL, &q.services);
        let public_bits = bits(Public::ALL, &q.publics);
        let support_bits = bits(PriseEnCharge::ALL, &q.support);
        let scheme_bits = bits(Dispositif::ALL, &q.schemes);
        let folded_words: Vec<String> =
            folded_text.split_whitespace().map(str::to_string).collect();

        let keep = |i: usize| -> Option<Option<f64>> {
            let e = &self.entries[i];
            match &text_set {
                Some(set) => {
                    if set[i / 64] & (1 << (i % 64)) == 0 {
                        return None;
                    }
                }
                None => {
                    if !terms.is_empty() && !has_words(e) {
                        return None;
                    }
                }
            }
            let p = &e.place;
            if e.services & service_bits != service_bits
                || e.publics & public_bits != public_bits
                || e.support & support_bits != support_bits
                || e.schemes & scheme_bits != scheme_bits
                || (q.free && !e.free)
                || (q.walk_in && !e.walk_in)
                || (q.itinerant && !p.is_itinerant())
            {
                return None;
            }
            if !q.departement.is_empty() && p.departement() != Some(q.departement.as_str()) {
                return None;
            }
            if let Some(set) = epci_set {
                if !p.code_insee.as_ref().is_some_and(|c| set.contains(c)) {
                    return None;
                }
            }
            if let Some(code) = &only_commune {
                if p.code_insee.as_ref() != Some(code) {
                    return None;
                }
            }
            let mut distance = None;
            if let (Some(c), Some(r)) = (&center, radius) {
                match p.position {
                    Some(pos) => {
                        let d = c.position.distance_km(pos);
                        if only_commune.is_none() && d > r as f64 {
                            return None;
                        }
                        distance = Some(d);
                    }
                    None if only_commune.is_some() => {}
                    None => return None,
                }
            }
            let open = match q.when {
                None => true,
                Some(When::Now) => e.hours.as_ref().is_some_and(|oh| oh.is_open(now)),
                Some(When::Day(DaySpec::Weekday(day), half)) => {
                    let (a, b) = match half {
                        None => (0, 48),
                        Some(HalfDay::Morning) => (0, 24),
                        Some(HalfDay::Afternoon) => (24, 48),
                    };
                    e.week.is_some_and(|w| w.open_during(day, a, b))
                }
                Some(When::Day(DaySpec::Date(date), half)) => {
                    // A real date: evaluate the hours themselves (holidays, dated closures).
                    let (a, b) = match half {
                        None => (0, 24),
                        Some(HalfDay::Morning) => (0, 12),
                        Some(HalfDay::Afternoon) => (12, 24),
                    };
                    let day_start = date.and_time(chrono::NaiveTime::MIN);
                    e.hours.as_ref().is_some_and(|oh| {
                        oh.iter_range(
                            day_start + chrono::Duration::hours(a),
                            day_start + chrono::Duration::hours(b),
                        )
                        .any(|r| r.kind == opening_hours_syntax::RuleKind::Open)
                    })
                }
            };
            open.then_some(distance)
        };

        let mut hits: Vec<(usize, Option<f64>)> = Vec::new();
        match (&center, radius) {
            (Some(c), Some(r)) if only_commune.is_none() => {
                // Only the grid cells the circle can touch.
                let dlat = r as f64 / 111.0;
                let dlon = r as f64 / (111.0 * c.position.lat.to_radians().cos().max(0.05));
                let (a0, o0) = cell(Position::new(c.position.lat - dlat, c.position.lon - dlon));
                let (a1, o1) = cell(Position::new(c.position.lat + dlat, c.position.lon + dlon));
                for a in a0..=a1 {
                    for o in o0..=o1 {
                        if let Some(list) = self.grid.get(&(a, o)) {
                            for &i in list {
                                if let Some(d) = keep(i as usize) {
                                    hits.push((i as usize, d));
                                }
                            }
                        }
                    }
                }
            }
            _ => {
                for i in 0..n {
                    if let Some(d) = keep(i) {
                        hits.push((i, d));
                    }
                }
            }
        }

        if center.is_some() {
            hits.sort_by(|a, b| {
                a.1.unwrap_or(f64::MAX)
                    .total_cmp(&b.1.unwrap_or(f64::MAX))
                    .then(a.0.cmp(&b.0))
            });
        } else if !folded_words.is_empty() {
            // Places whose name holds the words first.
            let score = |i: usize| {
                let name = &self.entries[i].folded_name;
                folded_words
                    .iter()
                    .filter(|w| name.contains(w.as_str()))
                    .count()
            };
            hits.sort_by(|a, b| {
                score(b.0).cmp(&score(a.0)).then_with(|| {
                    self.entries[a.0]
                        .folded_name
                        .cmp(&self.entries[b.0].folded_name)
                })
            });
        } else {
            hits.sort_by(|a, b| {
                self.entries[a.0]
                    .folded_name
                    .cmp(&self.entries[b.0].folded_name)
            });
        }

        let total = hits.len();
        let start = (q.page.saturating_sub(1)) * q.per_page;
        let hits = hits
            .into_iter()
            .skip(start)
            .take(q.per_page)
            .map(|(i, d)| Hit {
                entry: &self.entries[i],
                distance_km: d,
            })
            .collect();
        Ok(Results {
            hits,
            total,
            center,
            unknown_words,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::SearchQuery;

    fn place(
        id: &str,
        nom: &str,
        commune: &str,
        cp: &str,
        insee: &str,
        lat: f64,
        lon: f64,
    ) -> Place {
        Place {
            id: id.into(),
            nom: nom.into(),
            commune: commune.into(),
            code_postal: cp.into(),
            code_insee: Some(insee.into()),
            position: Some(Position::new(lat, lon)),
            services: vec![Service::AideDemarches],
            ..Default::default()
        }
    }

    fn index() -> SearchIndex {
        SearchIndex::build(
            vec![
                place(
                    "a",
                    "Mairie",
                    "Saint-Antonin-Noble-Val",
                    "82140",
                    "82155",
                    44.152,
                    1.756,
                ),
                place(
                    "b",
                    "Médiathèque",
                    "Montauban",
                    "82000",
                    "82121",
                    44.0176,
                    1.355,
                ),
                place(
                    "c",
                    "Espace numérique",
                    "Caussade",
                    "82300",
                    "82037",
                    44.161,
                    1.537,
                ),
            ],
            &[],
            &[],
        )
    }

    fn ids(q: &str) -> Vec<String> {
        let idx = index();
        let q = SearchQuery::parse(Some(q)).expect("query");
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("date");
        let r = idx.search(&q, now).expect("search");
        r.hits.iter().map(|h| h.entry.place.id.clone()).collect()
    }

    #[test]
    fn st_is_read_as_saint_in_a_commune_name() {
        assert_eq!(ids("ou=St+Antonin+Noble+Val&rayon=0"), vec!["a"]);
        assert_eq!(ids("ou=saint-antonin-noble-val&rayon=0"), vec!["a"]);
    }

    #[test]
    fn postal_code_and_insee_code_locate_the_commune() {
        assert_eq!(ids("ou=82000&rayon=5"), vec!["b"]);
        assert_eq!(ids("ou=82121&rayon=5"), vec!["b"]);
        // Caussade is about 22 km from Montauban: in at 30 km, nearest first.
        assert_eq!(ids("ou=82000&rayon=30"), vec!["b", "c"]);
    }

    #[test]
    fn a_commune_typed_in_the_text_becomes_the_centre() {
        assert_eq!(ids("q=mediatheque+montauban"), vec!["b"]);
        assert_eq!(ids("q=caf+caussade"), vec!["c"]);
    }
}
