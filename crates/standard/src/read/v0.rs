//! The standard v0.1 (CSV with `;` between list values, and the JSON shape of the national
//! conseiller numérique list and of the ANCT's conversions), upgraded to v1.
//!
//! v0.1 has other lists than v1 (15 services written from the person's side, « Seul : j'ai
//! accès à du matériel… »). The upgrade follows the ANCT's own mapping (written in the shared
//! data README, from `mednum-cli`), extended where the ANCT has none:
//! - `publics_accueillis` is split between v1's `publics_specifiquement_adresses` (Seniors,
//!   Jeunes, Familles, Femmes) and `prise_en_charge_specifique` (Surdité, Déficience visuelle,
//!   Illettrisme, langues → « Langues étrangères (autres) », both « Handicaps psychiques » and
//!   « Handicaps mentaux » → « Handicaps mentaux »); « Adultes » has no v1 value and is left out.
//! - `labels_nationaux`: « Fabriques de Territoire » becomes a v1 `formations_labels` value;
//!   APTIC, Relais pôle emploi, French Tech and Campus connecté, which v1 has no value for,
//!   go to `autres_formations_labels` so that nothing is lost.
//! - « Accepte le Pass numérique » (a `conditions_acces` value) has no v1 field: it is kept in
//!   the record's extra facts (`pass_numerique`).
//!
//! The national file spells `conditions_access` [sic]; both spellings are read.

use std::collections::BTreeMap;

use maillage_model::{
    fold, Dispositif, FormationLabel, Frais, ModaliteAccompagnement, Place, PriseEnCharge, Public,
    Service,
};

use super::common::{split_list, Fields, RowCheck, RowEnv};
use super::standard_v1::{build_common, source_id, Built, Dialect};

/// The fields of v0.1 (schema v0.1.1), plus the national file's spelling `conditions_access`
/// and its `structureId`.
pub const FIELDS: [&str; 31] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "cle_ban",
    "typologie",
    "telephone",
    "courriel",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "structure_parente",
    "date_maj",
    "services",
    "publics_accueillis",
    "conditions_acces",
    "labels_nationaux",
    "labels_autres",
    "modalites_accompagnement",
    "accessibilite",
    "prise_rdv",
    "conditions_access",
    "structureId",
];

const REQUIRED: [&str; 8] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "adresse",
    "date_maj",
    "services",
];

/// The v0.1 dialect.
pub const V0: Dialect = Dialect {
    name: "standard v0.1",
    known: &FIELDS,
    required_import: &super::standard_v1::REQUIRED_FOR_IMPORT,
    required_validate: &REQUIRED,
    list_sep: ";",
    build: build_v0,
};

const SEP: [char; 1] = [';'];

/// The v1 service a v0.1 service becomes (v1 labels are accepted as they are).
pub fn service_v1(v0: &str) -> Option<Service> {
    let f = fold(v0);
    let s = match f.as_str() {
        "devenir autonome dans les demarches administratives"
        | "realiser des demarches administratives avec un accompagnement"
        | "accompagner les demarches de sante" => Service::AideDemarches,
        "prendre en main un smartphone ou une tablette"
        | "prendre en main un ordinateur"
        | "utiliser le numerique au quotidien" => Service::MaitriseOutils,
        "approfondir ma culture numerique" | "promouvoir la citoyennete numerique" => {
            Service::ComprehensionMonde
        }
        "favoriser mon insertion professionnelle" | "creer et developper mon entreprise" => {
            Service::InsertionPro
        }
        "acceder a une connexion internet" | "acceder a du materiel" => Service::AccesInternet,
        "s'equiper en materiel informatique" => Service::AcquisitionMateriel,
        "creer avec le numerique" => Service::Loisirs,
        "soutenir la parentalite et l'education avec le numerique" => Service::Parentalite,
        _ => return Service::from_label(v0),
    };
    Some(s)
}

/// The part of a v0.1 value before « : » (the values carry an explanation after it).
fn head(v: &str) -> String {
    fold(v.split(" :").next().unwrap_or(v))
}

/// What a v0.1 `publics_accueillis` value becomes in v1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PublicV1 {
    Public(Public),
    Support(PriseEnCharge),
    /// A known v0.1 value with no v1 equivalent (« Adultes »).
    Nothing,
}

