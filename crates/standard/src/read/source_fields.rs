//! Cleaning shared by the readers of the non-standard sources (France Services, Aidants
//! Connect, CNFS structures, data·inclusion, mapping files).
//!
//! Those sources write the same facts in many ways: phone numbers as `04 50 56 87 49`,
//! `05.55.100.800` or the float `33630392518`; postal codes that lost their leading zero in a
//! spreadsheet (`2000`); SIRETs as floats. Each reader maps its columns, then hands the place
//! to [`RowCheck`], which applies the same checks to every source and collects the row's
//! issues, so that a row is either imported (maybe with warnings) or rejected with its reasons —
//! never dropped silently.

use std::collections::BTreeMap;

use maillage_model::{
    check_siret, is_code_insee, is_code_postal, siret::normalize_siret, CommuneLookup, Place,
    Position, SiretCheck, SourceRef,
};
use sha2::{Digest, Sha256};

pub(crate) use super::common::join_csv;
use super::common::{contains_markup, looks_like_email, number};
use crate::record::{Record, SourceFile};
use crate::report::{Issue, RejectedRow, Report, Severity};

/// Trims a value; `None` when nothing is left.
pub(crate) fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A French phone number in E.164 (`+33450568749`), from the ways sources write it.
///
/// Accepts separators (spaces, dots, dashes), a leading `+33`/`0033`/`33`, and the 9-digit form
/// a spreadsheet leaves when it drops the leading 0. Overseas numbers (0590, 0262…) get their
/// own country code, as E.164 wants. `None` when the value is not one French number.
pub fn phone_e164(raw: &str) -> Option<String> {
    let t = raw.trim();
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
    let country = match &national[..3] {
        "590" | "690" | "691" => "590",
        "594" | "694" => "594",
        "596" | "696" | "697" => "596",
        "262" | "692" | "693" | "269" | "639" => "262",
        "508" => "508",
        _ => "33",
    };
    if country == "33" {
        Some(format!("+33{national}"))
    } else {
        Some(format!("+{country}{national}"))
    }
}

/// A five-character code (postal or INSEE) from a cell: digits that a spreadsheet turned into a
/// number lose their leading zero (`2000` for `02000`) and may gain `.0`.
pub(crate) fn code5(raw: &str) -> String {
    let t = raw.trim();
    let t = t.strip_suffix(".0").unwrap_or(t);
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{t}")
    } else {
        t.to_ascii_uppercase()
    }
}

/// E-mail addresses from a cell that may hold several (`;`, `,` or spaces between them).
pub(crate) fn emails(raw: &str) -> Vec<String> {
    raw.split([';', ',', ' ', '\n', '/'])
        .map(str::trim)
        // `-` is how several sources write "none".
        .filter(|s| !s.is_empty() && *s != "-")
        .map(str::to_string)
        .collect()
}

/// A stable short id from values, for sources that give none: importing the same file twice
/// must find the same records.
pub fn stable_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.trim().to_lowercase().as_bytes());
        h.update([0x1f]);
    }
    hex::encode(&h.finalize()[..8])
}

/// Removes a trailing `, 87000 Limoges` (or ` 84200 CARPENTRAS`) from an address line: several
/// sources write the postal code and commune into the street field. Returns the street and
/// the postal code found, if any.
pub(crate) fn split_postcode_city(address: &str) -> (String, Option<String>) {
    let a = address.trim();
    // Find the last 5-digit token followed only by letters/spaces/hyphens (the commune).
    let bytes = a.as_bytes();
    let mut i = bytes.len();
    while i >= 5 {
        let start = i - 5;
        let window = &bytes[start..i];
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_digit();
        let after_ok = i == bytes.len() || !bytes[i].is_ascii_digit();
        if window.iter().all(u8::is_ascii_digit) && before_ok && after_ok {
            let tail = &a[i..];
            if tail
                .chars()
                .all(|c| c.is_alphabetic() || " -'’.".contains(c) || c.is_ascii_digit())
                && tail.chars().filter(char::is_ascii_digit).count() <= 2
            {
                let street = a[..start]
                    .trim_end()
                    .trim_end_matches([',', '-'])
                    .trim_end();
                if !street.is_empty() {
                    return (street.to_string(), Some(a[start..i].to_string()));
                }
            }
            break;
        }
        i -= 1;
    }
    (a.to_string(), None)
}

