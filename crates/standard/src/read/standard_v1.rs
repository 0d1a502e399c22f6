//! The standard des lieux de médiation numérique v1.0.1/v1.0.2, in CSV and in JSON.
//!
//! The CSV is the standard's own form (`,` between fields, `|` between list values), but
//! files made in a spreadsheet come with `;` and in Windows-1252: both are read. The JSON is an
//! array of objects with the same field names (list values as `|`-joined strings or as JSON
//! arrays), possibly wrapped as `{"data": […]}`. The streaming drivers here also serve the
//! v0.1 reader ([`super::v0`]), which differs only in how a row becomes a place
//! ([`Dialect`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use maillage_model::{
    CommuneLookup, Dispositif, FormationLabel, Frais, Itinerance, ModaliteAcces,
    ModaliteAccompagnement, Place, PriseEnCharge, Public, Service,
};

use super::common::{
    check_columns, column_index, for_each_json_element, join_csv, json_broken, json_cell, open_csv,
    split_list, unknown_keys_warning, Fields, FileState, JsonEnd, Mode, RowCheck, RowEnv,
};
use super::ReadError;
use crate::record::{Record, SourceFile};
use crate::report::Report;

/// The 32 fields of the standard v1.0.1/v1.0.2, in the schema's order (the catalogue's).
pub const FIELDS: [&str; 32] = maillage_model::fields::FIELD_NAMES;

/// Fields the schema marks required.
pub const REQUIRED: [&str; maillage_model::fields::REQUIRED_COUNT] =
    maillage_model::fields::REQUIRED_NAMES;

/// Columns without which a place cannot be built at all (the import's minimum): without
/// `id`, `pivot` or `date_maj` the import still works (hashed id, no SIRET, the file's date).
pub const REQUIRED_FOR_IMPORT: [&str; 4] = ["nom", "commune", "code_postal", "adresse"];

/// The standard's `presentation_resume` limit.
const RESUME_MAX: usize = 280;

/// A place built from one row, before the file-level checks.
pub struct Built {
    pub place: Place,
    pub source_id: String,
    /// Whether `source_id` is the file's own `id` (then duplicates are errors).
    pub id_from_file: bool,
    pub extra: BTreeMap<String, String>,
}

/// What differs between the standard's versions: field names and how a row becomes a place.
pub struct Dialect {
    pub name: &'static str,
    pub known: &'static [&'static str],
    pub required_import: &'static [&'static str],
    pub required_validate: &'static [&'static str],
    /// Separator used to join JSON arrays into a cell.
    pub list_sep: &'static str,
    pub build: fn(&RowEnv, &mut RowCheck, &Fields) -> Built,
}

/// The v1 dialect.
pub const V1: Dialect = Dialect {
    name: "standard v1",
    known: &FIELDS,
    required_import: &REQUIRED_FOR_IMPORT,
    required_validate: &REQUIRED,
    list_sep: "|",
    build: build_v1,
};

impl Dialect {
    /// Reads a file of this dialect for import, CSV or JSON array (v1 and v0.1 share the
    /// drivers below).
    pub fn read<R: Read + Send>(
        &self,
        json: bool,
        input: R,
        file: &SourceFile,
        lookup: Option<&dyn CommuneLookup>,
        on_record: &mut dyn FnMut(Record),
    ) -> Result<Report, ReadError> {
        if json {
            read_json_with(self, input, file, lookup, Mode::Import, on_record)
        } else {
            read_csv_with(self, input, file, lookup, Mode::Import, on_record)
        }
    }
}

/// Rows handed from the CSV thread to the checking thread at a time.
const BATCH: usize = 256;

