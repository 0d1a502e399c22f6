//! Imports from the browser: the upload (streamed to a file on the server, never held in
//! memory, refused past the configured size with the limit in words), the dry run of the
//! uploaded file (what would be created, updated, merged and rejected, every problem with its
//! line, field and value), the rejected rows as a CSV, the apply (one transaction, through
//! `maillage_directory::import_runs`) and the history: who imported which file, when, with
//! what result.
//!
//! An uploaded run is seen only by the person who uploaded it and the administrators; the
//! history of applied imports is seen by every coordinator.

use std::io::Write;

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maillage_directory::import_runs::{self, DryRun, PlannedCounts, RunError};
use maillage_standard::Severity;
use maillage_store::accounts::{Account, Role};
use maillage_store::coordination::{ImportRun, NewImportRun, RUN_APPLIED, RUN_STAGED};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{blocking, coordinator, Scope};
use crate::accounts::{self as acc, Viewer};
use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::AppState;

/// Problems shown on the page; beyond, the page says how many more and the CSV has the
/// rejected rows (a large file with a systematic problem must not make a page of 100,000 rows).
const SHOWN_ISSUES: usize = 2000;

/// Whether an account may see a run that is not applied yet.
pub fn visible(account: &Account, run: &ImportRun) -> bool {
    account.role == Role::Admin || run.account_id == Some(account.id)
}

/// One line of the history.
pub struct HistoryLine {
    pub run: ImportRun,
    pub who: String,
    pub status: &'static str,
}

#[derive(askama::Template)]
#[template(path = "coordination_imports.html")]
struct ImportsPage {
    layout: Layout,
    token: String,
    formats: &'static [(&'static str, &'static str)],
    max_mo: u64,
    error: Option<String>,
    history: Vec<HistoryLine>,
}

fn status_label(status: &str) -> &'static str {
    match status {
        RUN_STAGED => "essai, non appliqué",
        RUN_APPLIED => "appliqué",
        _ => "en cours d'application",
    }
}

async fn history(state: &AppState, viewer: &Viewer) -> Result<Vec<HistoryLine>, WebError> {
    let store = acc::store(state)?;
    let mut out = Vec::new();
    for run in state.store.import_runs(100).await? {
        if run.status != RUN_APPLIED && !visible(&viewer.account, &run) {
            continue;
        }
        let who = match run.account_id {
            Some(id) => store
                .account(id)
                .await?
                .map(|a| a.email)
                .unwrap_or_default(),
            None => "compte supprimé".into(),
        };
        out.push(HistoryLine {
            status: status_label(&run.status),
            run,
            who,
        });
    }
    Ok(out)
}

async fn imports_page(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let page = ImportsPage {
        layout: Layout::new("Importer des fichiers", ""),
        token: acc::form_token(state, viewer).await?,
        formats: import_runs::FORMATS,
        max_mo: state.accounts.upload_max_bytes / (1024 * 1024),
        error,
        history: history(state, viewer).await?,
    };
    let mut r = render(&page)?;
    *r.status_mut() = status;
    Ok(r)
}

/// `GET /coordination/imports`: the upload form and the history.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    imports_page(&state, &viewer, None, StatusCode::OK).await
}

/// A file name safe to keep on the server (the extension stays: the format is detected from
/// it); the browser's name is shown as sent, escaped.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .take(120)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "import".into()
    } else {
        cleaned
    }
}

/// Where one upload is written: a fresh folder of its own, so two uploads of files with the
/// same name never meet.
fn upload_folder(state: &AppState) -> Result<std::path::PathBuf, WebError> {
    let dir = state.accounts.upload_dir.join(&acc::random_token()[..24]);
    std::fs::create_dir_all(&dir)
        .map_err(|e| WebError::Unavailable(format!("dossier des imports : {e}")))?;
    Ok(dir)
}

fn too_large(max: u64) -> String {
    format!(
        "Le fichier dépasse la taille maximale acceptée ({} Mo). Découpez-le, ou demandez à l'équipe technique de l'importer avec la commande « maillage import ».",
        max / (1024 * 1024)
    )
}

