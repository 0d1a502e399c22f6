//! De-duplication: which records (within a source and across sources) are the same place,
//! and how their values are merged.
//!
//! The same France Services is in the conseiller numérique list, the France Services list and
//! the Aidants Connect list, each with its own spelling. [`group`] finds those groups:
//! - **blocking** by commune (same INSEE code or same postal code) so that 200,000 records cost a
//!   few comparisons each, not 200,000; blocks larger than [`FULL_BLOCK`] (big cities) are
//!   compared only on pairs that share a name word, a 250 m grid cell or an identifier; then,
//!   within a département, by SIRET, ~300 m cell and commune name for the pairs that share
//!   neither code (a source gives the neighbouring commune's codes, or none);
//! - **scoring** each pair with [`similarity::compare`] (specific words of the names, kind of
//!   place, house number and street, distance, SIRET, phone, e-mail), with a reason in words;
//! - **transitive groups** with a union-find, strongest links first, where an operator's
//!   keep-apart decision ([`KeepApartPair`]) is never crossed: a link that would put both sides
//!   in one group is dropped, so the group splits at its weakest link;
//! - records that share a source identifier (the same row imported twice) are always one
//!   place.
//!
//! [`merge`] then builds one place per group: the freshest non-empty value wins per field,
//! lists are united, and each field records where its value came from.

pub mod similarity;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use maillage_model::text::fold_words;
use maillage_model::{check_siret, siret::normalize_siret, Place, SiretCheck, SourceRef};

pub use similarity::{compare, Features, PairScore, SAME_PLACE_SCORE};

/// Blocks up to this size are compared pair by pair; larger ones through word, grid and
/// identifier indexes (quadratic cost stays bounded).
pub const FULL_BLOCK: usize = 150;

/// Which record a candidate is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateKey {
    /// A place already in the store, by its id.
    Existing(String),
    /// A record of the current import, by its index in the caller's list.
    Incoming(usize),
}

/// One record to de-duplicate.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub key: CandidateKey,
    pub place: &'a Place,
    /// Every source record behind it (one for an incoming record, all for a stored place).
    pub sources: &'a [SourceRef],
    /// The date its values are valid at.
    pub observed: NaiveDate,
}

/// An operator's decision that two source records are two places (one type with the store's,
/// in `maillage_model`).
pub use maillage_model::KeepApart as KeepApartPair;

/// A group of candidates that are one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Indices into the candidates given to [`group`], ascending.
    pub members: Vec<usize>,
    /// Why each link of the group was made: "cnfs:12 = france-services-2024:87 : même SIRET,
    /// même commune, noms proches 0,92, 40 m". Empty for a single record.
    pub reasons: Vec<String>,
}

impl Group {
    /// Every source record of the group's members, each once, in member order: a merged place
    /// keeps all the ids its sources give it.
    pub fn sources(&self, candidates: &[Candidate]) -> Vec<SourceRef> {
        let mut out: Vec<SourceRef> = Vec::new();
        for &m in &self.members {
            for s in candidates[m].sources {
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
        }
        out
    }
}

/// Where one field's value comes from after a merge (one type with the store's).
pub use maillage_model::FieldProvenance;

/// Groups candidates that describe the same place. Every candidate is in exactly one group
/// (single records form groups of one); groups come in the order of their first member.
pub fn group(candidates: &[Candidate], keep_apart: &[KeepApartPair]) -> Vec<Group> {
    let mut edges: Vec<(i32, usize, usize, String)> = Vec::new();

    // The same source record seen twice (re-import, or a stored place and its new version).
    let mut by_source: HashMap<&SourceRef, usize> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        for s in c.sources {
            match by_source.get(s) {
                Some(&j) if j != i => edges.push((
                    i32::MAX,
                    j,
                    i,
                    format!("même identifiant de source ({}:{})", s.source, s.source_id),
                )),
                Some(_) => {}
                None => {
                    by_source.insert(s, i);
                }
            }
        }
    }

