//! The bad-input table of issue 3, one test per case: the file cannot be used → a clear
//! `ReadError` (never a panic); a bad row → an error on its line, the row kept raw in the
//! report; a bad value → a warning, the value corrected, dropped or kept as text.

mod support;

use std::path::Path;

use chrono::NaiveDate;
use maillage_model::{CommuneLookup, Dispositif, Position, Service};
use maillage_standard::read::{read_path, Format, ReadError};
use maillage_standard::{Issue, Record, Report, Severity};
use support::{file, shared, temp_file, v1_csv, TestCommunes};

fn read_with(
    path: &Path,
    format: Format,
    lookup: Option<&dyn CommuneLookup>,
) -> Result<(Report, Vec<Record>), ReadError> {
    let mut records = Vec::new();
    let report = read_path(path, &format, &file("test"), lookup, &mut |r| {
        records.push(r)
    })?;
    assert_eq!(
        records.len() as u64 + report.rejected,
        report.rows,
        "every row is a record or a rejected row"
    );
    Ok((report, records))
}

fn read_bytes(
    name: &str,
    bytes: &[u8],
    format: Format,
) -> Result<(Report, Vec<Record>), ReadError> {
    let (_dir, path) = temp_file(name, bytes);
    read_with(&path, format, None)
}

fn read_ok(name: &str, bytes: &[u8]) -> (Report, Vec<Record>) {
    read_bytes(name, bytes, Format::Auto).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn issues_on<'a>(report: &'a Report, field: &str) -> Vec<&'a Issue> {
    report
        .issues
        .iter()
        .filter(|i| i.field.as_deref() == Some(field))
        .collect()
}

#[test]
fn empty_file_is_a_clear_error() {
    for format in [
        Format::Auto,
        Format::StandardCsv,
        Format::StandardJson,
        Format::V0Csv,
    ] {
        let err = read_bytes("vide.csv", b"", format.clone()).expect_err("empty file");
        assert!(matches!(err, ReadError::Empty), "{format}: {err}");
        assert_eq!(err.to_string(), "le fichier est vide");
    }
    let err = read_bytes("blancs.csv", b"  \n\r\n ", Format::Auto).expect_err("blank file");
    assert!(matches!(err, ReadError::Empty), "{err}");
}

#[test]
fn header_only_is_a_clear_error() {
    let csv = v1_csv(&[], b',');
    let err = read_bytes("entete.csv", &csv, Format::Auto).expect_err("header only");
    assert!(matches!(err, ReadError::HeaderOnly), "{err}");
    assert!(err.to_string().contains("aucune ligne de données"));
    let err = read_bytes("vide.json", b"[]", Format::StandardJson).expect_err("empty array");
    assert!(matches!(err, ReadError::HeaderOnly), "{err}");
}

#[test]
fn random_bytes_are_a_clear_error_not_a_panic() {
    // A fixed linear congruential sequence: the same "random" bytes on every run.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let bytes: Vec<u8> = (0..20_000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 56) as u8
        })
        .collect();
    for format in [
        Format::Auto,
        Format::StandardCsv,
        Format::StandardJson,
        Format::V0Csv,
        Format::CnfsJson,
    ] {
        let err = read_bytes("hasard.bin", &bytes, format.clone()).expect_err("random bytes");
        let msg = err.to_string();
        assert!(
            matches!(err, ReadError::Unreadable(_) | ReadError::NotFormat { .. }),
            "{format}: {msg}"
        );
        assert!(!msg.is_empty());
    }
    // Random bytes after a JSON-looking start.
    let mut json = b"[{\"nom\": ".to_vec();
    json.extend_from_slice(&bytes[..200]);
    let err = read_bytes("hasard.json", &json, Format::StandardJson).expect_err("broken JSON");
    assert!(err.to_string().contains("JSON invalide"), "{err}");
}

