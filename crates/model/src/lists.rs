//! The closed value lists of the standard (v1.0.1, plus the v1.0.2 label), as enums.
//!
//! Each enum serialises to, and parses from, the exact French label of the standard, because
//! that label is the value that crosses the boundary (CSV, JSON, API). `from_label` is lenient
//! on case, accents and surrounding spaces so that hand-typed sources still match; `label` is
//! always the canonical spelling.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Labels are compared folded (case, accents, spaces, apostrophes): see [`crate::text`].
pub use crate::text::fold;

/// Declares one closed list: an enum, its canonical labels, `ALL`, `label()`, `from_label()`,
/// and serde as the label.
macro_rules! closed_list {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the standard's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical label of the standard.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Parses a label, leniently on case, accents and spacing.
            pub fn from_label(s: &str) -> Option<Self> {
                let f = fold(s);
                $name::ALL.iter().copied().find(|v| fold(v.label()) == f)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                Self::from_label(s).ok_or_else(|| UnknownValue {
                    list: stringify!($name),
                    value: s.to_string(),
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.label())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A value that is not in one of the standard's closed lists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("« {value} » n'est pas une valeur de la liste {list}")]
pub struct UnknownValue {
    pub list: &'static str,
    pub value: String,
}

closed_list!(
    /// `services`: what a place offers.
    Service {
        AideDemarches => "Aide aux démarches administratives",
        MaitriseOutils => "Maîtrise des outils numériques du quotidien",
        InsertionPro => "Insertion professionnelle via le numérique",
        UtilisationSecurisee => "Utilisation sécurisée du numérique",
        Parentalite => "Parentalité et éducation avec le numérique",
        Loisirs => "Loisirs et créations numériques",
        ComprehensionMonde => "Compréhension du monde numérique",
        AccesInternet => "Accès internet et matériel informatique",
        AcquisitionMateriel => "Acquisition de matériel informatique à prix solidaire",
    }
);

closed_list!(
    /// `publics_specifiquement_adresses`.
    Public {
        Jeunes => "Jeunes",
        Etudiants => "Étudiants",
        Familles => "Familles et/ou enfants",
        Seniors => "Seniors",
        Femmes => "Femmes",
    }
);

closed_list!(
    /// `prise_en_charge_specifique`: specific support (disabilities, languages…).
    PriseEnCharge {
        Surdite => "Surdité",
        HandicapsMoteurs => "Handicaps moteurs",
        HandicapsMentaux => "Handicaps mentaux",
        Illettrisme => "Illettrisme",
        LanguesAnglais => "Langues étrangères (anglais)",
        LanguesAutres => "Langues étrangères (autres)",
        DeficienceVisuelle => "Déficience visuelle",
    }
);

closed_list!(
    /// `frais_a_charge`: what the person pays.
    Frais {
        Gratuit => "Gratuit",
        GratuitSousCondition => "Gratuit sous condition",
        Payant => "Payant",
    }
);

closed_list!(
    /// `dispositif_programmes_nationaux`: national schemes the place belongs to.
    Dispositif {
        AidantsConnect => "Aidants Connect",
        BibliothequesNumeriqueReference => "Bibliothèques numérique de référence",
        CertificationPix => "Certification PIX",
        ConseillersNumeriques => "Conseillers numériques",
        EmmausConnect => "Emmaüs Connect",
        FranceServices => "France Services",
        GrandeEcoleNumerique => "Grande école du numérique",
        CroixRouge => "La Croix Rouge",
        PointAccesCaf => "Point d'accès numérique CAF",
        PromeneursDuNet => "Promeneurs du net",
        RelaisNumeriqueEmmaus => "Relais numérique (Emmaüs Connect)",
    }
);

closed_list!(
    /// `formations_labels` (v1.0.2 adds « Étapes numériques (La Poste) »).
    FormationLabel {
        MonEspaceSante => "Formé à « Mon Espace Santé »",
        Duplex => "Formé à « DUPLEX » (illettrisme)",
        ArniaMednumBfc => "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        CollectifReemploiNormandie => "Collectif ressources et acteurs réemploi (Normandie)",
        FabriquesDeTerritoire => "Fabriques de Territoire",
        EclaireursDrome => "Les Éclaireurs du numérique (Drôme)",
        MesPapiersLyon => "Mes Papiers (Métropole de Lyon)",
        Ordi30 => "ORDI 3.0",
        SudLabs => "SUD LABS (PACA)",
        EtapesNumeriquesLaPoste => "Étapes numériques(La Poste)",
    }
);

impl FormationLabel {
    /// Labels that exist only in v1.0.2 and must be left out of a v1.0.1 export.
    pub fn only_in_v1_0_2(self) -> bool {
        matches!(self, FormationLabel::EtapesNumeriquesLaPoste)
    }
}

closed_list!(
    /// `modalites_acces`: how to get in touch or come.
    ModaliteAcces {
        SePresenter => "Se présenter",
        Telephoner => "Téléphoner",
        ContacterParMail => "Contacter par mail",
        RdvEnLigne => "Prendre un RDV en ligne",
        PasDePublic => "Ce lieu n'accueille pas de public",
        FicheDePrescription => "Envoyer un mail avec une fiche de prescription",
    }
);

closed_list!(
    /// `modalites_accompagnement`: how a person is helped.
    ModaliteAccompagnement {
        EnAutonomie => "En autonomie",
        Individuel => "Accompagnement individuel",
        AtelierCollectif => "Dans un atelier collectif",
        ADistance => "À distance",
    }
);

closed_list!(
    /// `itinerance`: fixed place or itinerant stop.
    Itinerance {
        Itinerant => "Itinérant",
        Fixe => "Fixe",
    }
);

/// The data·inclusion structure typologies (v0 list) that the standard's `typologie` refers to.
pub const TYPOLOGIES: &[(&str, &str)] = &[
    (
        "ACI",
        "Structures porteuses d’ateliers et chantiers d’insertion",
    ),
    (
        "ACIPHC",
        "SIAE — Atelier chantier d’insertion premières heures en chantier",
    ),
    (
        "AFPA",
        "Agence nationale pour la formation professionnelle des adultes",
    ),
    ("AI", "Associations intermédiaires"),
    ("ASE", "Aide sociale à l’enfance"),
    ("ASSO", "Associations"),
    ("ASSO_CHOMEUR", "Associations de chômeurs"),
    ("AVIP", "Crèche À Vocation d’Insertion Professionnelle"),
    ("Autre", "Autre"),
    ("BIB", "Bibliothèque / Médiathèque"),
    ("CAARUD", "CAARUD"),
    ("CADA", "Centres d’accueil de demandeurs d’asile"),
    ("CAF", "Caisses d’allocation familiale"),
    ("CAP_EMPLOI", "Cap Emploi"),
    ("CAVA", "Centres d’adaptation à la vie active"),
    ("CC", "Communautés de Commune"),
    ("CCAS", "Centres communaux d’action sociale"),
    ("CCONS", "Chambres consulaires"),
    ("CD", "Conseils Départementaux"),
    ("CDAS", "Centre départemental d’action sociale"),
    ("CFP", "Centre des finances publiques"),
    ("CHRS", "Centres d’hébergement et de réinsertion sociale"),
    ("CHU", "Centres d’hébergement d’urgence"),
    ("CIAS", "Centres intercommunaux d’action sociale"),
    (
        "CIDFF",
        "Centres d’information sur les droits des femmes et des familles",
    ),
    ("CITMET", "Cité des métiers"),
    ("CMP", "Centre Médico Psychologique"),
    ("CMS", "Centre médico-social"),
    ("CPAM", "Caisse primaire d’assurance maladie"),
    ("CPH", "Centres provisoires d’hébergement"),
    ("CS", "Centre social"),
    ("CSAPA", "CSAPA"),
    ("CSC", "Centre socio-culturel"),
    ("DEETS", "DEETS"),
    ("DEPT", "Services sociaux du Conseil départemental"),
    (
        "DIPLP",
        "Délégation interministérielle à la prévention et à la lutte contre la pauvreté",
    ),
    ("E2C", "École de la deuxième chance"),
    ("EA", "Entreprise adaptée"),
    ("EATT", "Entreprise Adaptée de Travail Temporaire"),
    ("EI", "Entreprises d’insertion"),
    ("EITI", "Entreprises d’insertion par le travail indépendant"),
    ("ENM", "École nationale de la magistrature"),
    ("EPCI", "Intercommunalité (EPCI)"),
    ("EPI", "Espace public internet"),
    ("EPIDE", "EPIDE"),
    ("EPN", "Espace public numérique"),
    ("ES", "Épicerie solidaire"),
    ("ESS", "Entreprise de l’économie sociale et solidaire"),
    ("ETABL_PRI", "Établissement privé"),
    ("ETABL_PUB", "Établissement public"),
    ("ETAT", "Services de l’État"),
    ("ETTI", "Entreprises de travail temporaire d’insertion"),
    ("EVS", "Espace de vie sociale"),
    ("FABLAB", "Fablab"),
    ("FAIS", "Fédérations d’associations intermédiaires"),
    ("FT", "France Travail"),
    (
        "GEIQ",
        "Groupements d’employeurs pour l’insertion et la qualification",
    ),
    ("HUDA", "Hébergement d’urgence pour demandeurs d’asile"),
    ("LA_POSTE", "La Poste"),
    ("MDE", "Maison de l’emploi"),
    ("MDEF", "Maison de l’emploi et de la formation"),
    ("MDPH", "Maison départementale des personnes handicapées"),
    ("MDS", "Maison départementale des solidarités"),
    ("MJC", "Maison des jeunes et de la culture"),
    ("ML", "Mission locale"),
    ("MQ", "Maison de quartier"),
    ("MSA", "Mutualité sociale agricole"),
    ("MSAP", "Maison de services au public"),
    ("MUNI", "Municipalités"),
    (
        "OACAS",
        "Organismes d’accueil communautaire et d’activités solidaires",
    ),
    ("ODC", "Organisation délégataire d’un CD"),
    ("OF", "Organisme de formations"),
    ("OIL", "Opérateur d’intermédiation locative"),
    (
        "OPCS",
        "Organismes de placement en charge des services sociaux",
    ),
    ("PAD", "Point d’accès au droit"),
    ("PENSION", "Pension de famille / résidence accueil"),
    ("PI", "Prescripteur Insertion"),
    ("PIJ_BIJ", "Point ou Bureau information jeunesse"),
    ("PIMMS", "Point information médiation multi services"),
    ("PJJ", "Protection judiciaire de la jeunesse"),
    ("PLIE", "Plans locaux pour l’insertion et l’emploi"),
    ("PREF", "Préfecture, Sous-Préfecture"),
    ("PREVENTION", "Service ou club de prévention"),
    ("REG", "Région"),
    ("RESSOURCERIE", "Ressourcerie"),
    ("RFS", "Réseau France Services"),
    ("RS_FJT", "Résidences sociales / FJT"),
    ("SCP", "Services et clubs de prévention"),
    (
        "SPIP",
        "Services pénitentiaires d’insertion et de probation",
    ),
    ("TIERS_LIEUX", "Tiers-lieu & coworking"),
    ("UDAF", "Union Départementale d’Aide aux Familles"),
];

/// Returns the canonical typology code (`"BIB"`) for a code or label, case-insensitively.
pub fn typologie_code(s: &str) -> Option<&'static str> {
    let f = fold(s);
    TYPOLOGIES
        .iter()
        .find(|(code, label)| fold(code) == f || fold(label) == f)
        .map(|(code, _)| *code)
}

/// Returns the French label of a typology code.
pub fn typologie_label(code: &str) -> Option<&'static str> {
    TYPOLOGIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_parse_leniently() {
        for s in Service::ALL {
            assert_eq!(Service::from_label(s.label()), Some(*s));
        }
        assert_eq!(
            Service::from_label("  aide aux demarches  administratives"),
            Some(Service::AideDemarches)
        );
        assert_eq!(
            ModaliteAcces::from_label("Ce lieu n’accueille pas de public"),
            Some(ModaliteAcces::PasDePublic)
        );
        assert!(Frais::from_label("Cher").is_none());
    }

    #[test]
    fn typologies_resolve_by_code_or_label() {
        assert_eq!(TYPOLOGIES.len(), 91);
        assert_eq!(typologie_code("bib"), Some("BIB"));
        assert_eq!(typologie_code("Bibliothèque / Médiathèque"), Some("BIB"));
        assert_eq!(typologie_code("XYZ"), None);
    }
}
