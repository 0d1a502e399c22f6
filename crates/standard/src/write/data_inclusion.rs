//! data·inclusion v1 export: each place becomes one *structure* and one *service* per service
//! of the standard it offers.
//!
//! data·inclusion is where social workers' tools (DORA, the national directory…) read the
//! offer, so the département's places must land there without a second typing. The v1 lists
//! are coarser than the standard's (two `frais` values, no "free under conditions"; thématiques
//! that are not about digital skills only), so every mapping below is the honest one: when the
//! standard says something v1 cannot say, the value goes to a `…_precisions` text field or is
//! left null, never stretched. The table is in `docs/export.md`.

use std::io::{self, Write};

use maillage_model::{
    check_siret, is_code_insee, is_code_postal, Dispositif, FormationLabel, Frais, ModaliteAcces,
    ModaliteAccompagnement, Place, PriseEnCharge, Public, Service, SiretCheck,
};
use serde_json::{json, Map, Value};

use super::{number, ExportOptions};

/// Options of the data·inclusion export.
#[derive(Debug, Clone)]
pub struct DataInclusionExport {
    pub options: ExportOptions,
    /// `source` written when a place has none (data·inclusion requires it).
    pub default_source: String,
}

impl Default for DataInclusionExport {
    fn default() -> Self {
        DataInclusionExport {
            options: ExportOptions::default(),
            default_source: "maillage".to_string(),
        }
    }
}

/// Writes `{"structures":[…],"services":[…]}` for the places.
pub fn write_data_inclusion<W: Write>(places: &[Place], w: W) -> io::Result<()> {
    write_data_inclusion_with(places, w, &DataInclusionExport::default())
}

/// [`write_data_inclusion`] with explicit options.
pub fn write_data_inclusion_with<W: Write>(
    places: &[Place],
    mut w: W,
    export: &DataInclusionExport,
) -> io::Result<()> {
    w.write_all(b"{\"structures\":[")?;
    for (i, place) in places.iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut w, &structure(place, export))?;
    }
    w.write_all(b"\n],\"services\":[")?;
    let mut first = true;
    for place in places {
        for service in &place.services {
            w.write_all(if first { b"\n" } else { b",\n" })?;
            first = false;
            serde_json::to_writer(&mut w, &service_object(place, *service, export))?;
        }
    }
    w.write_all(b"\n]}\n")?;
    w.flush()
}

/// The data·inclusion structure of a place.
pub fn structure(place: &Place, export: &DataInclusionExport) -> Value {
    let mut s = Map::new();
    s.insert("id".into(), json!(place.id));
    s.insert("source".into(), json!(source(place, export)));
    s.insert("nom".into(), json!(nom(&place.nom)));
    s.insert("date_maj".into(), json!(date_maj(place, export)));
    let siret = maillage_model::siret::normalize_siret(&place.pivot);
    if check_siret(&siret) == SiretCheck::Valid {
        s.insert("siret".into(), json!(siret));
    }
    address_fields(place, &mut s);
    contact_fields(place, &mut s);
    if let Some(url) = place.site_web.iter().find_map(|u| uri(u)) {
        s.insert("site_web".into(), json!(url));
    }
    if let Some(d) = description(place) {
        s.insert("description".into(), json!(d));
    }
    if let Some(h) = super::osm_hours(place) {
        s.insert("horaires_accueil".into(), json!(h));
    }
    if let Some(url) = place.fiche_acces_libre.as_deref().and_then(uri) {
        s.insert("accessibilite_lieu".into(), json!(url));
    }
    let reseaux = reseaux_porteurs(place);
    if !reseaux.is_empty() {
        s.insert("reseaux_porteurs".into(), json!(reseaux));
    }
    Value::Object(s)
}