#[test]
fn row_cut_in_the_middle_is_rejected_alone() {
    let csv = v1_csv(&[&[], &[], &[]], b',');
    // Cut the file in the middle of the last row (in its presentation text).
    let text = String::from_utf8(csv).expect("utf-8");
    let last_row_start = text[..text.len() - 1].rfind('\n').expect("rows") + 1;
    let cut = &text[..last_row_start + 300];
    let (report, records) = read_ok("coupe.csv", cut.as_bytes());
    assert_eq!((report.rows, report.rejected, records.len()), (3, 1, 2));
    let errors: Vec<&Issue> = report.errors().collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, Some(4));
    assert!(
        errors[0].message.contains("ligne coupée"),
        "{}",
        errors[0].message
    );
    assert_eq!(report.rejected_rows[0].line, 4);
    assert!(report.rejected_rows[0].raw.starts_with("lieu-3,"));

    // The same in JSON: the objects before the cut are read.
    let json = r#"[{"id": "a", "nom": "A", "commune": "Reims", "code_postal": "51100", "adresse": "1 rue X", "pivot": "43493312300029", "date_maj": "2024-04-02"},
                   {"id": "b", "nom": "B", "commune": "Reims", "code_postal": "51100", "adresse": "2 rue X", "pivot": "43493312300029", "date_maj": "2024-04-02"},
                   {"id": "c", "nom": "C", "commune": "Rei"#;
    let (report, records) = read_ok("coupe.json", json.as_bytes());
    assert_eq!((report.rows, report.rejected, records.len()), (3, 1, 2));
    let e = report.errors().next().expect("an error");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("JSON interrompu"), "{}", e.message);
}

#[test]
fn windows_1252_with_semicolons_is_decoded() {
    let csv = v1_csv(
        &[&[
            ("nom", "Médiathèque de Montbéton"),
            ("commune", "Montbéton"),
            ("code_postal", "82290"),
        ]],
        b';',
    );
    let text = String::from_utf8(csv).expect("utf-8");
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable, "the example is representable in Windows-1252");
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let (report, records) = read_ok("excel.csv", &bytes);
    assert_eq!(report.encoding.as_deref(), Some("Windows-1252"));
    assert_eq!(report.delimiter, Some(';'));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].place.nom, "Médiathèque de Montbéton");
    assert_eq!(records[0].place.commune, "Montbéton");
    // « » of the example's labels survive the round trip through Windows-1252.
    assert_eq!(records[0].place.formations_labels.len(), 2);
}

#[test]
fn utf8_bom_is_stripped_from_the_first_column() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(v1_csv(&[&[("id", "avec-bom")]], b','));
    let (report, records) = read_ok("bom.csv", &bytes);
    assert_eq!(report.encoding.as_deref(), Some("UTF-8 (BOM)"));
    assert_eq!(records[0].source.source_id, "avec-bom");
    assert!(
        report
            .warnings()
            .all(|w| !w.message.contains("colonnes inconnues")),
        "the BOM must not make `id` an unknown column"
    );
}

#[test]
fn unknown_columns_are_ignored_with_one_warning() {
    let text = String::from_utf8(v1_csv(&[&[], &[]], b',')).expect("utf-8");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[0].push_str(",couleur,\"étage\"");
    for l in &mut lines[1..] {
        l.push_str(",bleu,2");
    }
    let (report, records) = read_ok("inconnues.csv", lines.join("\n").as_bytes());
    assert_eq!(records.len(), 2);
    let file_level: Vec<&Issue> = report.issues.iter().filter(|i| i.line.is_none()).collect();
    let unknown: Vec<&&Issue> = file_level
        .iter()
        .filter(|i| i.message.contains("colonnes inconnues"))
        .collect();
    assert_eq!(
        unknown.len(),
        1,
        "one warning for the file, not one per row"
    );
    assert!(unknown[0].message.contains("« couleur »") && unknown[0].message.contains("« étage »"));
    assert_eq!(unknown[0].severity, Severity::Warning);
}

