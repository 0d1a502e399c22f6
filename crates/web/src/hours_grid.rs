//! The opening-hours editor of the edit form: a week grid (morning and afternoon of each
//! day, four plain time fields per day, so it works without JavaScript) plus a line of
//! exceptions and closures, written as OSM `opening_hours` and read back in words.
//!
//! Why a grid rather than the OSM text: structures do not know the syntax; a grid covers
//! nearly every help place (at most two openings a day). Hours the grid cannot hold (three
//! openings a day, week numbers…) stay in the "horaires au format OSM" field, untouched.

use chrono::NaiveTime;

use crate::hours;

/// Monday first: the OSM day codes.
pub const OSM_DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// For each day: morning start, morning end, afternoon start, afternoon end (`HH:MM` or empty).
pub type Grid = [[String; 4]; 7];

/// What the form holds for the hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursForm {
    pub grid: Grid,
    /// Rules that are not a weekday (`PH off`, `Dec 24-Jan 1 off`), `;`-separated.
    pub exceptions: String,
    /// OSM text the grid cannot show; used when the grid is empty.
    pub raw: String,
}

fn is_weekday_rule(rule: &str) -> bool {
    OSM_DAYS.iter().any(|d| rule.starts_with(d))
}

/// Reads stored OSM hours into the form: the grid when it can hold them exactly (checked by
/// writing the grid back and comparing the typical weeks), else the raw text.
pub fn from_osm(osm: Option<&str>) -> HoursForm {
    let Some(osm) = osm.map(str::trim).filter(|s| !s.is_empty()) else {
        return HoursForm::default();
    };
    let raw = HoursForm {
        raw: osm.to_string(),
        ..Default::default()
    };
    let Some(oh) = hours::parse(osm) else {
        return raw;
    };
    let week = hours::week_table(&oh);
    let mut grid: Grid = Default::default();
    for (day, intervals) in week.iter().enumerate() {
        if intervals.len() > 2 {
            return raw;
        }
        for (i, (from, to)) in intervals.iter().enumerate() {
            // One opening that ends after 13:00 and starts in the afternoon goes right.
            let slot = if intervals.len() == 1 && *from >= noon() {
                1
            } else {
                i
            };
            grid[day][slot * 2] = from.format("%H:%M").to_string();
            grid[day][slot * 2 + 1] = to.format("%H:%M").to_string();
        }
    }
    let exceptions = osm
        .split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty() && !is_weekday_rule(r))
        .collect::<Vec<_>>()
        .join("; ");
    let form = HoursForm {
        grid,
        exceptions,
        raw: String::new(),
    };
    match form.to_osm() {
        Ok(Some(back)) if hours::parse(&back).map(|b| hours::week_table(&b)) == Some(week) => form,
        _ => raw,
    }
}

fn noon() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN)
}

fn time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

impl HoursForm {
    /// The OSM text of the form (`None` when nothing is given), or the problems, each with
    /// the name of the field it concerns.
    pub fn to_osm(&self) -> Result<Option<String>, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut days: Vec<String> = Vec::with_capacity(7);
        for (d, cells) in self.grid.iter().enumerate() {
            let mut spans = Vec::new();
            for half in 0..2 {
                let (a, b) = (cells[half * 2].trim(), cells[half * 2 + 1].trim());
                let label = format!(
                    "{} {}",
                    hours::DAYS[d],
                    if half == 0 { "matin" } else { "après-midi" }
                );
                match (a.is_empty(), b.is_empty()) {
                    (true, true) => continue,
                    (false, false) => {}
                    _ => {
                        errors.push((
                            format!("h_{d}_{}", half * 2),
                            format!(
                                "{label} : indiquez l'heure d'ouverture et celle de fermeture."
                            ),
                        ));
                        continue;
                    }
                }
                match (time(a), time(b)) {
                    (Some(x), Some(y)) if x < y => spans.push(format!("{a}-{b}")),
                    (Some(_), Some(_)) => errors.push((
                        format!("h_{d}_{}", half * 2),
                        format!("{label} : l'heure de fermeture doit suivre l'heure d'ouverture."),
                    )),
                    _ => errors.push((
                        format!("h_{d}_{}", half * 2),
                        format!("{label} : écrivez les heures sous la forme 09:30."),
                    )),
                }
            }
            days.push(spans.join(","));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut rules = Vec::new();
        let mut d = 0;
        while d < 7 {
            let mut e = d;
            while e + 1 < 7 && days[e + 1] == days[d] {
                e += 1;
            }
            if !days[d].is_empty() {
                let span = if e == d {
                    OSM_DAYS[d].to_string()
                } else {
                    format!("{}-{}", OSM_DAYS[d], OSM_DAYS[e])
                };
                rules.push(format!("{span} {}", days[d]));
            }
            d = e + 1;
        }
        let grid_given = !rules.is_empty();
        rules.extend(
            self.exceptions
                .split(';')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string),
        );
        if !grid_given {
            let raw = self.raw.trim();
            return Ok((!raw.is_empty()).then(|| raw.to_string()));
        }
        let osm = rules.join("; ");
        if hours::parse(&osm).is_none() {
            return Err(vec![(
                "exceptions".into(),
                "Les exceptions ne sont pas comprises ; écrivez par exemple « PH off » (fermé les jours fériés) ou « Dec 24-Jan 1 off ».".into(),
            )]);
        }
        Ok(Some(osm))
    }
}

