//! One change to one place: a structure's edit, a coordinator's correction, an approved
//! moderation. Written once here so that the web forms, the moderation queue and the command
//! line all go through the same path as an import.
//!
//! Why a change is a *source record* of its own (source [`EDIT_SOURCE`], id = the place's id)
//! rather than an overwrite of the merged values: the store re-merges a place from its
//! records with the freshest-value rule, field by field. A structure's edit dated today then
//! wins over every older file, and stays the winner when an older file is imported again
//! later; a newer national file still updates the fields the structure did not touch. The
//! provenance of each field says "saisie" and the date, like for any source.
//!
//! The values are checked by the standard's own reader: the place is written as a standard
//! v1 JSON record and read back in import mode ([`check_place`]). There is no second set of
//! rules to drift apart from the import's.

use chrono::NaiveDate;
use maillage_model::{CommuneLookup, Place, SourceRef};
use maillage_standard::read::common::Mode;
use maillage_standard::read::standard_v1::{read_json_with, V1};
use maillage_standard::report::{Report, Severity};
use maillage_standard::write::{standard_object, standard_row, ExportOptions, STANDARD_FIELDS};
use maillage_standard::SourceFile;
use maillage_store::{ImportOutcome, ImportPlan, SourceRecord, Store, StoreError};

use crate::import::planned_place;

/// The source name of the values given through the site (an editor, a coordinator).
pub const EDIT_SOURCE: &str = "saisie";

/// One change asked for one place.
#[derive(Debug, Clone)]
pub struct PlaceChange {
    /// The place changed (an existing id).
    pub place_id: String,
    /// Every field as the editor left it (the form shows the current merged values).
    pub place: Place,
    /// Who gives the values, for the import log (`editeur:3`, `coordination:1`).
    pub author: String,
    /// The date the values are valid at (today, for an edit).
    pub date: NaiveDate,
}

/// What a change did.
#[derive(Debug, Clone)]
pub struct ChangeOutcome {
    pub place_id: String,
    /// The standard's fields whose published value changed.
    pub changed_fields: Vec<String>,
    /// The warnings of the checks (values repaired on the way: a phone rewritten in E.164…).
    pub report: Report,
    pub outcome: ImportOutcome,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("lieu introuvable : {0}")]
    NotFound(String),
    /// The values do not pass the standard's checks; nothing was written. The report names
    /// each field and why.
    #[error("la modification n'est pas valable ({} problème(s))", .0.error_count())]
    Invalid(Report),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// Checks a place with the import's checks, as if it came in a standard file. Returns the
/// place as the import would store it (values normalised), with the warnings; or the report
/// of what makes it unusable.
pub fn check_place(
    place: &Place,
    lookup: Option<&dyn CommuneLookup>,
    date: NaiveDate,
) -> Result<(Place, Report), EditError> {
    // The writer's object, with the values it would drop or rewrite for re-users (a phone not
    // in E.164, hours that are not OSM) put back as given: the reader must see and judge
    // what the editor typed, not a cleaned copy.
    let mut object = standard_object(
        place,
        &ExportOptions {
            fallback_date: date,
        },
    );
    for (field, raw) in [
        ("telephone", place.telephone.as_deref()),
        ("horaires", place.horaires.as_deref()),
    ] {
        if let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) {
            object.insert(field.into(), serde_json::Value::String(raw.into()));
        }
    }
    let json = serde_json::to_vec(&[serde_json::Value::Object(object)])
        .map_err(|e| EditError::Internal(format!("écriture du lieu : {e}")))?;
    let file = SourceFile {
        source: EDIT_SOURCE.into(),
        date,
    };
    let mut read = None;
    let report = read_json_with(
        &V1,
        json.as_slice(),
        &file,
        lookup,
        Mode::Import,
        &mut |r| read = Some(r),
    )
    .map_err(|e| EditError::Internal(format!("relecture du lieu : {e}")))?;
    match read {
        Some(r) if report.error_count() == 0 => {
            let mut checked = r.place;
            checked.id = place.id.clone();
            Ok((checked, report))
        }
        _ => Err(EditError::Invalid(report)),
    }
}

/// Applies one change to one place in one transaction, through the import's checks and
/// merge. The place's other source records are kept; its edit record is replaced.
pub async fn apply_change(
    store: &dyn Store,
    lookup: Option<&dyn CommuneLookup>,
    change: PlaceChange,
) -> Result<ChangeOutcome, EditError> {
    let stored = store
        .place(&change.place_id)
        .await?
        .ok_or_else(|| EditError::NotFound(change.place_id.clone()))?;
    let mut given = change.place.clone();
    given.id = stored.place.id.clone();
    // The edit's own `date_maj` is the date it was made: it decides the freshest value.
    given.date_maj = Some(change.date);
    let (checked, report) = check_place(&given, lookup, change.date)?;
    let source = SourceRef {
        source: EDIT_SOURCE.into(),
        source_id: stored.place.id.clone(),
    };
    let mut records: Vec<SourceRecord> = stored
        .records
        .iter()
        .filter(|r| r.source != source)
        .cloned()
        .collect();
    records.push(SourceRecord {
        source,
        place: checked,
        observed: change.date,
    });
    let planned = planned_place(
        stored.place.id.clone(),
        records,
        stored.merge_reasons.clone(),
        Vec::new(),
    );
    let changed_fields = changed_fields(&stored.place, &planned.place);
    let outcome = store
        .apply_import(ImportPlan {
            source: EDIT_SOURCE.into(),
            file: change.author.clone(),
            places: vec![planned],
            rejected: 0,
        })
        .await?;
    Ok(ChangeOutcome {
        place_id: stored.place.id,
        changed_fields,
        report,
        outcome,
    })
}

/// The standard's fields whose exported value differs between two versions of a place.
pub fn changed_fields(before: &Place, after: &Place) -> Vec<String> {
    let options = ExportOptions::default();
    let a = standard_row(before, &options);
    let b = standard_row(after, &options);
    STANDARD_FIELDS
        .iter()
        .zip(a.iter().zip(b.iter()))
        .filter(|(name, (x, y))| x != y && **name != "date_maj")
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The errors of a report, as `(field, message)` pairs for a form.
pub fn field_errors(report: &Report) -> Vec<(String, String)> {
    report
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| (i.field.clone().unwrap_or_default(), i.message.clone()))
        .collect()
}
