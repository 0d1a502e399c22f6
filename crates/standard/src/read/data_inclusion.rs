//! data·inclusion JSON (schema v1): structures and their services, one place per structure.
//!
//! data·inclusion publishes the social and inclusion offer as *structures* (where) and
//! *services* (what, for whom, how), linked by `structure_id`. The standard puts both on one
//! row, so a structure and its services become one place: the structure gives the name,
//! address, contacts and network (`reseaux_porteurs` → typology and national scheme), the
//! services give the standard's services (from `thematiques`, only where the correspondence is
//! honest), fees, publics and access modes, united over the structure's services.
//!
//! Accepted shapes: `{"structures": […], "services": […]}`; a bare array of structures; or
//! JSON lines, one structure or service per line (a service is told by its `structure_id`).
//! The correspondence tables are in `docs/sources.md`.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use maillage_model::{
    CommuneLookup, Dispositif, FormationLabel, Frais, ModaliteAcces, ModaliteAccompagnement, Place,
    Public, Service,
};
use serde_json::{Map, Value};

use super::source_fields::{code5, file_warning, text, RowCheck};
use super::ReadError;
use crate::decode::decode;
use crate::record::{Record, SourceFile};
use crate::report::Report;

/// data·inclusion thématiques → the standard's services. Only the digital ones have a
/// counterpart; « accompagnement aux démarches administratives » is the standard's
/// « Aide aux démarches administratives » whatever the channel.
pub const THEMATIQUES: &[(&str, Service)] = &[
    (
        "numerique--acceder-a-des-services-en-ligne",
        Service::AideDemarches,
    ),
    (
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        Service::AideDemarches,
    ),
    (
        "numerique--acceder-a-une-connexion-internet",
        Service::AccesInternet,
    ),
    (
        "numerique--acquerir-un-equipement",
        Service::AcquisitionMateriel,
    ),
    (
        "numerique--maitriser-les-fondamentaux-du-numerique",
        Service::MaitriseOutils,
    ),
];

/// `reseaux_porteurs` → typology code of the standard (data·inclusion v0 list).
pub const RESEAUX_TYPOLOGIE: &[(&str, &str)] = &[
    ("france-service", "RFS"),
    ("espaces-publics-numeriques", "EPN"),
    ("ccas-cias", "CCAS"),
    ("mission-locale", "ML"),
    ("mjc", "MJC"),
    ("caf", "CAF"),
    ("cpam", "CPAM"),
    ("la-poste", "LA_POSTE"),
    ("france-travail", "FT"),
    ("communes", "MUNI"),
    ("departements", "CD"),
    ("msap", "MSAP"),
    ("pimms-mediation", "PIMMS"),
    ("maisons-des-solidarites", "MDS"),
    ("mdph", "MDPH"),
    ("mutualite-sociale-agricole", "MSA"),
    ("ressourceries", "RESSOURCERIE"),
    ("reseau-information-jeunesse", "PIJ_BIJ"),
    ("maisons-de-l-emploi", "MDE"),
    ("ecoles-de-la-deuxieme-chance", "E2C"),
    ("epide", "EPIDE"),
    ("plie", "PLIE"),
    ("chrs", "CHRS"),
    ("cada", "CADA"),
];

/// `reseaux_porteurs` → national scheme of the standard.
pub const RESEAUX_DISPOSITIF: &[(&str, Dispositif)] = &[
    ("france-service", Dispositif::FranceServices),
    ("aidants-connect", Dispositif::AidantsConnect),
    ("conseillers-numeriques", Dispositif::ConseillersNumeriques),
    ("croix-rouge", Dispositif::CroixRouge),
    (
        "grandes-ecoles-du-numerique",
        Dispositif::GrandeEcoleNumerique,
    ),
];

/// Reads a data·inclusion file: one record per structure, with its services merged in.
pub fn read<R: Read>(
    mut input: R,
    file: &SourceFile,
    lookup: Option<&dyn CommuneLookup>,
    on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Unreadable(format!("lecture impossible : {e}")))?;
    let text_in = decode(&bytes).text;
    if text_in.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    let (structures, services) = split(&text_in)?;
    let mut report = Report::default();

    let mut by_structure: HashMap<String, Vec<Numbered>> = HashMap::new();
    let known: std::collections::HashSet<String> = structures
        .iter()
        .filter_map(|s| s.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    for (i, s) in services.into_iter().enumerate() {
        let sid = s
            .get("structure_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !known.contains(&sid) {
            file_warning(
                &mut report,
                Some("structure_id"),
                format!(
                    "service n° {} (« {} ») rattaché à une structure absente du fichier (« {sid} ») : ignoré",
                    i + 1,
                    s.get("nom").and_then(Value::as_str).unwrap_or("")
                ),
            );
            continue;
        }
        by_structure.entry(sid).or_default().push((i + 1, s));
    }

    for (i, s) in structures.into_iter().enumerate() {
        let line = i as u64 + 1;
        let mut check = RowCheck::import(line);
        let id = str_of(&s, "id");
        if id.is_empty() {
            check.error(
                "id",
                "",
                "identifiant de structure manquant : la ligne n'est pas importée",
            );
        }
        let services = by_structure.remove(&id).unwrap_or_default();
        let (place, extra) = map_structure(&s, &services, &mut check);
        let mut place = place;
        check.check_place(&mut place, lookup);
        if place.services.is_empty() {
            check.warn(
                "services",
                "",
                "aucun service du standard déduit des thématiques des services (le standard en demande au moins un)",
            );
        }
        report.rows += 1;
        let raw = Value::Object(s.clone()).to_string();
        check.finish(&mut report, file, id, place, extra, || raw, on_record);
    }
    Ok(report)
}

