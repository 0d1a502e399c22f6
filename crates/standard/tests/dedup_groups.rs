//! Behaviour of `dedup::group` and `dedup::merge` that the import and the operators rely on:
//! operator splits survive even transitively, placeholder SIRETs never group, a re-imported
//! record joins its place, reasons are readable, merge keeps the freshest value and every list.

use chrono::NaiveDate;
use maillage_model::*;
use maillage_standard::dedup::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn src(source: &str, id: &str) -> Vec<SourceRef> {
    vec![SourceRef {
        source: source.into(),
        source_id: id.into(),
    }]
}

fn montech(nom: &str, adresse: &str, lat: f64, lon: f64) -> Place {
    Place {
        nom: nom.into(),
        commune: "Montech".into(),
        code_postal: "82700".into(),
        code_insee: Some("82125".into()),
        adresse: adresse.into(),
        position: Some(Position::new(lat, lon)),
        ..Place::default()
    }
}

fn candidates<'a>(places: &'a [Place], sources: &'a [Vec<SourceRef>]) -> Vec<Candidate<'a>> {
    places
        .iter()
        .zip(sources)
        .enumerate()
        .map(|(i, (p, s))| Candidate {
            key: CandidateKey::Incoming(i),
            place: p,
            sources: s,
            observed: day(2024, 1, 1),
        })
        .collect()
}

fn grouped(groups: &[Group], a: usize, b: usize) -> bool {
    groups
        .iter()
        .any(|g| g.members.contains(&a) && g.members.contains(&b))
}

#[test]
fn same_place_from_three_sources_is_one_group_with_reasons() {
    let places = vec![
        Place {
            pivot: "21820125000014".into(),
            telephone: Some("05 63 64 82 44".into()),
            ..montech(
                "France services de Montech",
                "1 place Jean Jaurès",
                43.95738,
                1.23129,
            )
        },
        montech(
            "Maison France Services Montech",
            "1 pl. Jean-Jaurès",
            43.95741,
            1.23133,
        ),
        Place {
            pivot: "21820125000014".into(),
            telephone: Some("+33 5 63 64 82 44".into()),
            position: None,
            ..montech("FRANCE SERVICES MONTECH", "1 PLACE JEAN JAURES", 0.0, 0.0)
        },
        montech(
            "Médiathèque de Montech",
            "2 rue de l'Usine",
            43.9601,
            1.2301,
        ),
    ];
    let sources = vec![
        src("conseiller-numerique", "a1"),
        src("france-services-2024", "1966"),
        src("aidants-connect", "77"),
        src("conseiller-numerique", "a2"),
    ];
    let groups = group(&candidates(&places, &sources), &[]);
    assert_eq!(groups.len(), 2, "{groups:?}");
    let g = &groups[0];
    assert_eq!(g.members, [0, 1, 2]);
    assert_eq!(g.reasons.len(), 2, "two links make a group of three");
    let all = g.reasons.join(" / ");
    assert!(all.contains("même SIRET"), "{all}");
    assert!(all.contains("même téléphone"), "{all}");
    assert!(all.contains("même adresse"), "{all}");
    assert!(all.contains(" m"), "a distance in metres: {all}");
    assert_eq!(groups[1].members, [3]);
    let c = candidates(&places, &sources);
    let ids: Vec<String> = g
        .sources(&c)
        .iter()
        .map(|s| format!("{}:{}", s.source, s.source_id))
        .collect();
    assert_eq!(
        ids,
        [
            "conseiller-numerique:a1",
            "france-services-2024:1966",
            "aidants-connect:77"
        ],
        "every source id is kept"
    );
}

#[test]
fn keep_apart_is_never_crossed_even_transitively() {
    // A ~ B and B ~ C are strong links; the operator said A and C are two places.
    let places = vec![
        montech("Espace numérique Montech", "5 rue de la Gare", 43.95, 1.23),
        montech(
            "Espace numérique Montech",
            "5 rue de la Gare",
            43.95001,
            1.23,
        ),
        montech(
            "Espace numérique Montech",
            "5 rue de la Gare",
            43.95002,
            1.23001,
        ),
    ];
    let sources = vec![src("s1", "A"), src("s2", "B"), src("s3", "C")];
    let c = candidates(&places, &sources);
    assert_eq!(group(&c, &[]).len(), 1, "without the decision: one place");
    let keep = [KeepApartPair {
        a: sources[0][0].clone(),
        b: sources[2][0].clone(),
        reason: "deux sites".into(),
    }];
    let groups = group(&c, &keep);
    assert!(!grouped(&groups, 0, 2), "{groups:?}");
    assert_eq!(groups.len(), 2);
}

