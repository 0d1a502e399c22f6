//! `validate_path`: the import's checks, with what the import repairs reported as errors, and
//! the same verdict as the reference validator (`frictionless validate`) where the schema has
//! a rule.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use maillage_standard::read::{read_path, Format, ReadError};
use maillage_standard::validate::validate_path;
use maillage_standard::{Report, Severity};
use support::{file, frictionless, shared, temp_file, v1_csv};

fn error_lines(report: &Report) -> BTreeSet<u64> {
    report.errors().filter_map(|e| e.line).collect()
}

#[test]
fn the_official_examples_are_valid() {
    let report = validate_path(&shared("standard-mediation-num/exemple-valide.csv"), None)
        .expect("readable");
    assert!(report.is_valid(), "{:#?}", report.issues);
    assert_eq!(report.rows, 1);
    assert_eq!(report.warnings().count(), 0);

    let report = validate_path(
        &shared("standard-mediation-num/exemple-valide-v0.1.1.csv"),
        None,
    )
    .expect("readable");
    assert!(report.is_valid(), "{:#?}", report.issues);
    let first = &report.issues[0];
    assert!(first.line.is_none() && first.message.contains("version 0.1"));
}

#[test]
fn what_the_import_repairs_is_an_error_for_the_validator() {
    let csv = v1_csv(
        &[
            &[("telephone", "05 55 77 75 89")],
            &[("code_postal", "5110")],
            &[(
                "services",
                "Aide aux démarches administratives;Loisirs et créations numériques",
            )],
        ],
        b',',
    );
    let (_dir, path) = temp_file("repare.csv", &csv);
    let report = validate_path(&path, None).expect("readable");
    assert_eq!(error_lines(&report), BTreeSet::from([2, 3, 4]));
    assert_eq!(
        report.rejected, 3,
        "for the validator, a row with an error does not conform"
    );

    let mut n = 0;
    let import =
        read_path(&path, &Format::Auto, &file("t"), None, &mut |_| n += 1).expect("readable");
    assert!(import.is_valid());
    assert_eq!(n, 3);
    assert_eq!(import.warnings().count(), report.errors().count());
}

#[test]
fn a_missing_required_column_fails_validation_but_not_import() {
    let text = String::from_utf8(v1_csv(&[&[]], b',')).expect("utf-8");
    // Drop the `pivot` column (the second one).
    let without: String = text
        .lines()
        .map(|l| {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(l.as_bytes());
            let rec = r.records().next().expect("row").expect("valid");
            let mut w = csv::Writer::from_writer(Vec::new());
            let fields: Vec<&str> = rec
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != 1)
                .map(|(_, f)| f)
                .collect();
            w.write_record(&fields).expect("write");
            String::from_utf8(w.into_inner().expect("flush")).expect("utf-8")
        })
        .collect();
    let (_dir, path) = temp_file("sans-pivot.csv", without.as_bytes());
    match validate_path(&path, None) {
        Err(ReadError::MissingColumns(cols)) => assert_eq!(cols, vec!["pivot".to_string()]),
        other => panic!("{other:?}"),
    }
    let mut n = 0;
    let report = read_path(&path, &Format::Auto, &file("t"), None, &mut |_| n += 1)
        .expect("import works without pivot");
    assert_eq!(n, 1);
    assert!(report
        .warnings()
        .any(|w| w.line.is_none() && w.message.contains("« pivot » absente")));
}

#[test]
fn validate_refuses_files_that_are_not_the_standard() {
    let err = validate_path(&shared("france-services/liste-fs-20240801.csv"), None)
        .expect_err("not the standard");
    assert!(err.to_string().contains("france-services"), "{err}");
}