#[test]
fn missing_required_columns_is_a_clear_error_naming_them() {
    let text = "id,nom,commune,latitude\nx,Mairie,Reims,49.2\n";
    let err = read_bytes("manque.csv", text.as_bytes(), Format::StandardCsv)
        .expect_err("missing columns");
    match &err {
        ReadError::MissingColumns(cols) => {
            assert_eq!(cols, &["code_postal".to_string(), "adresse".to_string()])
        }
        other => panic!("{other}"),
    }
    assert_eq!(
        err.to_string(),
        "colonnes obligatoires absentes : code_postal, adresse"
    );
}

#[test]
fn invalid_dates_fall_back_to_the_file_date_with_a_warning() {
    let csv = v1_csv(
        &[
            &[("date_maj", "2024-13-45")],
            &[("date_maj", "02/04/2024")],
            &[("date_maj", "1969-12-31")],
            &[("date_maj", "")],
            &[("date_maj", "2024-04-02")],
        ],
        b',',
    );
    let (report, records) = read_ok("dates.csv", &csv);
    assert_eq!(records.len(), 5, "a bad date never rejects a place");
    let file_date = file("test").date;
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("valid");
    let observed: Vec<NaiveDate> = records.iter().map(|r| r.observed).collect();
    assert_eq!(
        observed,
        vec![
            file_date,
            d(2024, 4, 2),
            file_date,
            file_date,
            d(2024, 4, 2)
        ]
    );
    assert_eq!(records[0].place.date_maj, None);
    assert_eq!(
        records[2].place.date_maj, None,
        "1969-12-31 is a zero Unix time"
    );
    let w = issues_on(&report, "date_maj");
    assert_eq!(w.len(), 4);
    assert!(w.iter().all(|i| i.severity == Severity::Warning));
    assert_eq!(w[0].value.as_deref(), Some("2024-13-45"));
    assert!(w[0].message.contains("illisible"));
}

#[test]
fn invalid_postal_codes_reject_the_row_and_lost_zeros_are_repaired() {
    let csv = v1_csv(
        &[
            &[("code_postal", "5110")],
            &[("code_postal", "REIMS")],
            &[("code_postal", "")],
            &[("code_postal", "511000")],
            &[
                ("code_postal", "1000"),
                ("commune", "Bourg-en-Bresse"),
                ("code_insee", "01053"),
            ],
        ],
        b',',
    );
    let (report, records) = read_ok("cp.csv", &csv);
    assert_eq!((report.rows, report.rejected), (5, 3));
    assert_eq!(records[0].place.code_postal, "05110");
    assert_eq!(records[1].place.code_postal, "01000");
    let errors: Vec<(Option<u64>, Option<&str>)> = report
        .errors()
        .map(|e| (e.line, e.value.as_deref()))
        .collect();
    assert_eq!(
        errors,
        vec![
            (Some(3), Some("REIMS")),
            (Some(4), None),
            (Some(5), Some("511000"))
        ]
    );
}

#[test]
fn unreadable_hours_are_kept_as_text_and_french_hours_converted() {
    let csv = v1_csv(
        &[
            &[(
                "horaires",
                "Du lundi au vendredi de 9h à 12h et de 14h à 17h",
            )],
            &[("horaires", "Se rapprocher de l'organisme")],
            &[("horaires", "Mo-Fr 09:00-12:00-14:00")],
            &[("horaires", "Mo-Fr 09:00-12:00; PH off")],
        ],
        b',',
    );
    let (report, records) = read_ok("horaires.csv", &csv);
    assert_eq!(records.len(), 4);
    let h: Vec<Option<&str>> = records
        .iter()
        .map(|r| r.place.horaires.as_deref())
        .collect();
    assert_eq!(
        h,
        vec![
            Some("Mo-Fr 09:00-12:00,14:00-17:00"),
            Some("Se rapprocher de l'organisme"),
            Some("Mo-Fr 09:00-12:00-14:00"),
            Some("Mo-Fr 09:00-12:00; PH off"),
        ]
    );
    let w = issues_on(&report, "horaires");
    assert_eq!(w.len(), 3);
    assert!(w[0].message.contains("convertis"));
    assert!(w[1].message.contains("gardés comme texte"));
    assert!(w.iter().all(|i| i.severity == Severity::Warning));
}