#[test]
fn placeholder_siret_never_counts_as_evidence() {
    let a = Place {
        pivot: "00000000000000".into(),
        ..montech("Association Les Amis", "3 rue Neuve", 43.95, 1.23)
    };
    let b = Place {
        pivot: "00000000000000".into(),
        ..montech("Club informatique", "40 avenue de Toulouse", 43.96, 1.24)
    };
    let fa = Features::of(&a);
    let fb = Features::of(&b);
    let score = compare(&fa, &fb);
    assert!(!score.reason.contains("SIRET"), "{}", score.reason);
    assert!(!score.same);
    let sources = vec![src("s1", "1"), src("s2", "2")];
    let places = [a, b];
    assert_eq!(group(&candidates(&places, &sources), &[]).len(), 2);
}

#[test]
fn mairie_and_mediatheque_sharing_the_commune_siret_stay_apart() {
    let siret = "21820125000014";
    let places = vec![
        Place {
            pivot: siret.into(),
            ..montech("Mairie de Montech", "1 place Jean Jaurès", 43.9574, 1.2313)
        },
        Place {
            pivot: siret.into(),
            ..montech(
                "Médiathèque de Montech",
                "1 place Jean Jaurès",
                43.9575,
                1.2313,
            )
        },
    ];
    let sources = vec![src("s1", "1"), src("s2", "2")];
    let groups = group(&candidates(&places, &sources), &[]);
    assert_eq!(groups.len(), 2, "{groups:?}");
}

#[test]
fn a_reimported_record_joins_the_stored_place_by_source_id() {
    let stored = montech("EPN de Montech", "5 rue de la Gare", 43.95, 1.23);
    // The source renamed and moved it: only the source id says it is the same record.
    let incoming = montech("Atelier numérique", "12 avenue de Toulouse", 43.97, 1.25);
    let stored_sources = src("conseiller-numerique", "x9");
    let incoming_sources = src("conseiller-numerique", "x9");
    let c = vec![
        Candidate {
            key: CandidateKey::Existing("lieu-7".into()),
            place: &stored,
            sources: &stored_sources,
            observed: day(2023, 1, 1),
        },
        Candidate {
            key: CandidateKey::Incoming(0),
            place: &incoming,
            sources: &incoming_sources,
            observed: day(2024, 1, 1),
        },
    ];
    let groups = group(&c, &[]);
    assert_eq!(groups.len(), 1);
    assert!(groups[0].reasons[0].contains("même identifiant de source"));
}

#[test]
fn records_of_other_communes_are_compared_only_when_near() {
    // The same name and address given Montauban's codes, at another point.
    let a = montech("Espace numérique", "5 rue de la Gare", 43.95, 1.23);
    let in_montauban = |lat: f64, lon: f64| Place {
        code_postal: "82000".into(),
        code_insee: Some("82121".into()),
        commune: "Montauban".into(),
        position: Some(Position::new(lat, lon)),
        ..a.clone()
    };
    let sources = vec![src("s1", "1"), src("s2", "2")];
    // 12 km away: two places, never compared.
    let places = [a.clone(), in_montauban(44.01, 1.35)];
    assert_eq!(group(&candidates(&places, &sources), &[]).len(), 2);
    // The same building given the neighbouring commune's codes (issue 13): the ~300 m cell
    // brings the pair together, the evidence merges it.
    let places = [a.clone(), in_montauban(43.9502, 1.2301)];
    assert_eq!(group(&candidates(&places, &sources), &[]).len(), 1);
}

