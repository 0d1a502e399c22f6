//! Coverage on the real data: cross-checked against an independent computation, the naive
//! baseline, bad coordinates, itinerant stops, change over time, scenarios and site choice.

mod common;

use common::{national_places, read, referential};
use maillage_model::{Dispositif, Itinerance, Place, Position, Service};
use maillage_standard::read::Format;
use maillage_territory::coverage::{
    compare, compute_naive, with_added_place, Category, CoverageOptions, Reach,
};
use maillage_territory::sites::SiteProblem;
use maillage_territory::{compute, shared_data_dir};

fn options_82() -> CoverageOptions {
    CoverageOptions {
        departement: Some("82".into()),
        ..CoverageOptions::default()
    }
}

/// France Services places read straight from the 2024 CSV by this test, independently of the
/// project's readers: id, name, coordinates.
fn france_services_by_hand() -> Vec<(String, String, Position)> {
    let path = shared_data_dir().join("france-services/liste-fs-20240801.csv");
    let mut rdr = csv::Reader::from_path(&path).expect("liste France Services 2024");
    let headers = rdr.headers().expect("en-tête").clone();
    let col = |n: &str| headers.iter().position(|h| h == n).expect(n);
    let (id, name, lat, lon) = (
        col("id_fs"),
        col("lib_fs"),
        col("latitude"),
        col("longitude"),
    );
    rdr.records()
        .filter_map(|r| r.ok())
        .filter_map(|r| {
            let la: f64 = r.get(lat)?.parse().ok()?;
            let lo: f64 = r.get(lon)?.parse().ok()?;
            Some((
                r.get(id)?.to_string(),
                r.get(name)?.to_string(),
                Position::new(la, lo),
            ))
        })
        .collect()
}

