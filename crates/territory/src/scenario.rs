//! "What if": the questions a coordinator asks the observatory before opening a permanence.
//! What changes if a permanence opens in this commune, and which communes would cover the
//! most people. Kept here, beside the coverage it reads, so that the web page and the command
//! line present the same answers and the page handler stays a thin translation to HTML.

use maillage_model::Place;

use crate::coverage::{compare, with_added_place, Category, Coverage};
use crate::sites::SiteProblem;
use crate::Referential;

/// The answer to "a permanence opens in this commune".
#[derive(Debug, Clone)]
pub struct Opening {
    pub commune_code: String,
    pub commune_nom: String,
    /// The coverage with the permanence.
    pub after: Coverage,
    /// People of the département within the threshold of a permanent place, before and after.
    pub covered_before: u64,
    pub covered_after: u64,
    pub population: u64,
    /// Communes that the permanence brings within the threshold: (name, population).
    pub gained: Vec<(String, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("la commune « {0} » n'est pas dans ce département")]
    UnknownCommune(String),
    #[error("la position de {0} est inconnue")]
    NoPosition(String),
}

/// A permanence with every service opens at the centre of `commune_code`.
pub fn open_permanence(
    referential: &Referential,
    before: &Coverage,
    departement: &str,
    commune_code: &str,
    category: Category,
    threshold: f64,
) -> Result<Opening, ScenarioError> {
    let commune = referential
        .communes_of(departement)
        .find(|x| x.code == commune_code)
        .ok_or_else(|| ScenarioError::UnknownCommune(commune_code.to_string()))?;
    let centre = commune
        .centre
        .ok_or_else(|| ScenarioError::NoPosition(commune.nom.clone()))?;
    let place = Place {
        id: format!("scenario-{}", commune.code),
        nom: format!("Permanence envisagée à {}", commune.nom),
        commune: commune.nom.clone(),
        code_insee: Some(commune.code.clone()),
        position: Some(centre),
        services: maillage_model::Service::ALL.to_vec(),
        dispositif_programmes_nationaux: vec![
            maillage_model::Dispositif::FranceServices,
            maillage_model::Dispositif::AidantsConnect,
        ],
        ..Place::default()
    };
    let after = with_added_place(before, &place, usize::MAX);
    let covered = |cov: &Coverage| {
        cov.by_departement(referential, category)
            .into_iter()
            .next()
            .and_then(|f| {
                let w = f.within.iter().find(|w| w.minutes == threshold)?;
                Some((w.permanent, f.population))
            })
            .unwrap_or((0, 0))
    };
    let ((covered_before, population), (covered_after, _)) = (covered(before), covered(&after));
    let gained = compare(before, &after, category, threshold)
        .into_iter()
        .filter(|x| x.gained)
        .map(|x| (x.nom, x.population))
        .collect();
    Ok(Opening {
        commune_code: commune.code.clone(),
        commune_nom: commune.nom.clone(),
        after,
        covered_before,
        covered_after,
        population,
        gained,
    })
}

/// One suggested commune for a new permanence, in the order the greedy choice takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub code: String,
    pub nom: String,
    /// People brought within the threshold by this site, after the ones before it.
    pub added_population: u64,
}

/// The `k` communes that, opened one after the other, bring the most people within
/// `threshold` of help (greedy maximum coverage; within 0–1 % of the optimum on four
/// départements, see `docs/observatoire.md`).
pub fn suggest(
    coverage: &Coverage,
    category: Category,
    threshold: f64,
    k: usize,
) -> Vec<Suggestion> {
    let problem = SiteProblem::from_coverage(coverage, category, threshold);
    let choice = problem.greedy(k);
    let mut out = Vec::new();
    let mut so_far = 0u64;
    for (i, code) in choice.codes.iter().enumerate() {
        let covered = problem.greedy(i + 1).population;
        let nom = problem
            .candidates
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.clone());
        out.push(Suggestion {
            code: code.clone(),
            nom,
            added_population: covered.saturating_sub(so_far),
        });
        so_far = covered;
    }
    out
}
