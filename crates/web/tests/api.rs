//! The open API through the real router and a real SQLite store of Tarn-et-Garonne's places.

mod support;

use axum::http::StatusCode;
use support::{app, get};

#[tokio::test]
async fn healthz_counts_the_places() {
    let app = app().await;
    let a = get(&app.router, "/healthz").await;
    assert_eq!(a.status, StatusCode::OK);
    let n = a.json()["lieux"].as_u64().expect("count");
    assert_eq!(n, app.test_store.store.count_places().await.expect("count"));
    assert!(
        n > 50,
        "the demo data of 82 has more than 50 places, got {n}"
    );
}

#[tokio::test]
async fn text_search_folds_accents_and_plurals() {
    let app = app().await;
    let a = get(&app.router, "/api/v1/lieux?q=demarche&par_page=500").await;
    assert_eq!(a.status, StatusCode::OK);
    let with_plain = a.json()["total"].as_u64().expect("total");
    let b = get(&app.router, "/api/v1/lieux?q=D%C3%A9marches&par_page=500").await;
    assert_eq!(b.json()["total"].as_u64(), Some(with_plain));
    assert!(with_plain > 10);
    for place in a.json()["lieux"].as_array().expect("list") {
        let text = place.to_string().to_lowercase();
        assert!(
            text.contains("démarches") || text.contains("demarche"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_commune_in_the_text_becomes_a_distance_search() {
    let app = app().await;
    let a = get(&app.router, "/api/v1/lieux?q=Montauban").await;
    assert_eq!(a.status, StatusCode::OK);
    let j = a.json();
    assert_eq!(j["centre"]["libelle"], "Montauban");
    let distances: Vec<f64> = j["lieux"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["distance_km"].as_f64().expect("distance"))
        .collect();
    assert!(!distances.is_empty());
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1]),
        "sorted by distance"
    );
    assert!(distances.iter().all(|d| *d <= 10.0));
}

#[tokio::test]
async fn radius_and_filters_narrow_the_results() {
    let app = app().await;
    let wide = get(&app.router, "/api/v1/lieux?ou=82121&rayon=50")
        .await
        .json()["total"]
        .as_u64()
        .expect("total");
    let near = get(&app.router, "/api/v1/lieux?ou=82121&rayon=5")
        .await
        .json()["total"]
        .as_u64()
        .expect("total");
    assert!(near < wide, "{near} < {wide}");
    let fs = get(
        &app.router,
        "/api/v1/lieux?dispositifs=france-services&par_page=500",
    )
    .await
    .json();
    for p in fs["lieux"].as_array().expect("list") {
        assert!(p["dispositif_programmes_nationaux"]
            .to_string()
            .contains("France Services"));
    }
    assert!(fs["total"].as_u64().expect("total") > 5);
}

#[tokio::test]
async fn pagination_walks_every_result_once() {
    let app = app().await;
    let all = get(&app.router, "/api/v1/lieux?par_page=500").await.json();
    let total = all["total"].as_u64().expect("total") as usize;
    let mut seen = Vec::new();
    let mut url = Some("/api/v1/lieux?par_page=7".to_string());
    while let Some(u) = url {
        let page = get(&app.router, &u).await.json();
        for p in page["lieux"].as_array().expect("list") {
            seen.push(p["id"].as_str().expect("id").to_string());
        }
        url = page["suivante"].as_str().map(str::to_string);
    }
    assert_eq!(seen.len(), total);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "no place twice");
}

#[tokio::test]
async fn bad_parameters_are_400_with_a_french_message_never_500() {
    let app = app().await;
    for uri in [
        "/api/v1/lieux?services=cuisine",
        "/api/v1/lieux?lat=abc&lon=1",
        "/api/v1/lieux?rayon=9999",
        "/api/v1/lieux?par_page=0",
        "/api/v1/lieux?ou=Atlantide",
        "/api/v1/lieux?jour=jeudimatin",
        "/api/v1/lieux?epci=000",
        "/api/v1/lieux?page=%FF",
    ] {
        let a = get(&app.router, uri).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {}", a.body);
        let m = a.json()["erreur"]["message"]
            .as_str()
            .expect("message")
            .to_string();
        assert!(
            !m.is_empty() && !m.contains("sqlx") && !m.contains("panicked"),
            "{uri}: {m}"
        );
    }
    let missing = get(&app.router, "/api/v1/lieux/inconnu").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.json()["erreur"]["message"]
        .as_str()
        .expect("message")
        .contains("inconnu"));
}

