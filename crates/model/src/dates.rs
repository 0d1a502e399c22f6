//! Dates as the sources write them: the one parser for `date_maj`, the mapping files' date
//! columns and the coordinator's tour files.
//!
//! The standard wants `YYYY-MM-DD`; spreadsheets give `02/04/2024`, exports give
//! `2024-04-02T10:00:00Z` or `02/04/2024 10:00`. Three parsers had drifted (one took only
//! the first ten characters, one knew `02.04.2024`, one only two formats). Day-first is the
//! only reading of `02/04/2024` in French sources; a month-first date is never guessed.

use chrono::NaiveDate;

/// How a date was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateForm {
    /// The standard's `YYYY-MM-DD`.
    Standard,
    /// Another unambiguous spelling (day first, ISO date-time, `YYYY/MM/DD`).
    Other,
}

/// Reads a date: `(date, Standard)` for `YYYY-MM-DD`, `(date, Other)` for `DD/MM/YYYY`,
/// `DD-MM-YYYY`, `DD.MM.YYYY`, `YYYY/MM/DD`, and any of these followed by a time (`T10:00:00Z`,
/// ` 10:00`). `None` for anything else, and for dates that do not exist (`2024-02-30`).
pub fn parse_date(raw: &str) -> Option<(NaiveDate, DateForm)> {
    let t = raw.trim();
    // Fast path for the standard's own form (chrono's format parser is slow per call).
    let b = t.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        if let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) {
            return NaiveDate::from_ymd_opt(y as i32, m, d).map(|date| (date, DateForm::Standard));
        }
    }
    // A date followed by a time: read the date part only.
    let date_part = if t.len() > 10 && t.is_char_boundary(10) && matches!(b[10], b'T' | b' ') {
        &t[..10]
    } else {
        t
    };
    for f in ["%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(date_part, f) {
            return Some((d, DateForm::Other));
        }
    }
    None
}

/// The date alone, however it was written (see [`parse_date`]).
pub fn parse_date_any(raw: &str) -> Option<NaiveDate> {
    parse_date(raw).map(|(d, _)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn dates_in_other_spellings_are_read_but_flagged() {
        let day = d(2024, 4, 2);
        assert_eq!(parse_date("2024-04-02"), Some((day, DateForm::Standard)));
        assert_eq!(parse_date(" 2024-04-02 "), Some((day, DateForm::Standard)));
        assert_eq!(parse_date("02/04/2024"), Some((day, DateForm::Other)));
        assert_eq!(parse_date("2024/04/02"), Some((day, DateForm::Other)));
        assert_eq!(parse_date("02.04.2024"), Some((day, DateForm::Other)));
        assert_eq!(parse_date("02-04-2024"), Some((day, DateForm::Other)));
        assert_eq!(
            parse_date("2024-04-02T10:00:00Z"),
            Some((day, DateForm::Other))
        );
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("demain"), None);
        assert_eq!(parse_date(""), None);
    }

    /// The mapping reader cut every value to ten characters, so `02/04/2024 10:00` was read;
    /// the standard reader refused it. Both now read it (as a non-standard spelling).
    #[test]
    fn day_first_date_with_a_time() {
        assert_eq!(
            parse_date("02/04/2024 10:00"),
            Some((d(2024, 4, 2), DateForm::Other))
        );
    }

    /// Cutting to ten characters also read `2024-04-021` as 2 April: a typo must not pass.
    #[test]
    fn trailing_garbage_is_not_cut_away() {
        assert_eq!(parse_date("2024-04-021"), None);
        assert_eq!(
            parse_date("2/4/2024"),
            Some((d(2024, 4, 2), DateForm::Other))
        );
    }
}