fn haversine_km(a: Position, b: Position) -> f64 {
    // Written again here on purpose (not Position::distance_km): an independent computation.
    let r = 6371.0088_f64;
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((b.lon - a.lon).to_radians() / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

#[test]
fn nearest_france_services_of_montaigu_de_quercy_and_laguepie_cross_checked() {
    let r = referential();
    let by_hand = france_services_by_hand();
    assert!(by_hand.len() > 2_800);
    let places: Vec<Place> = by_hand
        .iter()
        .map(|(id, nom, p)| Place {
            id: id.clone(),
            nom: nom.clone(),
            position: Some(*p),
            dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
            ..Place::default()
        })
        .collect();
    let cov = compute(r, &places, &options_82());
    let fs = cov
        .category_index(Category::FranceServices)
        .expect("catégorie");
    for code in ["82117", "82088"] {
        let commune = cov.communes.iter().find(|c| c.code == code).expect(code);
        let centre = commune.centre.expect("centre");
        let (best_id, best_name, best_km) = by_hand
            .iter()
            .map(|(id, nom, p)| (id, nom, haversine_km(centre, *p)))
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .expect("au moins un lieu");
        let got = commune.access[fs]
            .nearest
            .as_ref()
            .expect("un France Services");
        eprintln!(
            "{} {}: {} ({:.2} km, {:.1} min)",
            code, commune.nom, got.nom, got.km, got.minutes
        );
        assert_eq!(&got.place_id, best_id, "{code}: attendu {best_name}");
        assert!((got.km - best_km).abs() < 1e-6);
    }
}

#[test]
fn rtree_answers_equal_the_naive_all_pairs_baseline() {
    let r = referential();
    let places = national_places();
    for dep in ["82", "35"] {
        let options = CoverageOptions {
            departement: Some(dep.into()),
            ..CoverageOptions::default()
        };
        let fast = compute(r, &places, &options);
        let naive = compute_naive(r, &places, &options);
        assert_eq!(fast.communes.len(), naive.communes.len());
        for (a, b) in fast.communes.iter().zip(&naive.communes) {
            for (x, y) in a.access.iter().zip(&b.access) {
                let km =
                    |n: &Option<maillage_territory::coverage::Nearest>| n.as_ref().map(|n| n.km);
                assert_eq!(km(&x.nearest), km(&y.nearest), "{} {}", dep, a.code);
                assert_eq!(
                    km(&x.nearest_fixed),
                    km(&y.nearest_fixed),
                    "{} {}",
                    dep,
                    a.code
                );
            }
        }
    }
}

fn place(id: &str, code_insee: &str, lat: f64, lon: f64) -> Place {
    Place {
        id: id.into(),
        nom: id.into(),
        code_insee: Some(code_insee.into()),
        position: Some(Position::new(lat, lon)),
        services: vec![Service::AideDemarches],
        dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
        ..Place::default()
    }
}

#[test]
fn places_with_placeholder_swapped_or_foreign_coordinates_are_excluded_not_misplaced() {
    let r = referential();
    // Montauban is at about 44.02 N, 1.35 E.
    let places = vec![
        place("juste", "82121", 44.0176, 1.3550),
        place("inverse", "82121", 1.3550, 44.0176),
        place("zero", "82121", 0.0, 0.0),
        place("etranger", "82121", 40.4168, -3.7038), // Madrid
        place("loin", "82121", 48.8566, 2.3522),      // Paris, declared in Montauban
        Place {
            position: None,
            code_insee: None,
            ..place("sans", "82121", 0.0, 0.0)
        },
    ];
    let cov = compute(r, &places, &options_82());
    assert_eq!(cov.places_used, 1);
    let reasons: Vec<(&str, &str)> = cov
        .excluded_places
        .iter()
        .map(|e| (e.place_id.as_str(), e.reason.as_str()))
        .collect();
    eprintln!("{reasons:#?}");
    assert_eq!(reasons.len(), 5);
    assert!(reasons[0].1.contains("inversées"));
    assert!(reasons[1].1.contains("remplissage"));
    assert!(reasons[2].1.contains("hors de France"));
    assert!(reasons[3].1.contains("km de sa commune"));
    assert!(reasons[4].1.contains("sans coordonnées"));
    // Every commune's nearest place is the only good one.
    let fs = cov
        .category_index(Category::FranceServices)
        .expect("catégorie");
    assert!(cov
        .communes
        .iter()
        .filter_map(|c| c.access[fs].nearest.as_ref())
        .all(|n| n.place_id == "juste"));
}

#[test]
fn an_itinerant_stop_counts_but_is_labelled_with_its_rhythm() {
    let r = referential();
    let montaigu = r
        .communes
        .iter()
        .find(|c| c.code == "82117")
        .expect("82117");
    let centre = montaigu.centre.expect("centre");
    let mut bus = place("bus", "82117", centre.lat, centre.lon);
    bus.itinerance = vec![Itinerance::Itinerant];
    let far = place("fixe", "82121", 44.0176, 1.3550);
    let cov = compute(r, &[bus, far], &options_82());
    let fs = cov
        .category_index(Category::FranceServices)
        .expect("catégorie");
    let c = cov
        .communes
        .iter()
        .find(|c| c.code == "82117")
        .expect("82117");
    let n = c.access[fs].nearest.as_ref().expect("le bus");
    assert_eq!(n.place_id, "bus");
    assert_eq!(n.itinerant.as_deref(), Some("2 demi-journées par mois"));
    assert_eq!(
        c.access[fs]
            .nearest_fixed
            .as_ref()
            .map(|n| n.place_id.as_str()),
        Some("fixe")
    );
    assert_eq!(c.access[fs].reach(10.0), Reach::ItinerantOnly);
    let figures = cov.by_departement(r, Category::FranceServices);
    assert!(figures[0].within[0].itinerant_only >= u64::from(c.population));
    let uncovered = cov.uncovered(Category::FranceServices, 10.0);
    let row = uncovered
        .iter()
        .find(|u| u.code == "82117")
        .expect("listée");
    assert!(row.itinerant_only);
}

#[test]
fn commune_without_coordinates_is_reported_not_computed() {
    let r = referential();
    let options = CoverageOptions {
        departement: Some("60".into()),
        ..CoverageOptions::default()
    };
    let cov = compute(r, &[place("x", "60057", 49.43, 2.08)], &options);
    assert!(cov.communes_without_centre.contains(&"60694".to_string()));
    let c = cov
        .communes
        .iter()
        .find(|c| c.code == "60694")
        .expect("60694");
    assert!(c.access.iter().all(|a| a.nearest.is_none()));
}

#[test]
fn france_services_2022_to_2024_gains_and_losses_in_tarn_et_garonne() {
    let r = referential();
    let before = read(
        "france-services/liste-fs-20221201.csv",
        Format::FranceServices,
        "fs-2022",
    );
    let after = read(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
        "fs-2024",
    );
    let options = options_82();
    let b = compute(r, &before, &options);
    let a = compute(r, &after, &options);
    let changes = compare(&b, &a, Category::FranceServices, 10.0);
    for c in &changes {
        eprintln!(
            "{} {} ({} hab.): {:?} → {:?} ({:?} → {:?} min)",
            c.code, c.nom, c.population, c.before, c.after, c.before_min, c.after_min
        );
    }
    assert!(!changes.is_empty());
    // Each change is consistent with the minutes on both sides.
    for c in &changes {
        let at = |m: Option<f64>| m.is_some_and(|m| m <= 10.0);
        if c.gained {
            assert!(at(c.after_min), "{}", c.code);
        } else {
            assert!(at(c.before_min) || c.before != Reach::None, "{}", c.code);
        }
    }
}

#[test]
fn a_new_permanence_covers_its_commune_at_once() {
    let r = referential();
    let places = read(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
        "fs-2024",
    );
    let cov = compute(r, &places, &options_82());
    let uncovered = cov.uncovered(Category::FranceServices, 10.0);
    let first = uncovered
        .first()
        .expect("une commune sans France Services à 10 min");
    let centre = r
        .communes
        .iter()
        .find(|c| c.code == first.code)
        .and_then(|c| c.centre)
        .expect("centre");
    let new = place("nouvelle", &first.code, centre.lat, centre.lon);
    let after = with_added_place(&cov, &new, places.len());
    let still = after.uncovered(Category::FranceServices, 10.0);
    assert!(!still.iter().any(|u| u.code == first.code));
    assert!(still.len() < uncovered.len());
    // Same answer as a full recomputation with the place added.
    let mut more = places.clone();
    more.push(new);
    let full = compute(r, &more, &options_82());
    assert_eq!(
        full.uncovered(Category::FranceServices, 10.0).len(),
        still.len()
    );
}

#[test]
fn greedy_sites_against_the_exact_optimum_in_tarn_et_garonne() {
    let r = referential();
    let places = read(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
        "fs-2024",
    );
    let cov = compute(r, &places, &options_82());
    let problem = SiteProblem::from_coverage(&cov, Category::FranceServices, 10.0);
    let total: f64 = problem.demands.iter().map(|d| d.3).sum();
    for k in 1..=3 {
        let g = problem.greedy(k);
        let e = problem.exact(k, 50_000_000).expect("résolu exactement");
        eprintln!(
            "k={k}: glouton {:.0} ({} hab.) {:?}, optimum {:.0} ({} hab.) {:?}, écart {:.2} % (demande totale {:.0}, {} communes, {} candidats)",
            g.weight, g.population, g.codes, e.weight, e.population, e.codes,
            100.0 * (e.weight - g.weight) / e.weight, total, problem.demands.len(), problem.candidates.len()
        );
        assert!(e.weight + 1e-6 >= g.weight);
        assert!(g.weight >= (1.0 - 1.0 / std::f64::consts::E) * e.weight);
    }
}

#[test]
fn guyane_place_far_from_the_centroid_of_a_vast_commune_is_kept() {
    // Camopi is 10,030 km²: its France Services, in the village, is 52 km from the commune's
    // centroid. It was wrongly excluded as misplaced before the tolerance grew with the area.
    let r = referential();
    let camopi = place("camopi", "97356", 3.16648, -52.334036);
    let centre = r
        .communes
        .iter()
        .find(|c| c.code == "97356")
        .and_then(|c| c.centre)
        .expect("centre");
    assert!(centre.distance_km(Position::new(3.16648, -52.334036)) > 40.0);
    let options = CoverageOptions {
        departement: Some("973".into()),
        ..CoverageOptions::default()
    };
    let cov = compute(r, &[camopi], &options);
    assert!(cov.excluded_places.is_empty(), "{:?}", cov.excluded_places);
    // A place declared in a small commune but 50 km away is still excluded.
    let misplaced = place("loin", "82121", 44.0176 + 0.45, 1.3550);
    let cov = compute(r, &[misplaced], &options_82());
    assert_eq!(cov.excluded_places.len(), 1);
}

#[test]
fn the_demo_referential_subset_loads_with_the_same_layout() {
    let dir = maillage_territory::workspace_root().join("data/referentiel");
    if !dir.exists() {
        panic!("data/referentiel absent du dépôt");
    }
    let r = maillage_territory::Referential::load_dir(&dir).expect("référentiel de la démo");
    assert_eq!(r.communes_of("82").count(), 195);
    assert!(r
        .communes_of("82")
        .all(|c| r.polygons.contains_key(&c.code) && c.centre.is_some()));
    assert!(r.report.polygons_unmatched == 0);
    eprintln!("{:?}", r.report.missing_files);
}

#[test]
fn branch_and_bound_equals_brute_force_on_every_pair_of_sites() {
    // The exact optimum is checked against trying every pair of candidates (Tarn-et-Garonne,
    // France Services, 10 min: 195 candidates, 18,915 pairs).
    let r = referential();
    let places = read(
        "france-services/liste-fs-20240801.csv",
        Format::FranceServices,
        "fs-2024",
    );
    let cov = compute(r, &places, &options_82());
    let p = SiteProblem::from_coverage(&cov, Category::FranceServices, 10.0);
    let weight = |sites: &[usize]| -> f64 {
        let mut covered = vec![false; p.demands.len()];
        for &s in sites {
            for &d in &p.covers[s] {
                covered[d as usize] = true;
            }
        }
        covered
            .iter()
            .zip(&p.demands)
            .filter(|(c, _)| **c)
            .map(|(_, d)| d.3)
            .sum()
    };
    let n = p.candidates.len();
    let mut best = 0.0f64;
    for a in 0..n {
        for b in a + 1..n {
            best = best.max(weight(&[a, b]));
        }
    }
    let exact = p.exact(2, 10_000_000).expect("optimum");
    assert!(
        (exact.weight - best).abs() < 1e-6,
        "{} contre {}",
        exact.weight,
        best
    );
    assert!((weight(&exact.sites) - best).abs() < 1e-6);
}