pub fn public_v1(v0: &str) -> Option<PublicV1> {
    use PublicV1::*;
    Some(match head(v0).as_str() {
        "seniors (+ 65 ans)" | "seniors" => Public(maillage_model::Public::Seniors),
        "familles/enfants" => Public(maillage_model::Public::Familles),
        "jeunes (16-26 ans)" | "jeunes" => Public(maillage_model::Public::Jeunes),
        "uniquement femmes" => Public(maillage_model::Public::Femmes),
        "adultes" => Nothing,
        "public langues etrangeres" => Support(PriseEnCharge::LanguesAutres),
        "deficience visuelle" => Support(PriseEnCharge::DeficienceVisuelle),
        "surdite" => Support(PriseEnCharge::Surdite),
        "handicaps psychiques" | "handicaps mentaux" => Support(PriseEnCharge::HandicapsMentaux),
        "personnes en situation d'illettrisme" => Support(PriseEnCharge::Illettrisme),
        _ => {
            if let Some(p) = maillage_model::Public::from_label(v0) {
                Public(p)
            } else {
                Support(PriseEnCharge::from_label(v0)?)
            }
        }
    })
}

/// What a v0.1 `labels_nationaux` value becomes in v1.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelV1 {
    Dispositif(Dispositif),
    Formation(FormationLabel),
    /// No v1 value: kept as free text in `autres_formations_labels`.
    Other(&'static str),
}

pub fn label_v1(v0: &str) -> Option<LabelV1> {
    use LabelV1::*;
    Some(match fold(v0).as_str() {
        "cnfs" | "conseillers numeriques" => {
            Dispositif(maillage_model::Dispositif::ConseillersNumeriques)
        }
        "france services" => Dispositif(maillage_model::Dispositif::FranceServices),
        "aidants connect" => Dispositif(maillage_model::Dispositif::AidantsConnect),
        "point relais caf" | "point numerique caf" => {
            Dispositif(maillage_model::Dispositif::PointAccesCaf)
        }
        "grandes ecoles du numerique" => {
            Dispositif(maillage_model::Dispositif::GrandeEcoleNumerique)
        }
        "fabriques de territoire" => Formation(FormationLabel::FabriquesDeTerritoire),
        "aptic" => Other("APTIC"),
        "relais pole emploi" => Other("Relais pôle emploi"),
        "french tech" => Other("French Tech"),
        "campus connecte" => Other("Campus connecté"),
        _ => Dispositif(maillage_model::Dispositif::from_label(v0)?),
    })
}

/// What a v0.1 `conditions_acces` value becomes: a v1 fee, or the Pass numérique flag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConditionV1 {
    Frais(Frais),
    PassNumerique,
}

pub fn condition_v1(v0: &str) -> Option<ConditionV1> {
    Some(match head(v0).as_str() {
        "gratuit" => ConditionV1::Frais(Frais::Gratuit),
        "gratuit sous condition" => ConditionV1::Frais(Frais::GratuitSousCondition),
        "payant" | "adhesion" => ConditionV1::Frais(Frais::Payant),
        "accepte le pass numerique" => ConditionV1::PassNumerique,
        _ => ConditionV1::Frais(Frais::from_label(v0)?),
    })
}

/// What a v0.1 `modalites_accompagnement` value becomes.
pub fn accompagnement_v1(v0: &str) -> Option<ModaliteAccompagnement> {
    Some(match head(v0).as_str() {
        "seul" => ModaliteAccompagnement::EnAutonomie,
        "avec de l'aide" | "a ma place" => ModaliteAccompagnement::Individuel,
        "dans un atelier" => ModaliteAccompagnement::AtelierCollectif,
        _ => ModaliteAccompagnement::from_label(v0)?,
    })
}

