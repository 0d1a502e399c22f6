//! Opening hours: the OSM `opening_hours` syntax the standard asks for, evaluated with French
//! public holidays, and a normaliser for the French free text sources really contain.
//!
//! The standard's `horaires` field is OSM syntax (`Mo-Fr 09:00-12:00,14:00-17:00; PH off`).
//! We parse and evaluate it with the `opening-hours` crate, in a context whose public-holiday
//! calendar is computed here (metropolitan France: fixed days plus Easter Monday, Ascension and
//! Whit Monday), so `PH off` means something. Sources written by people say instead
//! « Du lundi au vendredi de 9h à 12h » or « Mar, jeu, ven : 16-18h »: [`normalize_free_text`]
//! turns such text into OSM syntax only when the reading is unambiguous (days and times both
//! stated, nothing left over such as « sur RDV », « en période scolaire », « ou »); otherwise
//! the text is kept as it is and the reader flags it, because a wrong opening time sends a
//! person to a closed door.

use std::sync::{Arc, LazyLock};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use compact_calendar::CompactCalendar;
use opening_hours::{Context, ContextHolidays, OpeningHours, RuleKind};

use crate::lists::fold;

/// Years covered by the holiday calendar given to the evaluator.
const HOLIDAY_YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// Easter Sunday (Gregorian calendar), by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// The eleven public holidays of metropolitan France in a year, in date order: 1 January,
/// Easter Monday, 1 May, 8 May, Ascension, Whit Monday, 14 July, 15 August, 1 November,
/// 11 November, 25 December. (Alsace-Moselle's Good Friday and 26 December, and the overseas
/// abolition days, are regional and left out.)
pub fn french_public_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = [
        (1, 1),
        (5, 1),
        (5, 8),
        (7, 14),
        (8, 15),
        (11, 1),
        (11, 11),
        (12, 25),
    ];
    let mut days: Vec<NaiveDate> = fixed
        .iter()
        .filter_map(|&(m, d)| NaiveDate::from_ymd_opt(year, m, d))
        .collect();
    if let Some(easter) = easter_sunday(year) {
        days.push(easter + Duration::days(1));
        days.push(easter + Duration::days(39));
        days.push(easter + Duration::days(50));
    }
    days.sort();
    days
}

static FRENCH_CONTEXT: LazyLock<Context> = LazyLock::new(|| {
    let public: CompactCalendar = HOLIDAY_YEARS.flat_map(french_public_holidays).collect();
    Context::default().with_holidays(ContextHolidays::new(
        Arc::new(public),
        Arc::new(CompactCalendar::default()),
    ))
});

/// Parses an OSM `opening_hours` value, with the French public holidays as context (`PH`).
/// The error is the parser's message (English, technical): readers wrap it in a French one.
pub fn parse(osm: &str) -> Result<OpeningHours, String> {
    let osm = osm.trim();
    if osm.is_empty() {
        return Err("valeur vide".to_string());
    }
    osm.parse::<OpeningHours>()
        .map(|oh| oh.with_context(FRENCH_CONTEXT.clone()))
        .map_err(|e| e.to_string())
}

/// Whether a value is valid OSM `opening_hours` syntax.
///
/// Checking is the hot path of validation (one value per row of files of millions of rows),
/// and the full parser costs tens of microseconds. The shape almost every source uses
/// (`Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off`) is recognised by a hand-written
/// check of a strict subset of the grammar; anything else goes to the full parser. A test
/// checks on every real value of the shared data that the fast path never accepts what the
/// parser refuses.
pub fn is_valid(osm: &str) -> bool {
    let osm = osm.trim();
    if osm.is_empty() {
        return false;
    }
    simple_subset(osm) || parse(osm).is_ok()
}

