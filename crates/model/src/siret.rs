//! SIRET checks: 14 digits, Luhn key (with La Poste's exception), placeholders flagged; and the
//! one rule for what a `pivot` may hold ([`check_pivot`]).
//!
//! Sources often put `00000000000000` or `11111111111111` where they have no SIRET. Such a
//! value is kept (the standard requires a `pivot`) but flagged so that nobody takes it for an
//! identifier, and so that de-duplication never groups places on it.
//!
//! **What is accepted where.** The standard's schema gives `pivot` the pattern
//! `^[a-zA-Z0-9]{9,14}$`: a SIRET (14 digits), but also a SIREN (9 digits) or an RNA number
//! (`W` and 9 characters) for an association without an establishment number. So a standard
//! file ([`PivotRule::Standard`]) may carry a SIREN or an RNA without any warning: the
//! validator must agree with the schema (and with `frictionless`). The other sources
//! (France Services, Aidants Connect, CNFS, data·inclusion, mapping files) have a *SIRET*
//! column ([`PivotRule::SiretOnly`]): 9 digits there is a SIRET a spreadsheet cut short, so it
//! is flagged as malformed and kept as written, never taken for a SIREN.

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

/// Where a `pivot` comes from, which decides what it may hold (see the module's text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PivotRule {
    /// A file of the standard: SIRET, SIREN or RNA, as the schema's pattern allows.
    Standard,
    /// A source column named SIRET: only a SIRET.
    SiretOnly,
}

/// The verdict on a `pivot`, once spreadsheet damage is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PivotCheck {
    /// 14 digits: a SIRET, with its own verdict (valid, placeholder, bad key).
    Siret { value: String, check: SiretCheck },
    /// Nine digits, or `W` and nine characters, or another value the standard's pattern
    /// allows: accepted as it is under [`PivotRule::Standard`].
    SirenOrRna { value: String },
    /// Nothing the rule accepts.
    Malformed,
}

/// Checks a `pivot` under a rule: separators and a float's `.0` are removed first (the value
/// returned is the cleaned one).
pub fn check_pivot(raw: &str, rule: PivotRule) -> PivotCheck {
    let value = normalize_siret(raw);
    if value.len() == 14 && value.bytes().all(|b| b.is_ascii_digit()) {
        let check = check_siret(&value);
        return PivotCheck::Siret { value, check };
    }
    let standard_pattern =
        (9..=14).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric());
    match rule {
        PivotRule::Standard if standard_pattern => PivotCheck::SirenOrRna { value },
        _ => PivotCheck::Malformed,
    }
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

    /// The standard reader accepted a SIREN or an RNA in `pivot`, the sources' reader called
    /// it malformed: both were right for their input, and the rule now says which is which.
    #[test]
    fn siren_and_rna_are_accepted_only_where_the_standard_allows() {
        for v in ["434933123", "W751234567"] {
            assert_eq!(
                check_pivot(v, PivotRule::Standard),
                PivotCheck::SirenOrRna { value: v.into() }
            );
            assert_eq!(check_pivot(v, PivotRule::SiretOnly), PivotCheck::Malformed);
        }
        assert_eq!(
            check_pivot("1234", PivotRule::Standard),
            PivotCheck::Malformed
        );
        assert_eq!(
            check_pivot("W75-123 4567", PivotRule::Standard),
            PivotCheck::SirenOrRna {
                value: "W751234567".into()
            }
        );
    }

    #[test]
    fn a_siret_gets_its_verdict_under_both_rules() {
        for rule in [PivotRule::Standard, PivotRule::SiretOnly] {
            assert_eq!(
                check_pivot("434 933 123 00029", rule),
                PivotCheck::Siret {
                    value: "43493312300029".into(),
                    check: SiretCheck::Valid
                }
            );
            assert_eq!(
                check_pivot("43493312300028.0", rule),
                PivotCheck::Siret {
                    value: "43493312300028".into(),
                    check: SiretCheck::BadKey
                }
            );
            assert_eq!(
                check_pivot("00000000000000", rule),
                PivotCheck::Siret {
                    value: "00000000000000".into(),
                    check: SiretCheck::Placeholder
                }
            );
        }
    }
}
