//! Whether two records describe the same place, with the reason in words.
//!
//! The national tool (`mednum-cli dedupliquer`) compares every pair in a postal code with a
//! fuzzy ratio on the raw name, a fuzzy ratio on the raw address and a distance score, and
//! averages them. Raw names fail on our sources: "France services de Montech" and "Mairie de
//! Montech" share most of their letters and are often two places, while "Médiathèque Jean
//! Jaurès" and "Bibliothèque municipale J. Jaurès" share few and are one. So names are
//! compared on their *specific* words (generic words such as "France Services", "mairie",
//! "médiathèque", articles and the commune's own name removed), the *kind* of place named
//! (a mairie and a médiathèque are two places) is separate evidence, addresses are compared as
//! house number + street with French abbreviations expanded, and identifiers (SIRET, phone,
//! e-mail) add evidence but never decide alone: a commune's SIRET is shared by its mairie, its
//! médiathèque and its CCAS.

use maillage_model::{check_siret, fold, siret::normalize_siret, Place, SiretCheck};
use strsim::{jaro_winkler, normalized_levenshtein, osa_distance};

/// Words that say what kind of place it is or glue words together: removed before names are
/// compared (the kind is kept apart, see [`Kind`]).
const GENERIC_WORDS: &[&str] = &[
    "a",
    "au",
    "aux",
    "d",
    "de",
    "des",
    "du",
    "en",
    "et",
    "l",
    "la",
    "le",
    "les",
    "pour",
    "sur",
    "un",
    "une",
    "france",
    "services",
    "service",
    "espace",
    "espaces",
    "maison",
    "maisons",
    "mairie",
    "hotel",
    "ville",
    "commune",
    "communale",
    "communal",
    "municipale",
    "municipal",
    "mediatheque",
    "bibliotheque",
    "ludotheque",
    "ccas",
    "cias",
    "centre",
    "social",
    "sociale",
    "action",
    "intercommunal",
    "intercommunale",
    "association",
    "asso",
    "numerique",
    "numeriques",
    "epn",
    "public",
    "publique",
    "point",
    "accueil",
    "antenne",
    "site",
    "lieu",
    "agence",
    "postale",
    "poste",
    "bureau",
    "fs",
    "msap",
    "multimedia",
    "cyber",
    "base",
    "cyberbase",
    "tiers",
    "conseiller",
    "conseillers",
    "conseillere",
    "cnfs",
    "aidants",
    "connect",
    "communaute",
    "communes",
    "cc",
    "pimms",
    "mission",
    "locale",
    "bus",
    "itinerant",
    "itinerante",
    "sas",
    "st",
    "saint",
    "sainte",
    "ste",
    "agglo",
    "agglomeration",
    "ca",
    "intercommunalite",
    "pres",
    "sur",
    "sous",
    "les",
];

/// What a name says the place is. Two different kinds (other than France Services, a label
/// that a mairie, a post office or a social centre can carry) are two places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    TownHall,
    Library,
    Ccas,
    SocialCentre,
    MissionLocale,
    PostOffice,
    FranceServices,
    School,
    /// An intercommunality, the MSA, a PETR, a syndicate: bodies that run France Services and
    /// list them under their own name ("Communauté de communes du Pays de Mirepoix" for the
    /// France services de Mirepoix, "CCAPV", "MSA Alpes Vaucluse").
    Operator,
}

impl Kind {
    fn of(folded_name: &str) -> Option<Kind> {
        let has = |w: &str| folded_name.contains(w);
        if has("mediatheque") || has("bibliotheque") || has("ludotheque") {
            Some(Kind::Library)
        } else if has("mission locale") {
            Some(Kind::MissionLocale)
        } else if has("ccas") || has("cias") || has("centre communal d action sociale") {
            Some(Kind::Ccas)
        } else if has("centre social") || has("centre socio") || has("espace de vie sociale") {
            Some(Kind::SocialCentre)
        } else if has("france services") || has("france service") || has("msap") {
            Some(Kind::FranceServices)
        } else if has("mairie")
            || has("hotel de ville")
            || folded_name.starts_with("commune ")
            || folded_name.starts_with("ville ")
        {
            Some(Kind::TownHall)
        } else if has("la poste") || has("bureau de poste") || has("agence postale") {
            Some(Kind::PostOffice)
        } else if has("college") || has("lycee") || has("ecole ") || has("universite") {
            Some(Kind::School)
        } else if has("communaute de communes")
            || has("communaute d agglomeration")
            || has("communaute urbaine")
            || has("agglomeration")
            || has("syndicat mixte")
            || has("pole d equilibre")
            || has("petr ")
            || folded_name
                .split(' ')
                .any(|w| w == "msa" || w == "agglo" || w == "cdc" || is_intercommunality_acronym(w))
        {
            Some(Kind::Operator)
        } else {
            None
        }
    }