/// The strict subset: rules separated by `; `, each `DAYS TIMES`, `DAYS off` or `PH off`,
/// where DAYS is a comma list of days or day ranges and TIMES a comma list of `HH:MM-HH:MM`.
fn simple_subset(osm: &str) -> bool {
    osm.split("; ").all(|rule| {
        let Some((days, rest)) = rule.split_once(' ') else {
            return false;
        };
        let days_ok = days == "PH"
            || days.split(',').all(|d| match d.split_once('-') {
                Some((a, b)) => {
                    matches!((day_index(a), day_index(b)), (Some(_), Some(_)))
                }
                None => day_index(d).is_some(),
            });
        if !days_ok {
            return false;
        }
        if rest == "off" || rest == "closed" {
            return true;
        }
        days != "PH"
            && rest.split(',').all(|span| {
                let b = span.as_bytes();
                b.len() == 11 && b[5] == b'-' && hh_mm(&b[..5]) && hh_mm(&b[6..])
            })
    })
}

fn day_index(d: &str) -> Option<usize> {
    OSM_DAYS.iter().position(|x| *x == d)
}

/// `HH:MM` with HH ≤ 24 and MM ≤ 59 (24:00 only as 24:00).
fn hh_mm(b: &[u8]) -> bool {
    if b.len() != 5
        || b[2] != b':'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
    {
        return false;
    }
    let h = (b[0] - b'0') * 10 + (b[1] - b'0');
    let m = (b[3] - b'0') * 10 + (b[4] - b'0');
    m < 60 && (h < 24 || (h == 24 && m == 0))
}

/// Whether the place is open at that local time: `None` when the value does not parse or its
/// state at that time is "unknown" (a rule such as `Mo 10:00-12:00 unknown "sur RDV"`).
pub fn is_open_at(osm: &str, at: NaiveDateTime) -> Option<bool> {
    let oh = parse(osm).ok()?;
    match oh.state(at).0 {
        RuleKind::Open => Some(true),
        RuleKind::Closed => Some(false),
        RuleKind::Unknown => None,
    }
}

/// The next time the state changes after `at` (opens or closes), if any within the crate's
/// horizon.
pub fn next_change(osm: &str, at: NaiveDateTime) -> Option<NaiveDateTime> {
    parse(osm).ok()?.next_change(at)
}

/// A Monday with no public holiday in its week nor any special date: the "typical week" shown
/// on a place's page.
fn typical_monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 9).unwrap_or_default()
}

/// The open intervals of each day of a typical week (Monday first). Empty days are closed; a
/// value that does not parse gives an empty week.
pub fn week_table(osm: &str) -> [Vec<(NaiveTime, NaiveTime)>; 7] {
    let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
    let Ok(oh) = parse(osm) else {
        return week;
    };
    for (i, day) in week.iter_mut().enumerate() {
        let date = typical_monday() + Duration::days(i as i64);
        for tr in oh.schedule_at(date) {
            if tr.kind != RuleKind::Open {
                continue;
            }
            let to_time = |h: u8, m: u8| {
                if h >= 24 {
                    NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default()
                } else {
                    NaiveTime::from_hms_opt(u32::from(h), u32::from(m), 0).unwrap_or_default()
                }
            };
            let (a, b) = (tr.range.start, tr.range.end);
            day.push((to_time(a.hour(), a.minute()), to_time(b.hour(), b.minute())));
        }
    }
    week
}

/// What the free-text normaliser made of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoursGuess {
    /// An unambiguous reading, in OSM syntax (it parses with [`parse`]).
    Osm(String),
    /// No safe reading: the text, trimmed, kept as it was (the reader adds a warning).
    Unclear(String),
}

/// The hours of one day in the France Services format (`09:00 - 12:00 / 13:30 - 17:00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayHours {
    /// Empty cell: closed that day.
    Closed,
    /// `00:00 - 00:00`: the placeholder the France Services list uses for "not given".
    Unknown,
    /// Open intervals, in order.
    Ranges(Vec<(NaiveTime, NaiveTime)>),
    /// Something else, kept as text.
    Unclear(String),
}

/// Days (0 = Monday) sharing the same intervals (minutes from midnight).
type Group = (Vec<u8>, Vec<(u16, u16)>);

