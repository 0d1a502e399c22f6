//! The observatory pages through the real router, a real store of Tarn-et-Garonne and the
//! demo's referential: the map is server-side SVG with a legend and a text alternative, the
//! table sorts through links, each EPCI has its page, the downloads are real CSV / GeoJSON.

mod support;

use axum::http::StatusCode;
use support::{app, get};

#[tokio::test]
async fn observatoire_shows_a_choropleth_a_legend_and_the_same_figures_as_a_table() {
    let app = app().await;
    let a = get(&app.router, "/observatoire").await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        &a.body[..a.body.len().min(500)]
    );
    assert!(
        a.body.contains("Tarn-et-Garonne (82)"),
        "département par défaut"
    );
    assert!(a.body.contains("<svg viewBox="));
    assert!(a.body.contains("role=\"img\""));
    assert!(a
        .body
        .contains("<title id=\"carte-titre\">Carte des communes"));
    // 195 polygons of the département, each with a title.
    assert_eq!(
        a.body.matches("<path d=\"M").count()
            - a.body
                .matches("fill=\"url(#hachures)\" stroke=\"none\"")
                .count(),
        195
    );
    for label in [
        "5 min ou moins",
        "plus de 30 min",
        "pas de lieu ou position inconnue",
        "hachures",
    ] {
        assert!(a.body.contains(label), "légende : {label}");
    }
    assert!(a.body.contains("Montaigu-de-Quercy"));
    assert!(a.body.contains("aria-sort=\"ascending\""));
    assert!(a.body.contains("Par intercommunalité"));
    assert!(!a.body.contains("<script>"), "pas de script en ligne");
}

