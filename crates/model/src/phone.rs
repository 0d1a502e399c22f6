//! Phone numbers: the one normaliser from the ways French sources write a number to the
//! E.164 form the standard asks for (`+33450568749`).
//!
//! The standard reader and the other sources' readers each had their own copy, and the fast
//! path of one treated `+33 594…` (Guyane written with the mainland code) as mainland. Overseas
//! départements have their own country codes in E.164 (+590 Guadeloupe, Saint-Martin,
//! Saint-Barthélemy; +594 Guyane; +596 Martinique; +262 La Réunion and Mayotte; +508
//! Saint-Pierre-et-Miquelon), so a national number `0590 12 34 56` becomes `+590590123456`.

/// The national prefixes (after the leading 0) of overseas numbers, with their country code.
const OVERSEAS: [(&str, &str); 14] = [
    ("590", "590"),
    ("690", "590"),
    ("691", "590"),
    ("594", "594"),
    ("694", "594"),
    ("596", "596"),
    ("696", "596"),
    ("697", "596"),
    ("262", "262"),
    ("692", "262"),
    ("693", "262"),
    ("269", "262"),
    ("639", "262"),
    ("508", "508"),
];

/// A French phone number in E.164 (`+33450568749`), from the ways sources write it.
///
/// Accepts separators (spaces, dots, dashes), a leading `+33`/`0033`/`33`, the 9-digit form
/// a spreadsheet leaves when it drops the leading 0, and a float's `.0`. Overseas numbers
/// (0590, 0262…) get their own country code, as E.164 wants; a number already written with an
/// overseas code (`+590…`) is kept. `None` when the value is not one French number.
pub fn phone_e164(raw: &str) -> Option<String> {
    let t = raw.trim();
    if is_e164_mainland(t) {
        return Some(t.to_string());
    }
    let t = t.strip_suffix(".0").unwrap_or(t);
    if t.is_empty() || t.chars().any(|c| c.is_alphabetic()) {
        return None;
    }
    let plus = t.starts_with('+');
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    // The national number without its leading 0 (9 digits).
    let national = if let Some(rest) = digits.strip_prefix("0033") {
        rest.to_string()
    } else if digits.starts_with("33") && (plus || digits.len() == 11) {
        digits[2..].to_string()
    } else if plus {
        // Already international with an overseas code (+590…, +262…): keep it as given.
        return (8..=15)
            .contains(&digits.len())
            .then(|| format!("+{digits}"));
    } else if digits.len() == 10 && digits.starts_with('0') {
        digits[1..].to_string()
    } else if digits.len() == 9 && !digits.starts_with('0') {
        digits
    } else {
        return None;
    };
    if national.len() != 9 || national.starts_with('0') {
        return None;
    }
    match overseas_code(&national) {
        Some(country) => Some(format!("+{country}{national}")),
        None => Some(format!("+33{national}")),
    }
}

fn overseas_code(national: &str) -> Option<&'static str> {
    OVERSEAS
        .iter()
        .find(|(prefix, _)| national.starts_with(prefix))
        .map(|(_, code)| *code)
}

/// Whether a number is already a mainland `+33` number in E.164 — the common case, checked
/// without allocating. Overseas numbers written `+33 594…` are not: they get their own code.
pub fn is_e164_mainland(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() == 12
        && raw.starts_with("+33")
        && b[3] != b'0'
        && b[1..].iter().all(u8::is_ascii_digit)
        && overseas_code(&raw[3..]).is_none()
}

/// Whether an E.164 number fits the standard's `telephone` pattern: one of its country codes
/// (+33, the overseas ones, +687 Nouvelle-Calédonie, +689 Polynésie, +681 Wallis-et-Futuna)
/// and 6 to 9 digits after it.
pub fn is_standard_phone(e164: &str) -> bool {
    const CODES: [&str; 10] = [
        "+33", "+590", "+594", "+262", "+596", "+269", "+687", "+689", "+508", "+681",
    ];
    CODES
        .iter()
        .filter_map(|c| e164.strip_prefix(c))
        .any(|rest| (6..=9).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_as_sources_write_them() {
        assert_eq!(
            phone_e164("04 50 56 87 49").as_deref(),
            Some("+33450568749")
        );
        assert_eq!(phone_e164("05.55.100.800").as_deref(), Some("+33555100800"));
        assert_eq!(phone_e164("774819309").as_deref(), Some("+33774819309"));
        assert_eq!(phone_e164("33630392518").as_deref(), Some("+33630392518"));
        assert_eq!(phone_e164("33630392518.0").as_deref(), Some("+33630392518"));
        assert_eq!(
            phone_e164("+33 6 30 39 25 18").as_deref(),
            Some("+33630392518")
        );
        assert_eq!(phone_e164("+33630392518").as_deref(), Some("+33630392518"));
        assert_eq!(
            phone_e164("0590 12 34 56").as_deref(),
            Some("+590590123456")
        );
        assert_eq!(
            phone_e164("0262 12 34 56").as_deref(),
            Some("+262262123456")
        );
        assert_eq!(
            phone_e164("+262 262 12 34 56").as_deref(),
            Some("+262262123456")
        );
        assert_eq!(phone_e164("appeler la mairie"), None);
        assert_eq!(phone_e164("05 55 12"), None);
        assert_eq!(phone_e164(""), None);
    }

    /// The standard reader's fast path and the sources' normaliser disagreed on a Guyane
    /// number written with the mainland code: it must get +594 either way.
    #[test]
    fn overseas_number_written_with_the_mainland_code() {
        assert!(!is_e164_mainland("+33594123456"));
        assert_eq!(phone_e164("+33594123456").as_deref(), Some("+594594123456"));
        assert!(is_e164_mainland("+33563000000"));
        assert!(!is_e164_mainland("+33063000000"));
    }

    /// The writer turned `0262 12 34 56` into `+33262123456` (a La Réunion number under the
    /// mainland code) where the reader gave `+262262123456`.
    #[test]
    fn la_reunion_national_number_gets_its_own_code() {
        let p = phone_e164("0262 12 34 56");
        assert_eq!(p.as_deref(), Some("+262262123456"));
        assert!(p.as_deref().is_some_and(is_standard_phone));
    }

    #[test]
    fn the_standards_pattern() {
        assert!(is_standard_phone("+33563123456"));
        assert!(is_standard_phone("+687123456"));
        assert!(!is_standard_phone("+44123456789"));
        assert!(!is_standard_phone("+3356312345678"));
    }
}