#[test]
fn out_of_range_coordinates_are_dropped_with_a_warning() {
    let csv = v1_csv(
        &[
            &[("latitude", "91.5"), ("longitude", "4.05")],
            &[("latitude", "0"), ("longitude", "0")],
            &[("latitude", "40.71"), ("longitude", "-74.00")],
            &[("latitude", "nord"), ("longitude", "4.05")],
            &[("latitude", "49.25"), ("longitude", "")],
            &[
                ("latitude", "4.94"),
                ("longitude", "-52.33"),
                ("commune", "Cayenne"),
                ("code_postal", "97300"),
                ("code_insee", "97302"),
            ],
        ],
        b',',
    );
    let (report, records) = read_ok("coords.csv", &csv);
    assert_eq!(records.len(), 6, "bad coordinates never reject a place");
    let positions: Vec<Option<Position>> = records.iter().map(|r| r.place.position).collect();
    assert_eq!(&positions[..5], &[None, None, None, None, None]);
    assert_eq!(
        positions[5],
        Some(Position::new(4.94, -52.33)),
        "overseas is France"
    );
    let w = issues_on(&report, "latitude");
    assert_eq!(w.len(), 5);
    assert!(w.iter().all(|i| i.severity == Severity::Warning));
    assert!(w[2].message.contains("hors de France"));
}

#[test]
fn unknown_list_values_are_dropped_with_a_warning_naming_them() {
    let csv = v1_csv(
        &[&[
            ("services", "Aide aux démarches administratives|Réparation de vélos|  maîtrise des outils numériques du quotidien "),
            ("frais_a_charge", "Gratuit|Cher"),
            ("typologie", "BIB|XYZ"),
        ]],
        b',',
    );
    let (report, records) = read_ok("listes.csv", &csv);
    let p = &records[0].place;
    assert_eq!(
        p.services,
        vec![Service::AideDemarches, Service::MaitriseOutils]
    );
    assert_eq!(p.frais_a_charge.len(), 1);
    assert_eq!(p.typologie, vec!["BIB".to_string()]);
    let named: Vec<&str> = report
        .warnings()
        .filter(|w| w.message.contains("ignorée"))
        .filter_map(|w| w.value.as_deref())
        .collect();
    assert_eq!(named, vec!["XYZ", "Réparation de vélos", "Cher"]);
    assert!(report.is_valid(), "unknown values are warnings on import");
}

#[test]
fn swapped_latitude_and_longitude_are_corrected() {
    // Montauban's médiathèque with latitude and longitude written the wrong way round.
    let csv = v1_csv(
        &[
            &[
                ("latitude", "1.35487"),
                ("longitude", "44.01738"),
                ("commune", "Montauban"),
                ("code_postal", "82000"),
                ("code_insee", "82121"),
            ],
            // In France but 150 km from Montauban: a geocoding error, not a swap.
            &[
                ("latitude", "45.0"),
                ("longitude", "3.0"),
                ("commune", "Montauban"),
                ("code_postal", "82000"),
                ("code_insee", "82121"),
            ],
        ],
        b',',
    );
    let (_dir, path) = temp_file("inverse.csv", &csv);
    let communes = TestCommunes::new();
    let (report, records) = read_with(&path, Format::Auto, Some(&communes)).expect("readable");
    assert_eq!(
        records[0].place.position,
        Some(Position::new(44.01738, 1.35487))
    );
    let w = issues_on(&report, "latitude");
    assert_eq!(w.len(), 2);
    assert!(w[0].message.contains("inversées"), "{}", w[0].message);
    assert_eq!(w[0].value.as_deref(), Some("1.35487, 44.01738"));
    assert_eq!(records[1].place.position, None);
    assert!(
        w[1].message.contains("km du centre de Montauban"),
        "{}",
        w[1].message
    );
}