const OSM_DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// Reads one day cell of the France Services list.
pub fn parse_day_ranges(text: &str) -> DayHours {
    let t = text.trim();
    if t.is_empty() {
        return DayHours::Closed;
    }
    let tokens = match tokenize(t) {
        Some(tokens) => tokens,
        None => return DayHours::Unclear(t.to_string()),
    };
    if is_zero_placeholder(&tokens) {
        return DayHours::Unknown;
    }
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Tok::Sep(_) | Tok::Filler | Tok::Punct(_) => i += 1,
            Tok::Time(..) => match time_range(&tokens, i) {
                Some((range, next)) => {
                    ranges.push(range);
                    i = next;
                }
                None => return DayHours::Unclear(t.to_string()),
            },
            _ => return DayHours::Unclear(t.to_string()),
        }
    }
    if ranges.is_empty() {
        return DayHours::Unclear(t.to_string());
    }
    if !plausible(&ranges) {
        return DayHours::Unclear(t.to_string());
    }
    ranges.sort();
    DayHours::Ranges(
        ranges
            .into_iter()
            .map(|(a, b)| (minutes_to_time(a), minutes_to_time(b)))
            .collect(),
    )
}

fn is_zero_placeholder(tokens: &[Tok]) -> bool {
    let times: Vec<&Tok> = tokens
        .iter()
        .filter(|t| matches!(t, Tok::Time(..)))
        .collect();
    !times.is_empty() && times.iter().all(|t| matches!(t, Tok::Time(0, _)))
}

/// Writes a week (Monday first) in OSM syntax, grouping consecutive days with the same
/// intervals (`Mo-Fr 09:00-12:00,13:30-17:00; Sa 09:00-12:00`). Empty days are left out
/// (closed). Returns `None` for a week with no open day.
pub fn week_to_osm(week: &[Vec<(NaiveTime, NaiveTime)>; 7]) -> Option<String> {
    let groups: Vec<Group> = (0u8..7)
        .filter(|&d| !week[d as usize].is_empty())
        .map(|d| {
            let ranges = week[d as usize]
                .iter()
                .map(|(a, b)| (time_to_minutes(*a), time_to_minutes(*b)))
                .collect();
            (vec![d], ranges)
        })
        .collect();
    if groups.is_empty() {
        return None;
    }
    Some(render(merge_same_ranges(groups)))
}

fn time_to_minutes(t: NaiveTime) -> u16 {
    use chrono::Timelike;
    let m = (t.hour() * 60 + t.minute()) as u16;
    // 23:59 written by sources for "until midnight".
    if m == 23 * 60 + 59 {
        24 * 60
    } else {
        m
    }
}

fn minutes_to_time(m: u16) -> NaiveTime {
    if m >= 24 * 60 {
        NaiveTime::from_hms_opt(23, 59, 0).unwrap_or_default()
    } else {
        NaiveTime::from_hms_opt(u32::from(m / 60), u32::from(m % 60), 0).unwrap_or_default()
    }
}

