//! `/espace/lieux/{id}/modifier`: a structure changes its own listing. Plain French fields
//! with help text, the opening-hours grid ([`crate::hours_grid`]), a preview before saving,
//! the import's own checks with each problem shown next to its field, and a refusal with the
//! differences when someone changed the place since the form was opened.
//!
//! An editor's change goes to the moderation queue (pre-moderation, the default) or is
//! published at once and still reviewed (a territory in post-moderation); a coordinator's or
//! an admin's change is published at once. Every published change goes through
//! `maillage_directory::edit::apply_change`, the one write path of a place.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maillage_directory::edit::{changed_fields, check_place, field_errors, EditError};
use maillage_model::{CommuneLookup, Place};
use maillage_store::accounts::NewChange;

use crate::accounts::{self as acc, SignedIn, Viewer};
use crate::error::WebError;
use crate::hours_grid::{self, HoursForm};
use crate::layout::{render, Layout};
use crate::AppState;

/// A text field of the form: name (the standard's), label, help, value, error.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub value: String,
    pub error: Option<String>,
    pub long: bool,
}

/// The fields offered, in the order of the form.
const FIELDS: &[(&str, &str, &str, bool)] = &[
    (
        "nom",
        "Nom du lieu",
        "Le nom que les habitants connaissent.",
        false,
    ),
    (
        "adresse",
        "Adresse",
        "Numéro et rue, par exemple « 12 rue de la République ».",
        false,
    ),
    (
        "complement_adresse",
        "Complément d'adresse",
        "Bâtiment, étage, entrée (facultatif).",
        false,
    ),
    ("code_postal", "Code postal", "5 chiffres.", false),
    (
        "commune",
        "Commune",
        "Le nom de la commune, vérifié avec la liste officielle.",
        false,
    ),
    (
        "telephone",
        "Téléphone",
        "Le numéro à appeler, par exemple 05 63 00 00 00.",
        false,
    ),
    (
        "courriels",
        "Courriel de contact",
        "Plusieurs adresses : séparez-les par des virgules.",
        false,
    ),
    (
        "site_web",
        "Site internet",
        "Adresse complète, commençant par https://.",
        false,
    ),
    (
        "prise_rdv",
        "Prendre rendez-vous en ligne",
        "Adresse de la page de prise de rendez-vous (facultatif).",
        false,
    ),
    (
        "presentation_resume",
        "Présentation courte",
        "Une ou deux phrases : ce que le lieu propose.",
        true,
    ),
    (
        "presentation_detail",
        "Présentation détaillée",
        "Tout ce qui aide à venir : accès, matériel, accompagnement…",
        true,
    ),
];

