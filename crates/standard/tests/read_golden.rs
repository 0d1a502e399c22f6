//! Golden imports of the real standard files of the shared data: counts of records, errors and
//! warnings, observed once and pinned, plus properties that must hold whatever the counts.

mod support;

use std::collections::BTreeMap;

use maillage_model::{Dispositif, Frais, Service};
use maillage_standard::read::{read_path, Format};
use maillage_standard::{Record, Report, Severity};
use support::{file, shared};

fn import(rel: &str, format: Format) -> (Report, Vec<Record>) {
    let mut records = Vec::new();
    let report = read_path(&shared(rel), &format, &file("test"), None, &mut |r| {
        records.push(r)
    })
    .unwrap_or_else(|e| panic!("{rel}: {e}"));
    (report, records)
}

/// Warnings per field and message, to see what a file is made of when a count changes.
fn summary(report: &Report) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for i in &report.issues {
        let key = format!(
            "{:?} {} {}",
            i.severity,
            i.field.as_deref().unwrap_or("-"),
            i.message.chars().take(60).collect::<String>()
        );
        *m.entry(key).or_insert(0) += 1;
    }
    m
}

/// Issues per field (file-level ones included), sorted.
fn kinds(report: &Report) -> Vec<(String, usize)> {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for i in &report.issues {
        *m.entry(i.field.clone().unwrap_or_default()).or_insert(0) += 1;
    }
    m.into_iter().collect()
}

fn counts(report: &Report) -> (u64, u64, usize, usize) {
    (
        report.rows,
        report.rejected,
        report.errors().count(),
        report.warnings().count(),
    )
}

/// Nothing is lost: every row is a record or a rejected row.
fn no_row_lost(report: &Report, records: &[Record]) {
    assert_eq!(records.len() as u64 + report.rejected, report.rows);
    assert_eq!(report.rejected_rows.len() as u64, report.rejected);
}

#[test]
fn golden_cnfs_national_json() {
    let (report, records) = import(
        "lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json",
        Format::Auto,
    );
    eprintln!("{:#?}", summary(&report));
    no_row_lost(&report, &records);
    assert_eq!(counts(&report), (4930, 0, 0, 2453));
    let kinds = kinds(&report);
    assert_eq!(
        kinds,
        vec![
            ("code_insee".to_string(), 1),
            ("horaires".to_string(), 57),
            ("pivot".to_string(), 2393),
            ("telephone".to_string(), 2),
        ]
    );
    // The v0.1 → v1 upgrade, on every record.
    for r in &records {
        let p = &r.place;
        assert!(p
            .dispositif_programmes_nationaux
            .contains(&Dispositif::ConseillersNumeriques));
        assert_eq!(
            p.services,
            vec![Service::MaitriseOutils, Service::ComprehensionMonde]
        );
        assert_eq!(p.frais_a_charge, vec![Frais::Gratuit]);
        assert!(r.extra.contains_key("structureId"));
        assert_eq!(r.observed, p.date_maj.expect("every date_maj is valid"));
    }
    let with = |d: Dispositif| {
        records
            .iter()
            .filter(|r| r.place.dispositif_programmes_nationaux.contains(&d))
            .count()
    };
    assert_eq!(with(Dispositif::FranceServices), 1118);
    assert_eq!(with(Dispositif::AidantsConnect), 292);
    // 22 rows have no coordinates; none of the others is dropped without a referential.
    assert_eq!(
        records
            .iter()
            .filter(|r| r.place.position.is_some())
            .count(),
        4908
    );
    let ids: std::collections::HashSet<&str> = records
        .iter()
        .map(|r| r.source.source_id.as_str())
        .collect();
    assert_eq!(ids.len(), 4930, "the file's ids are kept as source ids");
}