#[test]
fn merge_keeps_the_freshest_value_every_list_item_and_the_provenance() {
    let old = Place {
        id: "lieu-9".into(),
        pivot: "21820125000014".into(),
        nom: "France services de Montech".into(),
        telephone: Some("05 63 64 82 44".into()),
        horaires: Some("Mo-Fr 09:00-12:00".into()),
        services: vec![Service::AideDemarches],
        dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
        date_maj: Some(day(2022, 12, 1)),
        ..Place::default()
    };
    let new = Place {
        pivot: "00000000000000".into(),
        nom: "Maison France Services Montech".into(),
        telephone: None,
        horaires: Some("Mo-Fr 09:00-12:00,14:00-17:00".into()),
        services: vec![Service::MaitriseOutils, Service::AideDemarches],
        dispositif_programmes_nationaux: vec![Dispositif::ConseillersNumeriques],
        date_maj: Some(day(2024, 8, 1)),
        ..Place::default()
    };
    let s_old = src("france-services-2022", "12");
    let s_new = src("conseiller-numerique", "a1");
    let (merged, provenance) = merge(&[
        (&old, &s_old, day(2022, 12, 1)),
        (&new, &s_new, day(2024, 8, 1)),
    ]);
    assert_eq!(merged.id, "lieu-9");
    assert_eq!(
        merged.nom, "Maison France Services Montech",
        "freshest wins"
    );
    assert_eq!(
        merged.horaires.as_deref(),
        Some("Mo-Fr 09:00-12:00,14:00-17:00")
    );
    assert_eq!(
        merged.telephone.as_deref(),
        Some("05 63 64 82 44"),
        "an empty fresh value does not erase an older one"
    );
    assert_eq!(
        merged.pivot, "21820125000014",
        "a real SIRET beats a placeholder"
    );
    assert_eq!(
        merged.services,
        [Service::MaitriseOutils, Service::AideDemarches]
    );
    assert_eq!(
        merged.dispositif_programmes_nationaux,
        [
            Dispositif::ConseillersNumeriques,
            Dispositif::FranceServices
        ]
    );
    assert_eq!(merged.date_maj, Some(day(2024, 8, 1)));
    let from = |field: &str| {
        provenance
            .iter()
            .find(|p| p.field == field)
            .map(|p| (p.source.as_str(), p.date))
    };
    assert_eq!(from("nom"), Some(("conseiller-numerique", day(2024, 8, 1))));
    assert_eq!(
        from("telephone"),
        Some(("france-services-2022", day(2022, 12, 1)))
    );
    assert_eq!(
        from("pivot"),
        Some(("france-services-2022", day(2022, 12, 1)))
    );
    assert_eq!(from("prise_rdv"), None, "no value, no provenance");
}

/// A city block larger than `FULL_BLOCK` is compared through its indexes (name words, grid,
/// identifiers), not pair by pair: a duplicate must still be found there, and nothing else
/// merged.
#[test]
fn duplicates_are_found_in_a_block_larger_than_full_block() {
    let streets = [
        "rue Nationale",
        "avenue de Paris",
        "boulevard Carnot",
        "place du Marché",
    ];
    let words = [
        "Alpha", "Boréal", "Cyan", "Delta", "Écho", "Faune", "Grenat", "Hélios", "Iris", "Jade",
    ];
    let mut places: Vec<Place> = (0..(FULL_BLOCK * 3))
        .map(|i| Place {
            nom: format!(
                "Association {} {} {}",
                words[i % 10],
                words[(i / 10) % 10],
                i
            ),
            commune: "Toulouse".into(),
            code_postal: "31000".into(),
            code_insee: Some("31555".into()),
            adresse: format!("{} {}", i + 1, streets[i % 4]),
            position: Some(Position::new(
                43.60 + (i / 20) as f64 * 0.003,
                1.44 + (i % 20) as f64 * 0.004,
            )),
            ..Place::default()
        })
        .collect();
    let mut duplicate = places[137].clone();
    duplicate.nom = duplicate.nom.to_uppercase();
    duplicate.adresse = duplicate.adresse.replace("avenue", "av.");
    places.push(duplicate);
    let sources: Vec<Vec<SourceRef>> = (0..places.len())
        .map(|i| {
            src(
                if i + 1 == places.len() { "b" } else { "a" },
                &i.to_string(),
            )
        })
        .collect();
    let groups = group(&candidates(&places, &sources), &[]);
    let last = places.len() - 1;
    assert!(grouped(&groups, 137, last), "the duplicate is found");
    assert_eq!(groups.len(), places.len() - 1, "and nothing else is merged");
}

