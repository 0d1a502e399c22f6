//! The in-memory search index: every place of the store, with its words, position and hours
//! pre-digested, so that a search with text, filters and distance answers in well under a
//! millisecond without touching the database. Built at start and rebuilt after writes
//! ([`crate::AppState::reload`]); readers keep using the old index until the new one is swapped
//! in.
//!
//! Text: folded and stemmed words (see [`crate::text`]) in a sorted vocabulary, each posting
//! tagged with the fields the word is in (name, kind, services, operator, description…). A
//! query is read with the vocabulary of `data/vocabulaire.toml` ([`crate::vocabulary`]): "caf",
//! "pole emploi", "imprimer un document" become concepts that look for the words the places
//! use. Results are ranked by relevance: for each query term, the best field weight of the
//! words it matches (exact word above a prefix), times the term's rarity (BM25's idf); boosts
//! for the exact name and the commune; a distance decay when the search has a centre; ties by
//! freshness. A commune name or a postal code in the text becomes a location ("there and
//! around"). Distance: a grid of 0.1° cells, then haversine on the few candidates. A place
//! without coordinates is placed at its commune's centre, flagged approximate.
//!
//! The ordering of the first version (every word required, alphabetical) is kept as
//! [`Ranking::Baseline`]: the judged query set and the benchmark compare against it in the
//! same run.

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
use crate::text::{stem, tokens};
use crate::vocabulary::{fold, Piece, Vocabulary};

/// The text part of a search, read ([`SearchIndex::read_text`]).
#[derive(Default)]
struct TextMatch {
    /// The text asked for something (not empty, not only stop words).
    asked: bool,
    /// The known terms: each a list of looks; each look a list of parts (all required), each
    /// part a few weighted vocabulary ranges; and the look's weight.
    terms: Vec<Vec<Look>>,
    unknown: Vec<Unknown>,
}

type Look = (Vec<Vec<(u32, u32, f32)>>, f32);

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
    /// The fields each of `words` is in (same order).
    masks: Box<[u8]>,
    /// Where the search and the map put the place: its own coordinates, or else its
    /// commune's centre (then `approximate`).
    pub position: Option<Position>,
    pub approximate: bool,
    /// A stop of the published itinerant calendar (the bus at a commune), not a place of the
    /// directory: found by the search page and the map, never by the API or the observatory.
    pub stop: bool,
}

impl Entry {
    pub fn hours(&self) -> Option<&OpeningHours> {
        self.hours.as_deref()
    }
}

/// The entries having a word, ascending, each with the fields the word is in.
type Postings = Vec<(u32, u8)>;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ranking {
    /// By relevance (the site's ordering).
    #[default]
    Relevance,
    /// The first version's search: every word required, names holding the words first, then
    /// alphabetical; places without coordinates left out of distance searches. Kept only to be
    /// measured against (judged queries, benchmark).
    Baseline,
}

/// Field weights: a word in the name says more about the place than a word in its description.
const FIELD_WEIGHTS: [f32; 8] = [
    3.0, // name
    2.0, // kind: typology, national schemes, itinerant
    1.5, // services
    1.5, // operator (structure_parente)
    1.0, // publics, specific support
    1.0, // commune, postal code
    0.7, // description
    0.3, // address
];
const NAME: u8 = 1;
const KIND: u8 = 1 << 1;
const SERVICES: u8 = 1 << 2;
const OPERATOR: u8 = 1 << 3;
const PUBLICS: u8 = 1 << 4;
const COMMUNE: u8 = 1 << 5;
const DESCRIPTION: u8 = 1 << 6;
const ADDRESS: u8 = 1 << 7;

fn field_weight(mask: u8) -> f32 {
    (0..8)
        .filter(|b| mask & (1 << b) != 0)
        .map(|b| FIELD_WEIGHTS[b])
        .fold(0.0, f32::max)
}

