//! The referential loaded from the real shared files: counts, reconciliation, lookups.

use std::sync::OnceLock;

use maillage_model::CommuneLookup;
use maillage_territory::{shared_data_dir, Referential};

fn referential() -> &'static Referential {
    static R: OnceLock<Referential> = OnceLock::new();
    R.get_or_init(|| match Referential::load_shared(&shared_data_dir()) {
        Ok(r) => r,
        Err(e) => panic!("référentiel partagé illisible : {e}"),
    })
}

#[test]
fn loads_every_commune_of_the_cog_2026() {
    let r = referential();
    eprintln!("{:#?}", r.report);
    assert_eq!(r.communes.len(), 34_875);
    assert_eq!(r.epcis.len(), 1_255);
    // Everyone lives somewhere: the populations add up to the national total of the file.
    let total: u64 = r.communes.iter().map(|c| u64::from(c.population)).sum();
    assert!(total > 65_000_000, "population totale {total}");
    // Population 0: the six "villages morts pour la France" of the Meuse (really 0) and the
    // 17 communes of Mayotte, absent from the populations légales file.
    let zero = &r.report.communes_without_population;
    assert_eq!(
        zero.iter().filter(|c| c.starts_with("55")).count(),
        6,
        "{zero:?}"
    );
    assert_eq!(
        zero.iter().filter(|c| c.starts_with("976")).count(),
        17,
        "{zero:?}"
    );
    assert_eq!(zero.len(), 23);
    // Centres: from the file, else the mean of the arrondissements / former communes. The
    // communes recreated or renamed since 2024 without coordinates in the file (Celles 15031,
    // Les Hauts-Talican 60694, L'Oie 85165…) stay without a centre and are reported.
    assert_eq!(r.report.centre_from_parts, 7);
    assert_eq!(
        r.report.communes_without_centre,
        ["15031", "15035", "15047", "15171", "27676", "60694", "85165", "85212"]
    );
    assert!(r.report.communes_with_ifn > 34_700);
}

#[test]
fn paris_lyon_marseille_are_assembled_from_their_arrondissements() {
    let r = referential();
    let paris = r.commune("75056").expect("Paris");
    assert!(paris.population > 2_000_000);
    // 75001…75020 plus 75116 (the 16th has two postal codes).
    assert_eq!(paris.codes_postaux.len(), 21, "{:?}", paris.codes_postaux);
    assert!(paris.centre.is_some());
    let marseille = r.commune("13055").expect("Marseille");
    // Marseille's own IFN row is empty: the arrondissements' mean fills it.
    assert!(marseille.ifn.is_some());
    assert_eq!(r.commune("75111").map(|c| c.code.as_str()), Some("75056"));
    assert_eq!(
        r.find_commune("75011", "Paris 11e Arrondissement")
            .map(|c| c.code.as_str()),
        Some("75056")
    );
    assert_eq!(
        r.find_commune("13001", "MARSEILLE 1ER")
            .map(|c| c.code.as_str()),
        Some("13055")
    );
    assert_eq!(
        r.find_commune("69003", "Lyon").map(|c| c.code.as_str()),
        Some("69123")
    );
}

#[test]
fn tarn_et_garonne_matches_its_polygons() {
    let r = referential();
    let communes: Vec<_> = r.communes_of("82").collect();
    assert_eq!(communes.len(), 195);
    for c in &communes {
        assert!(
            r.polygons.contains_key(&c.code),
            "pas de polygone pour {}",
            c.code
        );
        assert!(c.epci.is_some(), "pas d'EPCI pour {}", c.code);
        assert!(c.centre.is_some());
    }
    assert_eq!(
        r.commune("82117").map(|c| c.nom.as_str()),
        Some("Montaigu-de-Quercy")
    );
    assert_eq!(r.commune("82088").map(|c| c.nom.as_str()), Some("Laguépie"));
}

#[test]
fn stale_polygons_of_ille_et_vilaine_and_haute_vienne_are_counted_not_lost() {
    let r = referential();
    // 35 has 345 polygons of 2018 for 332 communes of 2026, 87 has 200 for 195: the extra
    // ones are former communes merged since, carried over to their current commune.
    assert!(r.report.polygons_merged_into_current >= 345 - 332 + 200 - 195);
    assert_eq!(r.report.polygons_unmatched, 0);
    assert!(r
        .communes_of("35")
        .all(|c| r.polygons.contains_key(&c.code)));
}

fn code_of(cp: &str, name: &str) -> Option<String> {
    referential().find_commune(cp, name).map(|c| c.code.clone())
}

#[test]
fn find_commune_by_postal_code_and_folded_name() {
    // A postal code shared by several communes is resolved by the name.
    assert_eq!(
        code_of("82140", "St-Antonin-Noble-Val").as_deref(),
        Some("82155")
    );
    assert_eq!(
        code_of("82140", "SAINT ANTONIN NOBLE VAL").as_deref(),
        Some("82155")
    );
    assert_eq!(code_of("82000", "Montauban").as_deref(), Some("82121"));
    // CEDEX codes are not postal codes of a commune: the name in the département decides.
    assert_eq!(
        code_of("82013", "MONTAUBAN CEDEX").as_deref(),
        Some("82121")
    );
    // Leading article present or not.
    assert_eq!(code_of("82370", "Villebrumier").as_deref(), Some("82194"));
    assert_eq!(
        code_of("82400", "Honor-de-Cos").as_deref(),
        code_of("82400", "L'Honor-de-Cos").as_deref()
    );
    // Unknown name on a shared postal code: no guess.
    assert_eq!(code_of("82140", "Nulle-Part"), None);
}