    // Features are computed block by block and dropped after it: memory stays that of the
    // largest block, not of the whole set. The last pass's blocks overlap (one SIRET, one
    // cell, one commune name): its pairs are compared once.
    let mut seen_elsewhere: HashSet<(usize, usize)> = HashSet::new();
    for_each_block(candidates, &mut |block, pass| {
        let local: Vec<Features> = block
            .iter()
            .map(|&i| Features::of(candidates[i].place))
            .collect();
        block_pairs(
            &local,
            &mut |x, y| {
                if pass == Pass::Elsewhere && !seen_elsewhere.insert((block[x], block[y])) {
                    return;
                }
                let s = compare(&local[x], &local[y]);
                if s.same {
                    edges.push((s.score, block[x], block[y], s.reason));
                }
            },
            |a, b| pass.compares(a, b),
        );
    });
    // Strongest links first, so a keep-apart decision drops the weakest link.
    edges.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));

    // Keep-apart pairs resolved to candidate indices.
    let mut owners: HashMap<&SourceRef, Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        for s in c.sources {
            owners.entry(s).or_default().push(i);
        }
    }
    let mut forbidden: Vec<Vec<usize>> = vec![Vec::new(); candidates.len()];
    for k in keep_apart {
        let (Some(xs), Some(ys)) = (owners.get(&k.a), owners.get(&k.b)) else {
            continue;
        };
        for &x in xs {
            for &y in ys {
                if x != y {
                    forbidden[x].push(y);
                    forbidden[y].push(x);
                }
            }
        }
    }

    let mut uf = UnionFind::new(candidates.len(), forbidden);
    let mut reasons: Vec<(usize, String)> = Vec::new();
    for (_, i, j, reason) in edges {
        if uf.union(i, j) {
            reasons.push((
                i,
                format!(
                    "{} = {} : {reason}",
                    label(&candidates[i]),
                    label(&candidates[j])
                ),
            ));
        }
    }

    let mut index_of_root: HashMap<usize, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for i in 0..candidates.len() {
        let root = uf.find(i);
        let g = *index_of_root.entry(root).or_insert_with(|| {
            groups.push(Group {
                members: Vec::new(),
                reasons: Vec::new(),
            });
            groups.len() - 1
        });
        groups[g].members.push(i);
    }
    for (i, reason) in reasons {
        let g = index_of_root[&uf.find(i)];
        groups[g].reasons.push(reason);
    }
    groups
}

fn label(c: &Candidate) -> String {
    match (c.sources.first(), &c.key) {
        (Some(s), _) => format!("{}:{}", s.source, s.source_id),
        (None, CandidateKey::Existing(id)) => format!("lieu {id}"),
        (None, CandidateKey::Incoming(i)) => format!("enregistrement {}", i + 1),
    }
}

/// Which pairs of a block are compared: each pass leaves out the pairs an earlier one saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Records of one INSEE code: every pair.
    Insee,
    /// Records of one postal code: pairs whose INSEE codes differ or are missing.
    Postal,
    /// Records of one SIRET, one geographic cell or one commune name within a département:
    /// pairs that share neither an INSEE code nor a postal code (a source gives the
    /// neighbouring commune's codes, or none).
    Elsewhere,
}

impl Pass {
    fn compares(self, a: &Features, b: &Features) -> bool {
        let same_insee = a.code_insee.is_some() && a.code_insee == b.code_insee;
        let same_postal = !a.code_postal.is_empty() && a.code_postal == b.code_postal;
        match self {
            Pass::Insee => true,
            Pass::Postal => !same_insee,
            // Neither code in common: the pair must at least be in communes of one name, or
            // less than a kilometre apart (a SIRET alone joins a département's sites).
            Pass::Elsewhere => {
                !same_insee
                    && !same_postal
                    && ((!a.commune_words.is_empty() && a.commune_words == b.commune_words)
                        || similarity::within(a, b, 1000.0))
            }
        }
    }
}

/// Geographic cells of about 300 m (0.0027° of latitude, 0.004° of longitude), on two grids
/// offset by half a cell, so that two points less than about 150 m apart share a cell.
fn cells(lat: f64, lon: f64) -> [(i64, i64, u8); 2] {
    let (y, x) = (lat / 0.0027, lon / 0.004);
    [
        (y.floor() as i64, x.floor() as i64, 0),
        ((y + 0.5).floor() as i64, (x + 0.5).floor() as i64, 1),
    ]
}

