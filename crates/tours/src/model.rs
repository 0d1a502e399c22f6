//! The vocabulary of an itinerant France Services: vehicles, the sites they stop at, the
//! rhythm of each site, and the calendar events (closures, agent leave) that change a day.
//!
//! Everything here is plain data with French labels for the public pages; nothing reads files.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use maillage_model::Position;
use serde::{Deserialize, Serialize};

/// The kind of venue that hosts a permanence (the deliberation lists these four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VenueKind {
    Mairie,
    SalleCommunale,
    /// Maison départementale des solidarités.
    Mds,
    HotelDuDepartement,
}

impl VenueKind {
    pub fn parse(s: &str) -> Option<VenueKind> {
        match s.trim().to_lowercase().replace([' ', '-'], "_").as_str() {
            "mairie" => Some(VenueKind::Mairie),
            "salle_communale" | "salle_intercommunale" | "salle_des_fetes" => {
                Some(VenueKind::SalleCommunale)
            }
            "mds" | "maison_departementale_des_solidarites" => Some(VenueKind::Mds),
            "hotel_du_departement" => Some(VenueKind::HotelDuDepartement),
            _ => None,
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            VenueKind::Mairie => "mairie",
            VenueKind::SalleCommunale => "salle communale",
            VenueKind::Mds => "maison départementale des solidarités",
            VenueKind::HotelDuDepartement => "Hôtel du Département",
        }
    }

    /// Whether a permanence in such a venue stops when a France Services is labelled in the
    /// commune. The deliberation stops the permanences "dans les communes où un projet de
    /// France Services est en cours", i.e. those hosted by the commune; the département's own
    /// social services (MDS, Hôtel du Département) keep theirs: the 2024 France Services list
    /// still names the MDS of Montauban, Montech and Valence d'Agen after a France Services was
    /// labelled in those communes.
    pub fn stops_on_labelling(self) -> bool {
        matches!(self, VenueKind::Mairie | VenueKind::SalleCommunale)
    }
}

/// Where a site's coordinates come from: the public must know when a pin is approximate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionSource {
    /// The venue's own address was geocoded.
    Address,
    /// The town hall of the commune.
    TownHall,
    /// The centroid of the commune (INSEE/La Poste centre): approximate.
    CommuneCentroid,
}

impl PositionSource {
    pub fn parse(s: &str) -> Option<PositionSource> {
        match s.trim() {
            "adresse" => Some(PositionSource::Address),
            "mairie" => Some(PositionSource::TownHall),
            "centroide" | "centroïde" => Some(PositionSource::CommuneCentroid),
            _ => None,
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            PositionSource::Address => "adresse",
            PositionSource::TownHall => "mairie",
            PositionSource::CommuneCentroid => "centre de la commune (position approximative)",
        }
    }
}

/// The part of a day a permanence takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    Morning,
    Afternoon,
    FullDay,
}

impl Slot {
    pub fn parse(s: &str) -> Option<Slot> {
        match s.trim() {
            "matin" => Some(Slot::Morning),
            "apres-midi" | "après-midi" => Some(Slot::Afternoon),
            "journee" | "journée" => Some(Slot::FullDay),
            _ => None,
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Slot::Morning => "matin",
            Slot::Afternoon => "après-midi",
            Slot::FullDay => "journée",
        }
    }

    /// Opening and closing time of the permanence: those the Tarn-et-Garonne itinerant
    /// France Services publish in the 2024 national list (row 1967: 09:30-12:00 and
    /// 13:30-16:00), which leave time to drive from the base and back.
    pub fn hours(self) -> (NaiveTime, NaiveTime) {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        match self {
            Slot::Morning => (t(9, 30), t(12, 0)),
            Slot::Afternoon => (t(13, 30), t(16, 0)),
            Slot::FullDay => (t(9, 30), t(16, 0)),
        }
    }

    /// Whether two slots of the same day overlap.
    pub fn overlaps(self, other: Slot) -> bool {
        self == other || self == Slot::FullDay || other == Slot::FullDay
    }
}

/// Which weeks of a weekday a pattern takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekRule {
    /// The n-th occurrences of the weekday in the month (`[2, 4]`: 2nd and 4th).
    Nth(Vec<u8>),
    /// Even (`true`) or odd ISO weeks, as the Charente bus and Moissac-Confluences publish.
    EvenWeeks(bool),
}

impl WeekRule {
    pub fn matches(&self, date: NaiveDate) -> bool {
        match self {
            WeekRule::Nth(nths) => nths.contains(&(((date.day() - 1) / 7 + 1) as u8)),
            WeekRule::EvenWeeks(even) => date.iso_week().week().is_multiple_of(2) == *even,
        }
    }

