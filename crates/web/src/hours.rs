//! Opening hours as people read them: "ouvert jusqu'à 17 h", "ouvre mardi à 9 h", the week
//! as a table, and the compact week mask the search index filters on.
//!
//! Hours are the OSM `opening_hours` text of the standard, evaluated in Europe/Paris with the
//! French public holidays (`PH off` works), through `maillage_model::hours::parse` so every
//! crate reads hours the same way.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday};
use opening_hours::OpeningHours;

/// Parses OSM hours with the French public holidays (`maillage_model::hours`). `None` when
/// empty or not parseable (the page then shows the text as given, never an error).
pub fn parse(osm: &str) -> Option<OpeningHours> {
    maillage_model::hours::parse(osm).ok()
}

/// The current local time in Europe/Paris, as the naive date-time the evaluator expects.
pub fn now_paris() -> NaiveDateTime {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
}

pub const DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// "9 h", "9 h 30".
pub fn fmt_time(t: NaiveTime) -> String {
    if t.minute() == 0 {
        format!("{} h", t.hour())
    } else {
        format!("{} h {:02}", t.hour(), t.minute())
    }
}

/// Open state right now, in plain French, for a result line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub open: bool,
    pub text: String,
}

/// "Ouvert jusqu'à 17 h" / "Ouvre mardi à 9 h" / "Ouvre demain à 9 h". `None` when the hours
/// are unknown or the place never opens in the coming weeks.
pub fn status(oh: &OpeningHours, now: NaiveDateTime) -> Option<Status> {
    let open = oh.is_open(now);
    let change = oh.next_change(now);
    if open {
        let text = match change {
            Some(end) if end.date() == now.date() => {
                format!("Ouvert jusqu'à {}", fmt_time(end.time()))
            }
            Some(end)
                if end.date() == now.date() + Duration::days(1) && end.time() == NaiveTime::MIN =>
            {
                "Ouvert jusqu'à minuit".to_string()
            }
            _ => "Ouvert".to_string(),
        };
        return Some(Status { open: true, text });
    }
    // The next change from a closed state may be to "unknown": walk a few changes.
    let mut t = now;
    for _ in 0..20 {
        let next = oh.next_change(t)?;
        if next - now > Duration::days(21) {
            return None;
        }
        if oh.is_open(next) {
            let when = if next.date() == now.date() {
                "aujourd'hui".to_string()
            } else if next.date() == now.date() + Duration::days(1) {
                "demain".to_string()
            } else {
                DAYS[next.weekday().num_days_from_monday() as usize].to_string()
            };
            return Some(Status {
                open: false,
                text: format!("Fermé, ouvre {} à {}", when, fmt_time(next.time())),
            });
        }
        t = next;
    }
    None
}

/// Days in the coming `days` when the place is closed although its usual week says it opens
/// (public holidays with `PH off`, dated closures in the hours): "mercredi 11 novembre".
pub fn exceptional_closures(oh: &OpeningHours, from: NaiveDate, days: i64) -> Vec<String> {
    let week = week_table(oh);
    let mut out = Vec::new();
    for offset in 0..days {
        let date = from + Duration::days(offset);
        if week[date.weekday().num_days_from_monday() as usize].is_empty() {
            continue;
        }
        let start = date.and_time(NaiveTime::MIN);
        let open = oh
            .iter_range(start, start + Duration::days(1))
            .any(|r| r.kind == opening_hours_syntax::RuleKind::Open);
        if !open {
            out.push(format!(
                "{} {}",
                DAYS[date.weekday().num_days_from_monday() as usize],
                french_day_month(date)
            ));
        }
    }
    out
}

/// "11 novembre".
pub fn french_day_month(d: NaiveDate) -> String {
    format!(
        "{} {}",
        d.day(),
        maillage_model::french::month_fr(d.month())
    )
}

/// A reference week with no public holiday (Monday 2026-01-12 to Sunday 2026-01-18).
fn reference_monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 12).unwrap_or(NaiveDate::MIN)
}