/// Turns French free-text hours into OSM syntax when the reading is unambiguous.
///
/// Read: day names and abbreviations (`lundi`, `lun`, `Lu`, `mardis`…), day ranges
/// (`du lundi au vendredi`, `Lu-Ve`, `lun au jeu`) and lists (`mar, jeu et ven`,
/// `mar/mer/jeu`), time ranges (`9h à 12h`, `9h-12h`, `10h/12h`, `09:00 - 12:00`, `16-18h`,
/// `8 h 30 à 12 h 30`), and the glue words `de`, `du`, `le`, `les`, `tous`, `et`.
/// A value that already is valid OSM syntax is returned as is.
///
/// Kept as text (`Unclear`): anything with another word (`matin`, `sur RDV`, `ou`,
/// `période scolaire`, `une fois par mois`…), days without times, times without days (OSM
/// would read them as "every day, Sunday included", which no source means), a truncated text,
/// a time before 06:00 or a range that ends before it starts.
pub fn normalize_free_text(text: &str) -> HoursGuess {
    let t = text.trim();
    let unclear = || HoursGuess::Unclear(t.to_string());
    if t.is_empty() {
        return unclear();
    }
    if looks_like_osm(t) && parse(t).is_ok() {
        return HoursGuess::Osm(t.to_string());
    }
    let Some(tokens) = tokenize(t) else {
        return unclear();
    };
    // A text that does not end on a time was cut or goes on about something else
    // (« de 9h à 12h et d… » is 50 characters of a longer text).
    let last = tokens
        .iter()
        .rev()
        .find(|t| !matches!(t, Tok::Sep('.') | Tok::Sep(';')));
    if !matches!(last, Some(Tok::Time(..))) {
        return unclear();
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut days: Vec<u8> = Vec::new();
    let mut ranges: Vec<(u16, u16)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Tok::Day(d) => {
                if !ranges.is_empty() {
                    if days.is_empty() {
                        return unclear();
                    }
                    groups.push((std::mem::take(&mut days), std::mem::take(&mut ranges)));
                }
                // A day range: `lundi au vendredi`, `Lu-Ve`, `lun à jeu`.
                if let (Some(Tok::To), Some(Tok::Day(e))) = (tokens.get(i + 1), tokens.get(i + 2)) {
                    if e <= d {
                        return unclear();
                    }
                    days.extend(*d..=*e);
                    i += 3;
                } else {
                    days.push(*d);
                    i += 1;
                }
            }
            Tok::Time(..) => match time_range(&tokens, i) {
                Some((r, next)) => {
                    ranges.push(r);
                    i = next;
                }
                None => return unclear(),
            },
            Tok::Sep(_) | Tok::Filler | Tok::Punct(_) => i += 1,
            Tok::To => {
                // `à` or `au` outside a range only appears as glue in a day list after a
                // separator (« Lundi, à partir… » is not read).
                return unclear();
            }
        }
    }
    if !ranges.is_empty() {
        if days.is_empty() {
            return unclear();
        }
        groups.push((days, ranges));
    } else if !days.is_empty() {
        // Days named with no times.
        return unclear();
    }
    if groups.is_empty() || groups.iter().any(|(_, r)| !plausible(r)) {
        return unclear();
    }
    for (d, r) in &mut groups {
        d.sort_unstable();
        d.dedup();
        r.sort_unstable();
        r.dedup();
    }
    let osm = render(groups);
    match parse(&osm) {
        Ok(_) => HoursGuess::Osm(osm),
        Err(_) => unclear(),
    }
}

/// Cheap pre-check so that French words are not sent to the OSM parser (which would accept
/// some as comments or fail slowly).
fn looks_like_osm(t: &str) -> bool {
    t == "24/7"
        || (t.len() >= 2
            && OSM_DAYS
                .iter()
                .chain(["PH", "SH"].iter())
                .any(|d| t.starts_with(d))
            && t.contains(':'))
}

fn plausible(ranges: &[(u16, u16)]) -> bool {
    ranges
        .iter()
        .all(|&(a, b)| a >= 6 * 60 && b > a && b <= 24 * 60)
}

/// Merges groups that have exactly the same intervals, keeping the order of first appearance.
fn merge_same_ranges(groups: Vec<Group>) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (days, ranges) in groups {
        if let Some(g) = out.iter_mut().find(|g| g.1 == ranges) {
            g.0.extend(days);
        } else {
            out.push((days, ranges));
        }
    }
    out
}