/// The CSV driver: streams the rows of a CSV through a dialect.
///
/// Decoding and splitting the CSV run on their own thread, a few batches ahead of the checks
/// (bounded channel: memory stays flat), so two cores work on a big file.
pub fn read_csv_with<R: Read + Send>(
    dialect: &Dialect,
    input: R,
    file: &SourceFile,
    lookup: Option<&dyn CommuneLookup>,
    mode: Mode,
    on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    let mut input = open_csv(input)?;
    let required = match mode {
        Mode::Import => dialect.required_import,
        Mode::Validate => dialect.required_validate,
    };
    check_columns(&input.header, dialect.known, required, dialect.name)?;
    let mut state = FileState::new(file, lookup, mode);
    state.report.delimiter = Some(input.delimiter as char);
    state.unknown_columns(&input.header, dialect.known);
    if mode == Mode::Import {
        for c in dialect.required_validate {
            if !input.header.iter().any(|h| h == c) {
                state.file_warning(
                    Some(c.to_string()),
                    format!("colonne obligatoire du standard « {c} » absente : lue comme vide"),
                );
            }
        }
    }
    let header = std::mem::take(&mut input.header);
    let index = column_index(&header);
    let width = header.len();
    let delimiter = input.delimiter;
    let encoding_of = input.encoding_of;
    let mut reader = input.reader;

    type Batch = Vec<Result<csv::StringRecord, csv::Error>>;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
    // Checked batches come back to the CSV thread, which reads the next rows into the same
    // records: no allocation per row, and no memory freed on another thread than the one
    // that took it (both showed in the profile).
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Batch>();
    let encoding = std::thread::scope(|scope| -> Result<&'static str, ReadError> {
        let producer = scope.spawn(move || {
            let mut batch: Batch = Vec::with_capacity(BATCH);
            let mut pool: Vec<csv::StringRecord> = Vec::new();
            // Sized like the previous row, so a record does not grow by reallocations.
            let mut last_len = 1024;
            loop {
                if pool.is_empty() {
                    while let Ok(old) = back_rx.try_recv() {
                        pool.extend(old.into_iter().flatten());
                    }
                }
                let mut record = pool
                    .pop()
                    .unwrap_or_else(|| csv::StringRecord::with_capacity(last_len, width));
                match reader.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        last_len = record.as_slice().len().max(64) * 5 / 4;
                        batch.push(Ok(record));
                    }
                    Err(e) => {
                        let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                        batch.push(Err(e));
                        if fatal {
                            break;
                        }
                    }
                }
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.send(full).is_err() {
                        break; // the checking side stopped
                    }
                }
            }
            let _ = tx.send(batch);
            encoding_of(reader.get_ref().get_ref().1)
        });
        let env = state.env();
        for batch in rx {
            // The checks of a row depend on nothing else; then rows are finished in order
            // (ids, referential, report).
            let checked = check_batch(dialect, &env, &header, &index, width, &batch);
            for (item, checked) in batch.iter().zip(checked) {
                let record = match item {
                    Ok(r) => r,
                    Err(e) => {
                        if let csv::ErrorKind::Io(io) = e.kind() {
                            return Err(ReadError::Unreadable(format!(
                                "lecture interrompue : {io}"
                            )));
                        }
                        let line = e.position().map_or(0, |p| p.line());
                        let mut row = state.row(line);
                        row.error("", "", format!("ligne illisible : {e}"));
                        state.finish(
                            row,
                            String::new(),
                            false,
                            Place::default(),
                            BTreeMap::new(),
                            String::new,
                            on_record,
                        );
                        continue;
                    }
                };
                let Some((mut row, built)) = checked else {
                    continue; // a blank line
                };
                match built {
                    Some(mut built) => {
                        state.locate(&mut row, &mut built.place);
                        state.finish(
                            row,
                            built.source_id,
                            built.id_from_file,
                            built.place,
                            built.extra,
                            || join_csv(record, delimiter),
                            on_record,
                        );
                    }
                    None => state.finish(
                        row,
                        String::new(),
                        false,
                        Place::default(),
                        BTreeMap::new(),
                        || join_csv(record, delimiter),
                        on_record,
                    ),
                }
            }
            let _ = back_tx.send(batch);
        }
        producer
            .join()
            .map_err(|_| ReadError::Unreadable("la lecture du fichier a échoué".into()))
    })?;
    if state.report.rows == 0 {
        return Err(ReadError::HeaderOnly);
    }
    state.report.encoding = Some(encoding.to_string());
    Ok(state.report)
}

/// A checked CSV row: `None` for a blank line; the row's issues and its place, or no place
/// when the row is cut (wrong number of fields).
type Checked = Option<(RowCheck, Option<Built>)>;

/// Checks a batch of rows.
///
/// (Checking the two halves of a batch on two threads was tried: on the shared 2-core machine
/// it cost more CPU than it saved — allocations freed across threads, a core already busy
/// with the CSV thread — so the checks stay on one thread.)
fn check_batch(
    dialect: &Dialect,
    env: &RowEnv,
    header: &[String],
    index: &super::common::ColumnIndex,
    width: usize,
    batch: &[Result<csv::StringRecord, csv::Error>],
) -> Vec<Checked> {
    batch
        .iter()
        .map(|item| match item {
            Ok(record) => check_one(dialect, env, header, index, width, record),
            Err(_) => None,
        })
        .collect()
}

