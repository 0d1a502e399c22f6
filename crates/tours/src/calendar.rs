//! Dates in French: public holidays by name and the date phrasing of the public pages.
//!
//! The holiday dates come from `maillage_model::hours` (one Easter computation for all of
//! maillage); this module only names them, because a notice must say *why* a passage moved
//! ("lundi de Pâques, férié").

use chrono::{Datelike, Duration, NaiveDate};
use maillage_model::hours::{easter_sunday, french_public_holidays};

/// The name of the public holiday on this date, if it is one (metropolitan France).
pub fn holiday_name(date: NaiveDate) -> Option<&'static str> {
    if !french_public_holidays(date.year()).contains(&date) {
        return None;
    }
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some("jour de l'An"),
        (5, 1) => Some("fête du Travail"),
        (5, 8) => Some("Victoire 1945"),
        (7, 14) => Some("fête nationale"),
        (8, 15) => Some("Assomption"),
        (11, 1) => Some("Toussaint"),
        (11, 11) => Some("Armistice 1918"),
        (12, 25) => Some("Noël"),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let easter = easter_sunday(date.year())?;
    match (date - easter).num_days() {
        1 => Some("lundi de Pâques"),
        39 => Some("Ascension"),
        50 => Some("lundi de Pentecôte"),
        _ => Some("jour férié"),
    }
}

/// Month names come from the one French formatting module of maillage.
pub use maillage_model::french::month_fr;

/// Dates, times and durations in French come from `model::french` too: "mardi 8 décembre",
/// "mardi 8 décembre 2026", "13 h 30", "1 h 05".
pub use maillage_model::french::{
    duration_fr, time_fr, weekday_date_fr as date_fr, weekday_date_year_fr as date_fr_year,
};

/// Every date from `from` to `to` inclusive.
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    let n = (to - from).num_days().max(-1) + 1;
    (0..n).map(move |i| from + Duration::days(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn holidays_have_names() {
        assert_eq!(holiday_name(d(2025, 4, 21)), Some("lundi de Pâques"));
        assert_eq!(holiday_name(d(2025, 5, 29)), Some("Ascension"));
        assert_eq!(holiday_name(d(2025, 6, 9)), Some("lundi de Pentecôte"));
        assert_eq!(holiday_name(d(2026, 12, 25)), Some("Noël"));
        assert_eq!(holiday_name(d(2026, 12, 8)), None);
    }

    #[test]
    fn french_dates() {
        assert_eq!(date_fr(d(2026, 12, 8)), "mardi 8 décembre");
        assert_eq!(date_fr(d(2026, 12, 1)), "mardi 1er décembre");
        assert_eq!(
            time_fr(NaiveTime::from_hms_opt(13, 30, 0).unwrap()),
            "13 h 30"
        );
        assert_eq!(duration_fr(3900), "1 h 05");
        assert_eq!(days(d(2026, 1, 30), d(2026, 2, 2)).count(), 4);
    }
}
