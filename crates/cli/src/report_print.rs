//! Prints a read report for people: a summary line, then each problem with line and field.
//! Also writes the rejects file (the rows not imported, as they were in the source).

use std::io::Write;
use std::path::{Path, PathBuf};

use maillage_standard::{Issue, Report, Severity};

/// At most this many problems of each kind are printed; the full list is in the JSON report.
const MAX_PRINTED: usize = 30;

pub fn print_issue(out: &mut dyn Write, issue: &Issue) {
    let kind = match issue.severity {
        Severity::Error => "erreur",
        Severity::Warning => "avertissement",
    };
    let line = issue
        .line
        .map(|l| format!("ligne {l}"))
        .unwrap_or_else(|| "fichier".into());
    let field = issue
        .field
        .as_deref()
        .map(|f| format!(", champ « {f} »"))
        .unwrap_or_default();
    let value = issue
        .value
        .as_deref()
        .map(|v| {
            let short: String = v.chars().take(60).collect();
            format!(" (valeur « {short} »)")
        })
        .unwrap_or_default();
    let _ = writeln!(out, "  {kind} : {line}{field}{value} : {}", issue.message);
}

/// Prints the problems of a report (errors first), capped.
pub fn print_report(out: &mut dyn Write, report: &Report) {
    for sev in [Severity::Error, Severity::Warning] {
        let issues: Vec<&Issue> = report.issues.iter().filter(|i| i.severity == sev).collect();
        for i in issues.iter().take(MAX_PRINTED) {
            print_issue(out, i);
        }
        if issues.len() > MAX_PRINTED {
            let _ = writeln!(
                out,
                "  … et {} autres (liste complète avec --json)",
                issues.len() - MAX_PRINTED
            );
        }
    }
}

/// Writes the rejected rows of a file next to the current folder's `rejets/` and returns the
/// path, or `None` when nothing was rejected.
pub fn write_rejects(
    dir: &Path,
    source_path: &Path,
    report: &Report,
) -> std::io::Result<Option<PathBuf>> {
    if report.rejected_rows.is_empty() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir)?;
    let stem = source_path
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "import".into());
    let path = dir.join(format!("{stem}.rejets.txt"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(
        f,
        "# Lignes non importées de {} (ligne d'origine, puis la ligne telle quelle)",
        source_path.display()
    )?;
    for row in &report.rejected_rows {
        writeln!(f, "{}\t{}", row.line, row.raw.replace('\n', "\\n"))?;
    }
    f.flush()?;
    Ok(Some(path))
}