/// The checks of one CSV row that need nothing but the row.
fn check_one(
    dialect: &Dialect,
    env: &RowEnv,
    header: &[String],
    index: &super::common::ColumnIndex,
    width: usize,
    record: &csv::StringRecord,
) -> Checked {
    let line = record.position().map_or(0, |p| p.line());
    if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
        return None;
    }
    let mut row = env.row(line);
    if record.len() != width {
        row.error(
            "",
            "",
            format!(
                "ligne coupée ou mal découpée : {} champs au lieu de {} (fichier tronqué, \
                 ou délimiteur non protégé par des guillemets)",
                record.len(),
                width
            ),
        );
        return Some((row, None));
    }
    let mut values = Vec::with_capacity(width);
    values.extend(record.iter());
    let fields = Fields::indexed(header, index, values);
    let built = (dialect.build)(env, &mut row, &fields);
    Some((row, Some(built)))
}

/// The JSON driver: streams the objects of a JSON array through a dialect.
pub fn read_json_with<R: Read>(
    dialect: &Dialect,
    input: R,
    file: &SourceFile,
    lookup: Option<&dyn CommuneLookup>,
    mode: Mode,
    on_record: &mut dyn FnMut(Record),
) -> Result<Report, ReadError> {
    let mut state = FileState::new(file, lookup, mode);
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    let mut format_error: Option<ReadError> = None;
    let end = for_each_json_element(input, &mut |index, value| {
        if format_error.is_some() {
            return;
        }
        let serde_json::Value::Object(obj) = value else {
            let mut row = state.row(index);
            row.error(
                "",
                "",
                format!("l'élément n° {index} n'est pas un objet JSON : ignoré"),
            );
            let raw = value.to_string();
            state.finish(
                row,
                String::new(),
                false,
                Place::default(),
                BTreeMap::new(),
                || raw,
                on_record,
            );
            return;
        };
        let names: Vec<String> = obj.keys().cloned().collect();
        if index == 1 && !dialect.known.iter().any(|k| obj.contains_key(*k)) {
            format_error = Some(ReadError::NotFormat {
                expected: dialect.name,
                detail: format!(
                    "le premier objet n'a aucun des champs attendus (trouvé : {})",
                    names.iter().take(6).cloned().collect::<Vec<_>>().join(", ")
                ),
            });
            return;
        }
        for n in &names {
            if !dialect.known.contains(&n.as_str()) && unknown.len() < 200 {
                unknown.insert(n.clone());
            }
        }
        let cells: Vec<String> = obj
            .values()
            .map(|v| json_cell(v, dialect.list_sep))
            .collect();
        let fields = Fields::new(&names, cells.iter().map(String::as_str).collect());
        let mut row = state.row(index);
        let mut built = (dialect.build)(&state.env(), &mut row, &fields);
        state.locate(&mut row, &mut built.place);
        let raw = || serde_json::Value::Object(obj.clone()).to_string();
        state.finish(
            row,
            built.source_id,
            built.id_from_file,
            built.place,
            built.extra,
            raw,
            on_record,
        );
    })?;
    if let Some(e) = format_error {
        return Err(e);
    }
    if let JsonEnd::Broken { read, message } = end {
        json_broken(&mut state, read, message);
    }
    if state.report.rows == 0 {
        return Err(ReadError::HeaderOnly);
    }
    unknown_keys_warning(&mut state, unknown);
    state.report.encoding = Some("UTF-8".into());
    Ok(state.report)
}

/// Separators accepted between list values: the standard's `|`, and `;` written by hand
/// (flagged by [`list_separators`]).
const LIST_SEPS: [char; 2] = ['|', ';'];

/// Flags `;` used between list values where v1 wants `|`.
fn list_separators(row: &mut RowCheck, field: &str, raw: &str) {
    if raw.contains(';') {
        row.violation(
            field,
            raw,
            "valeurs séparées par « ; » au lieu de « | » : lues quand même",
        );
    }
}

/// The common part of v1 and v0.1: identity, address, contact, hours, texts.
pub fn build_common(env: &RowEnv, row: &mut RowCheck, f: &Fields, place: &mut Place) {
    place.nom = row.required("nom", f.get("nom"), "nom du lieu");
    place.adresse = row.required("adresse", f.get("adresse"), "adresse");
    place.complement_adresse = row.text("complement_adresse", f.get("complement_adresse"));
    place.code_postal = row.code_postal("code_postal", f.get("code_postal"));
    place.code_insee = row.code_insee("code_insee", f.get("code_insee"));
    let commune = f.get("commune");
    place.commune = row.text("commune", commune).unwrap_or_default();
    if commune.is_empty() {
        row.error(
            "commune",
            "",
            "commune absente (champ obligatoire) : la ligne n'est pas importée",
        );
    }
    place.pivot = row.pivot("pivot", f.get("pivot"));
    place.position = row.position(f.get("latitude"), f.get("longitude"));
    place.telephone = row.telephone("telephone", f.get("telephone"));
    place.horaires = row.horaires("horaires", f.get("horaires"));
    let resume = f.get("presentation_resume");
    place.presentation_resume = row.text("presentation_resume", resume);
    if resume.chars().count() > RESUME_MAX {
        row.violation(
            "presentation_resume",
            "",
            format!(
                "résumé de {} caractères (le standard en permet {RESUME_MAX}) : gardé en entier",
                resume.chars().count()
            ),
        );
    }
    place.presentation_detail = row.text("presentation_detail", f.get("presentation_detail"));
    place.source = row.text("source", f.get("source"));
    place.structure_parente = row.text("structure_parente", f.get("structure_parente"));
    place.date_maj = env.date_maj(row, "date_maj", f.get("date_maj"));
    place.prise_rdv = row.url("prise_rdv", f.get("prise_rdv"));
}