/// The hours in words, one line per day ("lundi : 9 h – 12 h et 14 h – 17 h"); empty when
/// the text cannot be read.
pub fn describe(osm: &str) -> Vec<String> {
    let Some(oh) = hours::parse(osm) else {
        return Vec::new();
    };
    hours::week_table(&oh)
        .iter()
        .enumerate()
        .map(|(d, spans)| {
            let words = if spans.is_empty() {
                "fermé".to_string()
            } else {
                spans
                    .iter()
                    .map(|(a, b)| format!("{} – {}", hours::fmt_time(*a), hours::fmt_time(*b)))
                    .collect::<Vec<_>>()
                    .join(" et ")
            };
            format!("{} : {words}", hours::DAYS[d])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[(usize, [&str; 4])]) -> HoursForm {
        let mut g: Grid = Default::default();
        for (d, cells) in rows {
            g[*d] = cells.map(String::from);
        }
        HoursForm {
            grid: g,
            ..Default::default()
        }
    }

    #[test]
    fn grid_writes_grouped_osm_and_reads_it_back() {
        let mut f = grid(&[
            (0, ["09:00", "12:00", "14:00", "17:00"]),
            (1, ["09:00", "12:00", "14:00", "17:00"]),
            (2, ["09:00", "12:00", "", ""]),
            (5, ["", "", "14:00", "18:30"]),
        ]);
        f.exceptions = "PH off".into();
        let osm = f.to_osm().expect("valable").expect("des horaires");
        assert_eq!(
            osm,
            "Mo-Tu 09:00-12:00,14:00-17:00; We 09:00-12:00; Sa 14:00-18:30; PH off"
        );
        assert_eq!(from_osm(Some(&osm)), f);
        let words = describe(&osm);
        assert_eq!(words[0], "lundi : 9 h – 12 h et 14 h – 17 h");
        assert_eq!(words[3], "jeudi : fermé");
        assert_eq!(words[5], "samedi : 14 h – 18 h 30");
    }

    #[test]
    fn mistakes_are_named_per_field() {
        let errors = grid(&[(0, ["12:00", "09:00", "", ""]), (1, ["9h", "", "", ""])])
            .to_osm()
            .expect_err("erreurs");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].0, "h_0_0");
        assert!(errors[0].1.contains("lundi matin"));
        assert!(errors[1].1.contains("mardi matin"));
        let mut bad = grid(&[(0, ["09:00", "12:00", "", ""])]);
        bad.exceptions = "n'importe quoi".into();
        assert_eq!(bad.to_osm().expect_err("exceptions")[0].0, "exceptions");
    }

    #[test]
    fn hours_the_grid_cannot_hold_stay_as_text() {
        let osm = "Mo 08:00-09:00,10:00-11:00,14:00-15:00";
        let f = from_osm(Some(osm));
        assert_eq!(f.raw, osm);
        assert_eq!(f.to_osm().expect("valable").as_deref(), Some(osm));
        assert_eq!(from_osm(None).to_osm().expect("vide"), None);
    }
}