#[tokio::test]
async fn one_place_has_its_sources() {
    let app = app().await;
    let list = get(&app.router, "/api/v1/lieux?dispositifs=france-services")
        .await
        .json();
    let id = list["lieux"][0]["id"].as_str().expect("id").to_string();
    let one = get(&app.router, &format!("/api/v1/lieux/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    let j = one.json();
    assert_eq!(j["id"], id.as_str());
    assert!(!j["sources"].as_array().expect("sources").is_empty());
}

#[tokio::test]
async fn exports_of_the_current_search() {
    let app = app().await;
    let csv = get(&app.router, "/api/v1/lieux?q=montauban&format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/csv"));
    let header = csv.body.lines().next().expect("header");
    assert!(
        header.contains("nom") && header.contains("services"),
        "{header}"
    );
    let geo = get(&app.router, "/api/v1/lieux?q=montauban&format=geojson").await;
    assert_eq!(geo.status, StatusCode::OK);
    let g = geo.json();
    assert_eq!(g["type"], "FeatureCollection");
    assert!(!g["features"].as_array().expect("features").is_empty());
}

#[tokio::test]
async fn cors_lets_any_site_read_the_api() {
    let app = app().await;
    let request = axum::http::Request::get("/api/v1/lieux")
        .header("origin", "https://mairie.example")
        .body(axum::body::Body::empty())
        .expect("request");
    let a = support::send(&app.router, request).await;
    assert_eq!(a.headers["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn an_import_by_another_process_shows_up_after_the_watch() {
    let app = app().await;
    let before = get(&app.router, "/healthz").await.json()["lieux"]
        .as_u64()
        .expect("n");
    let watcher = tokio::spawn(
        app.state
            .clone()
            .watch_store(std::time::Duration::from_millis(50)),
    );
    let mut place = support::hostile_place();
    place.id = "lieu-nouveau".into();
    place.nom = "Nouveau lieu importé".into();
    support::import_places(app.test_store.store.as_ref(), vec![place]).await;
    let mut after = before;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        after = get(&app.router, "/healthz").await.json()["lieux"]
            .as_u64()
            .expect("n");
        if after != before {
            break;
        }
    }
    watcher.abort();
    assert_eq!(after, before + 1);
    let found = get(&app.router, "/api/v1/lieux?q=nouveau+importe")
        .await
        .json();
    assert_eq!(found["total"], 1);
}

#[tokio::test]
async fn a_date_respects_public_holidays_where_a_weekday_does_not() {
    let app = app().await;
    let mut place = support::hostile_place();
    place.id = "lieu-ferie".into();
    place.nom = "Médiathèque fermée les jours fériés".into();
    place.horaires = Some("Mo-Fr 09:00-17:00; PH off".into());
    support::import_places(app.test_store.store.as_ref(), vec![place]).await;
    app.state.reload().await.expect("reload");
    let has = |v: serde_json::Value| {
        v["lieux"]
            .as_array()
            .expect("list")
            .iter()
            .any(|p| p["id"] == "lieu-ferie")
    };
    // Friday 25 December 2026 is Christmas; Friday 18 December is an ordinary Friday.
    assert!(has(get(
        &app.router,
        "/api/v1/lieux?jour=vendredi&par_page=500"
    )
    .await
    .json()));
    assert!(has(get(
        &app.router,
        "/api/v1/lieux?jour=2026-12-18&par_page=500"
    )
    .await
    .json()));
    assert!(!has(get(
        &app.router,
        "/api/v1/lieux?jour=2026-12-25&par_page=500"
    )
    .await
    .json()));
    assert!(has(get(
        &app.router,
        "/api/v1/lieux?jour=2026-12-18&moment=apres-midi&par_page=500"
    )
    .await
    .json()));
}

/// The text match has two code paths (a bit set over every place; word ids checked on the
/// few candidates around a point): both must give the same places.
#[tokio::test]
async fn text_and_distance_together_match_text_alone_then_distance() {
    let app = app().await;
    let ids = |v: serde_json::Value| -> std::collections::BTreeSet<String> {
        v["lieux"]
            .as_array()
            .expect("list")
            .iter()
            .map(|p| p["id"].as_str().expect("id").to_string())
            .collect()
    };
    for word in [
        "demarche",
        "numerique",
        "caf",
        "france+services",
        "mediatheque",
    ] {
        let text = ids(
            get(&app.router, &format!("/api/v1/lieux?q={word}&par_page=500"))
                .await
                .json(),
        );
        let near = ids(get(
            &app.router,
            "/api/v1/lieux?ou=Montauban&rayon=30&par_page=500",
        )
        .await
        .json());
        let both = ids(get(
            &app.router,
            &format!("/api/v1/lieux?q={word}&ou=Montauban&rayon=30&par_page=500"),
        )
        .await
        .json());
        let expected: std::collections::BTreeSet<String> =
            text.intersection(&near).cloned().collect();
        assert_eq!(both, expected, "{word}");
        assert!(
            !both.is_empty() || word == "mediatheque",
            "{word}: nothing near Montauban"
        );
    }
}
