//! What the public sees: plain French sentences, iCalendar feeds, the monthly poster for the
//! mairie's notice board, and the passages as places of the national standard.
//!
//! Every text that comes from data (venue names, addresses, notices) is escaped for the
//! format it goes into (HTML, iCalendar TEXT).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use maillage_model::{
    Dispositif, Frais, Itinerance, ModaliteAcces, ModaliteAccompagnement, Place, Service,
};

use crate::calendar::{date_fr, month_fr, time_fr};
use crate::model::{weekday_osm, Site, Vehicle, WeekRule};
use crate::plan::Plan;
use crate::schedule::{Calendar, Passage, Status};

/// "Le bus France Services est à Dunes le mardi 8 décembre, de 9 h à 12 h, Mairie de Dunes."
pub fn sentence(p: &Passage, site: &Site, vehicle: &Vehicle) -> String {
    let venue = if site.address.is_empty() {
        site.name.clone()
    } else {
        format!("{}, {}", site.name, site.address)
    };
    match &p.status {
        Status::Scheduled => format!(
            "Le {} est à {} le {}, de {} à {}, {}.",
            vehicle_label(vehicle),
            site.commune,
            date_fr(p.date),
            time_fr(p.start),
            time_fr(p.end),
            venue
        ),
        Status::Moved { from, reason } => format!(
            "Le {} est à {} le {}, de {} à {}, {} (au lieu du {} : {}).",
            vehicle_label(vehicle),
            site.commune,
            date_fr(p.date),
            time_fr(p.start),
            time_fr(p.end),
            venue,
            date_fr(*from),
            reason
        ),
        Status::Cancelled { .. } | Status::Stopped { .. } => p
            .notice
            .clone()
            .unwrap_or_else(|| format!("Pas de passage le {}.", date_fr(p.date))),
    }
}

fn vehicle_label(v: &Vehicle) -> String {
    // Names like "Bus France Services 2" read better in lower case inside a sentence.
    let mut chars = v.name.chars();
    match chars.next() {
        Some(c) => format!("{}{}", c.to_lowercase(), chars.as_str()),
        None => "bus France Services".into(),
    }
}

/// The tour sites as itinerant France Services places (id `tournee:SITE`), with each
/// place's rhythm in French: what the observatory counts as itinerant coverage.
pub fn stops_as_places(sites: &[Site]) -> (Vec<Place>, std::collections::BTreeMap<String, String>) {
    let mut rhythms = std::collections::BTreeMap::new();
    let places = sites
        .iter()
        .map(|site| {
            let id = format!("tournee:{}", site.id);
            let rhythm = match &site.rhythm {
                crate::model::Rhythm::TwicePerMonth => "2 demi-journées par mois".to_string(),
                crate::model::Rhythm::Fixed(p) => {
                    format!("2 demi-journées par mois : {}", p.label_fr())
                }
            };
            rhythms.insert(id.clone(), rhythm);
            Place {
                id,
                nom: format!("France Services itinérante — {}", site.name),
                commune: site.commune.clone(),
                code_postal: site.code_postal.clone(),
                code_insee: Some(site.code_insee.clone()),
                adresse: site.address.clone(),
                position: site.position,
                itinerance: vec![Itinerance::Itinerant],
                services: vec![Service::AideDemarches],
                dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
                ..Place::default()
            }
        })
        .collect();
    (places, rhythms)
}