/// The source id: the `id` field, or a hash of the row when the source gives none.
pub fn source_id(row: &mut RowCheck, f: &Fields) -> (String, bool) {
    let id = f.get("id");
    if id.is_empty() {
        row.violation(
            "id",
            "",
            "identifiant absent (champ obligatoire) : un identifiant stable est calculé à partir de la ligne",
        );
        (f.stable_id(), false)
    } else {
        (id.to_string(), true)
    }
}

fn build_v1(env: &RowEnv, row: &mut RowCheck, f: &Fields) -> Built {
    let mut place = Place::default();
    let (source_id, id_from_file) = source_id(row, f);
    build_common(env, row, f, &mut place);
    for field in [
        "typologie",
        "courriels",
        "site_web",
        "itinerance",
        "services",
        "publics_specifiquement_adresses",
        "prise_en_charge_specifique",
        "frais_a_charge",
        "dispositif_programmes_nationaux",
        "formations_labels",
        "modalites_acces",
        "modalites_accompagnement",
    ] {
        list_separators(row, field, f.get(field));
    }
    place.typologie = row.typologie("typologie", f.get("typologie"), &LIST_SEPS);
    place.courriels = row.courriels("courriels", f.get("courriels"));
    place.site_web = row.urls("site_web", f.get("site_web"), &LIST_SEPS);
    place.itinerance = row.list(
        "itinerance",
        f.get("itinerance"),
        &LIST_SEPS,
        Itinerance::ALL,
        Itinerance::from_label,
        Itinerance::label,
    );
    place.services = row.list(
        "services",
        f.get("services"),
        &LIST_SEPS,
        Service::ALL,
        Service::from_label,
        Service::label,
    );
    place.publics_specifiquement_adresses = row.list(
        "publics_specifiquement_adresses",
        f.get("publics_specifiquement_adresses"),
        &LIST_SEPS,
        Public::ALL,
        Public::from_label,
        Public::label,
    );
    place.prise_en_charge_specifique = row.list(
        "prise_en_charge_specifique",
        f.get("prise_en_charge_specifique"),
        &LIST_SEPS,
        PriseEnCharge::ALL,
        PriseEnCharge::from_label,
        PriseEnCharge::label,
    );
    place.frais_a_charge = row.list(
        "frais_a_charge",
        f.get("frais_a_charge"),
        &LIST_SEPS,
        Frais::ALL,
        Frais::from_label,
        Frais::label,
    );
    place.dispositif_programmes_nationaux = row.list(
        "dispositif_programmes_nationaux",
        f.get("dispositif_programmes_nationaux"),
        &LIST_SEPS,
        Dispositif::ALL,
        Dispositif::from_label,
        Dispositif::label,
    );
    place.formations_labels = row.list(
        "formations_labels",
        f.get("formations_labels"),
        &LIST_SEPS,
        FormationLabel::ALL,
        FormationLabel::from_label,
        FormationLabel::label,
    );
    place.autres_formations_labels = split_list(f.get("autres_formations_labels"), &['|'])
        .map(str::to_string)
        .collect();
    place.modalites_acces = row.list(
        "modalites_acces",
        f.get("modalites_acces"),
        &LIST_SEPS,
        ModaliteAcces::ALL,
        ModaliteAcces::from_label,
        ModaliteAcces::label,
    );
    place.modalites_accompagnement = row.list(
        "modalites_accompagnement",
        f.get("modalites_accompagnement"),
        &LIST_SEPS,
        ModaliteAccompagnement::ALL,
        ModaliteAccompagnement::from_label,
        ModaliteAccompagnement::label,
    );
    place.fiche_acces_libre = row.url("fiche_acces_libre", f.get("fiche_acces_libre"));
    Built {
        place,
        source_id,
        id_from_file,
        extra: BTreeMap::new(),
    }
}