/// A word of the query that found nothing, as typed, with the closest word of the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub typed: String,
    pub suggestion: Option<String>,
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
    /// Words of the query that matched nothing at all (said to the person), as typed.
    pub unknown_words: Vec<String>,
    /// The same, with a "did you mean" when a close word exists.
    pub unknown: Vec<Unknown>,
    /// The query text with each unknown word replaced by its suggestion, when there is one.
    pub did_you_mean: Option<String>,
    /// No place has every word: the results have some of them (most first).
    pub partial: bool,
    /// No place of the area has the words (these, as typed): the results are the places of
    /// the area without them.
    pub relaxed: Vec<String>,
}

pub struct SearchIndex {
    /// The directory's places, then the itinerant stops.
    entries: Vec<Entry>,
    n_places: usize,
    by_id: HashMap<String, u32>,
    vocab: Vec<(Box<str>, Postings)>,
    /// Folded words as written in the places and the vocabulary, with how many places use
    /// them: the candidates of "did you mean".
    surface: Vec<(Box<str>, u32)>,
    vocabulary: Vocabulary,
    grid: HashMap<(i32, i32), Vec<u32>>,
    localities: Vec<Locality>,
    by_postal: HashMap<String, Vec<usize>>,
    by_code: HashMap<String, usize>,
    /// Folded commune name → locality (the most populated when names repeat).
    by_name: HashMap<String, usize>,
    epci_communes: HashMap<String, HashSet<String>>,
    /// INSEE codes of the communes that have at least one place.
    communes_with_places: HashSet<String>,
    /// Départements that have at least one place: with the national referential, a word of a
    /// query ("bus", "lavit") is taken for a commune of these only ("Bus" is in 62).
    departements_with_places: HashSet<String>,
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
        SearchIndex::build_with_stops(places, Vec::new(), communes, epcis)
    }

    /// The index of the directory's places and of the stops of the published itinerant
    /// calendar (as places, see `maillage_tours::publish::stops_as_places`). The stops come
    /// after the places, so [`SearchIndex::entries`] is the directory alone.
    pub fn build_with_stops(
        places: Vec<Place>,
        stops: Vec<Place>,
        communes: &[Commune],
        epcis: &[Epci],
    ) -> SearchIndex {
        let mut places = places;
        places.sort_by(|a, b| a.id.cmp(&b.id));
        let mut stops = stops;
        stops.sort_by(|a, b| a.id.cmp(&b.id));
        let n_places = places.len();
        let total = n_places + stops.len();
        let places = places
            .into_iter()
            .map(|p| (p, false))
            .chain(stops.into_iter().map(|p| (p, true)));
        let vocabulary = Vocabulary::shipped().unwrap_or_else(|e| {
            // The file is embedded and tested; should it ever break, search without it.
            tracing::error!(erreur = %e, "vocabulaire illisible");
            Vocabulary::default()
        });
        let mut vocab: BTreeMap<String, Vec<(u32, u8)>> = BTreeMap::new();
        let mut surface: HashMap<String, u32> = HashMap::new();
        let mut grid: HashMap<(i32, i32), Vec<u32>> = HashMap::new();
        let mut entries = Vec::with_capacity(total);
        let mut parsed_hours: HashMap<String, (Option<Arc<OpeningHours>>, Option<WeekMask>)> =
            HashMap::new();
        let mut by_id = HashMap::with_capacity(total);
        for (i, (place, stop)) in places.enumerate() {
            let i = i as u32;
            let mut words: Vec<(String, u8)> = Vec::new();
            let mut seen: HashSet<String> = HashSet::new();
            let mut add = |text: &str, field: u8, words: &mut Vec<(String, u8)>| {
                for w in fold(text).split_whitespace() {
                    if w.len() >= 3
                        && !w.bytes().all(|b| b.is_ascii_digit())
                        && seen.insert(w.to_string())
                    {
                        *surface.entry(w.to_string()).or_default() += 1;
                    }
                }
                words.extend(tokens(text).into_iter().map(|w| (w, field)));
            };
            add(&place.nom, NAME, &mut words);
            add(&place.commune, COMMUNE, &mut words);
            add(&place.code_postal, COMMUNE, &mut words);
            add(&place.adresse, ADDRESS, &mut words);
            for s in &place.services {
                add(s.label(), SERVICES, &mut words);
            }
            for d in &place.dispositif_programmes_nationaux {
                add(d.label(), KIND, &mut words);
            }
            for p in &place.publics_specifiquement_adresses {
                add(p.label(), PUBLICS, &mut words);
            }
            for p in &place.prise_en_charge_specifique {
                add(p.label(), PUBLICS, &mut words);
            }
            for t in &place.typologie {
                add(t, KIND, &mut words);
                if let Some(label) = maillage_model::typologie_label(t) {
                    add(label, KIND, &mut words);
                }
            }
            if place.is_itinerant() {
                add("itinérant", KIND, &mut words);
            }
            if stop {
                add("bus", KIND, &mut words);
            }
            if let Some(s) = &place.structure_parente {
                add(s, OPERATOR, &mut words);
            }
            if let Some(r) = &place.presentation_resume {
                add(r, DESCRIPTION, &mut words);
            }
            words.sort();
            let mut merged: Vec<(String, u8)> = Vec::with_capacity(words.len());
            for (w, f) in words {
                match merged.last_mut() {
                    Some((last, mask)) if *last == w => *mask |= f,
                    _ => merged.push((w, f)),
                }
            }
            for (w, mask) in merged {
                vocab.entry(w).or_default().push((i, mask));
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
                masks: Box::new([]),
                position: place.position,
                approximate: false,
                stop,
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
        let departements_with_places: HashSet<String> = entries
            .iter()
            .filter_map(|e| e.place.departement())
            .map(str::to_string)
            .collect();
        // Names repeat across France: the commune of a served département first, then the
        // most populated.
        let rank = |l: &Locality| {
            let served = maillage_model::territory::departement_of(&l.code)
                .is_some_and(|d| departements_with_places.contains(d));
            (served, l.population)
        };
        for (i, l) in localities.iter().enumerate() {
            by_code.insert(l.code.clone(), i);
            let slot = by_name.entry(l.folded.clone()).or_insert(i);
            if rank(&localities[*slot]) < rank(l) {
                *slot = i;
            }
            for cp in &l.postal_codes {
                by_postal.entry(cp.clone()).or_default().push(i);
            }
        }
        // Places without coordinates: at their commune's centre, flagged approximate (the
        // observatory counts them in their commune too). Then the grid.
        for (i, e) in entries.iter_mut().enumerate() {
            if e.position.is_none() {
                let centre = e
                    .place
                    .code_insee
                    .as_ref()
                    .and_then(|c| by_code.get(c))
                    .map(|l| localities[*l].center);
                if let Some(c) = centre {
                    e.position = Some(c);
                    e.approximate = true;
                }
            }
            if let Some(p) = e.position {
                grid.entry(cell(p)).or_default().push(i as u32);
            }
        }
        for c in &vocabulary.concepts {
            for name in &c.names {
                for w in name {
                    if w.len() >= 3 {
                        surface.entry(w.clone()).or_insert(1);
                    }
                }
            }
        }
        let mut surface: Vec<(Box<str>, u32)> = surface
            .into_iter()
            .map(|(w, n)| (w.into_boxed_str(), n))
            .collect();
        surface.sort();
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
        let communes_with_places: HashSet<String> =
            place_communes.iter().map(|c| c.to_string()).collect();
        let vocab: Vec<(Box<str>, Postings)> = vocab
            .into_iter()
            .map(|(k, v)| (k.into_boxed_str(), v))
            .collect();
        let mut words: Vec<(Vec<u32>, Vec<u8>)> = vec![(Vec::new(), Vec::new()); entries.len()];
        for (id, (_, postings)) in vocab.iter().enumerate() {
            for &(i, mask) in postings {
                words[i as usize].0.push(id as u32);
                words[i as usize].1.push(mask);
            }
        }
        for (entry, (w, m)) in entries.iter_mut().zip(words) {
            entry.words = w.into_boxed_slice();
            entry.masks = m.into_boxed_slice();
        }
        SearchIndex {
            entries,
            n_places,
            by_id,
            vocab,
            surface,
            vocabulary,
            grid,
            localities,
            by_postal,
            by_code,
            by_name,
            epci_communes,
            communes_with_places,
            departements_with_places,
            epcis: epci_list,
        }
    }

    /// The number of places of the directory (stops not counted).
    pub fn len(&self) -> usize {
        self.n_places
    }

    pub fn is_empty(&self) -> bool {
        self.n_places == 0
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|i| &self.entries[*i as usize])
    }

    /// The directory's places (without the itinerant stops).
    pub fn entries(&self) -> &[Entry] {
        &self.entries[..self.n_places]
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
            for &(i, _) in postings {
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
                    // A word of free text is a commune of a served département only ("bus"
                    // is a commune of 62); the "où" field takes any commune of France.
                    let served = |l: &Locality| {
                        self.departements_with_places.is_empty()
                            || maillage_model::territory::departement_of(&l.code)
                                .is_some_and(|d| self.departements_with_places.contains(d))
                    };
                    self.by_name
                        .get(&candidate)
                        .filter(|i| served(&self.localities[**i]))
                        .map(|i| {
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

    /// The vocabulary ranges a query word (stemmed) matches: the word itself at full weight,
    /// the longer words it begins at a lower weight (only from 3 letters: "pc" is not a prefix
    /// of everything).
    fn word_ranges(&self, stem: &str) -> Vec<(u32, u32, f32)> {
        let Some((lo, hi)) = self.prefix_range(stem) else {
            return Vec::new();
        };
        let exact = self.vocab[lo as usize].0.as_ref() == stem;
        let mut out = Vec::new();
        if exact {
            out.push((lo, lo + 1, 1.0));
        }
        let from = if exact { lo + 1 } else { lo };
        if stem.len() >= 3 && from < hi {
            out.push((from, hi, 0.6));
        }
        out
    }

    /// The closest word of the index to a word that found nothing ("did you mean").
    fn suggest(&self, typed: &str) -> Option<String> {
        let len = typed.chars().count();
        if len < 4 || typed.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let max = if len <= 5 { 1 } else { 2 };
        let mut best: Option<(usize, u32, &str)> = None;
        for (w, count) in &self.surface {
            let wl = w.chars().count();
            if wl.abs_diff(len) > max {
                continue;
            }
            let d = strsim::osa_distance(typed, w);
            if d == 0 || d > max {
                continue;
            }
            let better = match best {
                None => true,
                Some((bd, bc, _)) => d < bd || (d == bd && *count > bc),
            };
            if better {
                best = Some((d, *count, w));
            }
        }
        best.map(|(_, _, w)| w.to_string())
    }

    /// Whether some place's name or commune holds every word of the text.
    fn a_name_has_every_word(&self, text: &str) -> bool {
        let mut acc: Option<Vec<u32>> = None;
        for w in crate::vocabulary::words(text) {
            if self.vocabulary.is_stop_word(&w) {
                continue;
            }
            let s = stem(&w);
            let k = self.vocab.partition_point(|(v, _)| v.as_ref() < s.as_str());
            let Some((_, postings)) = self.vocab.get(k).filter(|(v, _)| v.as_ref() == s) else {
                return false;
            };
            let named: Vec<u32> = postings
                .iter()
                .filter(|(i, mask)| {
                    mask & (NAME | COMMUNE) != 0
                        && acc.as_ref().is_none_or(|a| a.binary_search(i).is_ok())
                })
                .map(|(i, _)| *i)
                .collect();
            if named.is_empty() {
                return false;
            }
            acc = Some(named);
        }
        acc.is_some()
    }

    /// Reads a query text into terms (the words that found nothing set apart).
    fn read_text(&self, text: &str) -> TextMatch {
        let pieces = self.vocabulary.read(text);
        if pieces.is_empty() {
            return TextMatch::default();
        }
        let mut terms: Vec<Vec<Look>> = Vec::new();
        let mut unknown = Vec::new();
        for piece in &pieces {
            let looks: Vec<Look> = match piece {
                Piece::Concept { index, .. } => self.vocabulary.concepts[*index]
                    .looks
                    .iter()
                    .map(|l| {
                        (
                            l.stems.iter().map(|s| self.word_ranges(s)).collect(),
                            l.weight,
                        )
                    })
                    .filter(|(parts, _): &Look| parts.iter().all(|r| !r.is_empty()))
                    .collect(),
                Piece::Word { stem, .. } => {
                    let r = self.word_ranges(stem);
                    if r.is_empty() {
                        Vec::new()
                    } else {
                        vec![(vec![r], 1.0)]
                    }
                }
            };
            if looks.is_empty() {
                let typed = match piece {
                    Piece::Concept { typed, .. } | Piece::Word { typed, .. } => typed.clone(),
                };
                unknown.push(Unknown {
                    suggestion: self.suggest(&typed),
                    typed,
                });
                continue;
            }
            terms.push(looks);
        }
        TextMatch {
            asked: true,
            terms,
            unknown,
        }
    }

    /// The term's rarity, BM25's idf, floored: a word every place has still counts a little.
    fn idf(&self, df: f32) -> f32 {
        let n = self.entries.len() as f32;
        (1.0 + (n - df.min(n) + 0.5) / (df + 0.5)).ln().max(0.1)
    }

    /// Scores every entry, from the postings (a search over everything): the summed score and
    /// the number of terms matched, per entry.
    fn score_all(&self, terms: &[Vec<Look>]) -> (Vec<f32>, Vec<u16>) {
        let n = self.entries.len();
        let has = |i: u32, ranges: &[(u32, u32, f32)]| {
            let words = &self.entries[i as usize].words;
            ranges.iter().any(|&(lo, hi, _)| {
                let k = words.partition_point(|w| *w < lo);
                k < words.len() && words[k] < hi
            })
        };
        let mut total = vec![0f32; n];
        let mut matched = vec![0u16; n];
        let mut term = vec![0f32; n];
        for looks in terms {
            term.iter_mut().for_each(|x| *x = 0.0);
            for (parts, weight) in looks {
                let (first, rest) = parts.split_first().expect("a look has a part");
                for &(lo, hi, w) in first {
                    for (_, postings) in &self.vocab[lo as usize..hi as usize] {
                        for &(i, mask) in postings {
                            let s = weight * w * field_weight(mask);
                            if s > term[i as usize] && rest.iter().all(|r| has(i, r)) {
                                term[i as usize] = s;
                            }
                        }
                    }
                }
            }
            let idf = self.idf(term.iter().filter(|s| **s > 0.0).count() as f32);
            for i in 0..n {
                if term[i] > 0.0 {
                    total[i] += idf * term[i];
                    matched[i] += 1;
                }
            }
        }
        (total, matched)
    }

    /// Scores a few entries (the candidates of a distance search) from their own words, the
    /// idf estimated from the postings' lengths.
    fn score_some(&self, terms: &[Vec<Look>], candidates: &[usize]) -> Vec<(f32, u16)> {
        let idf: Vec<f32> = terms
            .iter()
            .map(|looks| {
                let df: usize = looks
                    .iter()
                    .flat_map(|(parts, _)| parts.first())
                    .flatten()
                    .map(|&(lo, hi, _)| {
                        self.vocab[lo as usize..hi as usize]
                            .iter()
                            .map(|(_, p)| p.len())
                            .sum::<usize>()
                    })
                    .sum();
                self.idf(df as f32)
            })
            .collect();
        candidates
            .iter()
            .map(|&i| {
                let e = &self.entries[i];
                // The best field weight of the entry's words in the ranges (0 if none).
                let best = |ranges: &[(u32, u32, f32)]| -> f32 {
                    let mut best = 0f32;
                    for &(lo, hi, w) in ranges {
                        let mut k = e.words.partition_point(|x| *x < lo);
                        while k < e.words.len() && e.words[k] < hi {
                            best = best.max(w * field_weight(e.masks[k]));
                            k += 1;
                        }
                    }
                    best
                };
                let mut total = 0f32;
                let mut matched = 0u16;
                for (looks, idf) in terms.iter().zip(&idf) {
                    let mut term = 0f32;
                    for (parts, weight) in looks {
                        let (first, rest) = parts.split_first().expect("a look has a part");
                        let s = weight * best(first);
                        if s > term && rest.iter().all(|r| best(r) > 0.0) {
                            term = s;
                        }
                    }
                    if term > 0.0 {
                        total += idf * term;
                        matched += 1;
                    }
                }
                (total, matched)
            })
            .collect()
    }

    /// Runs a search, ranked by relevance. `now` is the local time in Paris (open-now
    /// filter, "ouvert jusqu'à").
    pub fn search(&self, q: &SearchQuery, now: NaiveDateTime) -> Result<Results<'_>, String> {
        self.search_with(q, now, Ranking::Relevance)
    }

    /// Runs a search with the given ordering.
    pub fn search_with(
        &self,
        q: &SearchQuery,
        now: NaiveDateTime,
        ranking: Ranking,
    ) -> Result<Results<'_>, String> {
        let n = self.entries.len();
        let baseline = ranking == Ranking::Baseline;
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
        } else if let Some((c, rest)) = self.locate_in_text(&q.text).filter(|(c, _)| {
            // "Mairie de Parisot" is a place in Caylus, "montpezat" is Montpezat-de-Quercy
            // here: a commune without places does not take the words a place has.
            baseline
                || c.commune
                    .as_ref()
                    .is_some_and(|code| self.communes_with_places.contains(code))
                || !self.a_name_has_every_word(&q.text)
        }) {
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

        // Baseline text: every word must match (itself or a synonym) as a word prefix. Each
        // query word becomes a few ranges of vocabulary ids.
        let mut unknown_words = Vec::new();
        let folded_text = fold(&text);
        let mut terms: Vec<Vec<(u32, u32)>> = Vec::new();
        let relevance = if baseline {
            TextMatch::default()
        } else {
            self.read_text(&text)
        };
        for word in tokens(&text).into_iter().filter(|_| baseline) {
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
        if !baseline {
            unknown_words = relevance.unknown.iter().map(|u| u.typed.clone()).collect();
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
                // Relevance: the text is scored apart (see below).
                _ if !baseline => {}
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
                || (e.stop && !q.stops)
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
                let position = if baseline { p.position } else { e.position };
                match position {
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

        let collect = || {
            let mut hits: Vec<(usize, Option<f64>)> = Vec::new();
            match (&center, radius) {
                (Some(c), Some(r)) if only_commune.is_none() => {
                    // Only the grid cells the circle can touch.
                    let dlat = r as f64 / 111.0;
                    let dlon = r as f64 / (111.0 * c.position.lat.to_radians().cos().max(0.05));
                    let (a0, o0) =
                        cell(Position::new(c.position.lat - dlat, c.position.lon - dlon));
                    let (a1, o1) =
                        cell(Position::new(c.position.lat + dlat, c.position.lon + dlon));
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
            hits
        };
        let mut relaxed = Vec::new();
        let mut partial = false;
        // Relevance: per hit, its text score (1 when the text asks for nothing).
        let mut text_scores: Vec<f32> = Vec::new();
        let mut hits;
        if baseline {
            hits = collect();
        } else if !relevance.asked {
            hits = collect();
            text_scores = vec![1.0; hits.len()];
        } else {
            let all = relevance.terms.len() as u16;
            // (entry, distance, score, terms matched) of the places in the area and filters.
            let scored: Vec<(usize, Option<f64>, f32, u16)> = if spatial {
                let candidates = collect();
                let ids: Vec<usize> = candidates.iter().map(|h| h.0).collect();
                candidates
                    .into_iter()
                    .zip(self.score_some(&relevance.terms, &ids))
                    .map(|((i, d), (s, m))| (i, d, s, m))
                    .collect()
            } else {
                let (scores, matched) = self.score_all(&relevance.terms);
                (0..n)
                    .filter(|&i| matched[i] > 0)
                    .filter_map(|i| keep(i).map(|d| (i, d, scores[i], matched[i])))
                    .collect()
            };
            // Every term is required when some place has them all; else those with the most.
            let need = if scored.iter().any(|h| h.3 == all) {
                all
            } else {
                partial = scored.iter().any(|h| h.3 > 0);
                scored.iter().map(|h| h.3).max().unwrap_or(0).max(1)
            };
            hits = Vec::new();
            for (i, d, s, m) in scored {
                if m >= need && all > 0 {
                    hits.push((i, d));
                    text_scores.push(s);
                }
            }
            // Nothing here has these words ("médiathèque" around Caussade): the places
            // around, nearest first, and the page says which words found nothing here.
            if hits.is_empty() && center.is_some() {
                hits = collect();
                text_scores = vec![1.0; hits.len()];
                partial = false;
                if !hits.is_empty() {
                    relaxed = crate::vocabulary::words(&text)
                        .into_iter()
                        .filter(|w| !self.vocabulary.is_stop_word(w))
                        .collect();
                }
            }
        }

        if !baseline {
            let has_text = relevance.asked && relaxed.is_empty();
            self.rank(&mut hits, &text_scores, has_text, &text, &center);
        } else if center.is_some() {
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
        let did_you_mean = relevance
            .unknown
            .iter()
            .any(|u| u.suggestion.is_some())
            .then(|| {
                crate::vocabulary::words(&text)
                    .into_iter()
                    .map(|w| {
                        relevance
                            .unknown
                            .iter()
                            .find(|u| u.typed == w)
                            .and_then(|u| u.suggestion.clone())
                            .unwrap_or(w)
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            });
        Ok(Results {
            hits,
            total,
            center,
            unknown_words,
            unknown: relevance.unknown,
            did_you_mean,
            partial,
            relaxed,
        })
    }

    /// Orders hits by relevance: the text score, boosted when the name is the query and when
    /// the place is in the commune asked for, decayed with distance; ties by freshness, then
    /// name.
    fn rank(
        &self,
        hits: &mut [(usize, Option<f64>)],
        text_scores: &[f32],
        has_text: bool,
        query: &str,
        center: &Option<Center>,
    ) {
        if !has_text && center.is_none() {
            // No words, no place: a directory, by name.
            hits.sort_by(|a, b| {
                self.entries[a.0]
                    .folded_name
                    .cmp(&self.entries[b.0].folded_name)
            });
            return;
        }
        let typed: Vec<String> = crate::vocabulary::words(query)
            .into_iter()
            .filter(|w| !self.vocabulary.is_stop_word(w))
            .collect();
        let joined = typed.join(" ");
        let commune = center.as_ref().and_then(|c| c.commune.as_deref());
        let score = |k: usize, (i, d): &(usize, Option<f64>)| -> f32 {
            let e = &self.entries[*i];
            let mut s = text_scores[k];
            if has_text && !typed.is_empty() {
                let name_words: Vec<&str> = e.folded_name.split_whitespace().collect();
                if name_words
                    .iter()
                    .copied()
                    .filter(|w| !self.vocabulary.is_stop_word(w))
                    .collect::<Vec<_>>()
                    .join(" ")
                    == joined
                {
                    s *= 3.0;
                } else if typed.iter().all(|w| name_words.contains(&w.as_str())) {
                    s *= 1.5;
                }
            }
            if commune.is_some() && e.place.code_insee.as_deref() == commune {
                s *= 1.25;
            }
            if let Some(d) = d {
                s *= 1.0 / (1.0 + *d as f32 / 10.0);
            }
            s
        };
        let mut scored: Vec<(f32, (usize, Option<f64>))> = hits
            .iter()
            .enumerate()
            .map(|(k, h)| (score(k, h), *h))
            .collect();
        scored.sort_by(|a, b| {
            b.0.total_cmp(&a.0).then_with(|| {
                let (x, y) = (&self.entries[a.1 .0], &self.entries[b.1 .0]);
                y.place
                    .date_maj
                    .cmp(&x.place.date_maj)
                    .then_with(|| x.folded_name.cmp(&y.folded_name))
            })
        });
        for (slot, (_, h)) in hits.iter_mut().zip(scored) {
            *slot = h;
        }
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