/// The département a record is in, by its postal code (else its INSEE code): the extra
/// blocks stay within one, so a national SIRET (La Poste's) or a common commune name does not
/// make a block of the whole country.
fn departement(place: &Place) -> String {
    let code = if place.code_postal.trim().is_empty() {
        place.code_insee.as_deref().unwrap_or("").trim()
    } else {
        place.code_postal.trim()
    };
    let n = if code.starts_with("97") { 3 } else { 2 };
    code.chars().take(n).collect()
}

/// The blocks worth comparing: records of one INSEE code; then records of one postal code,
/// for the pairs the INSEE blocks did not see (one side has no INSEE code, or the two codes
/// differ — sources disagree on the commune of the same building: delegated communes, a
/// structure's seat); postal blocks whose records all share one INSEE code are skipped. Then,
/// within a département, records of one valid SIRET, of one ~300 m cell or of one commune
/// name, for the pairs that share neither code: no single code is trusted.
fn for_each_block(candidates: &[Candidate], on_block: &mut dyn FnMut(&[usize], Pass)) {
    let insee = |c: &Candidate| -> Option<String> {
        c.place
            .code_insee
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut by_insee: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_postal: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if let Some(code) = insee(c) {
            by_insee.entry(code).or_default().push(i);
        }
        let postal = c.place.code_postal.trim();
        if !postal.is_empty() {
            by_postal.entry(postal).or_default().push(i);
        }
    }
    let mut blocks: Vec<Vec<usize>> = by_insee.into_values().filter(|b| b.len() > 1).collect();
    blocks.sort_by_key(|b| b[0]);
    for block in &blocks {
        on_block(block, Pass::Insee);
    }
    let mut blocks: Vec<Vec<usize>> = by_postal
        .into_values()
        .filter(|b| {
            let first = insee(&candidates[b[0]]);
            b.len() > 1 && (first.is_none() || b.iter().any(|&i| insee(&candidates[i]) != first))
        })
        .collect();
    blocks.sort_by_key(|b| b[0]);
    for block in &blocks {
        on_block(block, Pass::Postal);
    }

    let mut elsewhere: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let dep = departement(c.place);
        let siret = normalize_siret(&c.place.pivot);
        if check_siret(&siret) == SiretCheck::Valid {
            elsewhere
                .entry(format!("s:{dep}:{siret}"))
                .or_default()
                .push(i);
        }
        if let Some(p) = c.place.position {
            for (y, x, grid) in cells(p.lat, p.lon) {
                elsewhere
                    .entry(format!("g{grid}:{dep}:{y}:{x}"))
                    .or_default()
                    .push(i);
            }
        }
        let commune = fold_words(&c.place.commune);
        if !commune.is_empty() {
            elsewhere
                .entry(format!("c:{dep}:{commune}"))
                .or_default()
                .push(i);
        }
    }
    // A SIRET or a commune name shared by more than a full block (La Poste's, a big city's)
    // tells nothing more than the cells do; such blocks would cost a quadratic number of
    // pairs for none.
    let mut blocks: Vec<Vec<usize>> = elsewhere
        .into_iter()
        .filter(|(key, b)| b.len() > 1 && (key.starts_with('g') || b.len() <= FULL_BLOCK))
        .map(|(_, b)| b)
        .filter(|b| has_pair_elsewhere(candidates, b))
        .collect();
    blocks.sort_by_key(|b| b[0]);
    for block in &blocks {
        on_block(block, Pass::Elsewhere);
    }
}

/// Whether a block holds a pair that shares neither an INSEE code nor a postal code: most
/// cells hold records of one commune, already compared, and are skipped before their features
/// are computed.
fn has_pair_elsewhere(candidates: &[Candidate], block: &[usize]) -> bool {
    let codes = |i: usize| {
        let p = candidates[i].place;
        (
            p.code_insee
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty()),
            Some(p.code_postal.trim()).filter(|c| !c.is_empty()),
        )
    };
    block.iter().enumerate().any(|(k, &i)| {
        let (insee, postal) = codes(i);
        block[k + 1..].iter().any(|&j| {
            let (other_insee, other_postal) = codes(j);
            (insee.is_none() || insee != other_insee)
                && (postal.is_none() || postal != other_postal)
        })
    })
}