/// The issues of one row, gathered before deciding whether the row is imported.
pub(crate) struct RowCheck {
    pub line: u64,
    issues: Vec<Issue>,
}

impl RowCheck {
    pub fn new(line: u64) -> Self {
        RowCheck {
            line,
            issues: Vec::new(),
        }
    }

    pub fn warn(&mut self, field: &str, value: &str, message: impl Into<String>) {
        self.push(Severity::Warning, field, value, message.into());
    }

    pub fn error(&mut self, field: &str, value: &str, message: impl Into<String>) {
        self.push(Severity::Error, field, value, message.into());
    }

    fn push(&mut self, severity: Severity, field: &str, value: &str, message: String) {
        self.issues.push(Issue {
            severity,
            line: Some(self.line),
            field: (!field.is_empty()).then(|| field.to_string()),
            value: (!value.is_empty()).then(|| value.to_string()),
            message,
        });
    }

    /// Takes the issues of another row (a row merged into this place).
    pub fn absorb(&mut self, other: RowCheck) {
        self.issues.extend(other.issues);
    }

    /// A warning about another line than the row's own (a merged row).
    pub fn warn_at(&mut self, line: u64, field: &str, value: &str, message: impl Into<String>) {
        let own = self.line;
        self.line = line;
        self.warn(field, value, message);
        self.line = own;
    }

    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }

    /// Sets the phone from a raw cell, warning when it is not a French number.
    pub fn phone(&mut self, place: &mut Place, field: &str, raw: &str) {
        let t = raw.trim();
        if t.is_empty() || place.telephone.is_some() {
            return;
        }
        match phone_e164(t) {
            Some(p) => place.telephone = Some(p),
            None => self.warn(
                field,
                t,
                "numéro de téléphone illisible (attendu : un numéro français à 10 chiffres) : non repris",
            ),
        }
    }

    /// Adds the e-mail addresses of a cell, warning about the ones that are not addresses.
    pub fn emails(&mut self, place: &mut Place, field: &str, raw: &str) {
        for e in emails(raw) {
            if looks_like_email(&e) {
                if !place.courriels.contains(&e) {
                    place.courriels.push(e);
                }
            } else {
                self.warn(field, &e, "adresse électronique invalide : non reprise");
            }
        }
    }

    /// Sets the position from two cells, warning when they are unreadable or outside France.
    pub fn position(&mut self, place: &mut Place, lat_field: &str, lat: &str, lon: &str) {
        let (la, lo) = (lat.trim(), lon.trim());
        if la.is_empty() && lo.is_empty() {
            return;
        }
        match (number(la), number(lo)) {
            (Some(a), Some(o)) => {
                let p = Position::new(a, o);
                if p.in_france() {
                    place.position = Some(p);
                } else if Position::new(o, a).in_france() {
                    self.warn(
                        lat_field,
                        &format!("{la}, {lo}"),
                        "latitude et longitude inversées : corrigées",
                    );
                    place.position = Some(Position::new(o, a));
                } else {
                    self.warn(
                        lat_field,
                        &format!("{la}, {lo}"),
                        "coordonnées hors de France : ignorées",
                    );
                }
            }
            _ => self.warn(
                lat_field,
                &format!("{la}, {lo}"),
                "coordonnées illisibles : ignorées",
            ),
        }
    }

    /// The checks every source gets once its columns are mapped: a name and a commune are
    /// required (error), codes and SIRET are checked (warning, value dropped or flagged), the
    /// INSEE code is filled and the position compared with the commune when a referential is
    /// given.
    pub fn check_place(&mut self, place: &mut Place, lookup: Option<&dyn CommuneLookup>) {
        // Markup is stored as text and never interpreted, but a moderator should see it.
        for (field, value) in [
            ("nom", Some(place.nom.as_str())),
            ("adresse", Some(place.adresse.as_str())),
            ("presentation_resume", place.presentation_resume.as_deref()),
            ("presentation_detail", place.presentation_detail.as_deref()),
        ] {
            if let Some(v) = value.filter(|v| contains_markup(v)) {
                let v = v.to_string();
                self.warn(
                    field,
                    &v,
                    "balises HTML ou script dans le texte : gardées telles quelles comme du texte, jamais interprétées",
                );
            }
        }
        if place.nom.trim().is_empty() {
            self.error("nom", "", "nom manquant : la ligne n'est pas importée");
        }
        if !place.code_postal.is_empty() && !is_code_postal(&place.code_postal) {
            let v = std::mem::take(&mut place.code_postal);
            self.warn(
                "code_postal",
                &v,
                "code postal invalide (5 chiffres attendus) : ignoré",
            );
        }
        if let Some(c) = place.code_insee.take() {
            if is_code_insee(&c) {
                place.code_insee = Some(c);
            } else {
                self.warn("code_insee", &c, "code INSEE invalide : ignoré");
            }
        }
        if place.commune.trim().is_empty()
            && place.code_postal.is_empty()
            && place.code_insee.is_none()
        {
            self.error(
                "commune",
                "",
                "ni commune, ni code postal, ni code INSEE : le lieu ne peut pas être situé, la ligne n'est pas importée",
            );
        }
        if !place.pivot.is_empty() {
            let raw = place.pivot.clone();
            let n = normalize_siret(&raw);
            match check_siret(&n) {
                SiretCheck::Valid => place.pivot = n,
                SiretCheck::Placeholder => {
                    place.pivot = n;
                    self.warn(
                        "pivot",
                        &raw,
                        "SIRET de remplissage (pas un vrai numéro) : gardé mais signalé",
                    );
                }
                SiretCheck::BadKey => {
                    place.pivot = n;
                    self.warn(
                        "pivot",
                        &raw,
                        "SIRET dont la clé de contrôle est fausse : gardé mais signalé",
                    );
                }
                SiretCheck::Malformed => {
                    self.warn(
                        "pivot",
                        &raw,
                        "SIRET mal formé (14 chiffres attendus) : gardé tel quel mais signalé",
                    );
                }
            }
        }
        if let Some(lookup) = lookup {
            self.check_against_referential(place, lookup);
        }
    }

    fn check_against_referential(&mut self, place: &mut Place, lookup: &dyn CommuneLookup) {
        // Overseas collectivities (Saint-Martin 97801, Saint-Barthélemy 97701, Saint-Pierre-
        // et-Miquelon 975…, Pacific 98…) have INSEE codes but are not communes of the COG
        // list: their code is kept as given, with nothing to compare the position with.
        if place.code_insee.as_deref().is_some_and(|c| {
            ["975", "977", "978", "98"].iter().any(|p| c.starts_with(p))
                && lookup.commune(c).is_none()
        }) {
            return;
        }
        let known = place
            .code_insee
            .as_deref()
            .and_then(|c| lookup.commune(c))
            .cloned();
        let commune = match known {
            Some(c) => Some(c),
            None => {
                if let Some(c) = place.code_insee.take() {
                    self.warn(
                        "code_insee",
                        &c,
                        "code INSEE inconnu du COG : recherché par code postal et commune",
                    );
                }
                let found = lookup
                    .find_commune(&place.code_postal, &place.commune)
                    .cloned();
                match &found {
                    Some(c) => place.code_insee = Some(c.code.clone()),
                    None if !place.code_postal.is_empty() || !place.commune.is_empty() => self
                        .warn(
                            "commune",
                            &format!("{} {}", place.code_postal, place.commune),
                            "commune introuvable dans le COG par son code postal et son nom : code INSEE non renseigné",
                        ),
                    None => {}
                }
                found
            }
        };
        let Some(commune) = commune else { return };
        if place.commune.trim().is_empty() {
            place.commune = commune.nom.clone();
        }
        let (Some(pos), Some(centre)) = (place.position, commune.centre) else {
            return;
        };
        // A metropolitan commune is at most ~20 km across (the same limits as the standard
        // reader's `common::FileState::locate`; Guyane's communes are far larger): beyond, it
        // is a geocoding error, not a big commune.
        let limit = if commune.code.starts_with("973") {
            200.0
        } else {
            30.0
        };
        if pos.distance_km(centre) > limit {
            let swapped = Position::new(pos.lon, pos.lat);
            if swapped.distance_km(centre) <= limit {
                place.position = Some(swapped);
                self.warn(
                    "latitude",
                    &format!("{}, {}", pos.lat, pos.lon),
                    "latitude et longitude inversées (d'après le centre de la commune) : corrigées",
                );
            } else {
                place.position = None;
                self.warn(
                    "latitude",
                    &format!("{}, {}", pos.lat, pos.lon),
                    format!(
                        "position à {:.0} km du centre de {} : erreur de géocodage probable, position ignorée",
                        pos.distance_km(centre),
                        commune.nom
                    ),
                );
            }
        }
    }

    /// Ends the row: a record when it has no error, a rejected row otherwise. Issues go to the
    /// report either way. The caller counts `report.rows` (one per source row, even when rows
    /// are grouped into one record).
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        self,
        report: &mut Report,
        file: &SourceFile,
        source_id: String,
        place: Place,
        extra: BTreeMap<String, String>,
        raw: impl FnOnce() -> String,
        on_record: &mut dyn FnMut(Record),
    ) {
        let rejected = self.has_errors();
        let line = self.line;
        report.issues.extend(self.issues);
        if rejected {
            report.rejected += 1;
            report.rejected_rows.push(RejectedRow { line, raw: raw() });
            return;
        }
        let observed = place.date_maj.unwrap_or(file.date);
        on_record(Record {
            source: SourceRef {
                source: file.source.clone(),
                source_id,
            },
            line,
            place,
            observed,
            extra,
        });
    }
}