#[test]
fn swapped_coordinates_are_detected_against_the_commune_centre() {
    // A swap in JSON where the file gives numbers; without a referential the France check
    // alone corrects it, with one the corrected point is confirmed near the centre.
    let json = r#"[{"id": "m", "nom": "Médiathèque", "commune": "Moissac", "code_postal": "82200",
        "adresse": "Place Roger Delthil", "pivot": "21820112000017", "date_maj": "2024-01-02",
        "latitude": 1.10023, "longitude": 44.12188}]"#;
    let (_dir, path) = temp_file("inverse.json", json.as_bytes());
    let communes = TestCommunes::new();
    let (report, records) = read_with(&path, Format::StandardJson, Some(&communes)).expect("ok");
    assert_eq!(
        records[0].place.position,
        Some(Position::new(44.12188, 1.10023))
    );
    assert_eq!(
        records[0].place.code_insee.as_deref(),
        Some("82112"),
        "filled by lookup"
    );
    assert_eq!(issues_on(&report, "latitude").len(), 1);
}

#[test]
fn html_and_script_are_kept_verbatim_as_text() {
    let script = "<script>alert('x')</script>Espace numérique";
    let detail = "Ateliers <b>gratuits</b> & <img src=x onerror=alert(1)>";
    let csv = v1_csv(&[&[("nom", script), ("presentation_detail", detail)]], b',');
    let (report, records) = read_ok("html.csv", &csv);
    assert_eq!(records[0].place.nom, script, "stored as the text it is");
    assert_eq!(
        records[0].place.presentation_detail.as_deref(),
        Some(detail)
    );
    let w: Vec<&Issue> = report
        .warnings()
        .filter(|w| w.message.contains("balises HTML"))
        .collect();
    assert_eq!(w.len(), 2, "flagged for moderation, not rejected");
}

#[test]
fn missing_code_insee_is_filled_from_the_referential_or_flagged() {
    let csv = v1_csv(
        &[
            &[
                ("code_insee", ""),
                ("commune", "Limoges"),
                ("code_postal", "87100"),
            ],
            &[
                ("code_insee", ""),
                ("commune", "Ville-Inconnue"),
                ("code_postal", "99999"),
            ],
            &[
                ("code_insee", "ABCDE"),
                ("commune", "Reims"),
                ("code_postal", "51100"),
            ],
        ],
        b',',
    );
    let (_dir, path) = temp_file("insee.csv", &csv);
    let communes = TestCommunes::new();
    let (report, records) = read_with(&path, Format::Auto, Some(&communes)).expect("ok");
    let codes: Vec<Option<&str>> = records
        .iter()
        .map(|r| r.place.code_insee.as_deref())
        .collect();
    assert_eq!(codes, vec![Some("87085"), None, Some("51454")]);
    let w = issues_on(&report, "code_insee");
    assert_eq!(w.len(), 2);
    assert!(w[0].message.contains("introuvable"), "{}", w[0].message);
    assert_eq!(w[1].value.as_deref(), Some("ABCDE"));
}

#[test]
fn placeholder_siret_is_flagged_never_rejected() {
    let csv = v1_csv(
        &[
            &[("pivot", "00000000000000")],
            &[("pivot", "43493312300028")],
            &[("pivot", "434 933 123 00029")],
        ],
        b',',
    );
    let (report, records) = read_ok("siret.csv", &csv);
    assert_eq!(records.len(), 3);
    assert_eq!(records[2].place.pivot, "43493312300029");
    let w = issues_on(&report, "pivot");
    assert_eq!(w.len(), 3);
    assert!(w[0].message.contains("remplissage"));
    assert!(w[1].message.contains("clé de contrôle"));
}