    /// "2e et 4e", "semaines paires".
    pub fn label_fr(&self) -> String {
        match self {
            WeekRule::Nth(nths) => {
                let words: Vec<String> = nths
                    .iter()
                    .map(|n| {
                        if *n == 1 {
                            "1er".to_string()
                        } else {
                            format!("{n}e")
                        }
                    })
                    .collect();
                join_fr(&words)
            }
            WeekRule::EvenWeeks(true) => "semaines paires".into(),
            WeekRule::EvenWeeks(false) => "semaines impaires".into(),
        }
    }
}

/// A regular pattern: a weekday, which weeks, which part of the day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pattern {
    #[serde(with = "weekday_serde")]
    pub weekday: Weekday,
    pub weeks: WeekRule,
    pub slot: Slot,
}

impl Pattern {
    pub fn matches(&self, date: NaiveDate) -> bool {
        date.weekday() == self.weekday && self.weeks.matches(date)
    }

    /// "les 2e et 4e mardis, matin" / "le lundi des semaines paires, matin".
    pub fn label_fr(&self) -> String {
        let day = weekday_fr(self.weekday);
        match &self.weeks {
            WeekRule::Nth(_) => format!(
                "les {} {}s du mois, {}",
                self.weeks.label_fr(),
                day,
                self.slot.label_fr()
            ),
            WeekRule::EvenWeeks(_) => {
                format!(
                    "le {day} des {}, {}",
                    self.weeks.label_fr(),
                    self.slot.label_fr()
                )
            }
        }
    }

    /// Parses "2e,4e mardi matin", "mardi 2,4 matin", "lundi paires matin",
    /// "lundi impaires journee".
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let mut weekday = None;
        let mut slot = None;
        let mut weeks = None;
        for word in text.split([' ', ',', '/', ';']).filter(|w| !w.is_empty()) {
            let w = word.to_lowercase();
            if let Some(d) = weekday_parse(&w) {
                weekday = Some(d);
            } else if let Some(s) = Slot::parse(&w) {
                slot = Some(s);
            } else if w.starts_with("pair") {
                weeks = Some(WeekRule::EvenWeeks(true));
            } else if w.starts_with("impair") {
                weeks = Some(WeekRule::EvenWeeks(false));
            } else {
                let digits = w.trim_end_matches(['e', 'r']).trim_end_matches("è");
                let n: u8 = digits
                    .parse()
                    .map_err(|_| format!("rythme « {text} » : mot « {word} » non compris"))?;
                if !(1..=5).contains(&n) {
                    return Err(format!("rythme « {text} » : semaine {n} hors de 1 à 5"));
                }
                match weeks.get_or_insert_with(|| WeekRule::Nth(Vec::new())) {
                    WeekRule::Nth(v) => v.push(n),
                    WeekRule::EvenWeeks(_) => {
                        return Err(format!(
                            "rythme « {text} » : semaines paires/impaires et numéros mélangés"
                        ))
                    }
                }
            }
        }
        let weekday =
            weekday.ok_or_else(|| format!("rythme « {text} » : jour de la semaine manquant"))?;
        let weeks = weeks.ok_or_else(|| {
            format!("rythme « {text} » : semaines manquantes (« 2e,4e » ou « paires »)")
        })?;
        Ok(Pattern {
            weekday,
            weeks,
            slot: slot.unwrap_or(Slot::Morning),
        })
    }
}

/// A site's rhythm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rhythm {
    /// Two passages a month; the planner chooses the pattern (the deliberation's default).
    #[default]
    TwicePerMonth,
    /// A pattern fixed by agreement with the commune.
    Fixed(Pattern),
}

/// A candidate site: a venue in a commune where the vehicle holds a permanence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: String,
    /// Name of the venue ("Mairie de Dunes", "salle des fêtes").
    pub name: String,
    pub kind: VenueKind,
    pub commune: String,
    pub code_insee: String,
    pub code_postal: String,
    pub address: String,
    pub position: Option<Position>,
    pub position_source: PositionSource,
    pub rhythm: Rhythm,
    /// Preferred part of the day when the rhythm leaves it open; `None`: morning or afternoon.
    pub slot: Option<Slot>,
}

impl Site {
    pub fn stops_on_labelling(&self) -> bool {
        self.kind.stops_on_labelling()
    }
}