    /// A France Services and a body that runs them: the France Services may be listed under
    /// its operator's name.
    fn operated(a: Option<Kind>, b: Option<Kind>) -> bool {
        matches!(
            (a, b),
            (Some(Kind::FranceServices), Some(Kind::Operator))
                | (Some(Kind::Operator), Some(Kind::FranceServices))
        )
    }

    /// A France Services and the town hall or CCAS that houses it: two desks at one door
    /// unless a contact of one is the other's.
    fn housed(a: Option<Kind>, b: Option<Kind>) -> bool {
        let host = |k| matches!(k, Some(Kind::TownHall) | Some(Kind::Ccas));
        (a == Some(Kind::FranceServices) && host(b)) || (b == Some(Kind::FranceServices) && host(a))
    }

    fn conflicts(a: Option<Kind>, b: Option<Kind>) -> bool {
        match (a, b) {
            (Some(x), Some(y)) => {
                x != y
                    && x != Kind::FranceServices
                    && y != Kind::FranceServices
                    && !matches!(
                        (x, y),
                        (Kind::TownHall, Kind::Ccas) | (Kind::Ccas, Kind::TownHall)
                    )
            }
            _ => false,
        }
    }
}

/// `ccapv`, `cctg`: the initials of a "communauté de communes" (not `ccas`, a CCAS).
fn is_intercommunality_acronym(w: &str) -> bool {
    w.len() >= 4
        && w.len() <= 6
        && w.starts_with("cc")
        && w != "ccas"
        && w.bytes().all(|b| b.is_ascii_lowercase())
}

/// The field's abbreviations, written out so that names and kinds compare: "MFS Moustiers"
/// is the "Maison France services" of Moustiers, "EFS Chalindrey" its "Espace France
/// services", an "MSAP" the former name of a France Services.
fn expand_name_word(word: &str) -> &str {
    match word {
        "mfs" => "maison france services",
        "efs" => "espace france services",
        "fs" => "france services",
        "msap" | "mfsap" => "maison france services",
        "cc" => "communaute de communes",
        "mjc" => "maison des jeunes et de la culture",
        "csc" => "centre socio culturel",
        "pij" => "point information jeunesse",
        "bij" => "bureau information jeunesse",
        "mds" => "maison des solidarites",
        "epn" => "espace public numerique",
        other => other,
    }
}

/// Whether a name is of an itinerant service (a bus, a tour): not the fixed place it starts
/// from.
fn itinerant(folded_name: &str) -> bool {
    folded_name
        .split(' ')
        .any(|w| matches!(w, "bus" | "itinerant" | "itinerante" | "camion" | "mobile"))
}

/// What is compared of one record, computed once per record (de-duplication of 200,000 rows
/// compares each record with its neighbours many times).
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// Words of the name without the generic ones and without the words of its own commune,
    /// in order (the other record's commune words are removed at comparison time when the two
    /// communes differ).
    pub name_tokens: Vec<String>,
    /// Words of the commune name (3 letters or more).
    pub commune_words: Vec<String>,
    /// The whole name, normalised, articles removed.
    pub full_name: String,
    pub kind: Option<Kind>,
    /// A bus or a tour, by its name.
    pub itinerant: bool,
    /// A "France services La Poste": the post office is its operator.
    pub post_office_fs: bool,
    pub house_number: Option<String>,
    /// Street words (abbreviations expanded, articles removed).
    pub street: String,
    /// Street words without the street type (`rue`, `avenue`…).
    pub street_words: Vec<String>,
    /// `street_words` joined with spaces.
    pub street_specific: String,
    pub position: Option<(f64, f64)>,
    /// A SIRET that passed the check (placeholders and bad keys are never compared).
    pub siret: Option<String>,
    /// National significant number (9 digits), when the phone reads as French.
    pub phone: Option<String>,
    pub emails: Vec<String>,
    pub code_insee: Option<String>,
    pub code_postal: String,
}

