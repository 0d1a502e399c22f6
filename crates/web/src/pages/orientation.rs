//! `/orientation`: the guided questionnaire of the diagnostic (issue 15), one question per
//! step, without JavaScript: each step is a GET form carrying the previous answers as hidden
//! fields, so the back button, a bookmark and a printed page all work, and nothing about the
//! person is stored. The decisions are `maillage_directory::orientation`; this page asks the
//! questions, then shows the proposal with the nearest places that fit (the search index and
//! its own filters), the bus's next passages when the person can only go nearby, and a
//! printable summary.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use maillage_directory::orientation::{
    orient, Answers, Autonomy, Level, Mobility, Need, Operator, Way,
};
use maillage_model::text::fold;
use maillage_tours::publish::sentence;

use crate::error::WebError;
use crate::hours::now_paris;
use crate::layout::{render, Layout};
use crate::pages::ResultView;
use crate::query::SearchQuery;
use crate::AppState;

/// How far the nearest places are looked for (a rural département: 30 km).
const RADIUS_KM: u32 = 30;
/// Places shown in the proposal.
const PLACES: usize = 5;

/// One choice of a question.
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// One answer already given, carried to the next step.
pub struct Carried {
    pub name: &'static str,
    pub value: String,
}

/// The question of the current step.
pub struct Question {
    /// The form field's name.
    pub name: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
    /// Radio choices; empty for the commune's text field.
    pub choices: Vec<Choice>,
    pub error: Option<&'static str>,
}

/// The proposal, once every answer is in.
pub struct Outcome {
    /// "Niveau 1 : …" or "Niveau 2 : …"
    pub level: String,
    pub way: &'static str,
    pub advice: Vec<String>,
    pub answers: Vec<(&'static str, &'static str)>,
    pub commune: String,
    pub places: Vec<ResultView>,
    /// Why no place is listed (commune not found, none in reach).
    pub places_note: Option<String>,
    pub passages: Vec<String>,
    /// The search with the same filters, for more places.
    pub search_link: String,
}

#[derive(Template)]
#[template(path = "orientation.html")]
pub struct OrientationPage {
    pub layout: Layout,
    /// Step number and count, for "Question 2 sur 5".
    pub step: usize,
    pub steps: usize,
    pub question: Option<Question>,
    pub carried: Vec<Carried>,
    /// The link one step back (the same answers without the last one).
    pub back: Option<String>,
    pub outcome: Option<Outcome>,
}

/// The answers read from the query; an unknown code counts as not answered (the question is
/// asked again, with a word), never an error page.
#[derive(Default)]
struct Raw {
    usage: Option<String>,
    besoin: Option<String>,
    organisme: Option<String>,
    deplacement: Option<String>,
    commune: Option<String>,
}

fn read(raw: Option<&str>) -> Raw {
    let mut r = Raw::default();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let v = v.trim().chars().take(100).collect::<String>();
        match &*k {
            "usage" => r.usage = Some(v),
            "besoin" => r.besoin = Some(v),
            "organisme" => r.organisme = Some(v),
            "deplacement" => r.deplacement = Some(v),
            "commune" => r.commune = Some(v),
            _ => {}
        }
    }
    r
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|&t| Choice {
            code: code(t),
            label: label(t),
            checked: false,
        })
        .collect()
}

fn query_of(carried: &[Carried]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for c in carried {
        s.append_pair(c.name, &c.value);
    }
    s.finish()
}