/// The next passages (taking place or with a notice) from `today`, at most `limit`.
pub fn next_passages(
    calendar: &Calendar,
    today: NaiveDate,
    filter: impl Fn(&Passage) -> bool,
    limit: usize,
) -> Vec<&Passage> {
    calendar
        .passages
        .iter()
        .filter(|p| p.date >= today && filter(p))
        .take(limit)
        .collect()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn ical_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character.
pub fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// An iCalendar feed of these passages (RFC 5545: CRLF, folded lines, UID, DTSTAMP, local
/// times with TZID Europe/Paris and its VTIMEZONE). Stopped and cancelled passages are
/// published with `STATUS:CANCELLED` so calendars that had them remove them.
pub fn ical<'a>(
    name: &str,
    passages: impl IntoIterator<Item = &'a Passage>,
    site_of: impl Fn(&str) -> Option<&'a Site>,
    vehicle_of: impl Fn(&str) -> Option<&'a Vehicle>,
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//maillage//itinerance France Services//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(l, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", ical_text(name)), &mut out);
    fold("X-WR-TIMEZONE:Europe/Paris", &mut out);
    for l in [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ] {
        fold(l, &mut out);
    }
    for p in passages {
        let (Some(site), Some(vehicle)) = (site_of(&p.site_id), vehicle_of(&p.vehicle_id)) else {
            continue;
        };
        // The UID follows the regular date so a moved passage updates the same event.
        let regular = match &p.status {
            Status::Moved { from, .. } => *from,
            _ => p.date,
        };
        fold("BEGIN:VEVENT", &mut out);
        fold(
            &format!(
                "UID:{}-{}-{}@maillage",
                regular.format("%Y%m%d"),
                p.site_id,
                p.vehicle_id
            ),
            &mut out,
        );
        fold(&format!("DTSTAMP:{stamp}"), &mut out);
        let day = p.date.format("%Y%m%d");
        fold(
            &format!(
                "DTSTART;TZID=Europe/Paris:{day}T{}",
                p.start.format("%H%M%S")
            ),
            &mut out,
        );
        fold(
            &format!("DTEND;TZID=Europe/Paris:{day}T{}", p.end.format("%H%M%S")),
            &mut out,
        );
        fold(
            &format!(
                "SUMMARY:{}",
                ical_text(&format!("{} à {}", vehicle.name, site.commune))
            ),
            &mut out,
        );
        let location = if site.address.is_empty() {
            format!("{}, {}", site.name, site.commune)
        } else {
            format!(
                "{}, {}, {} {}",
                site.name, site.address, site.code_postal, site.commune
            )
        };
        fold(&format!("LOCATION:{}", ical_text(&location)), &mut out);
        if let Some(pos) = site.position {
            fold(&format!("GEO:{:.6};{:.6}", pos.lat, pos.lon), &mut out);
        }
        fold(
            &format!("DESCRIPTION:{}", ical_text(&sentence(p, site, vehicle))),
            &mut out,
        );
        let status = if p.takes_place() {
            "CONFIRMED"
        } else {
            "CANCELLED"
        };
        fold(&format!("STATUS:{status}"), &mut out);
        fold("TRANSP:TRANSPARENT", &mut out);
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

/// Escapes text for HTML content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The poster's styles: A4, large type, black on white (a cancelled passage is said in words
/// and set in bold italics, not only coloured), readable once photocopied.
pub const POSTER_CSS: &str = "@page { size: A4; margin: 15mm; }
body { font-family: system-ui, Arial, sans-serif; font-size: 16pt; color: #000; background: #fff; }
.brand { border-bottom: 2pt solid #000; padding-bottom: 3mm; font-size: 13pt; }
.brand strong { font-size: 16pt; }
h1 { font-size: 26pt; margin: 6mm 0 4mm; }
ul { list-style: none; padding: 0; }
li { border-bottom: 1px solid #000; padding: 4mm 0; }
.annule { font-weight: 700; font-style: italic; }
footer { font-size: 12pt; margin-top: 10mm; }
";

/// Who publishes the poster and how the stylesheet is given.
#[derive(Debug, Default, Clone)]
pub struct PosterFrame {
    /// The stylesheet's URL; `None` inlines [`POSTER_CSS`] (a file printed from disk, where no
    /// Content-Security-Policy applies; the web site links to a stylesheet instead).
    pub stylesheet: Option<String>,
    /// The service and its operator, at the top ("Inclusion numérique 82 — Département…").
    pub brand: String,
    /// Whom to call, at the bottom ("Téléphone : 05 63 …").
    pub contact: String,
}

/// A printable A4 poster of one commune's passages in one month, for the mairie's notice
/// board: large type, one line per passage, notices spelled out.
pub fn poster_html<'a>(
    commune: &str,
    year: i32,
    month: u32,
    calendar: &'a Calendar,
    sites: &'a [Site],
    vehicles: &'a [Vehicle],
) -> String {
    poster_page(
        &PosterFrame::default(),
        commune,
        year,
        month,
        calendar,
        sites,
        vehicles,
    )
}

/// [`poster_html`] with the publisher's name, contact and a linked stylesheet.
pub fn poster_page<'a>(
    frame: &PosterFrame,
    commune: &str,
    year: i32,
    month: u32,
    calendar: &'a Calendar,
    sites: &'a [Site],
    vehicles: &'a [Vehicle],
) -> String {
    let site_ids: Vec<&Site> = sites.iter().filter(|s| s.commune == commune).collect();
    let mut rows = String::new();
    for p in calendar.passages.iter().filter(|p| {
        p.date.year() == year
            && p.date.month() == month
            && site_ids.iter().any(|s| s.id == p.site_id)
    }) {
        let (Some(site), Some(vehicle)) = (
            site_ids.iter().find(|s| s.id == p.site_id),
            vehicles.iter().find(|v| v.id == p.vehicle_id),
        ) else {
            continue;
        };
        let class = if p.takes_place() {
            "passage"
        } else {
            "passage annule"
        };
        let _ = writeln!(
            rows,
            "<li class=\"{class}\"><strong>{}</strong><br>{}</li>",
            html_escape(&if p.takes_place() {
                format!(
                    "{}, de {} à {}",
                    date_fr(p.date),
                    time_fr(p.start),
                    time_fr(p.end)
                )
            } else {
                date_fr(p.date)
            }),
            html_escape(&sentence(p, site, vehicle))
        );
    }
    if rows.is_empty() {
        rows = "<li>Pas de passage du bus France Services ce mois-ci.</li>\n".into();
    }
    let title = format!(
        "Bus France Services à {commune} — {} {year}",
        month_fr(month)
    );
    format!(
        r#"<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{title}</title>
{style}
</head>
<body>
{brand}<h1>{title}</h1>
<p>Deux agents France Services vous aident dans vos démarches (impôts, CAF, retraite, santé, carte grise…), gratuitement et sans rendez-vous.</p>
<ul>
{rows}</ul>
<footer>Les jours fériés, le bus ne passe pas : la date de remplacement est indiquée ci-dessus. Vous ne pouvez pas vous déplacer ? Demandez une visite à domicile à votre mairie.{contact}</footer>
</body>
</html>
"#,
        title = html_escape(&title),
        style = match &frame.stylesheet {
            Some(href) => format!("<link rel=\"stylesheet\" href=\"{}\">", html_escape(href)),
            None => format!("<style>\n{POSTER_CSS}</style>"),
        },
        brand = if frame.brand.is_empty() {
            String::new()
        } else {
            format!(
                "<p class=\"brand\"><strong>{}</strong></p>\n",
                html_escape(&frame.brand)
            )
        },
        contact = if frame.contact.is_empty() {
            String::new()
        } else {
            format!("<br>{}", html_escape(&frame.contact))
        },
    )
}

/// The OSM `opening_hours` of a site's regular permanence: `Tu[2,4] 09:00-12:00; PH off` or
/// `week 02-52/2 Mo 09:30-16:00; PH off` (even weeks).
pub fn osm_hours(plan: &Plan, site_id: &str) -> Option<String> {
    let (_, pattern) = plan.assignment(site_id)?;
    let (open, close) = pattern.slot.hours();
    let hours = format!("{}-{}", open.format("%H:%M"), close.format("%H:%M"));
    let day = weekday_osm(pattern.weekday);
    Some(match &pattern.weeks {
        WeekRule::Nth(nths) => {
            let n: Vec<String> = nths.iter().map(u8::to_string).collect();
            format!("{day}[{}] {hours}; PH off", n.join(","))
        }
        WeekRule::EvenWeeks(true) => format!("week 02-52/2 {day} {hours}; PH off"),
        WeekRule::EvenWeeks(false) => format!("week 01-53/2 {day} {hours}; PH off"),
    })
}

/// The served sites as places of the standard (`itinerance` = Itinérant), so the national
/// cartography and our own search show the stops.
pub fn as_places(
    plan: &Plan,
    sites: &[Site],
    vehicles: &[Vehicle],
    pivot: &str,
    today: NaiveDate,
) -> Vec<Place> {
    sites
        .iter()
        .filter_map(|site| {
            let (route, pattern) = plan.assignment(&site.id)?;
            let vehicle = vehicles.iter().find(|v| v.id == route.vehicle_id)?;
            Some(Place {
                id: format!("itinerance-{}", site.id),
                pivot: pivot.to_string(),
                nom: format!("{} — {}", vehicle.name, site.name),
                commune: site.commune.clone(),
                code_postal: site.code_postal.clone(),
                code_insee: Some(site.code_insee.clone()),
                adresse: if site.address.is_empty() {
                    site.name.clone()
                } else {
                    site.address.clone()
                },
                position: site.position,
                horaires: osm_hours(plan, &site.id),
                presentation_resume: Some(format!(
                    "Permanence du {} : {}.",
                    vehicle.name,
                    pattern.label_fr()
                )),
                itinerance: vec![Itinerance::Itinerant],
                services: vec![Service::AideDemarches, Service::AccesInternet],
                frais_a_charge: vec![Frais::Gratuit],
                modalites_acces: vec![ModaliteAcces::SePresenter],
                modalites_accompagnement: vec![ModaliteAccompagnement::Individuel],
                dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
                structure_parente: Some(vehicle.name.clone()),
                date_maj: Some(today),
                ..Place::default()
            })
        })
        .collect()
}
