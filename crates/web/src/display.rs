//! Tidy display of source values: the sources write names in capitals ("CCAS CASTELSARRASIN"),
//! repeat the town in the address ("PL DE LA LIBERTE 82100 CASTELSARRASIN") and name
//! themselves with internal slugs (`conseiller-numerique`). The pages show them the way a
//! person writes them; the store and the exports keep the source values as they are.

use crate::vocabulary::words;

/// Acronyms kept in capitals when a name is put in normal case.
const ACRONYMS: &[&str] = &[
    "CCAS", "CIAS", "MFS", "EPN", "MDS", "CAF", "CPAM", "MSA", "ANTS", "CARSAT", "DGFIP", "UDAF",
    "PIJ", "CNFS", "CTAS", "AAS", "CC", "FS", "MSAP", "PMI", "RSA", "APL", "ESS", "PAD", "SNCF",
    "ADIL", "CIDFF", "UNA", "ADMR", "MJC", "CDAD", "EHPAD", "TGN",
];

/// Small words written in lower case inside a name.
const SMALL: &[&str] = &[
    "DE", "DU", "DES", "LA", "LE", "LES", "ET", "EN", "AU", "AUX", "A", "À", "SUR", "SOUS", "D",
    "L", "POUR", "PAR",
];

fn is_upper_word(w: &str) -> bool {
    w.chars().any(char::is_alphabetic) && !w.chars().any(char::is_lowercase)
}

