//! French text folding and light stemming for the search: "demarche", "Démarches" and
//! "démarches administratives" meet on the same stems, so people find places without typing
//! accents or the exact word.

/// Lower case, accents removed, every non-alphanumeric character a separator.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' | 'Á' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'Î' | 'Ï' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' => out.push('u'),
            'ç' | 'Ç' => out.push('c'),
            'ÿ' | 'Ÿ' => out.push('y'),
            'ñ' | 'Ñ' => out.push('n'),
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => out.push(' '),
        }
    }
    out
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
