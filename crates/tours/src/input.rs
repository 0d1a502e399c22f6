//! Reading the coordinator's files: sites, vehicles, events (leave, closures, labellings),
//! and the labelling dates of the national France Services lists.
//!
//! Functions take the text, not a path: the command line reads the file. Errors name the
//! line, the column and the value.

use chrono::{NaiveDate, NaiveTime};
use maillage_model::Position;

use crate::model::*;

#[derive(Debug, thiserror::Error)]
#[error("{file}, ligne {line} : {message}")]
pub struct InputError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    let delimiter = if text
        .lines()
        .next()
        .is_some_and(|l| l.contains(';') && !l.contains(','))
    {
        b';'
    } else {
        b','
    };
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes())
}

struct Row<'a> {
    file: &'a str,
    line: u64,
    headers: &'a csv::StringRecord,
    record: csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, name: &str) -> &str {
        self.headers
            .iter()
            .position(|h| h.trim() == name)
            .and_then(|i| self.record.get(i))
            .map(str::trim)
            .unwrap_or("")
    }
    fn err(&self, message: String) -> InputError {
        InputError {
            file: self.file.to_string(),
            line: self.line,
            message,
        }
    }
    fn required(&self, name: &str) -> Result<&str, InputError> {
        let v = self.get(name);
        if v.is_empty() {
            Err(self.err(format!("colonne « {name} » vide")))
        } else {
            Ok(v)
        }
    }
    fn date(&self, name: &str) -> Result<NaiveDate, InputError> {
        let v = self.required(name)?;
        parse_date(v).ok_or_else(|| {
            self.err(format!(
                "colonne « {name} » : date « {v} » non comprise (AAAA-MM-JJ ou JJ/MM/AAAA)"
            ))
        })
    }
    fn time(&self, name: &str) -> Result<NaiveTime, InputError> {
        let v = self.required(name)?;
        NaiveTime::parse_from_str(v, "%H:%M").map_err(|_| {
            self.err(format!(
                "colonne « {name} » : heure « {v} » non comprise (HH:MM)"
            ))
        })
    }
    fn float(&self, name: &str) -> Result<Option<f64>, InputError> {
        let v = self.get(name);
        if v.is_empty() {
            return Ok(None);
        }
        v.replace(',', ".")
            .parse()
            .map(Some)
            .map_err(|_| self.err(format!("colonne « {name} » : nombre « {v} » non compris")))
    }
}

/// A date as the coordination writes it (`2027-01-15`, `15/01/2027`, and the other forms the
/// directory's one date reader understands).
pub fn parse_date(v: &str) -> Option<NaiveDate> {
    maillage_model::dates::parse_date_any(v)
}

