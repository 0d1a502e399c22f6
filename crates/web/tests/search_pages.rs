//! The search as a person meets it, through the real router on the real demo places: words
//! that find nothing are named as typed with a way out, typos get a "did you mean", a page past
//! the end shows the last page, places without coordinates are on the map (flagged) and in
//! distance searches, the printable list says which search it prints, names and addresses are
//! tidy on the pages while the API keeps the source values.

mod support;

use axum::http::StatusCode;
use support::{app, get};

#[tokio::test]
async fn words_that_find_nothing_are_named_as_typed_with_a_way_out() {
    let app = app().await;
    let a = get(&app.router, "/?q=caf+tricotage").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body.contains("Mots sans résultat : tricotage"),
        "named as typed"
    );
    assert!(
        a.body.contains("href=\"/?q=caf\""),
        "the page proposes the search without the word"
    );
    // "pole emploi" is a concept, not the stem "pol" that finds nothing.
    let b = get(&app.router, "/?q=pole+emploi").await;
    assert!(
        !b.body.contains("Mots sans résultat"),
        "pole emploi is known"
    );
    assert!(!b.body.contains("Aucun lieu ne correspond"));
}

#[tokio::test]
async fn a_typo_gets_a_did_you_mean() {
    let app = app().await;
    let a = get(&app.router, "/?q=imprmer").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("Vouliez-vous dire"), "did you mean");
    assert!(a.body.contains("href=\"/?q=imprimer\""), "corrected search");
    assert!(a.body.contains("Mots sans résultat : imprmer"));
}

#[tokio::test]
async fn no_place_around_with_the_words_shows_the_nearest_and_says_so() {
    let app = app().await;
    let a = get(&app.router, "/?q=mediatheque+caussade").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body.contains("a « mediatheque » : voici"),
        "says which word"
    );
    assert!(a.body.contains("href=\"/lieux/"), "and shows places nearby");
}

#[tokio::test]
async fn a_page_past_the_last_shows_the_last_page() {
    let app = app().await;
    let a = get(&app.router, "/?q=caf&page=50").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("href=\"/lieux/"), "not an empty page");
    let last = get(&app.router, "/?q=caf").await;
    let pages = last
        .body
        .split("Page 1 sur ")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("pagination")
        .to_string();
    assert!(
        a.body.contains(&format!("Page {pages} sur {pages}")),
        "the last page, {pages}"
    );
}

#[tokio::test]
async fn places_without_coordinates_are_on_the_map_flagged_and_found_around() {
    let app = app().await;
    let index = app.state.index();
    let without: Vec<String> = index
        .entries()
        .iter()
        .filter(|e| e.place.position.is_none())
        .map(|e| e.place.id.clone())
        .collect();
    assert!(
        !without.is_empty(),
        "the demo has places without coordinates"
    );
    let points = get(&app.router, "/carte/lieux.json").await.json();
    let points = points.as_array().expect("points");
    // The bus stops are points too, linked to their calendar; the places link to their page.
    let (places, stops): (Vec<_>, Vec<_>) = points
        .iter()
        .partition(|p| p[5].as_str().is_some_and(|h| h.starts_with("/lieux/")));
    assert_eq!(places.len(), index.len(), "every place is on the map");
    assert!(
        !stops.is_empty()
            && stops.iter().all(|p| p[5]
                .as_str()
                .is_some_and(|h| h.starts_with("/itinerance?commune="))
                && p[7].as_str().is_some_and(|w| w.contains(" est à "))),
        "the bus stops with their next passage"
    );
    assert!(
        places
            .iter()
            .all(|p| p[6].as_str().is_some_and(|a| !a.is_empty())),
        "every popup has an address"
    );
    let flagged: Vec<String> = points
        .iter()
        .filter(|p| p[4] == true)
        .map(|p| p[2].as_str().expect("id").to_string())
        .collect();
    assert_eq!(flagged.len(), without.len());
    assert!(without.iter().all(|id| flagged.contains(id)));
    // The CCAS of Castelsarrasin has no coordinates: found around Castelsarrasin.
    let a = get(
        &app.router,
        "/api/v1/lieux?q=aide+aux+d%C3%A9marches&ou=Castelsarrasin",
    )
    .await
    .json();
    let ids: Vec<&str> = a["lieux"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(ids.contains(&"lieu-a59790775657"), "{ids:?}");
    let page = get(&app.router, "/?q=ccas&ou=Castelsarrasin").await;
    assert!(page.body.contains("(position approximative)"));
}

#[tokio::test]
async fn the_printable_list_keeps_the_search_and_says_it() {
    let app = app().await;
    let a = get(&app.router, "/imprimer?q=caf&ou=Montauban&gratuit=1").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body
            .contains("Recherche : « caf », autour de Montauban (10 km), gratuit."),
        "says the search"
    );
    assert!(a.body.contains("type=\"hidden\" name=\"q\" value=\"caf\""));
    assert!(a
        .body
        .contains("type=\"hidden\" name=\"gratuit\" value=\"1\""));
}