/// A problem with the whole file (no line), as a warning.
pub(crate) fn file_warning(report: &mut Report, field: Option<&str>, message: impl Into<String>) {
    report.issues.push(Issue {
        severity: Severity::Warning,
        line: None,
        field: field.map(str::to_string),
        value: None,
        message: message.into(),
    });
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
        assert_eq!(
            phone_e164("+33 6 30 39 25 18").as_deref(),
            Some("+33630392518")
        );
        assert_eq!(
            phone_e164("0590 12 34 56").as_deref(),
            Some("+590590123456")
        );
        assert_eq!(
            phone_e164("0262 12 34 56").as_deref(),
            Some("+262262123456")
        );
        assert_eq!(phone_e164("appeler la mairie"), None);
        assert_eq!(phone_e164("05 55 12"), None);
        assert_eq!(phone_e164(""), None);
    }

    #[test]
    fn codes_that_lost_their_leading_zero() {
        assert_eq!(code5("2000"), "02000");
        assert_eq!(code5("6088"), "06088");
        assert_eq!(code5("16317"), "16317");
        assert_eq!(code5("2a004"), "2A004");
    }

    #[test]
    fn postcode_and_city_split_from_the_street() {
        assert_eq!(
            split_postcode_city("3 Cours Gay Lussac, 87000 Limoges"),
            ("3 Cours Gay Lussac".to_string(), Some("87000".to_string()))
        );
        assert_eq!(
            split_postcode_city("41 RUE PORTE DE MONTEUX 84200 CARPENTRAS"),
            (
                "41 RUE PORTE DE MONTEUX".to_string(),
                Some("84200".to_string())
            )
        );
        assert_eq!(
            split_postcode_city("71 RUE ARCHEREAU 75019 PARIS 19"),
            ("71 RUE ARCHEREAU".to_string(), Some("75019".to_string()))
        );
        assert_eq!(
            split_postcode_city("PL DE LA MAIRIE"),
            ("PL DE LA MAIRIE".to_string(), None)
        );
    }

    #[test]
    fn stable_hash_ignores_case_and_spaces() {
        assert_eq!(
            stable_hash(&["BFM", " Limoges"]),
            stable_hash(&["bfm", "limoges "])
        );
        assert_ne!(stable_hash(&["a", "bc"]), stable_hash(&["ab", "c"]));
    }
}
