//! French text folding and light stemming for the search: "demarche", "Démarches" and
//! "démarches administratives" meet on the same stems, so people find places without typing
//! accents or the exact word.

/// Lower case, accents and ligatures removed, every non-alphanumeric character a separator:
/// the one folding of maillage ([`maillage_model::text::fold_words`]).
pub fn fold(s: &str) -> String {
    maillage_model::text::fold_words(s)
}

/// Words that carry no meaning for the search.
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "avec", "ce", "d", "dans", "de", "des", "du", "en", "et", "l", "la", "le",
    "les", "ma", "mes", "mon", "ou", "par", "pour", "sa", "se", "ses", "son", "sur", "un", "une",
    "chez", "moi", "j", "je", "qui",
];

/// A light French stemmer: plural and common derivational endings removed, so that the singular,
/// plural and a few related forms share a stem. Deliberately conservative (no stem under 3
/// letters): prefix matching in the index does the rest.
pub fn stem(word: &str) -> String {
    let mut w = word.to_string();
    if w.len() > 3 && (w.ends_with('s') || w.ends_with('x')) {
        w.pop();
    }
    const SUFFIXES: &[&str] = &[
        "issements",
        "issement",
        "ements",
        "ement",
        "ations",
        "ation",
        "itions",
        "ition",
        "iques",
        "ique",
        "ismes",
        "isme",
        "istes",
        "iste",
        "euses",
        "euse",
        "eurs",
        "eur",
        "ives",
        "ive",
        "ifs",
        "if",
        "elles",
        "elle",
        "ees",
        "ee",
        "es",
        "e",
    ];
    for suffix in SUFFIXES {
        if w.len() >= suffix.len() + 3 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            break;
        }
    }
    w
}

/// Folded, stemmed tokens of a text, stop words removed.
pub fn tokens(s: &str) -> Vec<String> {
    fold(s)
        .split_whitespace()
        .filter(|w| !STOP_WORDS.contains(w))
        .map(stem)
        .collect()
}

/// A URL-friendly slug of a label: "Aide aux démarches administratives" →
/// "aide-aux-demarches-administratives".
pub fn slug(label: &str) -> String {
    fold(label).split_whitespace().collect::<Vec<_>>().join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demarche_and_demarches_share_a_stem() {
        assert_eq!(tokens("demarche"), tokens("Démarches"));
        assert_eq!(
            tokens("Aide aux démarches administratives"),
            vec!["aid", "demarch", "administrat"]
        );
        assert_eq!(stem("informatique"), stem("informatiques"));
    }

    /// The search's own fold left a run of spaces for "A - B" while the query side collapsed
    /// it, so a name with a spaced hyphen never matched its own spelling; it knew neither
    /// typographic dashes nor `ß`.
    #[test]
    fn separators_fold_to_one_space() {
        assert_eq!(fold("Espace - Numérique"), "espace numerique");
        assert_eq!(fold("Maison France–Services"), "maison france services");
        assert_eq!(tokens("Cœur d’Æsir"), tokens("coeur d aesir"));
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(
            slug("Aide aux démarches administratives"),
            "aide-aux-demarches-administratives"
        );
        assert_eq!(
            slug("Point d'accès numérique CAF"),
            "point-d-acces-numerique-caf"
        );
    }
}