/// The data·inclusion service for one standard service of a place.
pub fn service_object(place: &Place, service: Service, export: &DataInclusionExport) -> Value {
    let mut s = Map::new();
    s.insert(
        "id".into(),
        json!(format!("{}--{}", place.id, service_slug(service))),
    );
    s.insert("structure_id".into(), json!(place.id));
    s.insert("source".into(), json!(source(place, export)));
    s.insert("nom".into(), json!(nom(service.label())));
    s.insert(
        "description".into(),
        json!(service_description(place, service)),
    );
    s.insert("date_maj".into(), json!(date_maj(place, export)));
    s.insert("thematiques".into(), json!(thematiques(service)));
    s.insert("type".into(), json!(type_service(place, service)));
    let (frais, precisions) = frais(&place.frais_a_charge);
    if let Some(f) = frais {
        s.insert("frais".into(), json!(f));
    }
    if let Some(p) = precisions {
        s.insert("frais_precisions".into(), json!(p));
    }
    let (publics, precisions) = publics(place);
    s.insert("publics".into(), json!(publics));
    if let Some(p) = precisions {
        s.insert("publics_precisions".into(), json!(p));
    }
    s.insert("modes_accueil".into(), json!(modes_accueil(place)));
    let lien = place.prise_rdv.as_deref().and_then(uri);
    let mobilisation = modes_mobilisation(place, lien.is_some());
    if !mobilisation.is_empty() {
        s.insert("modes_mobilisation".into(), json!(mobilisation));
    }
    if let Some(l) = lien {
        s.insert("lien_mobilisation".into(), json!(l));
    }
    s.insert("mobilisable_par".into(), json!(mobilisable_par(place)));
    address_fields(place, &mut s);
    contact_fields(place, &mut s);
    if let Some(h) = super::osm_hours(place) {
        s.insert("horaires_accueil".into(), json!(h));
    }
    Value::Object(s)
}

fn source(place: &Place, export: &DataInclusionExport) -> String {
    non_empty(&place.source)
        .map(str::to_string)
        .unwrap_or_else(|| export.default_source.clone())
}

fn date_maj(place: &Place, export: &DataInclusionExport) -> String {
    place
        .date_maj
        .unwrap_or(export.options.fallback_date)
        .format("%Y-%m-%d")
        .to_string()
}

/// data·inclusion wants 3 to 150 characters.
fn nom(raw: &str) -> String {
    let t = raw.trim();
    let n = t.chars().count();
    if n > 150 {
        let mut s: String = t.chars().take(149).collect();
        s.push('…');
        s
    } else if n < 3 {
        format!("Lieu {t}").trim().to_string()
    } else {
        t.to_string()
    }
}

fn address_fields(place: &Place, s: &mut Map<String, Value>) {
    if !place.adresse.trim().is_empty() {
        s.insert("adresse".into(), json!(place.adresse.trim()));
    }
    if let Some(c) = non_empty(&place.complement_adresse) {
        s.insert("complement_adresse".into(), json!(c));
    }
    if !place.commune.trim().is_empty() {
        s.insert("commune".into(), json!(place.commune.trim()));
    }
    if is_code_postal(place.code_postal.trim()) {
        s.insert("code_postal".into(), json!(place.code_postal.trim()));
    }
    if let Some(c) = place.code_insee.as_deref().filter(|c| is_code_insee(c)) {
        s.insert("code_insee".into(), json!(c));
    }
    if let Some(p) = super::position(place) {
        s.insert("latitude".into(), number(p.lat));
        s.insert("longitude".into(), number(p.lon));
    }
}

fn contact_fields(place: &Place, s: &mut Map<String, Value>) {
    if let Some(t) = non_empty(&place.telephone) {
        s.insert("telephone".into(), json!(t));
    }
    if let Some(c) = place
        .courriels
        .iter()
        .map(|c| c.trim())
        .find(|c| is_email(c))
    {
        s.insert("courriel".into(), json!(c));
    }
}

/// The structure's description: the detailed presentation, else the short one (5 to 10,000
/// characters, as data·inclusion requires; shorter texts are left out).
fn description(place: &Place) -> Option<String> {
    let text = non_empty(&place.presentation_detail).or(non_empty(&place.presentation_resume))?;
    let n = text.chars().count();
    if n < 5 {
        return None;
    }
    Some(if n > 10_000 {
        let mut s: String = text.chars().take(9_999).collect();
        s.push('…');
        s
    } else {
        text.to_string()
    })
}

