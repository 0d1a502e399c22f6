//! Diagnostic and orientation (issue 15): from a few answers (how the person uses the
//! internet, what they need, which organisation, whether they can travel), the plain
//! proposal an agent or the person gets: which kind of help (level 1: do it with them, teach,
//! lend equipment, a mandate through Aidants Connect; level 2: the file needs one of the nine
//! national partner operators), which places fit (as the directory's own filters, so the web
//! page asks the search index), and whether a home visit or the itinerant bus is the way.
//!
//! Pure logic, no store and no HTTP: the questionnaire's steps are in the web page, the
//! decisions here, tested as a table. The levels follow the France Services charter and the
//! CREDOC's screening the documents cite (not online, beginner, near autonomous).

use maillage_model::{Dispositif, Service};

/// How the person gets on with online services (the screening).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autonomy {
    /// Never goes online, or has no equipment.
    NotOnline,
    /// Goes online with help, or with difficulty.
    Beginner,
    /// Manages alone most of the time.
    NearAutonomous,
}

impl Autonomy {
    pub const ALL: [Autonomy; 3] = [
        Autonomy::NotOnline,
        Autonomy::Beginner,
        Autonomy::NearAutonomous,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Autonomy::NotOnline => "jamais",
            Autonomy::Beginner => "avec-aide",
            Autonomy::NearAutonomous => "seul",
        }
    }

    /// The answer as the person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Autonomy::NotOnline => "Jamais, ou je n'ai pas d'ordinateur ni de smartphone",
            Autonomy::Beginner => "Parfois, avec de l'aide ou avec difficulté",
            Autonomy::NearAutonomous => "Souvent, seul, sans trop de difficulté",
        }
    }

    pub fn parse(s: &str) -> Option<Autonomy> {
        Autonomy::ALL.into_iter().find(|a| a.code() == s)
    }
}

/// What the person comes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Do an online procedure (a form, an account, a payment).
    Procedure,
    /// A file with an organisation is stuck (no answer, a refusal, a debt, a mistake): the
    /// level 2 case, for the organisation's correspondent.
    StuckFile,
    /// A computer, a connection, a printer, or buying equipment cheaply.
    Equipment,
    /// Learn to use a phone, a computer, the internet, safely.
    Learn,
    /// Have someone do the procedures on one's behalf, legally (Aidants Connect).
    Mandate,
}

impl Need {
    pub const ALL: [Need; 5] = [
        Need::Procedure,
        Need::StuckFile,
        Need::Equipment,
        Need::Learn,
        Need::Mandate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Need::Procedure => "demarche",
            Need::StuckFile => "dossier-bloque",
            Need::Equipment => "materiel",
            Need::Learn => "apprendre",
            Need::Mandate => "mandat",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Need::Procedure => "Faire une démarche en ligne (un formulaire, un compte, un paiement)",
            Need::StuckFile => "Débloquer un dossier en cours avec un organisme (pas de réponse, un refus, une erreur, une dette)",
            Need::Equipment => "Avoir accès à un ordinateur, à internet, à une imprimante, ou acheter du matériel à petit prix",
            Need::Learn => "Apprendre à me servir d'un téléphone, d'un ordinateur ou d'internet",
            Need::Mandate => "Confier mes démarches à un aidant habilité, qui les fait pour moi",
        }
    }

    pub fn parse(s: &str) -> Option<Need> {
        Need::ALL.into_iter().find(|n| n.code() == s)
    }

    /// Whether the next question is "which organisation".
    pub fn asks_operator(self) -> bool {
        matches!(self, Need::Procedure | Need::StuckFile | Need::Mandate)
    }
}

/// The nine national partner operators of France Services, and "another one".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Caf,
    AssuranceMaladie,
    Dgfip,
    Justice,
    LaPoste,
    Msa,
    FranceTravail,
    PrefectureAnts,
    AssuranceRetraite,
    Other,
}

impl Operator {
    pub const NINE: [Operator; 9] = [
        Operator::Caf,
        Operator::AssuranceMaladie,
        Operator::Dgfip,
        Operator::Justice,
        Operator::LaPoste,
        Operator::Msa,
        Operator::FranceTravail,
        Operator::PrefectureAnts,
        Operator::AssuranceRetraite,
    ];