/// A vehicle with its crew, base and working time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vehicle {
    pub id: String,
    pub name: String,
    pub base_name: String,
    pub base: Position,
    /// Agents' identifiers (no names needed here).
    pub crew: Vec<String>,
    #[serde(with = "weekdays_serde")]
    pub days: Vec<Weekday>,
    /// Leaves the base no earlier than this, is back no later than `end`.
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// The France Services label requires two agents per itinerant vehicle.
pub const MIN_CREW: usize = 2;

/// A period when an agent is away (inclusive dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leave {
    pub agent: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A period when a venue cannot host the permanence (inclusive dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub site_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

/// A France Services labelled in a commune: the rule stops the vehicle's permanences there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labelling {
    pub code_insee: String,
    pub date: NaiveDate,
    /// Name and address of the new France Services, for the notice.
    pub name: String,
    pub address: String,
}

/// "mardi": the one table of French day names (`maillage_model::french`).
pub use maillage_model::french::weekday_fr;

/// French day names and OSM two-letter codes.
pub fn weekday_parse(s: &str) -> Option<Weekday> {
    Some(match s.trim().to_lowercase().as_str() {
        "lundi" | "mo" | "lu" => Weekday::Mon,
        "mardi" | "tu" | "ma" => Weekday::Tue,
        "mercredi" | "we" | "me" => Weekday::Wed,
        "jeudi" | "th" | "je" => Weekday::Thu,
        "vendredi" | "fr" | "ve" => Weekday::Fri,
        "samedi" | "sa" => Weekday::Sat,
        "dimanche" | "su" | "di" => Weekday::Sun,
        _ => return None,
    })
}

pub fn weekday_osm(d: Weekday) -> &'static str {
    ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"][d.num_days_from_monday() as usize]
}

/// "Mo-Fr", "Mo,We,Fr" → weekdays.
pub fn parse_days(s: &str) -> Option<Vec<Weekday>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        if let Some((a, b)) = part.split_once('-') {
            let (a, b) = (weekday_parse(a)?, weekday_parse(b)?);
            let mut d = a;
            loop {
                out.push(d);
                if d == b {
                    break;
                }
                d = d.succ();
                if d == a {
                    return None;
                }
            }
        } else {
            out.push(weekday_parse(part)?);
        }
    }
    Some(out)
}

/// "a, b et c".
pub fn join_fr(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} et {last}", init.join(", ")),
    }
}

mod weekday_serde {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::weekday_osm(*d))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let s = String::deserialize(d)?;
        super::weekday_parse(&s).ok_or_else(|| serde::de::Error::custom("jour inconnu"))
    }
}

mod weekdays_serde {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &[Weekday], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(d.iter().map(|d| super::weekday_osm(*d)))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| {
                super::weekday_parse(s).ok_or_else(|| serde::de::Error::custom("jour inconnu"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_and_fourth_tuesday_morning_pattern() {
        let p = Pattern::parse("2e,4e mardi matin").unwrap();
        assert_eq!(p.weekday, Weekday::Tue);
        assert_eq!(p.weeks, WeekRule::Nth(vec![2, 4]));
        // December 2026: Tuesdays 1, 8, 15, 22, 29.
        let days: Vec<u32> = (1..=31)
            .filter_map(|d| NaiveDate::from_ymd_opt(2026, 12, d))
            .filter(|d| p.matches(*d))
            .map(|d| d.day())
            .collect();
        assert_eq!(days, vec![8, 22]);
        assert_eq!(p.label_fr(), "les 2e et 4e mardis du mois, matin");
    }

    #[test]
    fn even_weeks_follow_iso_week_numbers() {
        let p = Pattern::parse("lundi paires").unwrap();
        // 2024-01-08 is in ISO week 2, 2024-01-15 in week 3.
        assert!(p.matches(NaiveDate::from_ymd_opt(2024, 1, 8).unwrap()));
        assert!(!p.matches(NaiveDate::from_ymd_opt(2024, 1, 15).unwrap()));
    }

    #[test]
    fn bad_patterns_say_what_is_wrong() {
        assert!(Pattern::parse("2e,4e matin").unwrap_err().contains("jour"));
        assert!(Pattern::parse("mardi matin")
            .unwrap_err()
            .contains("semaines"));
        assert!(Pattern::parse("mardi 7").unwrap_err().contains("hors"));
    }

    #[test]
    fn days_ranges() {
        assert_eq!(parse_days("Mo-Fr").map(|d| d.len()), Some(5));
        assert_eq!(parse_days("Mo,We"), Some(vec![Weekday::Mon, Weekday::Wed]));
        assert_eq!(parse_days("Xx"), None);
    }
}
