//! French formatting for what people read: numbers, months, weekdays, dates, distances and
//! durations.
//!
//! The site, the bus calendars and the posters each had their own month table and number
//! formatting (one with a narrow no-break space between thousands, one with none). French
//! typography wants `10 600` with a narrow no-break space (U+202F), a decimal comma (`1,2 km`)
//! and "1er" for the first day of a month; this module writes them once.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};

/// The narrow no-break space French typography puts between groups of thousands.
pub const THOUSANDS_SEP: char = '\u{202f}';

/// Month names, January first.
pub const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// Weekday names, Monday first (the French week).
pub const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// "décembre" for 12; a month out of 1–12 is clamped (never a panic on bad input).
pub fn month_fr(month: u32) -> &'static str {
    MONTHS[(month.clamp(1, 12) - 1) as usize]
}

/// "mardi".
pub fn weekday_fr(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize]
}

/// "1er" or "8": the day of the month as French writes it.
fn day_fr(date: NaiveDate) -> String {
    if date.day() == 1 {
        "1er".to_string()
    } else {
        date.day().to_string()
    }
}

/// "8 décembre 2026", "1er mars 2027".
pub fn date_fr(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        day_fr(date),
        month_fr(date.month()),
        date.year()
    )
}

/// "mardi 8 décembre" (no year: for a calendar that states its year elsewhere).
pub fn weekday_date_fr(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        weekday_fr(date.weekday()),
        day_fr(date),
        month_fr(date.month())
    )
}

/// "mardi 8 décembre 2026".
pub fn weekday_date_year_fr(date: NaiveDate) -> String {
    format!("{} {}", weekday_date_fr(date), date.year())
}

/// "9 h", "13 h 30".
pub fn time_fr(t: NaiveTime) -> String {
    if t.minute() == 0 {
        format!("{} h", t.hour())
    } else {
        format!("{} h {:02}", t.hour(), t.minute())
    }
}

/// "25 min", "1 h 05" (rounded to the nearest minute).
pub fn duration_fr(seconds: u32) -> String {
    let minutes = (seconds + 30) / 60;
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{} h {:02}", minutes / 60, minutes % 60)
    }
}

/// "10 600" with a narrow no-break space between groups of three digits.
pub fn integer_fr(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3 * 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(THOUSANDS_SEP);
        }
        out.push(c);
    }
    out
}

/// "1 234,5" for `decimal_fr(1234.5, 1)`: thousands grouped, decimal comma. Not-a-number and
/// infinities are written "–" (nothing to read).
pub fn decimal_fr(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let text = format!("{:.digits$}", v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if v < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    out.push_str(&integer_fr(int.parse().unwrap_or(0)));
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

/// "800 m" (to 50 m) under a kilometre, "3,2 km" under ten, "12 km" beyond.
pub fn distance_fr(km: f64) -> String {
    if !km.is_finite() || km < 0.0 {
        return "–".to_string();
    }
    if km < 1.0 {
        format!("{} m", ((km * 1000.0) / 50.0).round() as u64 * 50)
    } else if km < 10.0 {
        format!("{:.1} km", km).replace('.', ",")
    } else {
        format!("{} km", integer_fr(km.round() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn dates() {
        assert_eq!(
            weekday_date_year_fr(d(2026, 12, 8)),
            "mardi 8 décembre 2026"
        );
        assert_eq!(weekday_date_fr(d(2026, 12, 1)), "mardi 1er décembre");
        assert_eq!(date_fr(d(2027, 3, 1)), "1er mars 2027");
        assert_eq!(month_fr(0), "janvier");
        assert_eq!(month_fr(13), "décembre");
    }

    /// The observatory grouped thousands with U+202F, the other pages not at all.
    #[test]
    fn thousands_take_a_narrow_no_break_space() {
        assert_eq!(integer_fr(10_600), "10\u{202f}600");
        assert_eq!(integer_fr(999), "999");
        assert_eq!(integer_fr(1_000_000), "1\u{202f}000\u{202f}000");
        assert_eq!(decimal_fr(1234.56, 1), "1\u{202f}234,6");
        assert_eq!(decimal_fr(-0.01, 1), "0,0");
        assert_eq!(decimal_fr(-2.5, 1), "-2,5");
        assert_eq!(decimal_fr(f64::NAN, 1), "–");
    }

    #[test]
    fn distances_and_durations() {
        assert_eq!(distance_fr(0.42), "400 m");
        assert_eq!(distance_fr(1.23), "1,2 km");
        assert_eq!(distance_fr(12.6), "13 km");
        assert_eq!(distance_fr(1234.0), "1\u{202f}234 km");
        assert_eq!(duration_fr(25 * 60), "25 min");
        assert_eq!(duration_fr(65 * 60), "1 h 05");
        assert_eq!(
            time_fr(NaiveTime::from_hms_opt(13, 30, 0).expect("time")),
            "13 h 30"
        );
        assert_eq!(
            time_fr(NaiveTime::from_hms_opt(9, 0, 0).expect("time")),
            "9 h"
        );
    }
}