type Objects = Vec<Map<String, Value>>;

/// A service with its 1-based position in the file (for messages).
type Numbered = (usize, Map<String, Value>);

/// Finds structures and services in the accepted shapes.
fn split(text: &str) -> Result<(Objects, Objects), ReadError> {
    let objects = |v: Value, what: &str| -> Result<Objects, ReadError> {
        match v {
            Value::Array(a) => a
                .into_iter()
                .enumerate()
                .map(|(i, x)| match x {
                    Value::Object(o) => Ok(o),
                    _ => Err(ReadError::NotFormat {
                        expected: "data·inclusion",
                        detail: format!("l'élément {} de « {what} » n'est pas un objet", i + 1),
                    }),
                })
                .collect(),
            Value::Null => Ok(Vec::new()),
            _ => Err(ReadError::NotFormat {
                expected: "data·inclusion",
                detail: format!("« {what} » n'est pas une liste"),
            }),
        }
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut o)) if o.contains_key("structures") => {
            let st = objects(o.remove("structures").unwrap_or(Value::Null), "structures")?;
            let sv = objects(o.remove("services").unwrap_or(Value::Null), "services")?;
            Ok((st, sv))
        }
        Ok(v @ Value::Array(_)) => {
            let all = objects(v, "structures")?;
            Ok(all
                .into_iter()
                .partition(|o| !o.contains_key("structure_id")))
        }
        Ok(_) => Err(ReadError::NotFormat {
            expected: "data·inclusion",
            detail: "objet JSON sans clé « structures »".to_string(),
        }),
        Err(first_error) => {
            // JSON lines: one object per line.
            let mut all = Vec::new();
            for (n, l) in text.lines().enumerate() {
                if l.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(l) {
                    Ok(Value::Object(o)) => all.push(o),
                    _ => {
                        return Err(ReadError::Unreadable(format!(
                            "JSON illisible (ligne {}, colonne {}) : {first_error}{}",
                            first_error.line(),
                            first_error.column(),
                            if n > 0 {
                                " (ni JSON, ni JSON lines)"
                            } else {
                                ""
                            }
                        )))
                    }
                }
            }
            Ok(all
                .into_iter()
                .partition(|o| !o.contains_key("structure_id")))
        }
    }
}