fn render(groups: Vec<Group>) -> String {
    let mut rules = Vec::new();
    for (mut days, ranges) in groups {
        days.sort_unstable();
        days.dedup();
        let times: Vec<String> = ranges
            .iter()
            .map(|&(a, b)| format!("{}-{}", hhmm(a), hhmm(b)))
            .collect();
        rules.push(format!("{} {}", render_days(&days), times.join(",")));
    }
    rules.join("; ")
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// `[0,1,2,4]` → `Mo-We,Fr`; runs of two stay a list (`Mo,Tu`).
fn render_days(days: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        let (a, b) = (days[i] as usize, days[j] as usize);
        match j - i {
            0 => parts.push(OSM_DAYS[a].to_string()),
            1 => parts.push(format!("{},{}", OSM_DAYS[a], OSM_DAYS[b])),
            _ => parts.push(format!("{}-{}", OSM_DAYS[a], OSM_DAYS[b])),
        }
        i = j + 1;
    }
    parts.join(",")
}

/// A token of French hours text.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// 0 = Monday.
    Day(u8),
    /// Hours, minutes, and whether the time was marked (`h` or `:`), which bare numbers
    /// (`16` in `16-18h`) are not.
    Time(u16, TimeMark),
    /// `au`, `à`, `-`, `/` between two days or two times.
    To,
    /// Punctuation between items: `,` `.` `;` `:`.
    Sep(char),
    /// Glue words that carry no meaning here: `de`, `du`, `le`, `les`, `tous`, `et`…
    Filler,
    /// `-` or `/` before it is known whether it joins or separates (tokenizer only).
    Punct(char),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeMark {
    Marked,
    Bare,
}

fn day_of(word: &str) -> Option<u8> {
    Some(match word {
        "lundi" | "lundis" | "lun" | "lu" | "mo" => 0,
        "mardi" | "mardis" | "mar" | "ma" | "tu" => 1,
        "mercredi" | "mercredis" | "mer" | "me" | "merc" | "we" => 2,
        "jeudi" | "jeudis" | "jeu" | "je" | "th" => 3,
        "vendredi" | "vendredis" | "ven" | "vend" | "ve" | "fr" => 4,
        "samedi" | "samedis" | "sam" | "sa" => 5,
        "dimanche" | "dimanches" | "dim" | "di" | "su" => 6,
        _ => return None,
    })
}

const FILLERS: &[&str] = &[
    "de",
    "d",
    "du",
    "des",
    "le",
    "les",
    "la",
    "l",
    "tous",
    "toutes",
    "et",
    "h",
    "ouvert",
    "ouverture",
    "horaires",
    "jusqu",
];

/// Splits folded text into tokens; `None` as soon as a word is not understood.
fn tokenize(text: &str) -> Option<Vec<Tok>> {
    let folded = fold(text);
    let chars: Vec<char> = folded.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' {
            i += 1;
        } else if c.is_ascii_digit() {
            let (tok, next) = read_time(&chars, i)?;
            out.push(tok);
            i = next;
        } else if c.is_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if let Some(d) = day_of(&word) {
                out.push(Tok::Day(d));
            } else if word == "a" || word == "au" {
                out.push(Tok::To);
            } else if FILLERS.contains(&word.as_str()) {
                out.push(Tok::Filler);
            } else {
                return None;
            }
        } else {
            match c {
                '-' | '–' => out.push(Tok::Punct('-')),
                '/' => out.push(Tok::Punct('/')),
                ',' | '.' | ';' | ':' => out.push(Tok::Sep(c)),
                '\'' => out.push(Tok::Filler),
                _ => return None,
            }
            i += 1;
        }
    }
    // `-` and `/` join two times (`9h-12h`, `10h/12h`); `-` also joins two days (`Lu-Ve`)
    // while `/` lists them (`mar/mer/jeu`). Anywhere else they separate items.
    // A connector after the end of a range separates (`09:00 - 12:00 / 13:30 - 17:00`).
    let mut prev_time_is_end = false;
    let mut joined_times = false;
    for k in 0..out.len() {
        let is_connector = matches!(out[k], Tok::Punct(_) | Tok::To);
        if !is_connector {
            prev_time_is_end = matches!(out[k], Tok::Time(..)) && joined_times;
            joined_times = false;
            continue;
        }
        let prev = k.checked_sub(1).map(|p| out[p].clone());
        let next = out.get(k + 1).cloned();
        let p = match out[k] {
            Tok::Punct(p) => p,
            _ => 'a',
        };
        joined_times = false;
        out[k] = match (prev, next) {
            (Some(Tok::Time(..)), Some(Tok::Time(..))) if !prev_time_is_end => {
                joined_times = true;
                Tok::To
            }
            (Some(Tok::Day(_)), Some(Tok::Day(_))) if p != '/' => Tok::To,
            _ if p == 'a' => Tok::To,
            _ => Tok::Sep(p),
        };
    }
    Some(out)
}