/// Reads a v0.1 list value by value, reporting the unknown ones by name.
fn each<T>(
    row: &mut RowCheck,
    field: &str,
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
    mut keep: impl FnMut(T),
) {
    for v in split_list(raw, &SEP) {
        match parse(v) {
            Some(x) => keep(x),
            None => row.violation(
                field,
                v,
                format!("valeur « {v} » absente de la liste du standard v0.1 : ignorée"),
            ),
        }
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn build_v0(env: &RowEnv, row: &mut RowCheck, f: &Fields) -> Built {
    let mut place = Place::default();
    let mut extra = BTreeMap::new();
    let (source_id, id_from_file) = source_id(row, f);
    build_common(env, row, f, &mut place);
    place.typologie = row.typologie("typologie", f.get("typologie"), &SEP);
    place.courriels = row.courriels("courriel", f.get("courriel"));
    place.site_web = row.urls("site_web", f.get("site_web"), &SEP);
    place.fiche_acces_libre = row.url("accessibilite", f.get("accessibilite"));

    let services = f.get("services");
    if services.is_empty() {
        row.violation("services", "", "services absents (obligatoires en v0.1)");
    }
    each(row, "services", services, service_v1, |s| {
        push_unique(&mut place.services, s)
    });
    each(
        row,
        "publics_accueillis",
        f.get("publics_accueillis"),
        public_v1,
        |p| match p {
            PublicV1::Public(p) => push_unique(&mut place.publics_specifiquement_adresses, p),
            PublicV1::Support(s) => push_unique(&mut place.prise_en_charge_specifique, s),
            PublicV1::Nothing => {}
        },
    );
    let (cond_field, conditions) = f.get_any(&["conditions_acces", "conditions_access"]);
    each(row, cond_field, conditions, condition_v1, |c| match c {
        ConditionV1::Frais(fr) => push_unique(&mut place.frais_a_charge, fr),
        ConditionV1::PassNumerique => {
            extra.insert("pass_numerique".to_string(), "oui".to_string());
        }
    });
    each(
        row,
        "labels_nationaux",
        f.get("labels_nationaux"),
        label_v1,
        |l| match l {
            LabelV1::Dispositif(d) => push_unique(&mut place.dispositif_programmes_nationaux, d),
            LabelV1::Formation(fl) => push_unique(&mut place.formations_labels, fl),
            LabelV1::Other(o) => push_unique(&mut place.autres_formations_labels, o.to_string()),
        },
    );
    for l in split_list(f.get("labels_autres"), &SEP) {
        match FormationLabel::from_label(l) {
            Some(fl) => push_unique(&mut place.formations_labels, fl),
            None => push_unique(&mut place.autres_formations_labels, l.to_string()),
        }
    }
    each(
        row,
        "modalites_accompagnement",
        f.get("modalites_accompagnement"),
        accompagnement_v1,
        |m| push_unique(&mut place.modalites_accompagnement, m),
    );
    for key in ["cle_ban", "structureId"] {
        let v = f.get(key);
        if !v.is_empty() {
            extra.insert(key.to_string(), v.to_string());
        }
    }
    Built {
        place,
        source_id,
        id_from_file,
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_v0_list_value_of_the_schema_maps_to_v1() {
        let dir = std::env::var_os("MAILLAGE_SHARED_DATA")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
            });
        let text = std::fs::read_to_string(dir.join("standard-mediation-num/schema-v0.1.1.json"))
            .expect("the shared data is beside the repository (or MAILLAGE_SHARED_DATA is set)");
        let schema: serde_json::Value = serde_json::from_str(&text).expect("schema v0.1.1 is JSON");
        let fields = schema["fields"].as_array().expect("fields");
        let values = |name: &str| -> Vec<String> {
            let f = fields
                .iter()
                .find(|f| f["name"] == name)
                .expect("field in schema");
            let pattern = f["constraints"]["pattern"].as_str().expect("pattern");
            let inner = pattern
                .trim_start_matches("(?:(?:^|;)(")
                .trim_end_matches("))+$");
            inner
                .split('|')
                .map(|v| {
                    v.replace("\\(", "(")
                        .replace("\\)", ")")
                        .replace("\\+", "+")
                        .replace("\\.", ".")
                })
                .collect()
        };
        for v in values("services") {
            assert!(service_v1(&v).is_some(), "service {v}");
        }
        for v in values("publics_accueillis") {
            assert!(public_v1(&v).is_some(), "public {v}");
        }
        for v in values("conditions_acces") {
            assert!(condition_v1(&v).is_some(), "condition {v}");
        }
        for v in values("labels_nationaux") {
            assert!(label_v1(&v).is_some(), "label {v}");
        }
        for v in values("modalites_accompagnement") {
            assert!(accompagnement_v1(&v).is_some(), "modalité {v}");
        }
    }
}