#[test]
fn duplicate_ids_reject_the_second_row() {
    let csv = v1_csv(&[&[("id", "même")], &[("id", "même")]], b',');
    let (report, records) = read_ok("doublon.csv", &csv);
    assert_eq!((records.len(), report.rejected), (1, 1));
    let e = report.errors().next().expect("error");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("ligne 2"), "{}", e.message);
}

#[test]
fn phone_numbers_are_written_in_e164() {
    let csv = v1_csv(
        &[
            &[("telephone", "05 55 77 75 89")],
            &[("telephone", "05.55.77.75.89")],
            &[("telephone", "+33180059880")],
            &[("telephone", "appeler la mairie")],
            // Guyane written as a mainland number (seen in the national list).
            &[("telephone", "+33594341747")],
        ],
        b',',
    );
    let (report, records) = read_ok("tel.csv", &csv);
    let t: Vec<Option<&str>> = records
        .iter()
        .map(|r| r.place.telephone.as_deref())
        .collect();
    assert_eq!(
        t,
        vec![
            Some("+33555777589"),
            Some("+33555777589"),
            Some("+33180059880"),
            None,
            Some("+594594341747")
        ]
    );
    assert_eq!(issues_on(&report, "telephone").len(), 4);
}

#[test]
fn missing_id_gets_a_stable_hash_so_reimport_finds_the_same_record() {
    let csv = v1_csv(&[&[("id", "")]], b',');
    let (_, a) = read_ok("sans-id.csv", &csv);
    let (_, b) = read_ok("sans-id-bis.csv", &csv);
    assert!(a[0].source.source_id.starts_with("sha256:"));
    assert_eq!(a[0].source.source_id, b[0].source.source_id);
}

#[test]
fn v0_csv_lists_use_semicolons_and_are_upgraded() {
    let (report, records) = read_with(
        &shared("standard-mediation-num/exemple-valide-v0.1.1.csv"),
        Format::Auto,
        None,
    )
    .expect("readable");
    assert!(report.is_valid());
    let p = &records[0].place;
    assert_eq!(
        p.typologie,
        vec!["TIERS_LIEUX".to_string(), "ASSO".to_string()]
    );
    assert_eq!(
        p.services,
        vec![Service::AideDemarches, Service::MaitriseOutils]
    );
    assert_eq!(
        p.dispositif_programmes_nationaux,
        vec![Dispositif::FranceServices, Dispositif::PointAccesCaf]
    );
    assert!(p.autres_formations_labels.contains(&"APTIC".to_string()));
    assert_eq!(
        records[0].extra.get("pass_numerique").map(String::as_str),
        Some("oui")
    );
}

#[test]
fn rows_read_in_batches_on_another_thread_keep_their_order_and_lines() {
    // Several batches of the CSV thread; one bad row in the middle.
    let rows: Vec<Vec<(&str, &str)>> = (0..700)
        .map(|i| {
            if i == 450 {
                vec![("code_postal", "XXXXX")]
            } else {
                vec![]
            }
        })
        .collect();
    let refs: Vec<&[(&str, &str)]> = rows.iter().map(Vec::as_slice).collect();
    let csv = v1_csv(&refs, b',');
    let (report, records) = read_ok("gros.csv", &csv);
    assert_eq!((report.rows, report.rejected, records.len()), (700, 1, 699));
    let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
    let expected: Vec<u64> = (2..=701).filter(|l| *l != 452).collect();
    assert_eq!(lines, expected);
    assert_eq!(report.errors().next().and_then(|e| e.line), Some(452));
    let ids_in_order = records
        .windows(2)
        .all(|w| w[0].source.source_id != w[1].source.source_id);
    assert!(ids_in_order);
}