/// Folds accents and case and turns punctuation into spaces.
pub fn normalize_text(s: &str) -> String {
    let folded = fold(s);
    let mut out = String::with_capacity(folded.len());
    let mut last_space = true;
    for c in folded.chars() {
        if c.is_alphanumeric() {
            out.push(c);
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

impl Features {
    pub fn of(place: &Place) -> Features {
        let name = normalize_text(&place.nom)
            .split(' ')
            .map(expand_name_word)
            .collect::<Vec<_>>()
            .join(" ");
        let commune_words: Vec<String> = normalize_text(&place.commune)
            .split(' ')
            .filter(|w| w.len() > 2)
            .map(str::to_string)
            .collect();
        let name_tokens = name
            .split(' ')
            .filter(|w| !w.is_empty())
            .filter(|w| !GENERIC_WORDS.contains(w))
            .filter(|w| !is_commune_word(w, &commune_words))
            .map(str::to_string)
            .collect();
        let full_name = name
            .split(' ')
            .filter(|w| !w.is_empty() && !ADDRESS_STOP.contains(w))
            .collect::<Vec<_>>()
            .join(" ");
        let (house_number, street) = split_address(&place.adresse, &place.commune);
        let mut street_words: Vec<String> = street
            .split(' ')
            .filter(|w| !w.is_empty() && !is_street_type(w))
            .map(str::to_string)
            .collect();
        if street_words.is_empty() {
            // "Avenue de la Promenade": the type word is the name.
            street_words = street.split(' ').skip(1).map(str::to_string).collect();
        }
        let street_specific = street_words.join(" ");
        let siret =
            Some(normalize_siret(&place.pivot)).filter(|s| check_siret(s) == SiretCheck::Valid);
        Features {
            name_tokens,
            commune_words,
            full_name,
            kind: Kind::of(&name),
            itinerant: itinerant(&name),
            post_office_fs: Kind::of(&name) == Some(Kind::FranceServices)
                && name.contains("la poste"),
            house_number,
            street,
            street_words,
            street_specific,
            position: place.position.map(|p| (p.lat, p.lon)),
            siret,
            phone: place.telephone.as_deref().and_then(phone_key),
            emails: place
                .courriels
                .iter()
                .map(|e| e.trim().to_lowercase())
                .filter(|e| e.contains('@'))
                .collect(),
            code_insee: place
                .code_insee
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            code_postal: place.code_postal.trim().to_string(),
        }
    }
}

/// The 9 significant digits of a French number (`05 63 …`, `+33 5 63 …`, `0033…`).
pub fn phone_key(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let rest = if raw.trim_start().starts_with('+') {
        digits.strip_prefix("33").map(str::to_string)
    } else if let Some(r) = digits.strip_prefix("0033") {
        Some(r.to_string())
    } else if digits.len() == 10 && digits.starts_with('0') {
        Some(digits[1..].to_string())
    } else if digits.len() == 11 && digits.starts_with("33") {
        Some(digits[2..].to_string())
    } else {
        None
    }?;
    // Shared switchboards and service numbers (3939, 0800…) identify nothing.
    (rest.len() == 9 && !rest.starts_with('8')).then_some(rest)
}

fn expand(word: &str) -> &str {
    match word {
        "r" => "rue",
        "av" | "ave" | "avn" => "avenue",
        "bd" | "bld" | "blvd" | "boul" => "boulevard",
        "pl" | "plc" => "place",
        "ch" | "che" | "chem" => "chemin",
        "rte" => "route",
        "imp" => "impasse",
        "all" => "allee",
        "fbg" | "fg" => "faubourg",
        "crs" => "cours",
        "sq" => "square",
        "qu" | "qua" => "quai",
        "res" | "resid" => "residence",
        "st" => "saint",
        "ste" => "sainte",
        "gal" | "gen" | "gle" => "general",
        "mal" => "marechal",
        "pdt" | "pres" => "president",
        "prom" => "promenade",
        "lot" => "lotissement",
        "za" | "zac" | "zi" => "zone",
        "grand" | "gde" | "gd" => "grande",
        other => other,
    }
}

/// Words that say what kind of site an address is on, not which: removed, with the
/// [`ROAD_TYPES`], before street names are compared.
const SITE_TYPES: &[&str] = &[
    "residence",
    "lotissement",
    "zone",
    "cite",
    "rond",
    "point",
    "lieu",
    "dit",
];

fn is_street_type(w: &str) -> bool {
    ROAD_TYPES.contains(&w) || SITE_TYPES.contains(&w)
}

const ADDRESS_STOP: &[&str] = &[
    "de", "du", "des", "la", "le", "les", "l", "d", "a", "au", "aux", "et", "cedex", "bis", "ter",
    "quater", "b", "t",
];

/// House number and street words of an address; the postal code, the commune and what
/// follows them (`20 Avenue de Ségur, 75007 Paris`), `BP`/`CS` boxes and `CEDEX` removed.
pub fn split_address(adresse: &str, commune: &str) -> (Option<String>, String) {
    let text = normalize_text(adresse);
    let mut words: Vec<&str> = Vec::new();
    let mut skip_next = false;
    for w in text.split(' ').filter(|w| !w.is_empty()) {
        if skip_next {
            skip_next = false;
            continue;
        }
        if w.len() == 5 && w.bytes().all(|b| b.is_ascii_digit()) {
            break; // a postal code: the commune follows
        }
        if w == "bp" || w == "cs" || w == "tsa" {
            skip_next = true;
            continue;
        }
        words.push(w);
    }
    let commune = normalize_text(commune);
    if !commune.is_empty() {
        let joined = words.join(" ");
        if let Some(stripped) = joined.strip_suffix(&commune) {
            let stripped = stripped.trim_end().to_string();
            let n = stripped.split(' ').filter(|w| !w.is_empty()).count();
            if n > 0 {
                words.truncate(n);
            }
        }
    }
    let words = &words[address_start(&words)..];
    let mut number = None;
    let mut street: Vec<&str> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let digits = house_number(w);
        if i == 0 && digits.is_some() {
            number = digits.map(|d| d.trim_start_matches('0').to_string());
            continue;
        }
        // "1-3 rue de Chaumont", "5-9 rue des Papetiers": the range's end is no street word.
        if street.is_empty() && number.is_some() && digits.is_some() {
            continue;
        }
        let e = expand(w);
        if !ADDRESS_STOP.contains(&e) {
            street.push(e);
        }
    }
    // "RUE GRANDE" and "Grande Rue" are one street.
    if street.len() >= 2 && street[0] == "rue" && street[1] == "grande" {
        street.swap(0, 1);
    }
    (number.filter(|n| !n.is_empty()), street.join(" "))
}

/// The digits of a house number (`12`, `9bis`, `39B`), at most four.
fn house_number(word: &str) -> Option<&str> {
    let end = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    (end > 0 && end <= 4).then(|| &word[..end])
}

/// Road types: where the street starts when a building's name comes first.
const ROAD_TYPES: &[&str] = &[
    "rue",
    "avenue",
    "boulevard",
    "place",
    "chemin",
    "route",
    "impasse",
    "allee",
    "faubourg",
    "cours",
    "square",
    "quai",
    "promenade",
    "voie",
    "passage",
    "montee",
    "esplanade",
    "parvis",
];

/// Where the street begins: sources put a building or a locality first ("Les Jardins de la
/// Cité 7 Cours Péchiney", "LD Buguet Route d'Ardizas", "Centre administratif rue du
/// Seigneur de la Clue"). The first number followed by a road type, else the first road type;
/// the whole address when it starts with a number or a road type, or has neither.
fn address_start(words: &[&str]) -> usize {
    let road = |w: &str| ROAD_TYPES.contains(&expand(w));
    match words.first() {
        None => return 0,
        Some(w) if house_number(w).is_some() || road(w) => return 0,
        Some(_) => {}
    }
    let numbered = (1..words.len())
        .find(|&i| house_number(words[i]).is_some() && words.get(i + 1).is_some_and(|w| road(w)));
    numbered
        .or_else(|| (1..words.len()).find(|&i| road(words[i])))
        .unwrap_or(0)
}

/// How two addresses relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressMatch {
    /// Same house number and street.
    Same,
    /// Same street, a number missing on one side.
    SameStreet,
    /// Same street, different numbers.
    OtherNumber,
    /// Different streets.
    Different,
    /// Too little to tell.
    Unknown,
}

/// A word of the commune's name (fuzzily: sources misspell them).
fn is_commune_word(w: &str, commune_words: &[String]) -> bool {
    commune_words
        .iter()
        .any(|c| c == w || (w.len() >= 5 && jaro_winkler(c, w) >= 0.93))
}

fn token_similarity<S: AsRef<str>>(a: &[S], b: &[S]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let matched = a
        .iter()
        .map(AsRef::as_ref)
        .filter(|x| {
            b.iter()
                .map(AsRef::as_ref)
                .any(|y| *x == y || (x.len() >= 4 && y.len() >= 4 && jaro_winkler(x, y) >= 0.92))
        })
        .count() as f64;
    let contain = matched / a.len().min(b.len()) as f64;
    let jaccard = matched / a.len().max(b.len()) as f64;
    let best = (contain + jaccard) / 2.0;
    if best >= 1.0 {
        return best;
    }
    let mut sa: Vec<&str> = a.iter().map(AsRef::as_ref).collect();
    let mut sb: Vec<&str> = b.iter().map(AsRef::as_ref).collect();
    let joined = normalized_levenshtein(&sa.join(" "), &sb.join(" "));
    sa.sort_unstable();
    sb.sort_unstable();
    let sorted = normalized_levenshtein(&sa.join(" "), &sb.join(" "));
    joined.max(sorted).max(best)
}

/// The result of comparing two records.
#[derive(Debug, Clone, PartialEq)]
pub struct PairScore {
    /// Sum of the evidence points (see [`compare`]).
    pub score: i32,
    /// Whether the pair is taken as one place (`score >= SAME_PLACE_SCORE`).
    pub same: bool,
    /// Name similarity of the specific words, when both names have some.
    pub name_similarity: Option<f64>,
    pub distance_m: Option<f64>,
    pub address: AddressMatch,
    /// Two places received at one door (same number and street, or the same point): not one
    /// place, but the directory can say "à la même adresse".
    pub same_building: bool,
    /// The evidence in words, for the operator: "même SIRET, même commune, noms proches 0,92, 40 m".
    pub reason: String,
}

/// The score at or above which two records are one place (calibrated on the labelled sample,
/// see `docs/dedup.md`).
pub const SAME_PLACE_SCORE: i32 = 5;

fn french_decimal(x: f64) -> String {
    format!("{x:.2}").replace('.', ",")
}

/// Compares two records of the same commune block. Evidence points:
///
/// | evidence | points |
/// |---|---|
/// | specific words of the names ≥ 0.90 / ≥ 0.80 / ≥ 0.65 / < 0.45 | +3 / +2 / +1 / −2 (−1 when an identifier or the kind agrees) |
/// | names ≥ 0.90 of two specific words or more each, not two sites, not disagreeing addresses across communes | +4 instead of +3 |
/// | whole names a typo apart (≥ 0.90, Damerau-Levenshtein) count as names ≥ 0.90 | |
/// | no specific words on either side, same kind of place | +2 |
/// | kinds of place that differ (mairie vs médiathèque…) | −4 |
/// | a France Services and its operator (or La Poste for a "France services La Poste") at one door | +3, names never against |
/// | two France Services of one name in one commune, not two sites | +2 |
/// | an itinerant service and a fixed place | −3 |
/// | a France Services and a mairie or CCAS without a shared phone or e-mail | −2 |
/// | same number and street / same street (no number on either side) / other number / other street | +3 / +1 (+2) / −2 / −1 |
/// | distance ≤ 30 m / ≤ 100 m / ≤ 250 m / ≤ 1 km / ≤ 3 km / farther (nothing when one point stands for two addresses) | +2 / +1 / 0 / −1 / −2 / −4 |
/// | same valid SIRET / phone / e-mail (at most +4 together) | +2 each |
/// | an identifier and the exact address agree / a phone or e-mail at one un-numbered street / the name and the street agree | +1 / +1 / +1 |
///
/// *One door*: the same number and street, or the same street when neither gives a number.
/// *Two sites*: two numbered addresses on two streets. The pair is one place at
/// [`SAME_PLACE_SCORE`] or more; [`PairScore::same_building`] says when a pair that is not is
/// received at one door.
pub fn compare(a: &Features, b: &Features) -> PairScore {
    let mut score = 0;
    let mut reasons: Vec<String> = Vec::new();

    let mut ids = 0;
    if a.siret.is_some() && a.siret == b.siret {
        ids += 2;
        reasons.push("même SIRET".into());
    }
    if a.phone.is_some() && a.phone == b.phone {
        ids += 2;
        reasons.push("même téléphone".into());
    }
    if a.emails.iter().any(|e| b.emails.contains(e)) {
        ids += 2;
        reasons.push("même courriel".into());
    }
    score += ids.min(4);

    if a.code_insee.is_some() && a.code_insee == b.code_insee {
        reasons.push("même commune".into());
    } else if !a.code_postal.is_empty() && a.code_postal == b.code_postal {
        reasons.push("même code postal".into());
    }

    // The communes' words say nothing about the place: each record's own were removed once;
    // the other's are removed here when the two communes are named differently.
    let same_commune_words = a.commune_words == b.commune_words;
    let core_a: Vec<&str> = a
        .name_tokens
        .iter()
        .map(String::as_str)
        .filter(|w| same_commune_words || !is_commune_word(w, &b.commune_words))
        .collect();
    let core_b: Vec<&str> = b
        .name_tokens
        .iter()
        .map(String::as_str)
        .filter(|w| same_commune_words || !is_commune_word(w, &a.commune_words))
        .collect();
    let same_kind = a.kind.is_some() && a.kind == b.kind;
    // Whole names a typo apart ("Comumne de Vue") are the same name, even when the typo hides a
    // generic word from the specific-word comparison.
    let core =
        (!core_a.is_empty() && !core_b.is_empty()).then(|| token_similarity(&core_a, &core_b));
    let full = if core.is_some_and(|c| c >= 0.9) {
        None
    } else {
        typo_similarity(&a.full_name, &b.full_name).filter(|s| *s >= 0.9)
    };
    let name_similarity = match (core, full) {
        (Some(c), Some(f)) => Some(c.max(f)),
        (c, f) => c.or(f),
    };
    let address = address_match(a, b);
    let no_numbers = a.house_number.is_none() && b.house_number.is_none();
    // One door: the same number and street, or the same street when neither gives a number
    // (rural public buildings: "Place de Verdun", "Hôtel de Ville").
    let door = address == AddressMatch::Same || (address == AddressMatch::SameStreet && no_numbers);
    let operated = door
        && (Kind::operated(a.kind, b.kind)
            || (a.post_office_fs && b.kind == Some(Kind::PostOffice))
            || (b.post_office_fs && a.kind == Some(Kind::PostOffice)));
    // Two numbered addresses on two streets: two sites, whatever the names say (one
    // association's two centres, one SIRET).
    let two_sites =
        address == AddressMatch::Different && a.house_number.is_some() && b.house_number.is_some();
    let shared_contact =
        (a.phone.is_some() && a.phone == b.phone) || a.emails.iter().any(|e| b.emails.contains(e));

    // The commune itself, not its postal code (shared by several communes).
    let same_commune = match (&a.code_insee, &b.code_insee) {
        (Some(x), Some(y)) => x == y,
        _ => !a.commune_words.is_empty() && a.commune_words == b.commune_words,
    };

    let mut name_points = 0;
    if let Some(s) = name_similarity {
        name_points = if s >= 0.9 {
            // Two specific words or more, the same: a rare name ("Vallée de la Blanche"), in
            // one commune or at addresses that do not disagree.
            if core_a.len() >= 2
                && core_b.len() >= 2
                && !two_sites
                && (same_commune || address != AddressMatch::Different)
            {
                4
            } else {
                3
            }
        } else if s >= 0.8 {
            2
        } else if s >= 0.65 {
            1
        } else if s < 0.45 {
            if ids > 0 || same_kind {
                -1
            } else {
                -2
            }
        } else {
            0
        };
        let words = if name_points > 0 {
            "noms proches"
        } else if name_points < 0 {
            "noms différents"
        } else {
            "noms assez proches"
        };
        reasons.push(format!("{words} {}", french_decimal(s)));
    } else if core_a.is_empty() && core_b.is_empty() && same_kind {
        name_points = 2;
        reasons.push("même type de lieu".into());
    }
    if operated {
        // The operator's name says nothing against the France Services' own.
        name_points = name_points.max(0);
        score += 3;
        reasons.push("France services au nom de son opérateur, à sa porte".into());
    }
    score += name_points;
    if Kind::conflicts(a.kind, b.kind) {
        score -= 4;
        reasons.push("types de lieu différents".into());
    }
    let same_name =
        name_similarity.is_some_and(|s| s >= 0.9) || (core_a.is_empty() && core_b.is_empty());
    if a.kind == Some(Kind::FranceServices)
        && b.kind == Some(Kind::FranceServices)
        && same_name
        && same_commune
        && a.itinerant == b.itinerant
        && !two_sites
    {
        // A commune has one France Services of a name; the files disagree on its address.
        score += 2;
        reasons.push("deux France services du même nom dans la commune".into());
    }
    if a.itinerant != b.itinerant {
        score -= 3;
        reasons.push("un service itinérant et un lieu fixe".into());
    }
    if Kind::housed(a.kind, b.kind) && !shared_contact {
        score -= 2;
        reasons.push("France services et mairie ou CCAS : deux accueils".into());
    }

    match address {
        AddressMatch::Same => {
            score += 3;
            reasons.push("même adresse".into());
            if ids > 0 {
                score += 1;
            }
        }
        AddressMatch::SameStreet => {
            score += if no_numbers { 2 } else { 1 };
            reasons.push("même rue".into());
            // A phone or an e-mail (not a SIRET: a commune's is its mairie's and its CCAS's)
            // at one door.
            if shared_contact && no_numbers {
                score += 1;
            }
        }
        AddressMatch::OtherNumber => {
            score -= 2;
            reasons.push("même rue, autre numéro".into());
        }
        AddressMatch::Different => {
            score -= 1;
            reasons.push("adresses différentes".into());
        }
        AddressMatch::Unknown => {}
    }
    if name_points >= 3 && matches!(address, AddressMatch::Same | AddressMatch::SameStreet) {
        score += 1;
    }

    let distance_m = match (a.position, b.position) {
        (Some(p), Some(q)) => Some(distance_m(p, q)),
        _ => None,
    };
    // One point for two different addresses: both were geocoded to a seat or a centre, so
    // the point says nothing (two sites of one association, one SIRET, one point).
    let one_geocoded_point = distance_m.is_some_and(|d| d < 1.0)
        && matches!(address, AddressMatch::Different | AddressMatch::OtherNumber);
    if let Some(d) = distance_m.filter(|_| !one_geocoded_point) {
        score += if d <= 30.0 {
            2
        } else if d <= 100.0 {
            1
        } else if d <= 250.0 {
            0
        } else if d <= 1000.0 {
            -1
        } else if d <= 3000.0 {
            -2
        } else {
            -4
        };
        reasons.push(if d < 1000.0 {
            format!("{} m", d.round() as i64)
        } else {
            format!("{} km", french_decimal(d / 1000.0))
        });
    } else if one_geocoded_point {
        reasons.push("même point géocodé pour deux adresses".into());
    }

    let same = score >= SAME_PLACE_SCORE;
    let same_building = !same
        && (door || same_number_and_street_name(a, b))
        && distance_m.is_none_or(|d| d <= 50.0);
    PairScore {
        score,
        same,
        same_building,
        name_similarity,
        distance_m,
        address,
        reason: reasons.join(", "),
    }
}

/// "7 cours Péchiney" and "7 place Péchiney": one number and one street name, the road type
/// written differently (a building on a corner, a source's slip).
fn same_number_and_street_name(a: &Features, b: &Features) -> bool {
    a.house_number.is_some()
        && a.house_number == b.house_number
        && !a.street_specific.is_empty()
        && a.street_specific == b.street_specific
}

/// Similarity of two strings by edit distance counting a swap of two letters as one edit
/// (typing errors), or `None` when their lengths already differ too much to be typos.
fn typo_similarity(a: &str, b: &str) -> Option<f64> {
    let (la, lb) = (a.chars().count(), b.chars().count());
    let longest = la.max(lb);
    if la == 0 || lb == 0 || la.abs_diff(lb) * 10 > longest {
        return None;
    }
    Some(1.0 - osa_distance(a, b) as f64 / longest as f64)
}

/// `dor` and `or`, `dangouleme` and `angouleme`: files that drop apostrophes glue the
/// elided article to the word.
fn elided(a: &str, b: &str) -> bool {
    let glued = |long: &str, short: &str| {
        long.len() == short.len() + 1
            && (long.starts_with('d') || long.starts_with('l'))
            && &long[1..] == short
    };
    glued(a, b) || glued(b, a)
}

/// Streets agree when their words are close, or when every specific word of the shorter one
/// (two at least, or one with the same street type) is in the other: sources append a
/// building or a delegated commune ("12 rue des Sauniers, Bel Air").
fn address_match(a: &Features, b: &Features) -> AddressMatch {
    if a.street.is_empty() || b.street.is_empty() {
        return AddressMatch::Unknown;
    }
    let (short, long) = if a.street_words.len() <= b.street_words.len() {
        (a, b)
    } else {
        (b, a)
    };
    let contained = !short.street_words.is_empty()
        && short.street_words.iter().all(|w| {
            long.street_words
                .iter()
                .any(|x| x == w || elided(w, x) || (w.len() >= 5 && jaro_winkler(w, x) >= 0.93))
        })
        && (short.street_words.len() >= 2
            || short.street.split(' ').next() == long.street.split(' ').next());
    let specific = if short.street_words.is_empty() || long.street_words.is_empty() {
        normalized_levenshtein(&a.street, &b.street)
    } else {
        normalized_levenshtein(&a.street_specific, &b.street_specific)
    };
    let same_street = contained || specific >= 0.85;
    if same_street {
        match (&a.house_number, &b.house_number) {
            (Some(x), Some(y)) if x == y => AddressMatch::Same,
            (Some(_), Some(_)) => AddressMatch::OtherNumber,
            _ => AddressMatch::SameStreet,
        }
    } else if specific < 0.5 {
        AddressMatch::Different
    } else {
        AddressMatch::Unknown
    }
}

/// Whether both records have a point and the points are at most `metres` apart.
pub(crate) fn within(a: &Features, b: &Features, metres: f64) -> bool {
    match (a.position, b.position) {
        (Some(p), Some(q)) => distance_m(p, q) <= metres,
        _ => false,
    }
}

/// Equirectangular distance in metres: exact enough below a few kilometres, and cheap.
fn distance_m(p: (f64, f64), q: (f64, f64)) -> f64 {
    let lat = ((p.0 + q.0) / 2.0).to_radians();
    let dx = (q.1 - p.1).to_radians() * lat.cos();
    let dy = (q.0 - p.0).to_radians();
    6_371_008.8 * (dx * dx + dy * dy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_number_and_street() {
        assert_eq!(
            split_address("20 Avenue de Ségur, 75007 Paris", "Paris"),
            (Some("20".into()), "avenue segur".into())
        );
        assert_eq!(
            split_address("41 RUE PORTE DE MONTEUX 84200 CARPENTRAS", "Carpentras"),
            (Some("41".into()), "rue porte monteux".into())
        );
        assert_eq!(
            split_address("12 bis av. du Gal de Gaulle", ""),
            (Some("12".into()), "avenue general gaulle".into())
        );
        assert_eq!(split_address("Place de la Mairie", "").1, "place mairie");
    }

    #[test]
    fn addresses_written_two_ways_split_alike() {
        // A building first, the street after.
        assert_eq!(
            split_address("Les Jardins de la Cité 7 Cours Péchiney", ""),
            (Some("7".into()), "cours pechiney".into())
        );
        assert_eq!(
            split_address("LD Buguet Route d'Ardizas", "").1,
            "route ardizas"
        );
        // Grande Rue, GRAND RUE, RUE GRANDE.
        assert_eq!(split_address("34 bis Grande Rue", "").1, "grande rue");
        assert_eq!(split_address("27 RUE GRANDE", "").1, "grande rue");
        assert_eq!(split_address("12 GRAND RUE", "").1, "grande rue");
        // A range and a glued suffix.
        assert_eq!(
            split_address("1-3 Rue de Chaumont", ""),
            (Some("1".into()), "rue chaumont".into())
        );
        assert_eq!(
            split_address("39B Rue Jean Jaurès", "").0.as_deref(),
            Some("39")
        );
    }

    #[test]
    fn abbreviations_and_operators_name_their_kind() {
        let kind = |name: &str| {
            let place = Place {
                nom: name.into(),
                ..Place::default()
            };
            Features::of(&place).kind
        };
        assert_eq!(
            kind("MFS Moustiers Sainte-Marie"),
            Some(Kind::FranceServices)
        );
        assert_eq!(kind("EFS Chalindrey"), Some(Kind::FranceServices));
        assert_eq!(kind("MSAP Fayl-Billot"), Some(Kind::FranceServices));
        assert_eq!(kind("CC DU PAYS DE MIREPOIX"), Some(Kind::Operator));
        assert_eq!(kind("CCAPV"), Some(Kind::Operator));
        assert_eq!(kind("MSA Alpes vaucluse"), Some(Kind::Operator));
        assert_eq!(kind("CCAS de Manosque"), Some(Kind::Ccas));
    }

    #[test]
    fn phones_compare_on_significant_digits() {
        assert_eq!(phone_key("05 63 12 34 56").as_deref(), Some("563123456"));
        assert_eq!(phone_key("+33 5 63 12 34 56").as_deref(), Some("563123456"));
        assert_eq!(phone_key("33563123456").as_deref(), Some("563123456"));
        assert_eq!(phone_key("0800 00 00 00"), None);
    }

    #[test]
    fn a_mairie_and_a_mediatheque_are_two_kinds() {
        assert!(Kind::conflicts(
            Kind::of("mairie de montech"),
            Kind::of("mediatheque de montech")
        ));
        assert!(!Kind::conflicts(
            Kind::of("france services de montech"),
            Kind::of("mairie de montech")
        ));
    }
}