/// A service's description is required: the service's own wording plus the place's short
/// presentation when there is one.
fn service_description(place: &Place, service: Service) -> String {
    let what = match service {
        Service::AideDemarches => "Aide pour faire ses démarches administratives en ligne",
        Service::MaitriseOutils => {
            "Apprendre à se servir des outils numériques du quotidien (ordinateur, smartphone, tablette)"
        }
        Service::InsertionPro => "Utiliser le numérique pour sa recherche d'emploi ou son projet professionnel",
        Service::UtilisationSecurisee => "Utiliser le numérique en sécurité (mots de passe, arnaques, données personnelles)",
        Service::Parentalite => "Accompagner ses enfants dans leurs usages numériques",
        Service::Loisirs => "Loisirs et créations numériques",
        Service::ComprehensionMonde => "Comprendre le monde numérique et ses enjeux",
        Service::AccesInternet => "Accès à internet et à du matériel informatique",
        Service::AcquisitionMateriel => "Acquérir du matériel informatique à prix solidaire",
    };
    let mut d = format!("{what} ({}).", place.nom.trim());
    if let Some(r) = non_empty(&place.presentation_resume) {
        d.push(' ');
        d.push_str(r);
    }
    let n = d.chars().count();
    if n > 10_000 {
        d = d.chars().take(9_999).collect();
        d.push('…');
    }
    d
}

fn service_slug(service: Service) -> &'static str {
    match service {
        Service::AideDemarches => "aide-demarches",
        Service::MaitriseOutils => "maitrise-outils",
        Service::InsertionPro => "insertion-pro",
        Service::UtilisationSecurisee => "utilisation-securisee",
        Service::Parentalite => "parentalite",
        Service::Loisirs => "loisirs-creations",
        Service::ComprehensionMonde => "comprehension-monde",
        Service::AccesInternet => "acces-internet-materiel",
        Service::AcquisitionMateriel => "acquisition-materiel",
    }
}

/// Standard service → data·inclusion v1 thématiques (docs/export.md has the reasons).
pub fn thematiques(service: Service) -> Vec<&'static str> {
    match service {
        Service::AideDemarches => vec![
            "numerique--acceder-a-des-services-en-ligne",
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        ],
        Service::MaitriseOutils
        | Service::UtilisationSecurisee
        | Service::ComprehensionMonde => {
            vec!["numerique--maitriser-les-fondamentaux-du-numerique"]
        }
        Service::InsertionPro => vec![
            "numerique--maitriser-les-fondamentaux-du-numerique",
            "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
        ],
        Service::Parentalite => vec!["famille--soutien-a-la-parentalite-et-a-leducation"],
        Service::Loisirs => vec![
            "numerique--maitriser-les-fondamentaux-du-numerique",
            "remobilisation--activites-sportives-et-culturelles",
        ],
        Service::AccesInternet => vec!["numerique--acceder-a-une-connexion-internet"],
        Service::AcquisitionMateriel => vec!["numerique--acquerir-un-equipement"],
    }
}

/// data·inclusion's service type: equipment is material help; the rest is accompaniment,
/// or a workshop when the place only helps in collective workshops.
fn type_service(place: &Place, service: Service) -> &'static str {
    match service {
        Service::AccesInternet | Service::AcquisitionMateriel => "aide-materielle",
        _ if place.modalites_accompagnement == [ModaliteAccompagnement::AtelierCollectif] => {
            "atelier"
        }
        _ => "accompagnement",
    }
}

/// v1 has only `gratuit` and `payant`. "Gratuit sous condition" is neither: it is said in
/// `frais_precisions` and `frais` stays null unless the place also states plain values.
fn frais(values: &[Frais]) -> (Option<&'static str>, Option<String>) {
    if values.is_empty() {
        return (None, None);
    }
    let frais = if values.contains(&Frais::Payant) {
        Some("payant")
    } else if values.iter().all(|f| *f == Frais::Gratuit) {
        Some("gratuit")
    } else {
        None
    };
    let precisions =
        (values.len() > 1 || values.contains(&Frais::GratuitSousCondition)).then(|| {
            values
                .iter()
                .map(|f| f.label())
                .collect::<Vec<_>>()
                .join(", ")
        });
    (frais, precisions)
}