#[tokio::test]
async fn names_and_addresses_are_tidy_on_pages_and_kept_in_the_api() {
    let app = app().await;
    let a = get(&app.router, "/?q=ccas+castelsarrasin").await;
    assert!(a.body.contains("CCAS Castelsarrasin"), "normal case");
    assert!(!a.body.contains("CCAS CASTELSARRASIN"));
    let b = get(&app.router, "/?q=france+services+saint+antonin").await;
    assert!(
        b.body.contains("23 Place de la Mairie, 82155")
            || b.body.contains("23 Place de la Mairie, 82140"),
        "the town once"
    );
    assert!(!b.body.contains("Mairie 82140 Saint-Antonin-Noble-Val,"));
    let api = get(&app.router, "/api/v1/lieux/lieu-a59790775657")
        .await
        .json();
    assert_eq!(
        api["nom"], "CCAS CASTELSARRASIN",
        "the API keeps the source value"
    );
}

#[tokio::test]
async fn the_bus_is_found_at_its_stops_with_its_next_passages() {
    let app = app().await;
    // Lavit has no fixed place: the bus stopping at its mairie is the answer.
    for url in [
        "/?q=bus+france+services+lavit",
        "/?q=lavit&itinerant=1",
        "/?q=aide+aux+demarches&ou=Lavit&rayon=0",
    ] {
        let page = get(&app.router, url).await;
        assert_eq!(page.status, StatusCode::OK, "{url}");
        assert!(
            page.body
                .contains("France Services itinérante — Mairie de Lavit"),
            "{url}: the stop is a result"
        );
        assert!(
            page.body.contains("href=\"/itinerance?commune=Lavit\""),
            "{url}: the stop links to its commune's calendar"
        );
        assert!(
            page.body.contains("Prochains passages :") && page.body.contains(" est à Lavit le "),
            "{url}: with its next passages"
        );
        assert!(
            page.body
                .contains("/itinerance/affiche?commune=Lavit&#38;mois=")
                || page
                    .body
                    .contains("/itinerance/affiche?commune=Lavit&amp;mois="),
            "{url}: and its poster"
        );
    }
    // The API lists the directory's places, not the stops of a calendar.
    let api = get(&app.router, "/api/v1/lieux?q=bus+lavit").await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(!api.body.contains("tournee:"), "{}", api.body);
    // An itinerant France Services of the directory shows its passages, not office hours.
    let found = get(
        &app.router,
        "/api/v1/lieux?q=France+services+itin%C3%A9rante+d%C3%A9partementale",
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&found.body).expect("JSON");
    let id = json["lieux"]
        .as_array()
        .and_then(|d| d.first())
        .and_then(|p| p["id"].as_str())
        .expect("the itinerant France Services of the département")
        .to_string();
    let page = get(&app.router, &format!("/lieux/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<h2>Prochains passages</h2>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<h2>Horaires</h2>"));
}
