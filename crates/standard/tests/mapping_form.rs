//! The mapping engine on a regional directory exported from a form tool: one column per
//! weekday in French free text, multi-choice cells with quoted values, two columns feeding one
//! list, a default value. The fixture (`fixtures/formulaire-region.csv`, invented places) has
//! the shapes of the real export; every expected value below was written by hand from it.

mod support;

use std::path::Path;

use maillage_standard::read::mapping::{self, split_quoted, Mapping};
use maillage_standard::{Record, Report, Severity};
use support::file;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn import() -> (Report, Vec<Record>) {
    let m = Mapping::load(&root().join("mappings/formulaire-region.toml")).expect("mapping loads");
    let f = std::fs::File::open(root().join("tests/fixtures/formulaire-region.csv")).unwrap();
    let mut records = Vec::new();
    let report = mapping::read(f, &m, &file("formulaire-region"), None, &mut |r| {
        records.push(r)
    })
    .expect("fixture reads");
    (report, records)
}

fn by_name<'a>(records: &'a [Record], nom: &str) -> &'a Record {
    records
        .iter()
        .find(|r| r.place.nom == nom)
        .unwrap_or_else(|| panic!("no record named {nom}"))
}

#[test]
fn quoted_choices_are_split_whole_and_trimmed() {
    assert_eq!(
        split_quoted(
            r#"Adultes,Seniors,"Petite enfance / Parentalité (0-3 ans)","Jeunesse (11-26 ans)""#,
            ","
        ),
        [
            "Adultes",
            "Seniors",
            "Petite enfance / Parentalité (0-3 ans)",
            "Jeunesse (11-26 ans)"
        ]
    );
    assert_eq!(
        split_quoted(
            r#"Accompagnement individuel sans rendez-vous","Impression"#,
            ","
        ),
        ["Accompagnement individuel sans rendez-vous", "Impression"]
    );
    assert_eq!(split_quoted(r#""a" , "b""#, ","), ["a", "b"]);
    assert_eq!(split_quoted(r#"a, "b, c" ,d"#, ","), ["a", "b, c", "d"]);
    assert_eq!(split_quoted(" a ;; b ", ";"), ["a", "b"]);
    assert_eq!(
        split_quoted(r#""jamais fermé, a"#, ","),
        ["jamais fermé, a"]
    );
}

#[test]
fn weekday_columns_become_one_osm_value() {
    let (report, records) = import();
    assert_eq!(report.rows, 10);
    assert_eq!(records.len(), 10, "no row lost");
    let hours = |nom: &str| by_name(&records, nom).place.horaires.clone();
    let expected = [
        (
            "Espace numérique des Tilleuls",
            Some("Mo,Tu 09:00-12:00,14:00-17:00; We 09:00-12:00; Fr 14:00-17:00"),
        ),
        (
            "Médiathèque du Pont Vieux",
            Some("Mo,Tu,Th,Fr 09:00-12:00; We 09:00-12:00,14:00-18:00; Sa 10:00-12:00"),
        ),
        ("Point numérique de la Halle", None),
        (
            "Tiers-lieu Les Coteaux",
            Some("Tu-Th 08:30-12:30; Sa 10:00-12:00"),
        ),
        ("Maison des associations du Canal", None),
        (
            "Centre social du Plateau",
            Some("Mo,Tu,Th,Fr 14:00-18:00; We 09:00-12:00,14:00-18:00"),
        ),
        ("Bibliothèque des Carmes", None),
        (
            "Espace France Services de la Gare",
            Some("Mo-Th 08:30-12:00,13:30-17:00; Fr 08:30-12:00"),
        ),
        ("Atelier numérique du Marché", Some("Sa 09:00-12:00")),
        ("Relais numérique des Berges", Some("Mo,We,Fr 10:00-12:00")),
    ];
    for (nom, osm) in expected {
        assert_eq!(hours(nom).as_deref(), osm, "{nom}");
        if let Some(osm) = osm {
            assert!(maillage_model::hours::parse(osm).is_ok(), "{osm}");
        }
    }
}

#[test]
fn a_day_cell_that_cannot_be_read_is_reported_and_kept() {
    let (report, records) = import();
    let hours_issues: Vec<_> = report
        .issues
        .iter()
        .filter(|i| i.message.contains("horaires"))
        .map(|i| {
            (
                i.severity,
                i.line,
                i.field.clone().unwrap_or_default(),
                i.value.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        hours_issues,
        [
            (
                Severity::Warning,
                Some(4),
                "Mercredi".to_string(),
                "sur rendez-vous".to_string()
            ),
            (
                Severity::Warning,
                Some(8),
                "Samedi".to_string(),
                "le matin".to_string()
            ),
        ]
    );
    // The week is kept as text, so nothing the source said is lost.
    let halle = by_name(&records, "Point numérique de la Halle");
    assert_eq!(
        halle.extra.get("horaires_texte").map(String::as_str),
        Some("lundi : 9h-12h ; mardi : 9h-12h ; mercredi : sur rendez-vous ; jeudi : 9h-12h ; vendredi : 9h-12h")
    );
}

#[test]
fn every_choice_is_kept_and_mapped() {
    let (report, records) = import();
    let labels = |nom: &str| {
        let p = &by_name(&records, nom).place;
        (
            p.publics_specifiquement_adresses
                .iter()
                .map(|x| x.label())
                .collect::<Vec<_>>(),
            p.services.iter().map(|x| x.label()).collect::<Vec<_>>(),
            p.modalites_accompagnement
                .iter()
                .map(|x| x.label())
                .collect::<Vec<_>>(),
            p.frais_a_charge
                .iter()
                .map(|x| x.label())
                .collect::<Vec<_>>(),
        )
    };
    let (fam, jeunes, seniors, etu) = ("Familles et/ou enfants", "Jeunes", "Seniors", "Étudiants");
    let (acces, demarches, outils) = (
        "Accès internet et matériel informatique",
        "Aide aux démarches administratives",
        "Maîtrise des outils numériques du quotidien",
    );
    let (indiv, atelier) = ("Accompagnement individuel", "Dans un atelier collectif");
    /// (name, publics, services, modalités, frais) expected for each row.
    type Expected<'a> = (&'a str, Vec<&'a str>, Vec<&'a str>, Vec<&'a str>, &'a str);
    let expected: [Expected; 10] = [
        (
            "Espace numérique des Tilleuls",
            vec![seniors, fam, jeunes],
            vec![acces],
            vec![indiv],
            "Gratuit",
        ),
        (
            "Médiathèque du Pont Vieux",
            vec![seniors, jeunes, etu],
            vec![demarches],
            vec![atelier],
            "Payant",
        ),
        (
            "Point numérique de la Halle",
            vec![seniors, fam, etu],
            vec![acces],
            vec![],
            "Gratuit",
        ),
        (
            "Tiers-lieu Les Coteaux",
            vec![],
            vec![outils],
            vec![atelier],
            "Gratuit",
        ),
        (
            "Maison des associations du Canal",
            vec![jeunes],
            vec![acces],
            vec![],
            "Gratuit",
        ),
        (
            "Centre social du Plateau",
            vec![fam, seniors],
            vec![demarches],
            vec![indiv],
            "Gratuit",
        ),
        (
            "Bibliothèque des Carmes",
            vec![seniors],
            vec![outils],
            vec![],
            "Gratuit",
        ),
        (
            "Espace France Services de la Gare",
            vec![seniors, jeunes],
            vec![demarches, acces],
            vec![],
            "Gratuit",
        ),
        (
            "Atelier numérique du Marché",
            vec![etu],
            vec![],
            vec![atelier],
            "Payant",
        ),
        (
            "Relais numérique des Berges",
            vec![seniors, fam],
            vec![outils],
            vec![indiv],
            "Gratuit",
        ),
    ];
    for (nom, publics, services, modalites, frais) in expected {
        assert_eq!(
            labels(nom),
            (publics, services, modalites, vec![frais]),
            "{nom}"
        );
    }
    // Every value of the multi-choice columns was mapped or deliberately ignored: no
    // "sans correspondance" warning.
    let unmapped: Vec<_> = report
        .issues
        .iter()
        .filter(|i| i.message.contains("sans correspondance"))
        .collect();
    assert!(unmapped.is_empty(), "{unmapped:#?}");
}

#[test]
fn an_unknown_choice_is_reported_with_its_line() {
    let m = Mapping::load(&root().join("mappings/formulaire-region.toml")).unwrap();
    let csv = "Horodateur,Nom de la structure,Adresse,Code postal,Commune,Téléphone,Courriel,Site internet,Lundi,Mardi,Mercredi,Jeudi,Vendredi,Samedi,Dimanche,Publics accueillis,Autres publics,Offre,Tarif\n\
        x,Lieu,1 rue A,82000,Montauban,,,,25h à 12h,,,,,,,\"Seniors,\"\"Retraités actifs\"\"\",,Impression,\n";
    let mut records = Vec::new();
    let report = mapping::read(csv.as_bytes(), &m, &file("t"), None, &mut |r| {
        records.push(r)
    })
    .unwrap();
    let found = |field: &str, value: &str| {
        report.issues.iter().any(|i| {
            i.line == Some(2)
                && i.field.as_deref() == Some(field)
                && i.value.as_deref() == Some(value)
        })
    };
    assert!(
        found("Autres publics", "Retraités actifs")
            || found("Publics accueillis", "Retraités actifs"),
        "{:#?}",
        report.issues
    );
    assert!(found("Lundi", "25h à 12h"), "{:#?}", report.issues);
    assert_eq!(records[0].place.horaires, None);
}

#[test]
fn the_template_of_the_fixture_loads_and_guesses_the_obvious_columns() {
    let f = std::fs::File::open(root().join("tests/fixtures/formulaire-region.csv")).unwrap();
    let toml = mapping::template(f, "formulaire-region").expect("template");
    let m = Mapping::parse(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let col = |field: &str| match m.fields.get(field) {
        Some(mapping::FieldSpecs::Column(c)) => c.clone(),
        other => panic!("{field}: {other:?}\n{toml}"),
    };
    assert_eq!(col("nom"), "Nom de la structure");
    assert_eq!(col("adresse"), "Adresse");
    assert_eq!(col("code_postal"), "Code postal");
    assert_eq!(col("commune"), "Commune");
    assert_eq!(col("telephone"), "Téléphone");
    assert_eq!(col("courriels"), "Courriel");
    assert_eq!(col("site_web"), "Site internet");
    assert!(
        toml.contains("lundi = \"Lundi\"") && toml.contains("dimanche = \"Dimanche\""),
        "{toml}"
    );
    // The columns not guessed are named in comments, for the person finishing the file.
    assert!(toml.contains("\"Publics accueillis\""), "{toml}");
    // And the template reads the file it came from.
    let f = std::fs::File::open(root().join("tests/fixtures/formulaire-region.csv")).unwrap();
    let mut n = 0;
    mapping::read(f, &m, &file("t"), None, &mut |_| n += 1).expect("template reads its file");
    assert_eq!(n, 10);
}