    pub const ALL: [Operator; 10] = [
        Operator::Caf,
        Operator::AssuranceMaladie,
        Operator::Dgfip,
        Operator::Justice,
        Operator::LaPoste,
        Operator::Msa,
        Operator::FranceTravail,
        Operator::PrefectureAnts,
        Operator::AssuranceRetraite,
        Operator::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Operator::Caf => "caf",
            Operator::AssuranceMaladie => "assurance-maladie",
            Operator::Dgfip => "impots",
            Operator::Justice => "justice",
            Operator::LaPoste => "la-poste",
            Operator::Msa => "msa",
            Operator::FranceTravail => "france-travail",
            Operator::PrefectureAnts => "ants",
            Operator::AssuranceRetraite => "retraite",
            Operator::Other => "autre",
        }
    }

    /// The organisation's name.
    pub fn name(self) -> &'static str {
        match self {
            Operator::Caf => "la CAF (Caisse d'allocations familiales)",
            Operator::AssuranceMaladie => "l'Assurance maladie (CPAM)",
            Operator::Dgfip => "les Finances publiques (impôts, DGFiP)",
            Operator::Justice => "la Justice (point-justice, conciliateur)",
            Operator::LaPoste => "La Poste",
            Operator::Msa => "la MSA (Mutualité sociale agricole)",
            Operator::FranceTravail => "France Travail (anciennement Pôle emploi)",
            Operator::PrefectureAnts => "la Préfecture et l'ANTS (carte d'identité, passeport, permis, carte grise, titre de séjour)",
            Operator::AssuranceRetraite => "l'Assurance retraite (CARSAT)",
            Operator::Other => "un autre organisme",
        }
    }

    /// What the person may recognise it by, for the question.
    pub fn label(self) -> &'static str {
        match self {
            Operator::Caf => "CAF : allocations familiales, aide au logement, RSA, prime d'activité",
            Operator::AssuranceMaladie => "Assurance maladie : carte Vitale, remboursements, complémentaire santé solidaire",
            Operator::Dgfip => "Impôts : déclaration, paiement, avis",
            Operator::Justice => "Justice : un litige, une aide juridictionnelle, un conciliateur",
            Operator::LaPoste => "La Poste : courrier, compte, procuration",
            Operator::Msa => "MSA : si vous travaillez ou avez travaillé dans l'agriculture",
            Operator::FranceTravail => "France Travail : inscription, recherche d'emploi, indemnités",
            Operator::PrefectureAnts => "Papiers : carte d'identité, passeport, permis de conduire, carte grise, titre de séjour",
            Operator::AssuranceRetraite => "Retraite : demande, relevé de carrière",
            Operator::Other => "Un autre organisme, ou je ne sais pas",
        }
    }

    pub fn parse(s: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|o| o.code() == s)
    }

    /// Where its own site is, for a person who can do it alone.
    pub fn site(self) -> Option<&'static str> {
        match self {
            Operator::Caf => Some("caf.fr"),
            Operator::AssuranceMaladie => Some("ameli.fr"),
            Operator::Dgfip => Some("impots.gouv.fr"),
            Operator::Justice => Some("justice.fr"),
            Operator::LaPoste => Some("laposte.fr"),
            Operator::Msa => Some("msa.fr"),
            Operator::FranceTravail => Some("francetravail.fr"),
            Operator::PrefectureAnts => Some("ants.gouv.fr"),
            Operator::AssuranceRetraite => Some("lassuranceretraite.fr"),
            Operator::Other => None,
        }
    }
}

/// Whether the person can come to a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mobility {
    /// Can travel to the nearest place.
    Travels,
    /// Only nearby: the bus's passage in the village is the easiest.
    NearbyOnly,
    /// Cannot leave home (age, illness, disability).
    Housebound,
}

impl Mobility {
    pub const ALL: [Mobility; 3] = [
        Mobility::Travels,
        Mobility::NearbyOnly,
        Mobility::Housebound,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Mobility::Travels => "oui",
            Mobility::NearbyOnly => "pres",
            Mobility::Housebound => "non",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mobility::Travels => "Oui, je peux me rendre dans un lieu proche",
            Mobility::NearbyOnly => "Seulement dans ma commune ou tout près",
            Mobility::Housebound => "Non, je ne peux pas sortir de chez moi (âge, santé, handicap)",
        }
    }

    pub fn parse(s: &str) -> Option<Mobility> {
        Mobility::ALL.into_iter().find(|m| m.code() == s)
    }
}