/// The standard's *publics spécifiquement adressés* are an emphasis, not a restriction; an
/// empty list means everyone. Specific support for disabilities maps to the v1 public;
/// illiteracy and languages have no v1 public and go to `publics_precisions`.
fn publics(place: &Place) -> (Vec<&'static str>, Option<String>) {
    let mut out: Vec<&'static str> = Vec::new();
    for p in &place.publics_specifiquement_adresses {
        let v = match p {
            Public::Jeunes => "jeunes",
            Public::Etudiants => "etudiants",
            Public::Familles => "familles",
            Public::Seniors => "seniors",
            Public::Femmes => "femmes",
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    let handicap = place.prise_en_charge_specifique.iter().any(|p| {
        matches!(
            p,
            PriseEnCharge::Surdite
                | PriseEnCharge::HandicapsMoteurs
                | PriseEnCharge::HandicapsMentaux
                | PriseEnCharge::DeficienceVisuelle
        )
    });
    if handicap {
        out.push("personnes-en-situation-de-handicap");
    }
    if out.is_empty() {
        out.push("tous-publics");
    }
    let precisions = (!place.prise_en_charge_specifique.is_empty()).then(|| {
        format!(
            "Prise en charge spécifique : {}",
            place
                .prise_en_charge_specifique
                .iter()
                .map(|p| p.label())
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    (out, precisions)
}

fn modes_accueil(place: &Place) -> Vec<&'static str> {
    let mut out = Vec::new();
    let no_public = place.modalites_acces.contains(&ModaliteAcces::PasDePublic);
    let remote_only = place.modalites_accompagnement == [ModaliteAccompagnement::ADistance];
    if !no_public && !remote_only {
        out.push("en-presentiel");
    }
    if place
        .modalites_accompagnement
        .contains(&ModaliteAccompagnement::ADistance)
    {
        out.push("a-distance");
    }
    out
}

fn modes_mobilisation(place: &Place, has_link: bool) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for m in &place.modalites_acces {
        let v = match m {
            ModaliteAcces::SePresenter => Some("se-presenter"),
            ModaliteAcces::Telephoner => Some("telephoner"),
            ModaliteAcces::ContacterParMail | ModaliteAcces::FicheDePrescription => {
                Some("envoyer-un-courriel")
            }
            ModaliteAcces::RdvEnLigne if has_link => Some("utiliser-lien-mobilisation"),
            _ => None,
        };
        if let Some(v) = v {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

fn mobilisable_par(place: &Place) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !place.modalites_acces.contains(&ModaliteAcces::PasDePublic) {
        out.push("usagers");
    }
    if place
        .modalites_acces
        .contains(&ModaliteAcces::FicheDePrescription)
        || place.modalites_acces.contains(&ModaliteAcces::PasDePublic)
    {
        out.push("professionnels");
    }
    out
}

/// National schemes and typologies → data·inclusion `reseaux_porteurs`, only where the
/// network is the same thing (a *Point d'accès numérique CAF* is hosted by a partner, not run
/// by the CAF network, so it maps to nothing).
pub fn reseaux_porteurs(place: &Place) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let mut add = |v: &'static str| {
        if !out.contains(&v) {
            out.push(v);
        }
    };
    for d in &place.dispositif_programmes_nationaux {
        match d {
            Dispositif::AidantsConnect => add("aidants-connect"),
            Dispositif::ConseillersNumeriques => add("conseillers-numeriques"),
            Dispositif::FranceServices => add("france-service"),
            Dispositif::EmmausConnect | Dispositif::RelaisNumeriqueEmmaus => add("emmaus"),
            Dispositif::CroixRouge => add("croix-rouge"),
            Dispositif::GrandeEcoleNumerique => add("grandes-ecoles-du-numerique"),
            _ => {}
        }
    }
    if place
        .formations_labels
        .contains(&FormationLabel::FabriquesDeTerritoire)
    {
        add("fabrique-de-territoire");
    }
    for t in &place.typologie {
        if let Some(v) = typologie_reseau(t.trim()) {
            add(v);
        }
    }
    out
}

fn typologie_reseau(code: &str) -> Option<&'static str> {
    Some(match code {
        "EPN" => "espaces-publics-numeriques",
        "CCAS" | "CIAS" => "ccas-cias",
        "MUNI" => "communes",
        "RFS" => "france-service",
        "MSAP" => "msap",
        "PIMMS" => "pimms-mediation",
        "ML" => "mission-locale",
        "MJC" => "mjc",
        "CAF" => "caf",
        "CPAM" => "cpam",
        "MSA" => "mutualite-sociale-agricole",
        "FT" => "france-travail",
        "LA_POSTE" => "la-poste",
        "CD" | "DEPT" => "departements",
        "REG" => "regions",
        "MDS" => "maisons-des-solidarites",
        "MDPH" => "mdph",
        "E2C" => "ecoles-de-la-deuxieme-chance",
        "EPIDE" => "epide",
        "CHRS" => "chrs",
        "CHU" => "chu",
        "CADA" => "cada",
        "HUDA" => "huda",
        "CPH" => "cph",
        "CAARUD" => "caarud",
        "CSAPA" => "csapa",
        "CMP" => "cmp",
        "CMS" => "cms",
        "CIDFF" => "cidff",
        "PJJ" => "pjj",
        "SPIP" => "spip",
        "PLIE" => "plie",
        "MDE" | "MDEF" => "maisons-de-l-emploi",
        "RS_FJT" => "residences-fjt",
        "RESSOURCERIE" => "ressourceries",
        "GEIQ" => "geiq",
        "AI" => "ai",
        "ACI" => "aci",
        "EI" => "ei",
        "ETTI" => "etti",
        "EITI" => "eiti",
        "EA" => "ea",
        "EATT" => "eatt",
        "CAP_EMPLOI" => "cap-emploi-reseau-cheops",
        "AFPA" => "afpa",
        "CAVA" => "cava",
        "ASE" => "ase",
        "AVIP" => "creches-avip",
        "PIJ_BIJ" => "reseau-information-jeunesse",
        "ODC" => "delegataire-conseil-departemental",
        "CCONS" => "chambres-consulaires",
        _ => return None,
    })
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn is_email(s: &str) -> bool {
    let Some((user, domain)) = s.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && domain.contains('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"' | ','))
}

/// A web address as an absolute `http(s)` URI (what `format: uri` accepts), adding
/// `https://` to a bare domain; anything else (spaces, text) is left out.
fn uri(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty()
        || t.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
        })
    {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let url = if lower.starts_with("http://") || lower.starts_with("https://") {
        t.to_string()
    } else if !t.contains("://") && t.contains('.') && !t.starts_with('.') && !t.contains('@') {
        format!("https://{t}")
    } else {
        return None;
    };
    let host = url.split("://").nth(1).unwrap_or("");
    let host = host.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || !host.contains('.') || url.len() > 2083 {
        return None;
    }
    // Non-ASCII characters are legal in an IRI, not in a URI: percent-encode them.
    Some(
        url.chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    let mut buf = [0u8; 4];
                    c.encode_utf8(&mut buf)
                        .bytes()
                        .map(|b| format!("%{b:02X}"))
                        .collect()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_under_condition_is_not_called_free() {
        assert_eq!(frais(&[Frais::Gratuit]), (Some("gratuit"), None));
        let (f, p) = frais(&[Frais::GratuitSousCondition]);
        assert_eq!(f, None);
        assert_eq!(p.as_deref(), Some("Gratuit sous condition"));
        assert_eq!(frais(&[Frais::Gratuit, Frais::Payant]).0, Some("payant"));
    }

    #[test]
    fn uris_are_absolute_or_absent() {
        assert_eq!(
            uri("www.mairie.fr").as_deref(),
            Some("https://www.mairie.fr")
        );
        assert_eq!(
            uri("https://a.fr/é").as_deref(),
            Some("https://a.fr/%C3%A9")
        );
        assert_eq!(uri("voir facebook"), None);
        assert_eq!(uri("contact@mairie.fr"), None);
    }
}