fn str_of(o: &Map<String, Value>, k: &str) -> String {
    match o.get(k) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn list_of(o: &Map<String, Value>, k: &str) -> Vec<String> {
    match o.get(k) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn push<T: PartialEq>(list: &mut Vec<T>, v: T) {
    if !list.contains(&v) {
        list.push(v);
    }
}

/// Maps a structure and its services to a place.
fn map_structure(
    s: &Map<String, Value>,
    services: &[Numbered],
    check: &mut RowCheck,
) -> (Place, BTreeMap<String, String>) {
    let mut extra = BTreeMap::new();
    let mut place = Place {
        nom: str_of(s, "nom"),
        pivot: str_of(s, "siret"),
        commune: str_of(s, "commune"),
        code_postal: code5(&str_of(s, "code_postal")),
        code_insee: text(&str_of(s, "code_insee")).map(|c| code5(&c)),
        adresse: str_of(s, "adresse"),
        complement_adresse: text(&str_of(s, "complement_adresse")),
        presentation_detail: text(&str_of(s, "description")),
        fiche_acces_libre: text(&str_of(s, "accessibilite_lieu")),
        source: text(&str_of(s, "source")),
        ..Place::default()
    };
    let (lat, lon) = (str_of(s, "latitude"), str_of(s, "longitude"));
    check.set_position(&mut place, "latitude", &lat, &lon);
    check.phone(&mut place, "telephone", &str_of(s, "telephone"));
    check.emails(&mut place, "courriel", &str_of(s, "courriel"));
    if let Some(w) = text(&str_of(s, "site_web")) {
        place.site_web.push(w);
    }
    let date = str_of(s, "date_maj");
    if !date.is_empty() {
        match chrono::NaiveDate::parse_from_str(date.get(..10).unwrap_or(&date), "%Y-%m-%d") {
            Ok(d) => place.date_maj = Some(d),
            Err(_) => check.warn(
                "date_maj",
                &date,
                "date illisible (attendu AAAA-MM-JJ) : ignorée",
            ),
        }
    }
    set_hours(
        &mut place,
        check,
        "horaires_accueil",
        &str_of(s, "horaires_accueil"),
    );
    for r in list_of(s, "reseaux_porteurs") {
        let mut known = false;
        if let Some((_, t)) = RESEAUX_TYPOLOGIE.iter().find(|(k, _)| *k == r) {
            push(&mut place.typologie, t.to_string());
            known = true;
        }
        if let Some((_, d)) = RESEAUX_DISPOSITIF.iter().find(|(k, _)| *k == r) {
            push(&mut place.dispositif_programmes_nationaux, *d);
            known = true;
        }
        if r == "fabrique-de-territoire" {
            push(
                &mut place.formations_labels,
                FormationLabel::FabriquesDeTerritoire,
            );
            known = true;
        }
        if !known {
            extra
                .entry("reseaux_porteurs".to_string())
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(&r);
                })
                .or_insert(r);
        }
    }
    if let Some(l) = text(&str_of(s, "lien_source")) {
        extra.insert("lien_source".to_string(), l);
    }

    let mut names = Vec::new();
    for (n, sv) in services {
        let field = |k: &str| format!("services[{n}].{k}");
        names.push(str_of(sv, "nom"));
        for t in list_of(sv, "thematiques") {
            if let Some((_, svc)) = THEMATIQUES.iter().find(|(k, _)| *k == t) {
                push(&mut place.services, *svc);
            }
        }
        match str_of(sv, "frais").as_str() {
            "gratuit" => push(&mut place.frais_a_charge, Frais::Gratuit),
            "payant" => push(&mut place.frais_a_charge, Frais::Payant),
            "" => {}
            other => check.warn(
                &field("frais"),
                other,
                "frais inconnu du schéma data·inclusion : ignoré",
            ),
        }
        for p in list_of(sv, "publics") {
            let public = match p.as_str() {
                "jeunes" => Some(Public::Jeunes),
                "etudiants" => Some(Public::Etudiants),
                "familles" => Some(Public::Familles),
                "seniors" => Some(Public::Seniors),
                "femmes" => Some(Public::Femmes),
                _ => None,
            };
            if let Some(p) = public {
                push(&mut place.publics_specifiquement_adresses, p);
            }
        }
        for m in list_of(sv, "modes_accueil") {
            if m == "a-distance" {
                push(
                    &mut place.modalites_accompagnement,
                    ModaliteAccompagnement::ADistance,
                );
            }
        }
        match str_of(sv, "type").as_str() {
            "atelier" | "formation" => push(
                &mut place.modalites_accompagnement,
                ModaliteAccompagnement::AtelierCollectif,
            ),
            "accompagnement" => push(
                &mut place.modalites_accompagnement,
                ModaliteAccompagnement::Individuel,
            ),
            _ => {}
        }
        for m in list_of(sv, "modes_mobilisation") {
            match m.as_str() {
                "se-presenter" => push(&mut place.modalites_acces, ModaliteAcces::SePresenter),
                "telephoner" => push(&mut place.modalites_acces, ModaliteAcces::Telephoner),
                "envoyer-un-courriel" => {
                    push(&mut place.modalites_acces, ModaliteAcces::ContacterParMail)
                }
                "utiliser-lien-mobilisation" => {
                    if let Some(l) = text(&str_of(sv, "lien_mobilisation")) {
                        push(&mut place.modalites_acces, ModaliteAcces::RdvEnLigne);
                        if place.prise_rdv.is_none() {
                            place.prise_rdv = Some(l);
                        }
                    }
                }
                _ => {}
            }
        }
        if place.horaires.is_none() {
            set_hours(
                &mut place,
                check,
                &field("horaires_accueil"),
                &str_of(sv, "horaires_accueil"),
            );
        }
        if place.telephone.is_none() {
            check.phone(&mut place, &field("telephone"), &str_of(sv, "telephone"));
        }
    }
    if !names.is_empty() {
        extra.insert("services_data_inclusion".to_string(), names.join(" | "));
    }
    (place, extra)
}

fn set_hours(place: &mut Place, check: &mut RowCheck, field: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    match maillage_model::hours::parse(value) {
        Ok(_) => place.horaires = Some(value.to_string()),
        Err(e) => check.warn(
            field,
            value,
            format!("horaires invalides en syntaxe OSM ({e}) : ignorés"),
        ),
    }
}