fn value_of(p: &Place, name: &str) -> String {
    match name {
        "nom" => p.nom.clone(),
        "adresse" => p.adresse.clone(),
        "complement_adresse" => p.complement_adresse.clone().unwrap_or_default(),
        "code_postal" => p.code_postal.clone(),
        "commune" => p.commune.clone(),
        "telephone" => p
            .telephone
            .as_deref()
            .map(crate::pages::fmt_phone)
            .unwrap_or_default(),
        "courriels" => p.courriels.join(", "),
        "site_web" => p.site_web.join(", "),
        "prise_rdv" => p.prise_rdv.clone().unwrap_or_default(),
        "presentation_resume" => p.presentation_resume.clone().unwrap_or_default(),
        "presentation_detail" => p.presentation_detail.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn list(s: &str) -> Vec<String> {
    s.split(',').filter_map(opt).collect()
}

/// The place with the form's values on top of `base` (fields the form does not show stay).
fn apply_form(base: &Place, form: &HashMap<String, String>, hours: Option<String>) -> Place {
    let get = |n: &str| {
        form.get(n)
            .map(String::as_str)
            .unwrap_or("")
            .chars()
            .take(5000)
            .collect::<String>()
    };
    let mut p = base.clone();
    p.nom = get("nom").trim().to_string();
    p.adresse = get("adresse").trim().to_string();
    p.complement_adresse = opt(&get("complement_adresse"));
    p.code_postal = get("code_postal").trim().to_string();
    p.commune = get("commune").trim().to_string();
    p.telephone = opt(&get("telephone"));
    p.courriels = list(&get("courriels"));
    p.site_web = list(&get("site_web"));
    p.prise_rdv = opt(&get("prise_rdv"));
    p.presentation_resume = opt(&get("presentation_resume"));
    p.presentation_detail = opt(&get("presentation_detail"));
    p.horaires = hours;
    p
}

fn hours_of_form(form: &HashMap<String, String>) -> HoursForm {
    let mut h = HoursForm::default();
    for d in 0..7 {
        for i in 0..4 {
            h.grid[d][i] = form
                .get(&format!("h_{d}_{i}"))
                .map(|s| s.trim().chars().take(5).collect())
                .unwrap_or_default();
        }
    }
    h.exceptions = form
        .get("exceptions")
        .map(|s| s.chars().take(500).collect())
        .unwrap_or_default();
    h.raw = form
        .get("horaires_osm")
        .map(|s| s.chars().take(2000).collect())
        .unwrap_or_default();
    h
}

/// One row of the hours grid, for the template.
pub struct DayRow {
    pub day: &'static str,
    pub index: usize,
    pub cells: [String; 4],
    pub error: Option<String>,
}

/// One changed field: its name, old and new value (for the preview, the stale refusal and
/// the moderation diff).
pub struct DiffRow {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// The differences between two versions of a place, field by field, in the standard's words.
pub fn diff(before: &Place, after: &Place) -> Vec<DiffRow> {
    use maillage_standard::write::{standard_row, ExportOptions, STANDARD_FIELDS};
    let options = ExportOptions::default();
    let a = standard_row(before, &options);
    let b = standard_row(after, &options);
    let changed = changed_fields(before, after);
    STANDARD_FIELDS
        .iter()
        .zip(a.into_iter().zip(b))
        .filter(|(name, _)| changed.iter().any(|c| c == *name))
        .map(|(name, (x, y))| DiffRow {
            field: name.to_string(),
            before: x,
            after: y,
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "modifier.html")]
struct EditPage {
    layout: Layout,
    id: String,
    nom: String,
    token: String,
    /// The place as it was when the form was opened (JSON), to detect a stale form.
    avant: String,
    fields: Vec<Field>,
    days: Vec<DayRow>,
    exceptions: String,
    horaires_osm: String,
    hours_words: Vec<String>,
    errors: Vec<(String, String)>,
    preview: Option<Vec<DiffRow>>,
    stale: Option<Vec<DiffRow>>,
    nothing_changed: bool,
    moderated: bool,
    /// "Toujours exact" and the confirmation interval (on the form as opened).
    confirm: Option<crate::pages::freshness::ConfirmBox>,
}

pub(crate) async fn editable(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Place, WebError> {
    // Someone else's place answers like a place that does not exist: ids tell nothing.
    let not_found = || {
        WebError::NotFound(format!(
            "le lieu « {id} » n'existe pas ou vous ne pouvez pas le modifier"
        ))
    };
    let sp = state.store.place(id).await?.ok_or_else(not_found)?;
    if !acc::can_edit(state, &viewer.account, &sp.place).await {
        return Err(not_found());
    }
    Ok(sp.place)
}

fn page(
    place: &Place,
    shown: &Place,
    hours: &HoursForm,
    errors: Vec<(String, String)>,
    token: String,
    avant: String,
    moderated: bool,
) -> EditPage {
    let error_for = |name: &str| {
        errors
            .iter()
            .filter(|(f, _)| f == name)
            .map(|(_, m)| m.clone())
            .reduce(|a, b| format!("{a} {b}"))
    };
    let fields = FIELDS
        .iter()
        .map(|(name, label, help, long)| Field {
            name,
            label,
            help,
            value: value_of(shown, name),
            error: error_for(name),
            long: *long,
        })
        .collect();
    let days = (0..7)
        .map(|d| DayRow {
            day: crate::hours::DAYS[d],
            index: d,
            cells: hours.grid[d].clone(),
            error: (0..4)
                .filter_map(|i| error_for(&format!("h_{d}_{i}")))
                .reduce(|a, b| format!("{a} {b}")),
        })
        .collect();
    EditPage {
        layout: Layout::new(format!("Modifier « {} »", place.nom), ""),
        id: place.id.clone(),
        nom: place.nom.clone(),
        token,
        avant,
        fields,
        days,
        exceptions: hours.exceptions.clone(),
        horaires_osm: hours.raw.clone(),
        hours_words: shown
            .horaires
            .as_deref()
            .map(hours_grid::describe)
            .unwrap_or_default(),
        errors,
        preview: None,
        stale: None,
        nothing_changed: false,
        moderated,
        confirm: None,
    }
}

pub async fn form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(viewer): SignedIn,
) -> Result<Response, WebError> {
    let place = editable(&state, &viewer, &id).await?;
    let hours = hours_grid::from_osm(place.horaires.as_deref());
    let avant = serde_json::to_string(&place).unwrap_or_default();
    let moderated = !acc::can_moderate(&state, &viewer.account, &place).await;
    let token = acc::form_token(&state, &viewer).await?;
    let mut p = page(&place, &place, &hours, Vec::new(), token, avant, moderated);
    p.confirm = Some(crate::pages::freshness::confirm_box(&state, &viewer, &place).await?);
    render(&p)
}

/// How the change of a place is published for this person: at once (`true`), or through
/// the queue.
async fn publishes_at_once(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
) -> Result<(bool, bool), WebError> {
    if acc::can_moderate(state, &viewer.account, place).await {
        return Ok((true, false));
    }
    let post = match place.departement() {
        Some(d) => acc::store(state)?.post_moderation(d).await?,
        None => false,
    };
    Ok((post, post))
}

pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(viewer): SignedIn,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(|_| {
        WebError::BadRequest("le formulaire envoyé est illisible ; rechargez la page".into())
    })?;
    acc::check_form_token(
        &state,
        &viewer,
        form.get("jeton").map(String::as_str).unwrap_or(""),
    )
    .await?;
    let current = editable(&state, &viewer, &id).await?;
    let moderated = !acc::can_moderate(&state, &viewer.account, &current).await;
    let hours = hours_of_form(&form);
    let avant_text = form.get("avant").cloned().unwrap_or_default();
    let avant: Place = serde_json::from_str(&avant_text).unwrap_or_else(|_| current.clone());
    let token = acc::form_token(&state, &viewer).await?;
    let current_json = serde_json::to_string(&current).unwrap_or_default();

    // Someone changed the place since the form was opened: refuse, show what changed.
    let moved = diff(&avant, &current);
    if !moved.is_empty() {
        let mut p = page(
            &current,
            &current,
            &hours_grid::from_osm(current.horaires.as_deref()),
            Vec::new(),
            token,
            current_json,
            moderated,
        );
        p.stale = Some(moved);
        let mut r = render(&p)?;
        *r.status_mut() = StatusCode::CONFLICT;
        return Ok(r);
    }

    let (osm, mut errors) = match hours.to_osm() {
        Ok(osm) => (osm, Vec::new()),
        Err(e) => (current.horaires.clone(), e),
    };
    let proposed = apply_form(&current, &form, osm);
    let today = chrono::Utc::now().date_naive();
    let checked = match check_place(
        &proposed,
        state
            .referential
            .as_deref()
            .map(|r| r as &dyn CommuneLookup),
        today,
    ) {
        Ok((checked, _)) => Some(checked),
        Err(EditError::Invalid(report)) => {
            errors.extend(field_errors(&report));
            None
        }
        Err(e) => return Err(WebError::Unavailable(e.to_string())),
    };
    let mut p = page(
        &current,
        &proposed,
        &hours,
        errors.clone(),
        token,
        avant_text,
        moderated,
    );
    let Some(checked) = checked.filter(|_| errors.is_empty()) else {
        let mut r = render(&p)?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    };
    let changes = diff(&current, &checked);
    if changes.is_empty() {
        p.nothing_changed = true;
        return render(&p);
    }
    if form.get("action").map(String::as_str) != Some("enregistrer") {
        p.preview = Some(changes);
        return render(&p);
    }
    let (at_once, still_reviewed) = publishes_at_once(&state, &viewer, &current).await?;
    let store = acc::store(&state)?;
    let fields: Vec<String> = changes.iter().map(|d| d.field.clone()).collect();
    if at_once {
        crate::pages::moderation::publish(
            &state,
            Some(viewer.account.id),
            &current.id,
            checked.clone(),
            "modification directe",
        )
        .await?;
    }
    if !at_once || still_reviewed {
        store
            .add_change(&NewChange {
                place_id: current.id.clone(),
                author_id: Some(viewer.account.id),
                before_json: current_json,
                after_json: serde_json::to_string(&checked).unwrap_or_default(),
                changed_fields: fields,
                applied: at_once,
            })
            .await?;
    }
    Ok(acc::see_other(if at_once {
        "/espace?envoye=publie"
    } else {
        "/espace?envoye=attente"
    }))
}