/// `GET /orientation`.
pub async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let r = read(raw.as_deref());
    let mut carried = Vec::new();
    let bad = "Choisissez une des réponses proposées.";
    let ask = |q: Question, carried: Vec<Carried>, step: usize, steps: usize| {
        let back = (step > 1).then(|| {
            let prev = &carried[..carried.len().saturating_sub(1)];
            format!("/orientation?{}", query_of(prev))
        });
        OrientationPage {
            layout: Layout::new("Trouver la bonne aide", "/orientation"),
            step,
            steps,
            question: Some(q),
            carried,
            back,
            outcome: None,
        }
    };
    let (autonomy, need) = (
        r.usage.as_deref().and_then(Autonomy::parse),
        r.besoin.as_deref().and_then(Need::parse),
    );
    let steps = if need.is_some_and(|n| !n.asks_operator()) {
        4
    } else {
        5
    };
    let Some(autonomy) = autonomy else {
        let q = Question {
            name: "usage",
            title: "Utilisez-vous internet (ordinateur, téléphone, tablette) ?",
            hint: "Pour vous proposer l'aide qui vous convient : il n'y a pas de mauvaise réponse.",
            choices: choices(&Autonomy::ALL, Autonomy::code, Autonomy::label),
            error: r.usage.is_some().then_some(bad),
        };
        return render(&ask(q, carried, 1, steps));
    };
    carried.push(Carried {
        name: "usage",
        value: autonomy.code().into(),
    });
    let Some(need) = need else {
        let q = Question {
            name: "besoin",
            title: "De quoi avez-vous besoin ?",
            hint: "Choisissez ce qui compte le plus aujourd'hui.",
            choices: choices(&Need::ALL, Need::code, Need::label),
            error: r.besoin.is_some().then_some(bad),
        };
        return render(&ask(q, carried, 2, steps));
    };
    carried.push(Carried {
        name: "besoin",
        value: need.code().into(),
    });
    let mut step = 3;
    let operator = if need.asks_operator() {
        let Some(op) = r.organisme.as_deref().and_then(Operator::parse) else {
            let q = Question {
                name: "organisme",
                title: "Avec quel organisme ?",
                hint: "L'organisme qui vous a écrit, ou auprès de qui vous faites la démarche.",
                choices: choices(&Operator::ALL, Operator::code, Operator::label),
                error: r.organisme.is_some().then_some(bad),
            };
            return render(&ask(q, carried, step, steps));
        };
        carried.push(Carried {
            name: "organisme",
            value: op.code().into(),
        });
        step += 1;
        Some(op)
    } else {
        None
    };
    let Some(mobility) = r.deplacement.as_deref().and_then(Mobility::parse) else {
        let q = Question {
            name: "deplacement",
            title: "Pouvez-vous vous déplacer ?",
            hint: "Si ce n'est pas possible, une aide peut venir à vous.",
            choices: choices(&Mobility::ALL, Mobility::code, Mobility::label),
            error: r.deplacement.is_some().then_some(bad),
        };
        return render(&ask(q, carried, step, steps));
    };
    carried.push(Carried {
        name: "deplacement",
        value: mobility.code().into(),
    });
    step += 1;
    let Some(commune) = r.commune.clone() else {
        let q = Question {
            name: "commune",
            title: "Dans quelle commune habitez-vous ?",
            hint: "Le nom de la commune ou son code postal, pour trouver l'aide la plus proche. Vous pouvez laisser vide.",
            choices: Vec::new(),
            error: None,
        };
        return render(&ask(q, carried, step, steps));
    };
    carried.push(Carried {
        name: "commune",
        value: commune.clone(),
    });
    let answers = Answers {
        autonomy,
        need,
        operator,
        mobility,
    };
    let outcome = outcome(&state, &answers, &commune)?;
    let back = Some(format!(
        "/orientation?{}",
        query_of(&carried[..carried.len() - 1])
    ));
    render(&OrientationPage {
        layout: Layout::new("Votre orientation", "/orientation"),
        step: steps,
        steps,
        question: None,
        carried,
        back,
        outcome: Some(outcome),
    })
}

fn outcome(state: &AppState, a: &Answers, commune: &str) -> Result<Outcome, WebError> {
    let p = orient(a);
    let level = match p.level {
        Level::One => "Niveau 1 : un médiateur numérique peut vous aider".to_string(),
        Level::Two(op) => format!("Niveau 2 : un correspondant de {}", op.name()),
    };
    let way = match p.way {
        Way::AtPlace => "Dans un lieu proche de chez vous",
        Way::Itinerant => "Au passage du bus France Services, ou dans un lieu tout proche",
        Way::HomeVisit => "À domicile, ou par une personne qui se déplace pour vous",
    };
    let mut answers = vec![("Internet", a.autonomy.label()), ("Besoin", a.need.label())];
    if let Some(op) = a.operator {
        answers.push(("Organisme", op.label()));
    }
    answers.push(("Déplacement", a.mobility.label()));

    let now = now_paris();
    let query = SearchQuery {
        place: commune.to_string(),
        radius_km: Some(RADIUS_KM),
        services: p.services.clone(),
        schemes: p.schemes.clone(),
        page: 1,
        per_page: PLACES,
        ..Default::default()
    };
    let (places, places_note) = if commune.is_empty() {
        (
            Vec::new(),
            Some("Indiquez votre commune pour voir les lieux les plus proches.".to_string()),
        )
    } else {
        let index = state.index();
        match index.search(&query, now) {
            Ok(results) if results.hits.is_empty() => (
                Vec::new(),
                Some(format!(
                    "Aucun lieu qui convient à moins de {RADIUS_KM} km : appelez une France Services, elle vous orientera."
                )),
            ),
            Ok(results) => (
                results
                    .hits
                    .iter()
                    .map(|h| ResultView::from_hit(h, now, state.tours().as_deref()))
                    .collect(),
                None,
            ),
            // The only error of a search without text: the commune is not known.
            Err(_) => (
                Vec::new(),
                Some(format!(
                    "La commune « {commune} » n'a pas été trouvée : vérifiez son nom ou donnez son code postal."
                )),
            ),
        }
    };
    let passages = if p.way == Way::AtPlace || commune.is_empty() {
        Vec::new()
    } else {
        next_passages(state, commune, now.date())
    };
    Ok(Outcome {
        level,
        way,
        advice: p.advice,
        answers,
        commune: commune.to_string(),
        places,
        places_note,
        passages,
        search_link: format!("/?{}", query.to_query(None)),
    })
}

/// The bus's next passages in the person's commune (by name or postal code), in words.
fn next_passages(state: &AppState, commune: &str, today: chrono::NaiveDate) -> Vec<String> {
    let Some(tours) = state.tours() else {
        return Vec::new();
    };
    let wanted = fold(commune);
    let sites: Vec<&str> = tours
        .sites
        .iter()
        .filter(|s| fold(&s.commune) == wanted || s.code_postal == commune)
        .map(|s| s.id.as_str())
        .collect();
    tours
        .calendar
        .passages
        .iter()
        .filter(|p| p.date >= today && p.takes_place() && sites.contains(&p.site_id.as_str()))
        .take(3)
        .filter_map(|p| {
            Some(sentence(
                p,
                tours.site(&p.site_id)?,
                tours.vehicle(&p.vehicle_id)?,
            ))
        })
        .collect()
}