/// Calls `on_pair` with the pairs of a block (indices into `features`) worth scoring.
fn block_pairs(
    features: &[Features],
    on_pair: &mut dyn FnMut(usize, usize),
    keep: impl Fn(&Features, &Features) -> bool,
) {
    let n = features.len();
    if n <= FULL_BLOCK {
        for i in 0..n {
            for j in i + 1..n {
                if keep(&features[i], &features[j]) {
                    on_pair(i, j);
                }
            }
        }
        return;
    }
    // A big city: index the block by name word (words present in at most 5% of the block),
    // by grid cell of about 250 m (and the eight around it), and by identifier.
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, f) in features.iter().enumerate() {
        for w in &f.name_tokens {
            index.entry(format!("w:{w}")).or_default().push(i);
        }
        if let Some((lat, lon)) = f.position {
            let (y, x) = (
                (lat / 0.00225).floor() as i64,
                (lon / 0.0032).floor() as i64,
            );
            index.entry(format!("g:{y}:{x}")).or_default().push(i);
        }
        if let Some(s) = &f.siret {
            index.entry(format!("s:{s}")).or_default().push(i);
        }
        if let Some(p) = &f.phone {
            index.entry(format!("p:{p}")).or_default().push(i);
        }
        for e in &f.emails {
            index.entry(format!("e:{e}")).or_default().push(i);
        }
        if !f.street.is_empty() {
            index
                .entry(format!(
                    "a:{}:{}",
                    f.house_number.as_deref().unwrap_or(""),
                    f.street
                ))
                .or_default()
                .push(i);
        }
    }
    let max_word = (n / 20).max(FULL_BLOCK / 3);
    let mut seen = std::collections::HashSet::new();
    for (i, f) in features.iter().enumerate() {
        let mut keys: Vec<String> = f.name_tokens.iter().map(|w| format!("w:{w}")).collect();
        if let Some((lat, lon)) = f.position {
            let (y, x) = (
                (lat / 0.00225).floor() as i64,
                (lon / 0.0032).floor() as i64,
            );
            for dy in -1..=1 {
                for dx in -1..=1 {
                    keys.push(format!("g:{}:{}", y + dy, x + dx));
                }
            }
        }
        keys.extend(f.siret.iter().map(|s| format!("s:{s}")));
        keys.extend(f.phone.iter().map(|p| format!("p:{p}")));
        keys.extend(f.emails.iter().map(|e| format!("e:{e}")));
        if !f.street.is_empty() {
            keys.push(format!(
                "a:{}:{}",
                f.house_number.as_deref().unwrap_or(""),
                f.street
            ));
        }
        for k in keys {
            let Some(others) = index.get(&k) else {
                continue;
            };
            if k.starts_with("w:") && others.len() > max_word {
                continue;
            }
            for &j in others {
                if j > i && keep(f, &features[j]) && seen.insert((i, j)) {
                    on_pair(i, j);
                }
            }
        }
    }
}

/// Union-find that refuses a union putting two kept-apart candidates in one set.
struct UnionFind {
    parent: Vec<usize>,
    members: Vec<Vec<usize>>,
    forbidden: Vec<Vec<usize>>,
}