/// With the real referential, every record gets its INSEE code or a warning saying why not.
#[test]
fn golden_cnfs_with_the_real_referential() {
    let referential = maillage_territory::Referential::load_shared(&support::shared_dir())
        .expect("the shared referential loads");
    let mut records = Vec::new();
    let report = read_path(
        &shared("lieux-mediation-numerique/cnfs-lieux-conseillers-numeriques-2022-12.json"),
        &Format::Auto,
        &file("conseiller-numerique"),
        Some(&referential),
        &mut |r| records.push(r),
    )
    .expect("readable");
    no_row_lost(&report, &records);
    assert_eq!(report.rejected, 0);
    let filled = records
        .iter()
        .filter(|r| r.place.code_insee.is_some())
        .count();
    let not_found = report
        .warnings()
        .filter(|w| w.field.as_deref() == Some("code_insee") && w.message.contains("introuvable"))
        .count();
    assert_eq!(filled + not_found, records.len());
    // Observed: 4,873 of 4,930 (98.8 %); the rest are misspelt communes (« Rambervilelrs »).
    assert!(filled * 100 >= records.len() * 98, "{filled} filled");
    // A position kept is within reach of its commune's centre.
    for r in &records {
        if let (Some(p), Some(code)) = (r.place.position, r.place.code_insee.as_deref()) {
            let c = maillage_model::CommuneLookup::commune(&referential, code).expect("known");
            if let Some(centre) = c.centre {
                assert!(p.distance_km(centre) <= 200.0, "line {}", r.line);
            }
        }
    }
}

#[test]
fn golden_standard_v1_example() {
    let (report, records) = import("standard-mediation-num/exemple-valide.csv", Format::Auto);
    eprintln!("{:#?}", summary(&report));
    no_row_lost(&report, &records);
    assert_eq!(counts(&report), (1, 0, 0, 0));
    let r = &records[0];
    let p = &r.place;
    assert_eq!(r.source.source_id, "structure-1");
    assert_eq!(p.pivot, "43493312300029");
    assert_eq!(p.code_insee.as_deref(), Some("51454"));
    assert_eq!(
        p.typologie,
        vec!["TIERS_LIEUX".to_string(), "ASSO".to_string()]
    );
    assert_eq!(p.courriels.len(), 2);
    assert_eq!(p.site_web.len(), 2);
    assert_eq!(p.services.len(), 3);
    assert_eq!(p.modalites_accompagnement.len(), 4);
    assert_eq!(p.formations_labels.len(), 2);
    assert_eq!(
        p.autres_formations_labels,
        vec!["Label et la bête".to_string()]
    );
    assert_eq!(
        p.horaires.as_deref(),
        Some("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00")
    );
    assert_eq!(r.observed.to_string(), "2024-04-02");
    assert!(p.is_itinerant());
}

#[test]
fn golden_standard_v0_example() {
    let (report, records) = import(
        "standard-mediation-num/exemple-valide-v0.1.1.csv",
        Format::Auto,
    );
    eprintln!("{:#?}", summary(&report));
    no_row_lost(&report, &records);
    assert_eq!(counts(&report), (1, 0, 0, 0));
    assert_eq!(records[0].place.publics_specifiquement_adresses.len(), 1);
    assert_eq!(records[0].place.prise_en_charge_specifique.len(), 1);
}

#[test]
fn golden_charente_bus_v0_json() {
    let (report, records) = import(
        "lieux-mediation-numerique/20231003-bus-france-services-en-charente-standard-v0.1.json",
        Format::Auto,
    );
    eprintln!("{:#?}", summary(&report));
    no_row_lost(&report, &records);
    assert_eq!(counts(&report), (12, 0, 0, 24));
    // `date_maj` is 1969-12-31 everywhere (the ANCT's conversion lost it) and every pivot is
    // the 00000000000000 placeholder: one warning each per row.
    assert_eq!(
        kinds(&report),
        vec![("date_maj".to_string(), 12), ("pivot".to_string(), 12)]
    );
    for r in &records {
        assert_eq!(r.place.date_maj, None);
        assert_eq!(r.observed, file("test").date);
        if let Some(h) = r.place.horaires.as_deref() {
            assert!(maillage_model::hours::parse(h).is_ok(), "{h}");
        }
        assert!(r.place.code_insee.is_some());
        assert!(r
            .place
            .autres_formations_labels
            .contains(&"APTIC".to_string()));
    }
    assert!(report
        .issues
        .iter()
        .all(|i| i.severity == Severity::Warning));
    // Two stops have no hours; the others keep their OSM value (even/odd weeks included).
    assert_eq!(
        records
            .iter()
            .filter(|r| r.place.horaires.is_none())
            .count(),
        2
    );
}