/// `POST /coordination/imports` (multipart: `jeton`, `format`, `fichier`): writes the file to
/// the server as it arrives, then shows its dry run.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let max = state.accounts.upload_max_bytes;
    // A declared size over the limit is refused before a byte is read.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max + 64 * 1024) {
        return imports_page(
            &state,
            &viewer,
            Some(too_large(max)),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
    }
    let mut multipart = multipart.map_err(|_| super::unreadable())?;
    let (mut token, mut format) = (String::new(), "auto".to_string());
    let mut file: Option<(std::path::PathBuf, String, u64, String)> = None;
    let mut folder: Option<std::path::PathBuf> = None;
    let outcome: Result<(), String> = async {
        while let Some(mut field) = multipart.next_field().await.map_err(|_| {
            "L'envoi du fichier a été interrompu ; envoyez-le à nouveau.".to_string()
        })? {
            match field.name().unwrap_or_default() {
                "jeton" => token = field.text().await.unwrap_or_default(),
                "format" => format = field.text().await.unwrap_or_default(),
                "fichier" if file.is_none() => {
                    let original = field.file_name().unwrap_or_default().to_string();
                    if original.trim().is_empty() {
                        continue;
                    }
                    let dir = upload_folder(&state).map_err(|e| e.to_string())?;
                    let path = dir.join(safe_name(&original));
                    folder = Some(dir);
                    // Plain blocking writes of each chunk (tens of kilobytes into the page
                    // cache): the body is never gathered in memory.
                    let mut out = std::fs::File::create(&path)
                        .map_err(|_| "Le fichier n'a pas pu être enregistré.".to_string())?;
                    let (mut size, mut sha) = (0u64, Sha256::new());
                    while let Some(chunk) = field.chunk().await.map_err(|_| {
                        "L'envoi du fichier a été interrompu ; envoyez-le à nouveau.".to_string()
                    })? {
                        size += chunk.len() as u64;
                        if size > max {
                            return Err(too_large(max));
                        }
                        sha.update(&chunk);
                        out.write_all(&chunk)
                            .map_err(|_| "Le fichier n'a pas pu être enregistré.".to_string())?;
                    }
                    out.flush()
                        .map_err(|_| "Le fichier n'a pas pu être enregistré.".to_string())?;
                    file = Some((path, original, size, hex::encode(sha.finalize())));
                }
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    let discard = |folder: &Option<std::path::PathBuf>| {
        if let Some(dir) = folder {
            let _ = std::fs::remove_dir_all(dir);
        }
    };
    if let Err(message) = outcome {
        discard(&folder);
        let status = if message.starts_with("Le fichier dépasse") {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        return imports_page(&state, &viewer, Some(message), status).await;
    }
    if let Err(e) = acc::check_form_token(&state, &viewer, &token).await {
        discard(&folder);
        return Err(e);
    }
    let Some((path, original, size, sha256)) = file.filter(|f| f.2 > 0) else {
        discard(&folder);
        return imports_page(
            &state,
            &viewer,
            Some("Choisissez un fichier non vide à importer.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if !import_runs::FORMATS.iter().any(|(f, _)| *f == format) {
        discard(&folder);
        return imports_page(
            &state,
            &viewer,
            Some("Choisissez un format dans la liste.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let name: String = original.trim().chars().take(255).collect();
    let id = import_runs::stage(
        state.store.as_ref(),
        NewImportRun {
            account_id: viewer.account.id,
            file_name: name,
            stored_path: path.display().to_string(),
            size_bytes: size,
            sha256,
            format,
        },
    )
    .await
    .map_err(run_error)?;
    Ok(acc::see_other(&format!("/coordination/imports/{id}")))
}

/// "la base…" → "La base…" (the use case's messages follow a colon elsewhere).
fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn run_error(e: RunError) -> WebError {
    match e {
        RunError::NotFound => WebError::NotFound("cet import n'existe pas".into()),
        RunError::Store(e) => e.into(),
        other => WebError::BadRequest(other.to_string()),
    }
}

/// The run, if this person may see it (else "not found", like an id that does not exist).
async fn run_for(state: &AppState, viewer: &Viewer, id: &str) -> Result<ImportRun, WebError> {
    let not_found = || WebError::NotFound("cet import n'existe pas".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let run = state.store.import_run(id).await?.ok_or_else(not_found)?;
    if run.status != RUN_APPLIED && !visible(&viewer.account, &run) {
        return Err(not_found());
    }
    Ok(run)
}

/// One problem of the dry run, as shown.
pub struct IssueLine {
    pub line: String,
    pub field: String,
    pub value: String,
    pub message: String,
    pub error: bool,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    tri: String,
}

#[derive(askama::Template)]
#[template(path = "coordination_import.html")]
struct RunPage {
    layout: Layout,
    run: ImportRun,
    status: &'static str,
    applied: bool,
    /// The dry run, for a run not applied yet.
    counts: Option<PlannedCounts>,
    rows: u64,
    records: usize,
    encoding: String,
    issues: Vec<IssueLine>,
    more_issues: u64,
    rejected_rows: usize,
    outside: usize,
    fingerprint: String,
    token: String,
    sort: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn dry_run_of(state: &AppState, run: &ImportRun) -> Result<DryRun, WebError> {
    let run = run.clone();
    blocking(state, move |store, lookup| {
        Box::pin(async move { import_runs::dry_run(store, &run, lookup).await })
    })
    .await?
    .map_err(run_error)
}

async fn run_page(
    state: &AppState,
    viewer: &Viewer,
    run: ImportRun,
    sort: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Result<RunPage, WebError> {
    let mut page = RunPage {
        layout: Layout::new(format!("Import de {}", run.file_name), ""),
        status: status_label(&run.status),
        applied: run.status == RUN_APPLIED,
        counts: None,
        rows: 0,
        records: 0,
        encoding: String::new(),
        issues: Vec::new(),
        more_issues: 0,
        rejected_rows: 0,
        outside: 0,
        fingerprint: String::new(),
        token: String::new(),
        sort: sort.to_string(),
        error,
        notice,
        run,
    };
    if page.run.status != RUN_STAGED {
        return Ok(page);
    }
    let dry = dry_run_of(state, &page.run).await?;
    let scope = Scope::of(state, &viewer.account).await;
    let report = &dry.read.report;
    let mut issues: Vec<&maillage_standard::Issue> = report.issues.iter().collect();
    match sort {
        "champ" => issues.sort_by(|a, b| a.field.cmp(&b.field).then(a.line.cmp(&b.line))),
        "gravite" => issues.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.line.cmp(&b.line))),
        _ => issues.sort_by_key(|i| i.line),
    }
    page.more_issues = (issues.len().saturating_sub(SHOWN_ISSUES)) as u64
        + report.omitted_errors
        + report.omitted_warnings;
    page.issues = issues
        .into_iter()
        .take(SHOWN_ISSUES)
        .map(|i| IssueLine {
            line: i
                .line
                .map(|l| l.to_string())
                .unwrap_or_else(|| "fichier".into()),
            field: i.field.clone().unwrap_or_default(),
            value: i.value.clone().unwrap_or_default(),
            message: i.message.clone(),
            error: i.severity == Severity::Error,
        })
        .collect();
    page.rows = report.rows;
    page.records = dry.read.records.len();
    page.encoding = report.encoding.clone().unwrap_or_default();
    page.rejected_rows = report.rejected_rows.len();
    page.outside = dry
        .read
        .records
        .iter()
        .filter(|r| !scope.contains(&r.place))
        .count();
    page.fingerprint = dry.fingerprint();
    page.counts = Some(dry.counts);
    page.token = acc::form_token(state, viewer).await?;
    Ok(page)
}

/// `GET /coordination/imports/{id}`: the dry run of an uploaded file, or what an applied
/// import did.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let run = run_for(&state, &viewer, &id).await?;
    render(&run_page(&state, &viewer, run, &q.tri, None, None).await?)
}

/// `GET /coordination/imports/{id}/rejets.csv`: the rejected rows with their problems.
pub async fn rejects(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let run = run_for(&state, &viewer, &id).await?;
    if run.status != RUN_STAGED {
        return Err(WebError::NotFound(
            "le fichier de cet import n'est plus gardé après son application".into(),
        ));
    }
    let csv = {
        let run = run.clone();
        blocking(&state, move |_, lookup| {
            Box::pin(async move {
                import_runs::read(&run, lookup).map(|r| import_runs::rejects_csv(&r.report))
            })
        })
        .await?
        .map_err(run_error)?
    };
    let name = format!("rejets-import-{}.csv", run.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    empreinte: String,
}

/// `POST /coordination/imports/{id}/appliquer`: applies the plan that was shown, in one
/// transaction; a plan changed meanwhile is not applied and the new dry run is shown.
pub async fn apply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: super::Posted<ApplyForm>,
) -> Result<Response, WebError> {
    let viewer = match coordinator(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let form = super::read_form(&state, &viewer, form, |f| &f.jeton).await?;
    let run = run_for(&state, &viewer, &id).await?;
    if !visible(&viewer.account, &run) {
        return Err(WebError::NotFound("cet import n'existe pas".into()));
    }
    let scope = Scope::of(&state, &viewer.account).await;
    let (run_id, account_id, expected) = (run.id, viewer.account.id, form.empreinte.clone());
    let result = blocking(&state, move |store, lookup| {
        Box::pin(async move {
            import_runs::apply(
                store,
                run_id,
                account_id,
                lookup,
                Some(expected.as_str()),
                &|p| scope.contains(p),
            )
            .await
        })
    })
    .await?;
    match result {
        Ok(_) => {
            state.reload().await?;
            Ok(acc::see_other(&format!("/coordination/imports/{run_id}")))
        }
        Err(RunError::AlreadyApplied | RunError::Busy) => {
            Ok(acc::see_other(&format!("/coordination/imports/{run_id}")))
        }
        Err(RunError::Stale(_)) => {
            let run = run_for(&state, &viewer, &id).await?;
            let page = run_page(
                &state,
                &viewer,
                run,
                "",
                Some("La base a changé depuis l'essai que vous avez lu (un autre import ou une modification). Rien n'a été écrit : voici le nouvel essai, relisez-le avant d'appliquer.".into()),
                None,
            )
            .await?;
            let mut r = render(&page)?;
            *r.status_mut() = StatusCode::CONFLICT;
            Ok(r)
        }
        Err(e @ (RunError::OutOfScope(_) | RunError::Unusable(_))) => {
            let run = run_for(&state, &viewer, &id).await?;
            let message = upper_first(&e.to_string());
            let page = run_page(
                &state,
                &viewer,
                run,
                "",
                Some(format!("{message}. Rien n'a été écrit.")),
                None,
            )
            .await?;
            let mut r = render(&page)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(run_error(e)),
    }
}