/// Every answer of the questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answers {
    pub autonomy: Autonomy,
    pub need: Need,
    /// Asked only when the need concerns an organisation ([`Need::asks_operator`]).
    pub operator: Option<Operator>,
    pub mobility: Mobility,
}

/// Which level of help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A mediator helps, teaches, lends, or acts under a mandate.
    One,
    /// The file needs the operator's correspondent (through a France Services).
    Two(Operator),
}

/// How the help is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// At a place that fits (the search gives the nearest).
    AtPlace,
    /// At the itinerant bus's next passage in or near the person's commune (and the places).
    Itinerant,
    /// A home visit, asked through a France Services, the mairie or the MDS.
    HomeVisit,
}

/// The proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub level: Level,
    pub way: Way,
    /// The directory's filters a fitting place meets (every service and every scheme listed:
    /// the search's own rule, so the page asks the index with them as they are).
    pub services: Vec<Service>,
    pub schemes: Vec<Dispositif>,
    /// What to tell the person, in plain words, most important first.
    pub advice: Vec<String>,
}

/// The decision: from the answers to the proposal.
pub fn orient(a: &Answers) -> Proposal {
    let operator = a.operator.filter(|_| a.need.asks_operator());
    let level = match (a.need, operator) {
        (Need::StuckFile, Some(op)) if op != Operator::Other => Level::Two(op),
        _ => Level::One,
    };
    let way = match a.mobility {
        Mobility::Travels => Way::AtPlace,
        Mobility::NearbyOnly => Way::Itinerant,
        Mobility::Housebound => Way::HomeVisit,
    };
    let mut services = Vec::new();
    let mut schemes = Vec::new();
    let mut advice = Vec::new();
    match level {
        Level::Two(op) => {
            // The nine operators have a correspondent for every France Services: the agent
            // there passes the file on, with the person, and follows the answer.
            schemes.push(Dispositif::FranceServices);
            advice.push(format!(
                "Votre dossier demande l'intervention d'un correspondant de {} : un agent France Services le lui transmet avec vous et suit la réponse.",
                op.name()
            ));
            advice.push("Apportez les courriers reçus, vos identifiants si vous en avez, et une pièce d'identité.".into());
        }
        Level::One => match a.need {
            Need::Procedure | Need::StuckFile => {
                services.push(Service::AideDemarches);
                let who = operator
                    .filter(|o| *o != Operator::Other)
                    .map(|o| format!(" avec {}", o.name()))
                    .unwrap_or_default();
                advice.push(match a.autonomy {
                    Autonomy::NotOnline => format!("Un médiateur fait la démarche{who} avec vous, pas à pas, ou à votre place si vous le souhaitez."),
                    Autonomy::Beginner => format!("Un médiateur vous accompagne pour faire la démarche{who} vous-même."),
                    Autonomy::NearAutonomous => match operator.and_then(Operator::site) {
                        Some(site) => format!("Vous pouvez sans doute la faire seul sur {site} ; en cas de blocage, un lieu d'aide aux démarches vous reçoit."),
                        None => "Vous pouvez sans doute la faire seul ; en cas de blocage, un lieu d'aide aux démarches vous reçoit.".into(),
                    },
                });
                if a.autonomy == Autonomy::NotOnline {
                    advice.push("Si vous préférez confier vos démarches, un aidant habilité Aidants Connect peut les faire pour vous, légalement.".into());
                }
            }
            Need::Equipment => {
                services.push(Service::AccesInternet);
                advice.push("Ces lieux prêtent un ordinateur et une connexion, certains vendent du matériel reconditionné à petit prix.".into());
            }
            Need::Learn => {
                services.push(Service::MaitriseOutils);
                advice.push(match a.autonomy {
                    Autonomy::NearAutonomous => "Des ateliers vous aident à aller plus loin (sécurité, démarches, vos appareils).".into(),
                    _ => "Des ateliers pour débuter, à votre rythme : allumer, naviguer, écrire un courriel, se protéger.".into(),
                });
                if a.autonomy != Autonomy::NearAutonomous {
                    advice.push("Demandez si le lieu accepte le Pass numérique : des chèques qui paient ces ateliers.".into());
                }
            }
            Need::Mandate => {
                schemes.push(Dispositif::AidantsConnect);
                advice.push("Un aidant habilité Aidants Connect fait vos démarches en ligne à votre place, avec votre accord écrit (un mandat), en toute sécurité.".into());
            }
        },
    }
    match way {
        Way::AtPlace => {}
        Way::Itinerant => advice.push(
            "Le bus France Services passe deux fois par mois dans certaines communes : voyez son prochain passage près de chez vous.".into(),
        ),
        Way::HomeVisit => advice.push(
            "Une visite à domicile est possible pour les personnes qui ne peuvent pas se déplacer : demandez-la à une France Services, à votre mairie ou à la maison départementale des solidarités.".into(),
        ),
    }
    Proposal {
        level,
        way,
        services,
        schemes,
        advice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(
        autonomy: Autonomy,
        need: Need,
        operator: Option<Operator>,
        mobility: Mobility,
    ) -> Answers {
        Answers {
            autonomy,
            need,
            operator,
            mobility,
        }
    }

    /// One row per case: the answers, then the level, the way, the services and schemes the
    /// places must offer, and words the advice must hold.
    #[test]
    fn orientation_table() {
        use Autonomy::*;
        use Mobility::*;
        use Need::*;
        type Row = (
            Answers,
            Level,
            Way,
            Vec<Service>,
            Vec<Dispositif>,
            &'static str,
        );
        let fs = vec![Dispositif::FranceServices];
        let mut rows: Vec<Row> = Operator::NINE
            .iter()
            .map(|&op| {
                (
                    answers(Beginner, StuckFile, Some(op), Travels),
                    Level::Two(op),
                    Way::AtPlace,
                    vec![],
                    fs.clone(),
                    op.name(),
                )
            })
            .collect();
        rows.extend([
            // A stuck file with an organisation outside the nine stays at level 1.
            (
                answers(Beginner, StuckFile, Some(Operator::Other), Travels),
                Level::One,
                Way::AtPlace,
                vec![Service::AideDemarches],
                vec![],
                "accompagne",
            ),
            (
                answers(NotOnline, Procedure, Some(Operator::Caf), Travels),
                Level::One,
                Way::AtPlace,
                vec![Service::AideDemarches],
                vec![],
                "Aidants Connect",
            ),
            (
                answers(NearAutonomous, Procedure, Some(Operator::Dgfip), Travels),
                Level::One,
                Way::AtPlace,
                vec![Service::AideDemarches],
                vec![],
                "impots.gouv.fr",
            ),
            (
                answers(Beginner, Equipment, None, Travels),
                Level::One,
                Way::AtPlace,
                vec![Service::AccesInternet],
                vec![],
                "ordinateur",
            ),
            (
                answers(NotOnline, Learn, None, NearbyOnly),
                Level::One,
                Way::Itinerant,
                vec![Service::MaitriseOutils],
                vec![],
                "Pass numérique",
            ),
            (
                answers(NotOnline, Mandate, Some(Operator::Msa), Housebound),
                Level::One,
                Way::HomeVisit,
                vec![],
                vec![Dispositif::AidantsConnect],
                "visite à domicile",
            ),
            (
                answers(
                    NotOnline,
                    StuckFile,
                    Some(Operator::AssuranceRetraite),
                    Housebound,
                ),
                Level::Two(Operator::AssuranceRetraite),
                Way::HomeVisit,
                vec![],
                fs.clone(),
                "visite à domicile",
            ),
            // The operator answer is ignored when the need does not ask for it.
            (
                answers(Beginner, Equipment, Some(Operator::Caf), Travels),
                Level::One,
                Way::AtPlace,
                vec![Service::AccesInternet],
                vec![],
                "prêtent",
            ),
        ]);
        for (a, level, way, services, schemes, words) in rows {
            let p = orient(&a);
            assert_eq!(p.level, level, "{a:?}");
            assert_eq!(p.way, way, "{a:?}");
            assert_eq!(p.services, services, "{a:?}");
            assert_eq!(p.schemes, schemes, "{a:?}");
            assert!(
                p.advice.iter().any(|s| s.contains(words)),
                "{a:?}: {:?}",
                p.advice
            );
        }
    }

    #[test]
    fn every_answer_reads_back_from_its_code() {
        for a in Autonomy::ALL {
            assert_eq!(Autonomy::parse(a.code()), Some(a));
        }
        for n in Need::ALL {
            assert_eq!(Need::parse(n.code()), Some(n));
        }
        for o in Operator::ALL {
            assert_eq!(Operator::parse(o.code()), Some(o));
        }
        for m in Mobility::ALL {
            assert_eq!(Mobility::parse(m.code()), Some(m));
        }
        assert_eq!(Operator::parse("<script>"), None);
    }
}