#[tokio::test]
async fn the_table_sorts_by_population_through_a_link() {
    let app = app().await;
    let a = get(
        &app.router,
        "/observatoire?departement=82&tri=population&ordre=desc",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let table = &a.body[a.body.find("id=\"tableau\"").expect("tableau")..];
    let first = table.find("<th scope=\"row\">").expect("ligne");
    assert!(
        table[first..].starts_with("<th scope=\"row\">Montauban</th>"),
        "{}",
        &table[first..first + 80]
    );
    assert!(a.body.contains("aria-sort=\"descending\""));
}

#[tokio::test]
async fn each_epci_has_its_page() {
    let app = app().await;
    let r = &app.test_store.referential;
    let montauban = r
        .communes
        .iter()
        .find(|c| c.code == "82121")
        .expect("Montauban");
    let epci = montauban.epci.clone().expect("EPCI de Montauban");
    let a = get(
        &app.router,
        &format!("/observatoire/epci/{epci}?categorie=france_services&seuil=20"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let nom = &r.epci(&epci).expect("EPCI").nom;
    assert!(a.body.contains(nom.as_str()));
    let members = r.epci(&epci).map(|e| e.communes.len()).unwrap_or(0);
    assert_eq!(
        a.body.matches("<tr>\n        <th scope=\"row\">").count(),
        members
    );
    let missing = get(&app.router, "/observatoire/epci/000000000").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_parameters_give_a_french_error_page() {
    let app = app().await;
    let a = get(&app.router, "/observatoire?departement=99").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body.contains("99"));
    let b = get(&app.router, "/observatoire?categorie=%3Cscript%3E").await;
    assert_eq!(b.status, StatusCode::BAD_REQUEST);
    assert!(!b.body.contains("<script>"));
    let c = get(&app.router, "/observatoire?seuil=7").await;
    assert_eq!(c.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn csv_and_geojson_downloads() {
    let app = app().await;
    let csv = get(&app.router, "/observatoire/communes.csv?departement=82").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/csv"));
    assert_eq!(csv.body.lines().count(), 196);
    assert!(csv
        .body
        .starts_with("code_insee,commune,departement,epci,population,ifn,"));
    let geo = get(
        &app.router,
        "/observatoire/communes.geojson?departement=82&categorie=france_services",
    )
    .await;
    assert_eq!(geo.status, StatusCode::OK);
    let v = geo.json();
    let features = v["features"].as_array().expect("features");
    assert_eq!(features.len(), 195);
    assert_eq!(features[0]["geometry"]["type"], "MultiPolygon");
    assert_eq!(features[0]["properties"]["categorie"], "france_services");
}

#[tokio::test]
async fn suggested_sites_open_a_scenario_recomputed_at_once() {
    let app = app().await;
    let a = get(
        &app.router,
        "/observatoire?departement=82&categorie=france_services&seuil=10",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("Où ouvrir les prochaines permanences ?"));
    let at = a.body.find("ouvrir=").expect("lien de scénario");
    let start = a.body[..at].rfind("href=\"").expect("href") + 6;
    let end = start + a.body[start..].find('"').expect("fin");
    let link = a.body[start..end]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let b = get(&app.router, &link).await;
    assert_eq!(b.status, StatusCode::OK, "{link}");
    assert!(b.body.contains("Scénario : une permanence ouvre à"));
    assert!(b.body.contains("Communes qui gagnent l'accès"));
    assert!(
        !b.body.contains("soit 0 de plus"),
        "le scénario ajoute des habitants"
    );
    let bad = get(&app.router, "/observatoire?departement=82&ouvrir=75056").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_departement_without_polygons_is_drawn_with_circles_at_the_centres() {
    let app = app().await;
    // The demo referential has the Tarn (81) without polygons.
    let a = get(&app.router, "/observatoire?departement=81").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(!a.body.contains("<path d=\"M"));
    let circles = a
        .body
        .matches("stroke=\"#333\" stroke-width=\"0.5\"><title>")
        .count();
    let communes = app
        .test_store
        .referential
        .communes_of("81")
        .filter(|c| c.centre.is_some())
        .count();
    assert_eq!(circles, communes);
}

#[tokio::test]
async fn tour_stops_count_as_itinerant_with_their_rhythm_never_as_permanent() {
    let app = app().await;
    let a = get(
        &app.router,
        "/observatoire?departement=82&categorie=france_services&seuil=10",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body.contains("avec seulement un passage itinérant"),
        "résumé"
    );
    assert!(
        a.body.contains("itinérant : 2 demi-journées par mois"),
        "rythme dans le tableau"
    );
    assert!(
        a.body.contains("fill=\"url(#hachures)\" stroke=\"none\""),
        "hachures sur la carte"
    );
    assert!(
        a.body.contains("passage itinérant seulement"),
        "colonne d'accès"
    );
}

#[tokio::test]
async fn the_observatory_is_served_from_its_cache_until_the_store_changes() {
    let app = app().await;
    let csv = |body: &str| {
        body.lines()
            .find(|l| l.contains("Montaigu-de-Quercy"))
            .map(str::to_string)
            .expect("Montaigu-de-Quercy in the CSV")
    };
    let first = get(&app.router, "/observatoire/communes.csv").await;
    assert_eq!(first.status, StatusCode::OK);
    let again = get(&app.router, "/observatoire/communes.csv").await;
    assert_eq!(first.body, again.body, "same answer from the cache");

    // A new place in the commune, then the reload every write triggers: the cached answer
    // is forgotten and the commune is now reached at once.
    let mut place = support::hostile_place();
    place.id = "lieu-montaigu".into();
    place.nom = "Médiathèque de Montaigu".into();
    place.commune = "Montaigu-de-Quercy".into();
    place.code_postal = "82150".into();
    place.code_insee = Some("82117".into());
    place.position = Some(maillage_model::Position::new(44.34136, 1.03954));
    support::import_places(app.test_store.store.as_ref(), vec![place]).await;
    let stale = get(&app.router, "/observatoire/communes.csv").await;
    assert_eq!(
        csv(&stale.body),
        csv(&first.body),
        "cached until the reload"
    );
    app.state.reload().await.expect("reload");
    let fresh = get(&app.router, "/observatoire/communes.csv").await;
    assert_ne!(csv(&fresh.body), csv(&first.body), "{}", csv(&fresh.body));
    assert!(
        csv(&fresh.body).contains("Médiathèque de Montaigu"),
        "{}",
        csv(&fresh.body)
    );
}