/// One row per rule the schema states (plus clean rows): the rows we flag are the rows
/// frictionless flags.
#[test]
fn validate_flags_the_same_rows_as_frictionless() {
    let long = "x".repeat(300);
    let csv = v1_csv(
        &[
            &[("id", "propre-1")],
            &[("code_postal", "5110")],
            &[("telephone", "05 55 77 75 89")],
            &[("services", "Réparation de vélos")],
            &[("date_maj", "02/04/2024")],
            &[("nom", "")],
            &[("code_insee", "ABCDE")],
            &[("pivot", "12-34")],
            &[("presentation_resume", long.as_str())],
            &[("itinerance", "Parfois")],
            &[("id", "propre-1")],
            &[("latitude", "49,25")],
            &[("frais_a_charge", "Gratuit;Payant")],
            &[("id", "propre-2")],
        ],
        b',',
    );
    let (dir, path) = temp_file("regles.csv", &csv);
    let ours = validate_path(&path, None).expect("readable");
    let ours_lines = error_lines(&ours);
    assert_eq!(
        ours_lines,
        (3..=14).collect::<BTreeSet<u64>>(),
        "{:#?}",
        ours.issues
    );

    let Some(tool) = frictionless() else { return };
    let theirs = frictionless_error_rows(&tool, dir.path(), &path);
    assert_eq!(ours_lines, theirs);
}

fn frictionless_error_rows(tool: &Path, _dir: &Path, csv: &Path) -> BTreeSet<u64> {
    let schema = shared("standard-mediation-num/schema-v1.0.1.json");
    let out = Command::new(tool)
        .arg("validate")
        .arg(csv)
        .arg("--schema")
        .arg(&schema)
        .arg("--json")
        .arg("--trusted")
        .output()
        .expect("frictionless runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "frictionless output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut rows = BTreeSet::new();
    for task in report["tasks"].as_array().into_iter().flatten() {
        for e in task["errors"].as_array().into_iter().flatten() {
            rows.insert(e["rowNumber"].as_u64().expect("row-level errors only"));
        }
    }
    rows
}

#[test]
fn validation_is_the_import_with_stricter_severities() {
    // Same file, same issues (line, field, value), only severities differ.
    let csv = v1_csv(
        &[
            &[
                ("telephone", "05 55 77 75 89"),
                ("latitude", "1.35"),
                ("longitude", "44.01"),
            ],
            &[("nom", "")],
        ],
        b',',
    );
    let (_dir, path) = temp_file("memes.csv", &csv);
    let v = validate_path(&path, None).expect("readable");
    let i = read_path(&path, &Format::Auto, &file("t"), None, &mut |_| {}).expect("readable");
    let key = |r: &Report| -> Vec<(Option<u64>, Option<String>, Option<String>)> {
        r.issues
            .iter()
            .filter(|x| x.line.is_some())
            .map(|x| (x.line, x.field.clone(), x.value.clone()))
            .collect()
    };
    assert_eq!(key(&v), key(&i));
    assert!(v.errors().count() > i.errors().count());
    assert!(v
        .issues
        .iter()
        .any(|x| x.severity == Severity::Warning && x.message.contains("inversées")));
}

/// The field catalogue (`model::fields`) is the schema's: names, order, required flags, and
/// the number/date types (five hand-written copies of the names had been free to drift).
#[test]
fn the_field_catalogue_is_the_schema() {
    use maillage_model::fields::{FieldKind, FIELDS};
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(shared("standard-mediation-num/schema-v1.0.1.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let fields = schema["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), FIELDS.len());
    for (theirs, ours) in fields.iter().zip(FIELDS.iter()) {
        assert_eq!(theirs["name"].as_str(), Some(ours.name));
        let required = theirs["constraints"]["required"].as_bool().unwrap_or(false);
        assert_eq!(required, ours.required, "{}", ours.name);
        let kind = match theirs["type"].as_str() {
            Some("number") => Some(FieldKind::Number),
            Some("date") => Some(FieldKind::Date),
            _ => None,
        };
        if let Some(kind) = kind {
            assert_eq!(kind, ours.kind, "{}", ours.name);
        } else {
            assert!(
                matches!(ours.kind, FieldKind::Text | FieldKind::List),
                "{}",
                ours.name
            );
        }
    }
}
