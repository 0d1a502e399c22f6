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
        "latitude",
        "Latitude",
        "Position sur la carte, par exemple 44.0176 ; elle doit tomber dans la commune. Laissez vide si vous ne la connaissez pas.",
        false,
    ),
    (
        "longitude",
        "Longitude",
        "Par exemple 1.3550.",
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
        "latitude" => p
            .position
            .map(|x| format!("{:.6}", x.lat))
            .unwrap_or_default(),
        "longitude" => p
            .position
            .map(|x| format!("{:.6}", x.lon))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// A list field of the standard, as checkboxes: its name, label, help and every value of the
/// schema's enumeration with whether it is chosen.
pub struct ListField {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub choices: Vec<(&'static str, bool)>,
}

fn choices<T: Copy + PartialEq>(
    all: &'static [T],
    label: fn(T) -> &'static str,
    chosen: &[T],
) -> Vec<(&'static str, bool)> {
    all.iter()
        .map(|v| (label(*v), chosen.contains(v)))
        .collect()
}

/// The values ticked (anything else sent is ignored): those already there keep their order
/// (a source's order is not a change), new ones follow in the standard's order.
fn ticked<T: Copy + PartialEq>(
    all: &'static [T],
    label: fn(T) -> &'static str,
    given: &[String],
    base: &[T],
) -> Vec<T> {
    let is_ticked = |v: &T| given.iter().any(|g| g == label(*v));
    let mut out: Vec<T> = base.iter().copied().filter(is_ticked).collect();
    for v in all.iter().copied().filter(is_ticked) {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The list fields the form offers, in the standard's order, each written once: its `Place`
/// field (also the form's name), its enum, label and help. Expands to [`list_fields`] (the
/// boxes, the stored values ticked) and [`apply_lists`] (the values from the boxes ticked), so
/// the two cannot drift apart.
macro_rules! list_fields {
    ($($field:ident: $ty:ident, $label:literal, $help:literal;)+) => {
        /// Every list field of the standard the form offers, in its order.
        fn list_fields(p: &Place) -> Vec<ListField> {
            use maillage_model::lists::*;
            vec![$(ListField {
                name: stringify!($field),
                label: $label,
                help: $help,
                choices: choices($ty::ALL, $ty::label, &p.$field),
            }),+]
        }

        /// Sets the list fields from the boxes ticked.
        fn apply_lists(p: &mut Place, given: &HashMap<String, Vec<String>>) {
            use maillage_model::lists::*;
            let get = |n: &str| given.get(n).map(Vec::as_slice).unwrap_or(&[]);
            $(p.$field = ticked($ty::ALL, $ty::label, get(stringify!($field)), &p.$field);)+
        }
    };
}

list_fields! {
    services: Service, "Ce que le lieu propose", "Cochez tout ce qui est proposé.";
    publics_specifiquement_adresses: Public, "Publics accueillis en particulier",
        "Laissez vide si le lieu accueille tout le monde.";
    prise_en_charge_specifique: PriseEnCharge, "Accompagnements adaptés",
        "Handicaps, langues, illettrisme.";
    frais_a_charge: Frais, "Ce que la personne paie", "";
    modalites_acces: ModaliteAcces, "Comment venir", "Avec ou sans rendez-vous, par téléphone…";
    modalites_accompagnement: ModaliteAccompagnement, "Comment la personne est aidée",
        "Seule, accompagnée, en atelier, à sa place.";
    dispositif_programmes_nationaux: Dispositif, "Dispositifs nationaux",
        "France Services, conseillers numériques, Aidants Connect…";
    formations_labels: FormationLabel, "Formations et labels", "";
}

/// The position typed in the latitude and longitude fields (a comma as decimal mark is
/// accepted); `Err` names the field in words.
fn position_of_form(
    form: &HashMap<String, String>,
) -> Result<Option<maillage_model::Position>, (String, String)> {
    let read = |n: &str| {
        form.get(n)
            .map(|v| v.trim().replace(',', "."))
            .unwrap_or_default()
    };
    let (lat, lon) = (read("latitude"), read("longitude"));
    if lat.is_empty() && lon.is_empty() {
        return Ok(None);
    }
    let number = |v: &str, name: &str, range: f64| {
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && x.abs() <= range)
            .ok_or_else(|| {
                (
                    name.to_string(),
                    format!("{} : saisissez un nombre à virgule, par exemple 44.0176, ou laissez les deux champs vides.", if name == "latitude" { "Latitude" } else { "Longitude" }),
                )
            })
    };
    Ok(Some(maillage_model::Position::new(
        number(&lat, "latitude", 90.0)?,
        number(&lon, "longitude", 180.0)?,
    )))
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn list(s: &str) -> Vec<String> {
    s.split(',').filter_map(opt).collect()
}

/// The place with the form's values on top of `base` (fields the form does not show stay).
fn apply_form(
    base: &Place,
    form: &HashMap<String, String>,
    lists: &HashMap<String, Vec<String>>,
    hours: Option<String>,
) -> Place {
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
    // The fields show the position rounded to 6 decimals (10 cm): sent back as shown, the
    // stored position stays as it was. A form without the fields keeps it too.
    let shown = ["latitude", "longitude"]
        .iter()
        .all(|n| form.get(*n).is_none_or(|v| v.trim() == value_of(base, n)));
    if !shown {
        if let Ok(position) = position_of_form(form) {
            p.position = position;
        }
    }
    // Only a form that shows the boxes changes the lists (a form without them keeps them).
    if form.contains_key("listes") {
        apply_lists(&mut p, lists);
    }
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
    lists: Vec<ListField>,
    pin: PinMap,
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

/// The pin map of the edit form (an enhancement: without JavaScript the latitude and
/// longitude fields are the way).
pub struct PinMap {
    pub background: String,
    pub tiles: String,
    pub attribution: String,
    /// Where the pin starts: the position shown, else the commune's centre (no pin yet).
    pub lat: String,
    pub lon: String,
    pub placed: bool,
}

fn pin_map(state: &AppState, shown: &Place) -> PinMap {
    let centre = shown.position.or_else(|| {
        let code = shown.code_insee.as_deref()?;
        state
            .referential
            .as_deref()?
            .communes
            .iter()
            .find(|c| c.code == code)?
            .centre
    });
    let coord = |f: fn(&maillage_model::Position) -> f64| {
        centre.map(|c| format!("{:.6}", f(&c))).unwrap_or_default()
    };
    PinMap {
        background: crate::assets::url("geo/departements.geojson"),
        tiles: state.config.tile_url.clone().unwrap_or_default(),
        attribution: state.config.tile_attribution.clone(),
        lat: coord(|c| c.lat),
        lon: coord(|c| c.lon),
        placed: shown.position.is_some(),
    }
}

/// What a rendering of the form carries besides the values: the single-use token, the place
/// as it was when the form was first opened (JSON), and whether changes wait for moderation.
struct FormContext {
    token: String,
    avant: String,
    moderated: bool,
}

fn page(
    state: &AppState,
    place: &Place,
    shown: &Place,
    hours: &HoursForm,
    errors: Vec<(String, String)>,
    ctx: FormContext,
) -> EditPage {
    let FormContext {
        token,
        avant,
        moderated,
    } = ctx;
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
        layout: Layout::new(format!("Modifier « {} »", place.nom), "")
            .with_style("vendor/leaflet/leaflet.css")
            .with_script("vendor/leaflet/leaflet.js")
            .with_script("app/pin.js"),
        id: place.id.clone(),
        nom: place.nom.clone(),
        token,
        avant,
        fields,
        lists: list_fields(shown),
        pin: pin_map(state, shown),
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
    let mut p = page(
        &state,
        &place,
        &place,
        &hours,
        Vec::new(),
        FormContext {
            token,
            avant,
            moderated,
        },
    );
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
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let pairs = acc::form_body(form)?;
    // Checkboxes send one pair per box ticked: kept apart from the single-valued fields.
    let mut lists: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in &pairs {
        lists.entry(k.clone()).or_default().push(v.clone());
    }
    let form: HashMap<String, String> = pairs.into_iter().collect();
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
            &state,
            &current,
            &current,
            &hours_grid::from_osm(current.horaires.as_deref()),
            Vec::new(),
            FormContext {
                token,
                avant: current_json,
                moderated,
            },
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
    if let Err(e) = position_of_form(&form) {
        errors.push(e);
    }
    let proposed = apply_form(&current, &form, &lists, osm);
    let today = chrono::Utc::now().date_naive();
    let checked = match check_place(
        &proposed,
        state
            .referential
            .as_deref()
            .map(|r| r as &dyn CommuneLookup),
        today,
    ) {
        // A position the editor moved must fall in the commune: the import's check only
        // warns and drops it (a geocoding error in a file); on a form it is the person's
        // mistake, said next to the field.
        Ok((checked, report)) => {
            if proposed.position.is_some()
                && proposed.position != current.position
                && checked.position.is_none()
            {
                let why = report
                    .issues
                    .iter()
                    .filter(|i| i.field.as_deref() == Some("latitude"))
                    .map(|i| i.message.clone())
                    .next()
                    .unwrap_or_else(|| "position non valable".into());
                errors.push((
                    "latitude".into(),
                    format!("La position ne convient pas ({why}) : vérifiez la latitude et la longitude, ou laissez-les vides."),
                ));
            }
            Some(checked)
        }
        Err(EditError::Invalid(report)) => {
            errors.extend(field_errors(&report));
            None
        }
        Err(e) => return Err(WebError::Unavailable(e.to_string())),
    };
    let mut p = page(
        &state,
        &current,
        &proposed,
        &hours,
        errors.clone(),
        FormContext {
            token,
            avant: avant_text,
            moderated,
        },
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