fn title_case(part: &str) -> String {
    let mut chars = part.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// One word in capitals, in normal case: acronyms kept, small words lowered, hyphenated and
/// elided parts ("L'AGE", "NOBLE-VAL") each handled.
fn normal_word(w: &str, first: bool) -> String {
    let mut out = String::new();
    let mut part = String::new();
    let mut index = 0;
    let flush = |part: &mut String, out: &mut String, index: &mut usize| {
        if part.is_empty() {
            return;
        }
        let upper = part.to_uppercase();
        let letters: String = part.chars().filter(|c| c.is_alphabetic()).collect();
        let vowel = letters
            .chars()
            .any(|c| "AEIOUYÀÂÉÈÊËÎÏÔÛÙÜ".contains(c.to_ascii_uppercase()));
        let text = if SMALL.contains(&upper.as_str()) && !(first && *index == 0) {
            part.to_lowercase()
        } else if ACRONYMS.contains(&upper.as_str()) || (!letters.is_empty() && !vowel) {
            upper
        } else {
            title_case(part)
        };
        out.push_str(&text);
        part.clear();
        *index += 1;
    };
    for c in w.chars() {
        if c == '-' || c == '\'' || c == '’' || c == '/' {
            flush(&mut part, &mut out, &mut index);
            out.push(c);
        } else {
            part.push(c);
        }
    }
    flush(&mut part, &mut out, &mut index);
    out
}

/// A place's name for display: words in capitals put in normal case, known acronyms (and
/// words without a vowel) kept.
pub fn name(raw: &str) -> String {
    raw.split(' ')
        .enumerate()
        .map(|(i, w)| {
            let letters = w.chars().filter(|c| c.is_alphabetic()).count();
            if is_upper_word(w) && letters >= 2 {
                normal_word(w, i == 0)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The address without the postal code and town the sources often repeat in it (the town is
/// shown on its own line).
pub fn address(raw: &str, postal_code: &str, commune: &str) -> String {
    let mut tokens: Vec<&str> = raw.split_whitespace().collect();
    let town = words(commune);
    let town_saint: Vec<String> = town
        .iter()
        .map(|w| if w == "st" { "saint".into() } else { w.clone() })
        .collect();
    // The town's words at the end (compared folded: "CASTELSARRASIN" is "Castelsarrasin").
    for n in (1..=tokens.len().min(8)).rev() {
        let tail = words(&tokens[tokens.len() - n..].join(" "));
        let tail_saint: Vec<String> = tail
            .iter()
            .map(|w| if w == "st" { "saint".into() } else { w.clone() })
            .collect();
        if !town.is_empty() && tail_saint == town_saint {
            tokens.truncate(tokens.len() - n);
            break;
        }
    }
    // Then the postal code, or a postal code followed by another spelling of the town.
    if let Some(k) = tokens
        .iter()
        .rposition(|t| t.trim_matches(',') == postal_code)
    {
        if k > 0
            && tokens[k + 1..]
                .iter()
                .all(|t| !t.chars().any(|c| c.is_ascii_digit()))
        {
            tokens.truncate(k);
        }
    }
    let text = tokens.join(" ");
    let trimmed = text.trim_end_matches([',', ' ', '-']);
    if trimmed.is_empty() {
        raw.trim().to_string()
    } else {
        trimmed.to_string()
    }
}

/// A source's internal name in words a person understands.
pub fn source(slug: &str) -> String {
    let known = [
        ("conseiller-numerique", "Conseillers numériques (ANCT)"),
        ("conseillers-numeriques", "Conseillers numériques (ANCT)"),
        ("aidants-connect", "Aidants Connect (ANCT)"),
        ("france-services", "France services (ANCT)"),
        ("data-inclusion", "data·inclusion"),
        ("dora", "DORA"),
        ("soliguide", "Soliguide"),
        (
            "cartographie-nationale",
            "Cartographie nationale des lieux d'inclusion numérique",
        ),
    ];
    let base = slug.trim().to_lowercase();
    for (key, label) in known {
        if base == key || base.starts_with(&format!("{key}-")) {
            return label.to_string();
        }
    }
    if base.contains('-') || base.contains('_') {
        let spaced = base.replace(['-', '_'], " ");
        return title_case(&spaced);
    }
    slug.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_capitals_are_shown_in_normal_case_keeping_acronyms() {
        assert_eq!(name("CCAS CASTELSARRASIN"), "CCAS Castelsarrasin");
        assert_eq!(
            name("ASSOCIATION L'AGE D'OR DU BRULHOIS"),
            "Association l'Age d'Or du Brulhois"
        );
        assert_eq!(name("LA POSTE"), "La Poste");
        assert_eq!(
            name("CC GRAND SUD TARN ET GARONNE"),
            "CC Grand Sud Tarn et Garonne"
        );
        assert_eq!(name("GERONTO 82"), "Geronto 82");
        // Mixed case: the words in capitals change, acronyms stay.
        assert_eq!(
            name("Commune de SAINT NICOLAS DE LA GRAVE"),
            "Commune de Saint Nicolas de la Grave"
        );
        assert_eq!(
            name("PIJ / Cyber base de Castelsarrasin"),
            "PIJ / Cyber base de Castelsarrasin"
        );
        assert_eq!(
            name("CTAS Bordeaux - AAS MONTAUBAN"),
            "CTAS Bordeaux - AAS Montauban"
        );
        assert_eq!(name("France services Caylus"), "France services Caylus");
    }

    #[test]
    fn the_town_is_not_repeated_in_the_address() {
        assert_eq!(
            address(
                "PL DE LA LIBERTE 82100 CASTELSARRASIN",
                "82100",
                "Castelsarrasin"
            ),
            "PL DE LA LIBERTE"
        );
        assert_eq!(
            address(
                "23 Place de la Mairie 82140 Saint-Antonin-Noble-Val",
                "82140",
                "St Antonin Noble Val"
            ),
            "23 Place de la Mairie"
        );
        assert_eq!(
            address("10 place des cornières", "82110", "Lauzerte"),
            "10 place des cornières"
        );
        assert_eq!(address("LE BOURG", "82230", "Genebrieres"), "LE BOURG");
        // Never empty: an address that is only the town stays as it is.
        assert_eq!(address("Montauban", "82000", "Montauban"), "Montauban");
    }

    #[test]
    fn source_names_are_said_in_words() {
        assert_eq!(
            source("conseiller-numerique"),
            "Conseillers numériques (ANCT)"
        );
        assert_eq!(source("aidants-connect"), "Aidants Connect (ANCT)");
        assert_eq!(source("france-services-2024"), "France services (ANCT)");
        assert_eq!(source("mon-fichier_local"), "Mon fichier local");
        assert_eq!(source("Conseil départemental"), "Conseil départemental");
    }
}