/// Reads a time at `i`: `9`, `9h`, `9h30`, `09:00`, `8 h 30`, `17h 00`.
fn read_time(chars: &[char], mut i: usize) -> Option<(Tok, usize)> {
    let read_num = |i: &mut usize| -> Option<u16> {
        let start = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i - start > 2 {
            return None;
        }
        chars[start..*i].iter().collect::<String>().parse().ok()
    };
    let skip_spaces = |i: &mut usize| {
        while *i < chars.len() && chars[*i] == ' ' {
            *i += 1;
        }
    };
    let h = read_num(&mut i)?;
    let after_num = i;
    skip_spaces(&mut i);
    let marker = chars.get(i).copied();
    let is_h = marker == Some('h') && !chars.get(i + 1).is_some_and(|c| c.is_alphabetic());
    if is_h || marker == Some(':') {
        i += 1;
        let before_min = i;
        if is_h {
            skip_spaces(&mut i);
        }
        if i < chars.len() && chars[i].is_ascii_digit() {
            let mut j = i;
            let m = read_num(&mut j)?;
            // Minutes unless a new time follows (`10h 12h`: 12 is the next hour).
            let mut k = j;
            skip_spaces(&mut k);
            let next_is_time_mark = chars.get(k).is_some_and(|&c| c == 'h' || c == ':');
            let spaced = i > before_min;
            if !(spaced && next_is_time_mark) {
                if m >= 60 || h > 24 {
                    return None;
                }
                return Some((Tok::Time(h * 60 + m, TimeMark::Marked), j));
            }
            i = before_min;
        } else if marker == Some(':') {
            return None;
        } else {
            i = before_min;
        }
        if h > 24 {
            return None;
        }
        return Some((Tok::Time(h * 60, TimeMark::Marked), i));
    }
    if h > 24 {
        return None;
    }
    Some((Tok::Time(h * 60, TimeMark::Bare), after_num))
}