fn rows<'a>(
    file: &'a str,
    text: &'a str,
    headers: &'a mut csv::StringRecord,
) -> Result<Vec<Row<'a>>, InputError> {
    let mut rdr = reader(text);
    *headers = rdr
        .headers()
        .map_err(|e| InputError {
            file: file.into(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let record = rec.map_err(|e| InputError {
            file: file.into(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        out.push(Row {
            file,
            line,
            headers,
            record,
        });
    }
    Ok(out)
}

/// Sites: `id,nom,type_lieu,commune,code_insee,code_postal,adresse,latitude,longitude,position,rythme,creneau`.
/// A site without coordinates is kept (the planner says it cannot be served and why).
pub fn read_sites(file: &str, text: &str) -> Result<Vec<Site>, InputError> {
    let mut headers = csv::StringRecord::new();
    let mut out = Vec::new();
    for row in rows(file, text, &mut headers)? {
        let kind_text = row.required("type_lieu")?;
        let kind = VenueKind::parse(kind_text).ok_or_else(|| {
            row.err(format!(
                "type de lieu « {kind_text} » inconnu (mairie, salle_communale, mds, hotel_du_departement)"
            ))
        })?;
        let position = match (row.float("latitude")?, row.float("longitude")?) {
            (Some(lat), Some(lon)) => {
                let p = Position::new(lat, lon);
                if !p.in_france() {
                    return Err(row.err(format!(
                        "position {lat}, {lon} hors de France (latitude et longitude inversées ?)"
                    )));
                }
                Some(p)
            }
            _ => None,
        };
        let position_source = match row.get("position") {
            "" => PositionSource::CommuneCentroid,
            v => PositionSource::parse(v).ok_or_else(|| {
                row.err(format!(
                    "position « {v} » : attendu adresse, mairie ou centroide"
                ))
            })?,
        };
        let rhythm = match row.get("rythme") {
            "" => Rhythm::TwicePerMonth,
            v => Rhythm::Fixed(Pattern::parse(v).map_err(|e| row.err(e))?),
        };
        let slot = match row.get("creneau") {
            "" => None,
            v => Some(Slot::parse(v).ok_or_else(|| {
                row.err(format!(
                    "créneau « {v} » : attendu matin, apres-midi ou journee"
                ))
            })?),
        };
        out.push(Site {
            id: row.required("id")?.to_string(),
            name: row.required("nom")?.to_string(),
            kind,
            commune: row.required("commune")?.to_string(),
            code_insee: row.required("code_insee")?.to_string(),
            code_postal: row.get("code_postal").to_string(),
            address: row.get("adresse").to_string(),
            position,
            position_source,
            rhythm,
            slot,
        });
    }
    Ok(out)
}

/// Vehicles: `id,nom,base,base_latitude,base_longitude,equipage,jours,debut,fin`
/// (`equipage`: agent ids separated by spaces; `jours`: `Mo-Fr`).
pub fn read_vehicles(file: &str, text: &str) -> Result<Vec<Vehicle>, InputError> {
    let mut headers = csv::StringRecord::new();
    let mut out = Vec::new();
    for row in rows(file, text, &mut headers)? {
        let (Some(lat), Some(lon)) = (row.float("base_latitude")?, row.float("base_longitude")?)
        else {
            return Err(row.err("la base du véhicule n'a pas de coordonnées".into()));
        };
        let days_text = row.required("jours")?;
        let days = parse_days(days_text).ok_or_else(|| {
            row.err(format!(
                "jours « {days_text} » non compris (ex. Mo-Fr ou Mo,Tu,Th)"
            ))
        })?;
        out.push(Vehicle {
            id: row.required("id")?.to_string(),
            name: row.required("nom")?.to_string(),
            base_name: row.required("base")?.to_string(),
            base: Position::new(lat, lon),
            crew: row
                .get("equipage")
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            days,
            start: row.time("debut")?,
            end: row.time("fin")?,
        });
    }
    Ok(out)
}

/// Events: `type,cible,du,au,motif` where `type` is `conge` (cible: agent), `fermeture`
/// (cible: site id) or `labellisation` (cible: INSEE code; motif: name of the France
/// Services; `au` holds its address).
pub fn read_events(file: &str, text: &str) -> Result<crate::schedule::Events, InputError> {
    let mut headers = csv::StringRecord::new();
    let mut events = crate::schedule::Events::default();
    for row in rows(file, text, &mut headers)? {
        match row.required("type")? {
            "conge" | "congé" => events.leaves.push(Leave {
                agent: row.required("cible")?.to_string(),
                from: row.date("du")?,
                to: row.date("au")?,
            }),
            "fermeture" => events.closures.push(Closure {
                site_id: row.required("cible")?.to_string(),
                from: row.date("du")?,
                to: row.date("au")?,
                reason: row.get("motif").to_string(),
            }),
            "labellisation" => events.labellings.push(Labelling {
                code_insee: row.required("cible")?.to_string(),
                date: row.date("du")?,
                name: row.required("motif")?.to_string(),
                address: row.get("au").to_string(),
            }),
            other => {
                return Err(row.err(format!(
                    "type d'événement « {other} » inconnu (conge, fermeture, labellisation)"
                )))
            }
        }
    }
    Ok(events)
}

/// The labellings of fixed France Services in a département, from a national France Services
/// list (2022 columns `labellisation`, 2024 `labellisation_fs`: "Espace labellisé 01/07/2022").
/// Itinerant France Services do not stop anything and are left out. Rows whose date cannot
/// be read are returned as messages.
pub fn read_france_services_labellings(
    file: &str,
    text: &str,
    departement: &str,
) -> Result<(Vec<Labelling>, Vec<String>), InputError> {
    let mut headers = csv::StringRecord::new();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for row in rows(file, text, &mut headers)? {
        if row.get("insee_dep") != departement {
            continue;
        }
        // 2024 says "Itinérante" in `format_fs`; the 2022 list has no such value (its
        // `itinerance` column is "Oui" for fixed sites that also travel, like Grisolles), so
        // the purely itinerant ones are known by their names ("Bus France services …",
        // "France services départemental 82", "… itinérante …").
        let name = row.get("lib_fs").to_lowercase();
        if row.get("format_fs").starts_with("Itin")
            || name.contains("itinéran")
            || name.starts_with("bus ")
            || name.contains("départemental")
        {
            continue;
        }
        let label = match row.get("labellisation_fs") {
            "" => row.get("labellisation"),
            v => v,
        };
        let Some(date) = label.split_whitespace().last().and_then(parse_date) else {
            problems.push(format!(
                "{file}, ligne {} : date de labellisation « {label} » non comprise",
                row.line
            ));
            continue;
        };
        let address = [
            row.get("adresse"),
            row.get("code_postal"),
            row.get("lib_com"),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
        out.push(Labelling {
            code_insee: row.get("insee_com").to_string(),
            date,
            name: row.get("lib_fs").to_string(),
            address,
        });
    }
    Ok((out, problems))
}

/// The first labelling of each commune across several lists (a France Services listed in
/// 2022 and 2024 is one labelling, at its first date).
pub fn first_labelling_per_commune(lists: Vec<Vec<Labelling>>) -> Vec<Labelling> {
    let mut by_commune: std::collections::BTreeMap<String, Labelling> = Default::default();
    for l in lists.into_iter().flatten() {
        match by_commune.get(&l.code_insee) {
            Some(existing) if existing.date <= l.date => {}
            _ => {
                by_commune.insert(l.code_insee.clone(), l);
            }
        }
    }
    let mut v: Vec<Labelling> = by_commune.into_values().collect();
    v.sort_by(|a, b| (a.date, &a.code_insee).cmp(&(b.date, &b.code_insee)));
    v
}
