//! The booking API through the real router on a real SQLite store: slots cut from a real
//! place's opening hours, 100 concurrent bookings for 3 places, the 422 messages, the
//! cancellation link and its 4-hour limit.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use support::{app, get, send};

fn post_json(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

#[tokio::test]
async fn slots_are_listed_with_the_places_left() {
    let app = app().await;
    let slot = support::publish_slot(&app, 3).await;
    let day = slot.start.format("%Y-%m-%d");
    let a = get(
        &app.router,
        &format!("/api/v1/creneaux?lieu=lieu-hostile&du={day}&au={day}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let list = a.json()["creneaux"].as_array().expect("list").clone();
    assert_eq!(list.len(), 6, "9:00 to 12:00 in 30-minute slots: {list:?}");
    assert_eq!(list[0]["id"], slot.id.as_str());
    assert_eq!(
        list[0]["debut"],
        slot.start.format("%Y-%m-%dT%H:%M").to_string()
    );
    assert_eq!(
        (
            list[0]["capacite"].as_u64(),
            list[0]["places_restantes"].as_u64()
        ),
        (Some(3), Some(3))
    );

    for (uri, status) in [
        ("/api/v1/creneaux?lieu=inconnu", StatusCode::NOT_FOUND),
        ("/api/v1/creneaux?du=demain", StatusCode::BAD_REQUEST),
        (
            "/api/v1/creneaux?du=2026-12-10&au=2026-12-01",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/creneaux?du=2026-01-01&au=2026-12-31",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let a = get(&app.router, uri).await;
        assert_eq!(a.status, status, "{uri}: {}", a.body);
        assert!(a.json()["erreur"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_bookings_through_the_router_give_three_201() {
    let app = app().await;
    let slot = support::publish_slot(&app, 3).await;
    let uri = format!("/api/v1/creneaux/{}/reservations", slot.id);
    let tasks: Vec<_> = (0..100)
        .map(|n| {
            let router = app.router.clone();
            let uri = uri.clone();
            tokio::spawn(async move {
                let body = format!(
                    r#"{{"nom":"Personne {n}","telephone":"06 00 00 00 {:02}"}}"#,
                    n % 100
                );
                send(&router, post_json(&uri, &body)).await
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for t in tasks {
        let a = t.await.expect("task");
        if a.status == StatusCode::CONFLICT {
            assert!(a.json()["erreur"]["message"]
                .as_str()
                .expect("msg")
                .contains("complet"));
        }
        *statuses.entry(a.status.as_u16()).or_insert(0) += 1;
    }
    assert_eq!(
        statuses,
        [(201, 3), (409, 97)]
            .into_iter()
            .collect::<std::collections::BTreeMap<u16, i32>>()
    );
    let day = slot.start.format("%Y-%m-%d");
    let list = get(
        &app.router,
        &format!("/api/v1/creneaux?lieu=lieu-hostile&du={day}&au={day}"),
    )
    .await
    .json();
    assert_eq!(list["creneaux"][0]["places_restantes"], 0);
}

#[tokio::test]
async fn bad_input_gets_a_422_in_french() {
    let app = app().await;
    let slot = support::publish_slot(&app, 3).await;
    let uri = format!("/api/v1/creneaux/{}/reservations", slot.id);
    for (body, words) in [
        ("pas du json", "lisible"),
        ("[]", "objet"),
        (r#"{"telephone":"0600000000"}"#, "nom"),
        (r#"{"nom":"Ana"}"#, "téléphone"),
        (r#"{"nom":"Ana","telephone":"12"}"#, "téléphone"),
        (r#"{"nom":"Ana","courriel":"ana@"}"#, "adresse électronique"),
        (r#"{"nom":42,"courriel":"ana@exemple.fr"}"#, "texte"),
    ] {
        let a = send(&app.router, post_json(&uri, body)).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            a.body
        );
        let message = a.json()["erreur"]["message"]
            .as_str()
            .expect("message")
            .to_string();
        assert!(message.contains(words), "{body}: {message}");
    }
    let form = Request::post(&uri)
        .header("content-type", "text/plain")
        .body(Body::from(r#"{"nom":"Ana","courriel":"ana@exemple.fr"}"#))
        .expect("request");
    assert_eq!(
        send(&app.router, form).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let unknown = send(
        &app.router,
        post_json(
            "/api/v1/creneaux/inconnu/reservations",
            r#"{"nom":"Ana","courriel":"ana@exemple.fr"}"#,
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Nothing was booked by the refused requests.
    assert!(app
        .state
        .store
        .bookings_of_slot(&slot.id)
        .await
        .expect("rows")
        .is_empty());
}

#[tokio::test]
async fn the_cancellation_link_frees_the_place_until_four_hours_before() {
    let app = app().await;
    let slot = support::publish_slot(&app, 1).await;
    let uri = format!("/api/v1/creneaux/{}/reservations", slot.id);
    let a = send(
        &app.router,
        post_json(&uri, r#"{"nom":"Ana","courriel":"ana@exemple.fr"}"#),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let link = a.json()["lien_annulation"]
        .as_str()
        .expect("link")
        .to_string();
    assert_eq!(a.headers["location"], link.as_str());
    let full = send(
        &app.router,
        post_json(&uri, r#"{"nom":"Bo","telephone":"0600000000"}"#),
    )
    .await;
    assert_eq!(full.status, StatusCode::CONFLICT);

    let delete = |uri: String| Request::delete(uri).body(Body::empty()).expect("request");
    let wrong = send(
        &app.router,
        delete("/api/v1/reservations/pas-un-jeton".into()),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let done = send(&app.router, delete(link.clone())).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.json()["statut"], "annulee");
    let again = send(
        &app.router,
        post_json(&uri, r#"{"nom":"Bo","telephone":"0600000000"}"#),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "the place is free again");

    // A slot two hours from now can be booked but no longer cancelled online.
    support::publish_soon_slot(&app).await;
    let a = send(
        &app.router,
        post_json(
            "/api/v1/creneaux/lieu-hostile-bientot/reservations",
            r#"{"nom":"Ana","telephone":"0600000000"}"#,
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let link = a.json()["lien_annulation"]
        .as_str()
        .expect("link")
        .to_string();
    let late = send(&app.router, delete(link)).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.json()["erreur"]["message"]
        .as_str()
        .expect("msg")
        .contains("4 heures"));
}