impl UnionFind {
    fn new(n: usize, forbidden: Vec<Vec<usize>>) -> Self {
        UnionFind {
            parent: (0..n).collect(),
            members: (0..n).map(|i| vec![i]).collect(),
            forbidden,
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Joins the sets of `a` and `b`; false when already joined or kept apart.
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.members[ra].len() < self.members[rb].len() {
            std::mem::swap(&mut ra, &mut rb);
        }
        let conflict = self.forbidden[rb].iter().any(|&x| self.parent_of(x) == ra);
        if conflict {
            return false;
        }
        self.parent[rb] = ra;
        let moved = std::mem::take(&mut self.members[rb]);
        self.members[ra].extend(moved);
        let moved = std::mem::take(&mut self.forbidden[rb]);
        self.forbidden[ra].extend(moved);
        true
    }

    fn parent_of(&self, mut i: usize) -> usize {
        while self.parent[i] != i {
            i = self.parent[i];
        }
        i
    }
}

/// Merges the records of one group into one place: for each field the freshest non-empty
/// value wins (ties: the first given), lists are united (freshest first, no repeats), and
/// each field with a value records its source and date. `date_maj` is the freshest date; the
/// id is the smallest non-empty id among the members (stable whatever the order).
pub fn merge(members: &[(&Place, &[SourceRef], NaiveDate)]) -> (Place, Vec<FieldProvenance>) {
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&a, &b| members[b].2.cmp(&members[a].2).then(a.cmp(&b)));
    let sorted: Vec<(&Place, &str, NaiveDate)> = order
        .iter()
        .map(|&i| {
            let (p, s, d) = members[i];
            let source = s.first().map(|r| r.source.as_str()).unwrap_or("");
            (p, source, d)
        })
        .collect();

    let mut out = Place::default();
    let mut provenance = Vec::new();

    out.id = members
        .iter()
        .map(|m| m.0.id.as_str())
        .filter(|id| !id.is_empty())
        .min()
        .unwrap_or("")
        .to_string();

    macro_rules! text {
        ($field:ident) => {
            if let Some((p, s, d)) = sorted.iter().find(|(p, _, _)| !p.$field.trim().is_empty()) {
                out.$field = p.$field.clone();
                provenance.push(prov(stringify!($field), s, *d));
            }
        };
    }
    macro_rules! option {
        ($field:ident) => {
            if let Some((p, s, d)) = sorted.iter().find(|(p, _, _)| is_set(&p.$field)) {
                out.$field = p.$field.clone();
                provenance.push(prov(stringify!($field), s, *d));
            }
        };
    }
    macro_rules! list {
        ($field:ident) => {
            let mut first: Option<(&str, NaiveDate)> = None;
            for (p, s, d) in &sorted {
                for v in &p.$field {
                    if !out.$field.contains(v) {
                        out.$field.push(v.clone());
                        first.get_or_insert((s, *d));
                    }
                }
            }
            if let Some((s, d)) = first {
                provenance.push(prov(stringify!($field), s, d));
            }
        };
    }

    // A real SIRET beats a placeholder however fresh the placeholder is.
    if let Some((p, s, d)) = sorted.iter().find(|(p, _, _)| {
        maillage_model::check_siret(&p.pivot) == maillage_model::SiretCheck::Valid
    }) {
        out.pivot = p.pivot.clone();
        provenance.push(prov("pivot", s, *d));
    } else {
        text!(pivot);
    }
    text!(nom);
    text!(commune);
    text!(code_postal);
    option!(code_insee);
    text!(adresse);
    option!(complement_adresse);
    if let Some((p, s, d)) = sorted.iter().find(|(p, _, _)| p.position.is_some()) {
        out.position = p.position;
        provenance.push(prov("latitude", s, *d));
        provenance.push(prov("longitude", s, *d));
    }
    list!(typologie);
    option!(telephone);
    list!(courriels);
    list!(site_web);
    option!(horaires);
    option!(presentation_resume);
    option!(presentation_detail);
    option!(source);
    list!(itinerance);
    option!(structure_parente);
    out.date_maj = members.iter().filter_map(|m| m.0.date_maj).max();
    if let Some((p, s, d)) = sorted.iter().find(|(p, _, _)| p.date_maj == out.date_maj) {
        if p.date_maj.is_some() {
            provenance.push(prov("date_maj", s, *d));
        }
    }
    list!(services);
    list!(publics_specifiquement_adresses);
    list!(prise_en_charge_specifique);
    list!(frais_a_charge);
    list!(dispositif_programmes_nationaux);
    list!(formations_labels);
    list!(autres_formations_labels);
    list!(modalites_acces);
    list!(modalites_accompagnement);
    option!(fiche_acces_libre);
    option!(prise_rdv);
    (out, provenance)
}

fn is_set(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.trim().is_empty())
}

fn prov(field: &str, source: &str, date: NaiveDate) -> FieldProvenance {
    FieldProvenance {
        field: field.to_string(),
        source: source.to_string(),
        date,
    }
}