/// The typical week: for each day (Monday first), the opening intervals.
pub fn week_table(oh: &OpeningHours) -> [Vec<(NaiveTime, NaiveTime)>; 7] {
    let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
    let monday = reference_monday();
    let start = monday.and_time(NaiveTime::MIN);
    let end = start + Duration::days(7);
    for range in oh.iter_range(start, end) {
        if range.kind != opening_hours_syntax::RuleKind::Open {
            continue;
        }
        // Split intervals that cross midnight at day boundaries.
        let mut from = range.range.start;
        let to = range.range.end;
        while from < to {
            let day_end = (from.date() + Duration::days(1)).and_time(NaiveTime::MIN);
            let piece_end = to.min(day_end);
            let day = (from.date() - monday).num_days();
            if (0..7).contains(&day) {
                let end_time = if piece_end == day_end {
                    NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)
                } else {
                    piece_end.time()
                };
                week[day as usize].push((from.time(), end_time));
            }
            from = piece_end;
        }
    }
    week
}

/// The typical week as 7 × 48 half-hour bits, for fast day / half-day filtering in the index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WeekMask(pub [u64; 6]);

impl WeekMask {
    pub fn from_table(table: &[Vec<(NaiveTime, NaiveTime)>; 7]) -> WeekMask {
        let mut mask = WeekMask::default();
        for (day, intervals) in table.iter().enumerate() {
            for (from, to) in intervals {
                let a = from.num_seconds_from_midnight() / 1800;
                let b = to.num_seconds_from_midnight().div_ceil(1800).min(48);
                for slot in a..b {
                    mask.set(day * 48 + slot as usize);
                }
            }
        }
        mask
    }

    fn set(&mut self, bit: usize) {
        self.0[bit / 64] |= 1 << (bit % 64);
    }

    fn get(&self, bit: usize) -> bool {
        self.0[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Open at some time of `day` (0 = Monday) within `[from_slot, to_slot)` half-hours.
    pub fn open_during(&self, day: usize, from_slot: usize, to_slot: usize) -> bool {
        (from_slot..to_slot.min(48)).any(|s| self.get(day * 48 + s))
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

/// A day of the week from its French name.
pub fn day_from_french(s: &str) -> Option<Weekday> {
    let i = DAYS.iter().position(|d| *d == s)?;
    Some(match i {
        0 => Weekday::Mon,
        1 => Weekday::Tue,
        2 => Weekday::Wed,
        3 => Weekday::Thu,
        4 => Weekday::Fri,
        5 => Weekday::Sat,
        _ => Weekday::Sun,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test date")
    }

    #[test]
    fn status_reads_like_a_person_would_say_it() {
        let oh = parse("Mo-Fr 09:00-12:00,14:00-17:00").expect("valid hours");
        // Tuesday 2026-11-24
        assert_eq!(
            status(&oh, at("2026-11-24 10:00")).map(|s| s.text),
            Some("Ouvert jusqu'à 12 h".into())
        );
        assert_eq!(
            status(&oh, at("2026-11-24 12:30")).map(|s| s.text),
            Some("Fermé, ouvre aujourd'hui à 14 h".into())
        );
        assert_eq!(
            status(&oh, at("2026-11-27 18:00")).map(|s| s.text),
            Some("Fermé, ouvre lundi à 9 h".into())
        );
    }

    #[test]
    fn public_holidays_close_places_with_ph_off() {
        // Wednesday 2026-11-11 is Armistice day.
        let oh = parse("Mo-Fr 09:00-17:00; PH off").expect("valid hours");
        assert!(!oh.is_open(at("2026-11-11 10:00")));
        assert!(oh.is_open(at("2026-11-12 10:00")));
    }

    #[test]
    fn armistice_day_is_an_exceptional_closure() {
        let oh = parse("Mo-Fr 09:00-17:00; PH off").expect("valid hours");
        let from = NaiveDate::from_ymd_opt(2026, 11, 9).expect("date");
        assert_eq!(
            exceptional_closures(&oh, from, 7),
            vec!["mercredi 11 novembre".to_string()]
        );
    }

    #[test]
    fn week_mask_knows_mornings_and_afternoons() {
        let oh = parse("Tu 09:00-12:00; Th 14:00-18:00").expect("valid hours");
        let mask = WeekMask::from_table(&week_table(&oh));
        assert!(mask.open_during(1, 0, 24));
        assert!(!mask.open_during(1, 24, 48));
        assert!(mask.open_during(3, 24, 48));
        assert!(!mask.open_during(0, 0, 48));
    }
}