/// A time range at `i`: time, connector (`-`, `/`, `à`), time. At most one end may be a bare
/// number (`16-18h`, `14h/17`).
fn time_range(tokens: &[Tok], i: usize) -> Option<((u16, u16), usize)> {
    let (Some(Tok::Time(a, ma)), Some(Tok::To), Some(Tok::Time(b, mb))) =
        (tokens.get(i), tokens.get(i + 1), tokens.get(i + 2))
    else {
        return None;
    };
    if *ma == TimeMark::Bare && *mb == TimeMark::Bare {
        return None;
    }
    Some(((*a, *b), i + 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn osm(t: &str) -> String {
        match normalize_free_text(t) {
            HoursGuess::Osm(s) => s,
            HoursGuess::Unclear(s) => panic!("unclear: {s}"),
        }
    }

    fn unclear(t: &str) -> bool {
        matches!(normalize_free_text(t), HoursGuess::Unclear(_))
    }

    #[test]
    fn french_holidays_include_the_moving_ones() {
        let h = french_public_holidays(2024);
        assert_eq!(h.len(), 11);
        assert!(h.contains(&d(2024, 4, 1))); // Easter Monday
        assert!(h.contains(&d(2024, 5, 9))); // Ascension
        assert!(h.contains(&d(2024, 5, 20))); // Whit Monday
        assert_eq!(easter_sunday(2025), Some(d(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(d(2026, 4, 5)));
    }

    #[test]
    fn our_holidays_match_the_crates_nager_database_for_france() {
        let fr = opening_hours::localization::Country::FR.holidays();
        let mut compared = 0;
        for year in 2020..=2030 {
            for day in french_public_holidays(year) {
                if fr.get_public().year_for(day).is_some() {
                    assert!(fr.get_public().contains(day), "{day}");
                    compared += 1;
                }
            }
        }
        assert!(
            compared > 0,
            "the embedded database covers none of 2020-2030"
        );
    }

    #[test]
    fn ph_off_closes_on_public_holidays() {
        let at = |y, m, dd, h| d(y, m, dd).and_hms_opt(h, 0, 0).expect("valid time");
        let v = "Mo-Fr 09:00-12:00; PH off";
        assert_eq!(is_open_at(v, at(2024, 5, 20, 10)), Some(false)); // Whit Monday
        assert_eq!(is_open_at(v, at(2024, 5, 27, 10)), Some(true));
        assert_eq!(is_open_at("n'importe quoi", at(2024, 5, 27, 10)), None);
        assert_eq!(
            next_change(v, at(2024, 5, 27, 10)),
            Some(at(2024, 5, 27, 12))
        );
    }

    #[test]
    fn week_table_lists_the_intervals_of_each_day() {
        let w = week_table("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00");
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid");
        assert_eq!(w[0], vec![(t(9, 0), t(12, 0)), (t(14, 0), t(18, 30))]);
        assert_eq!(w[5], vec![(t(8, 30), t(12, 0))]);
        assert!(w[6].is_empty());
    }

    #[test]
    fn haute_vienne_free_text_is_read_when_unambiguous() {
        assert_eq!(
            osm("Du lundi au vendredi de 9h à 12h et de 13h30 à 17h"),
            "Mo-Fr 09:00-12:00,13:30-17:00"
        );
        assert_eq!(
            osm("Du lundi au samedi de 14h00 à 18h00"),
            "Mo-Sa 14:00-18:00"
        );
        assert_eq!(osm("Mercredi de 14h30 à 16h30"), "We 14:30-16:30");
        assert_eq!(
            osm("Mar, jeu, ven : 16-18h. Mer : 14-18h. Sam : 10-13h"),
            "Tu,Th,Fr 16:00-18:00; We 14:00-18:00; Sa 10:00-13:00"
        );
        assert_eq!(
            osm("Mar, Jeu et Ven : 13-18h et Mer et Sam : 10-18h"),
            "Tu,Th,Fr 13:00-18:00; We,Sa 10:00-18:00"
        );
        assert_eq!(
            osm("Lundi au vendredi 10h/12h 14h/17h30 - sam 10h/12h"),
            "Mo-Fr 10:00-12:00,14:00-17:30; Sa 10:00-12:00"
        );
        assert_eq!(
            osm("Vendredi 16h00 - 20h00 Samedi 10h00 - 18h00"),
            "Fr 16:00-20:00; Sa 10:00-18:00"
        );
        assert_eq!(
            osm("tous les mardi de 9h à 12h et de 13h à 17h"),
            "Tu 09:00-12:00,13:00-17:00"
        );
        assert_eq!(osm("mar/mer/jeu/ven: 9h/12h"), "Tu-Fr 09:00-12:00");
        assert_eq!(
            osm("Lun au jeu: 8h30/12h 14h/17h ven: 8h/12h 14h/16h"),
            "Mo-Th 08:30-12:00,14:00-17:00; Fr 08:00-12:00,14:00-16:00"
        );
        assert_eq!(
            osm("Lun/mar/sam: 14h30/17h30 mer/ven: 9h30/12h30"),
            "Mo,Tu,Sa 14:30-17:30; We,Fr 09:30-12:30"
        );
        assert_eq!(
            osm("Du lundi au mercredi et vendredi de 8h30 à 16h30"),
            "Mo-We,Fr 08:30-16:30"
        );
        assert_eq!(
            osm("Lundi et mercredi : 8h30 - 12h15 et 13h15 - 17h 00"),
            "Mo,We 08:30-12:15,13:15-17:00"
        );
        assert_eq!(
            osm("du mardi au vendredi de 8 h 30 à 12 h 30"),
            "Tu-Fr 08:30-12:30"
        );
        assert_eq!(osm("MERCREDI et JEUDI 9h30 - 11h30"), "We,Th 09:30-11:30");
        assert_eq!(osm("Lu-Ve 9h-12h"), "Mo-Fr 09:00-12:00");
        assert_eq!(
            osm("mer : 14h/17 sam : 14h/16h"),
            "We 14:00-17:00; Sa 14:00-16:00"
        );
    }

    #[test]
    fn ambiguous_or_partial_free_text_is_kept_as_text() {
        for t in [
            "Se rapprocher de l'organisme",
            "Quotidien",
            "Individuel : Sur RDV / Collectif : Planning",
            "les lundis et mardis matins en période scolaire",
            "Du lundi au vendredi",
            "9h à 12h  / 14h à 18h",
            "9h à 12h et 14h à 17h",
            "Les mardis de 9h00 à 10h30 ou de 16h00 à 17h30",
            "Mar : 9-11h et 14h30-16h30 et Mer et Jeu : 3-11 h",
            "le lundi de 14h00 à 17h00, du mardi au vendredi d",
            "Du lundi au vendredi de 9h à 12h et d",
            "du lundi au vendredi de 08h30 à 12h00 et de 13h30",
            "Du lundi au vendredi : 9h00-12h30 / 13h30",
            "Vendredi matin : 10h/11h30",
            "Le vendredi, une fois par mois, de 10h00 à 11h30",
            "Accueil public :  Mardi 15h-18h / Mercredi 10h-18h",
            "Mercredi",
            // A space is not a range: `10h 12h` could be two opening times.
            "Lundi au vendredi 10h/12h 14h/17h30 - sam 10h 12h",
            "",
        ] {
            assert!(unclear(t), "{t:?} should stay text");
        }
    }

    #[test]
    fn the_fast_check_agrees_with_the_parser() {
        for v in [
            "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00",
            "Mo 09:30-12:30,13:30-15:30; PH off",
            "Mo,We 13:00-17:00; Tu 09:00-12:00",
            "Su off",
            "Mo-Fr 09:00-24:00",
        ] {
            assert!(simple_subset(v), "{v}");
            assert!(parse(v).is_ok(), "{v}");
        }
        for v in [
            "Mo-Fr 09:00-12:00-14:00",
            "Mo 08:22",
            "Mo-Fr 9h-12h",
            "Mo-Fr 09:00-12:60",
            "Mo-Fr 25:00-26:00",
            "Lu-Ve 09:00-12:00",
            "PH 09:00-12:00",
        ] {
            assert!(!simple_subset(v), "{v}");
        }
    }

    #[test]
    fn osm_values_pass_through() {
        assert_eq!(
            osm("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"),
            "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
        );
    }

    #[test]
    fn france_services_day_cells() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid");
        assert_eq!(
            parse_day_ranges("09:00 - 12:00 / 13:30 - 17:00"),
            DayHours::Ranges(vec![(t(9, 0), t(12, 0)), (t(13, 30), t(17, 0))])
        );
        assert_eq!(parse_day_ranges("00:00 - 00:00"), DayHours::Unknown);
        assert_eq!(parse_day_ranges(""), DayHours::Closed);
        assert!(matches!(
            parse_day_ranges("sur rendez-vous"),
            DayHours::Unclear(_)
        ));
        let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        for day in week.iter_mut().take(5) {
            *day = vec![(t(9, 0), t(12, 0)), (t(13, 30), t(17, 0))];
        }
        week[2] = vec![(t(9, 0), t(12, 0))];
        week[5] = vec![(t(9, 0), t(12, 0))];
        assert_eq!(
            week_to_osm(&week).as_deref(),
            Some("Mo,Tu,Th,Fr 09:00-12:00,13:30-17:00; We,Sa 09:00-12:00")
        );
    }
}
