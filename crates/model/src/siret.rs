//! SIRET checks: 14 digits, Luhn key (with La Poste's exception), placeholders flagged.
//!
//! Sources often put `00000000000000` or `11111111111111` where they have no SIRET. Such a
//! value is kept (the standard requires a `pivot`) but flagged so that nobody takes it for an
//! identifier, and so that de-duplication never groups places on it.

/// The verdict on a SIRET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiretCheck {
    Valid,
    /// A value sources use for "unknown": all the same digit, or a known filler.
    Placeholder,
    /// 14 digits but the Luhn key does not match.
    BadKey,
    /// Not 14 digits.
    Malformed,
}

/// La Poste's SIREN: its establishments' SIRETs follow a digit-sum rule instead of Luhn.
const LA_POSTE_SIREN: &str = "356000000";

/// Checks a SIRET after removing spaces, dots and a trailing `.0` (spreadsheets write SIRETs
/// as floats: `13002603200016.0`).
pub fn check_siret(raw: &str) -> SiretCheck {
    let s = normalize_siret(raw);
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return SiretCheck::Malformed;
    }
    let first = s.as_bytes()[0];
    if s.bytes().all(|b| b == first) || s == "12345678901234" || s.ends_with("000000000") {
        return SiretCheck::Placeholder;
    }
    if s.starts_with(LA_POSTE_SIREN) {
        let sum: u32 = s.bytes().map(|b| u32::from(b - b'0')).sum();
        return if s == "35600000000048" || sum.is_multiple_of(5) {
            SiretCheck::Valid
        } else {
            SiretCheck::BadKey
        };
    }
    if luhn(&s) {
        SiretCheck::Valid
    } else {
        SiretCheck::BadKey
    }
}

/// Removes the separators and float suffix spreadsheets add to a SIRET.
pub fn normalize_siret(raw: &str) -> String {
    let t = raw.trim();
    let t = t.strip_suffix(".0").unwrap_or(t);
    t.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '\u{a0}' | '-'))
        .collect()
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_sirets_and_placeholders() {
        assert_eq!(check_siret("43493312300029"), SiretCheck::Valid);
        assert_eq!(check_siret("13002603200016.0"), SiretCheck::Valid);
        assert_eq!(check_siret("401 092 267 00020"), SiretCheck::Valid);
        assert_eq!(check_siret("00000000000000"), SiretCheck::Placeholder);
        assert_eq!(check_siret("43493312300028"), SiretCheck::BadKey);
        assert_eq!(check_siret("1234"), SiretCheck::Malformed);
        // La Poste: digit sum multiple of 5, Luhn not required.
        assert_eq!(check_siret("35600000012345"), SiretCheck::BadKey);
        assert_eq!(check_siret("35600000000048"), SiretCheck::Valid);
    }
}