/// Regression: the same building listed under two INSEE codes of one postal code (Aidants
/// Connect says Récicourt, the CNFS structures list Les Islettes, both 55120) was never
/// compared when blocks were by INSEE code only.
#[test]
fn same_building_under_two_insee_codes_of_one_postal_code_is_compared() {
    let places = vec![
        Place {
            nom: "Association Pays d'Argonne".into(),
            adresse: "22 RUE JULES BANCELIN".into(),
            commune: "Recicourt".into(),
            code_postal: "55120".into(),
            code_insee: Some("55419".into()),
            pivot: "81081923500013".into(),
            ..Place::default()
        },
        Place {
            nom: "PAYS D'ARGONNE".into(),
            adresse: "22 RUE JULES BANCELIN 55120 LES ISLETTES".into(),
            commune: "Les Islettes".into(),
            code_postal: "55120".into(),
            code_insee: Some("55253".into()),
            pivot: "81081923500013".into(),
            ..Place::default()
        },
    ];
    let sources = vec![src("aidants-connect", "1"), src("cnfs-structures", "2")];
    let groups = group(&candidates(&places, &sources), &[]);
    assert_eq!(groups.len(), 1, "{groups:?}");
}

/// Regression: files that drop apostrophes glue the article to the word ("MONTS DOR" for
/// "Monts d'Or"), and add the building after the street; the street still agrees.
#[test]
fn glued_elision_and_appended_building_still_match_the_street() {
    let a = Features::of(&Place {
        nom: "CHAMBRE D AGRICULTURE DU RHONE".into(),
        adresse: "18 AV DES MONTS D'OR".into(),
        commune: "LA TOUR-DE-SALVAGNY".into(),
        code_postal: "69890".into(),
        ..Place::default()
    });
    let b = Features::of(&Place {
        nom: "CHAMBRE D AGRICULTURE DU RHONE".into(),
        adresse: "18 AV DES MONTS DOR MAISON DES AGRICULTEURS 69890 LA TOUR-DE-SALVAGNY".into(),
        commune: "La Tour-de-Salvagny".into(),
        code_postal: "69890".into(),
        ..Place::default()
    });
    let score = compare(&a, &b);
    assert_eq!(
        score.address,
        similarity::AddressMatch::Same,
        "{}",
        score.reason
    );
    assert!(score.same, "{}", score.reason);
}

#[test]
fn two_sites_of_one_association_geocoded_to_one_point_stay_apart() {
    // Issue 13's false merge: one name, one SIRET, one geocoded point (the seat's), two
    // numbered addresses on two streets.
    let site = |adresse: &str| Place {
        pivot: "21040149300015".into(),
        ..montech("Centre social Le Trait d'Union", adresse, 43.96, 1.23)
    };
    let places = [site("7 rue de Mâcon"), site("18 rue Carnot")];
    let sources = vec![
        src("conseiller-numerique", "1"),
        src("aidants-connect", "2"),
    ];
    assert_eq!(check_siret("21040149300015"), SiretCheck::Valid);
    let score = compare(&Features::of(&places[0]), &Features::of(&places[1]));
    assert!(!score.same, "{}", score.reason);
    assert!(
        score.reason.contains("même point géocodé"),
        "{}",
        score.reason
    );
    assert_eq!(group(&candidates(&places, &sources), &[]).len(), 2);
}

#[test]
fn a_france_services_named_after_its_operator_is_one_place_and_one_in_the_mairie_is_two() {
    let sources = vec![
        src("france-services-2024", "1"),
        src("aidants-connect", "2"),
    ];
    // The communauté de communes runs the France Services at its own door.
    let places = [
        montech(
            "France services Montech",
            "1 chemin de la Mestrise",
            43.96,
            1.23,
        ),
        Place {
            position: None,
            ..montech(
                "Communauté de communes Grand Sud Tarn-et-Garonne",
                "1 CHE DE LA MESTRISE",
                0.0,
                0.0,
            )
        },
    ];
    assert_eq!(group(&candidates(&places, &sources), &[]).len(), 1);
    // The mairie houses a France Services with its own desk: two places, one door.
    let places = [
        montech("France services Montech", "28 Grande Rue", 43.96, 1.23),
        montech("Mairie de Montech", "28 GRAND RUE", 43.9601, 1.2301),
    ];
    assert_eq!(group(&candidates(&places, &sources), &[]).len(), 2);
    let score = compare(&Features::of(&places[0]), &Features::of(&places[1]));
    assert!(score.same_building, "{}", score.reason);
}
