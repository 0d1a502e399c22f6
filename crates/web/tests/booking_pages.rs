//! Booking without JavaScript, through the real router on a real SQLite store: the place
//! page's form, French messages on bad input, "ce créneau vient d'être complet" on a full
//! slot, the booking's page with its cancel button and `.ics`, the 4-hour limit, the
//! confirmation queued in the outbox, and the agents' agenda (book for someone, mark seen).

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use maillage_store::accounts::Role;
use maillage_store::Attendance;
use support::{app, get, send, Answer, App};

/// The page's text with askama's apostrophe escape undone, to look for French sentences.
fn text(a: &Answer) -> String {
    a.body.replace("&#39;", "'")
}

fn set_cookie(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no hidden {name}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').expect("end")].to_string()
}

fn post_form(uri: &str, cookie: &str, form: &[(&str, &str)]) -> Request<Body> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut r = Request::post(uri).header("content-type", "application/x-www-form-urlencoded");
    if !cookie.is_empty() {
        r = r.header(header::COOKIE, cookie);
    }
    r.body(Body::from(body)).expect("request")
}

async fn post(app: &App, uri: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
    send(&app.router, post_form(uri, cookie, form)).await
}

/// The target of a 303 (after a form), asserting it is one.
fn see_other(a: &Answer) -> String {
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    a.headers["location"]
        .to_str()
        .expect("location")
        .to_string()
}

/// Opens the place page as a browser does: its anti-forgery cookie and form token.
async fn place_form(app: &App) -> (String, String, String) {
    let page = get(&app.router, "/lieux/lieu-hostile").await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = set_cookie(&page, "maillage_jeton").expect("cookie");
    let token = hidden(&page.body, "jeton");
    (format!("maillage_jeton={cookie}"), token, page.body)
}

#[tokio::test]
async fn a_person_books_from_the_place_page_and_cancels_from_the_link() {
    let app = app().await;
    let before = get(&app.router, "/lieux/lieu-hostile").await;
    assert!(
        !before.body.contains("Prendre rendez-vous"),
        "no slots published, no booking form"
    );
    let slot = support::publish_slot(&app, 1).await;
    let (cookie, token, html) = place_form(&app).await;
    assert!(html.contains("Prendre rendez-vous"));
    assert!(
        html.contains(&format!("value=\"{}\"", slot.id)),
        "the slot is offered"
    );
    let uri = "/lieux/lieu-hostile/reserver";

    // Bad input: French words, what was typed is kept, nothing booked.
    for (form, words) in [
        (
            vec![("nom", "Ana"), ("courriel", "ana@exemple.fr")],
            "Choisissez un créneau",
        ),
        (
            vec![("creneau", slot.id.as_str()), ("nom", "Ana")],
            "téléphone ou une adresse",
        ),
        (
            vec![
                ("creneau", slot.id.as_str()),
                ("nom", "Ana"),
                ("courriel", "ana@"),
            ],
            "nom@exemple.fr",
        ),
        (
            vec![
                ("creneau", "lieu-autre-20990101T0900"),
                ("nom", "Ana"),
                ("telephone", "0563000000"),
            ],
            "existe plus",
        ),
    ] {
        let mut form = form.clone();
        form.push(("jeton", &token));
        let a = post(&app, uri, &cookie, &form).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert!(text(&a).contains(words), "{words}: {}", a.body);
        assert!(a.body.contains("value=\"Ana\""), "the name is kept");
    }
    let forged = post(
        &app,
        uri,
        "",
        &[
            ("creneau", &slot.id),
            ("nom", "Ana"),
            ("telephone", "0563000000"),
        ],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(app
        .state
        .store
        .bookings_of_slot(&slot.id)
        .await
        .expect("rows")
        .is_empty());

    // Booked: a redirect to the booking's page, which the confirmation links to.
    let booked = post(
        &app,
        uri,
        &cookie,
        &[
            ("creneau", &slot.id),
            ("nom", "Ana <b>Lovelace</b>"),
            ("courriel", "ana@exemple.fr"),
            ("jeton", &token),
        ],
    )
    .await;
    let location = see_other(&booked);
    assert!(location.starts_with("/reservation/") && location.ends_with("?reservee=1"));
    let path = location.trim_end_matches("?reservee=1").to_string();
    let page = get(&app.router, &location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text(&page).contains("C'est réservé"));
    assert!(text(&page).contains("Confirmé"));
    assert!(text(&page).contains("Annuler ce rendez-vous"));
    assert_eq!(page.headers["cache-control"], "no-store");
    let outbox = app
        .state
        .store
        .accounts()
        .expect("outbox")
        .outbox()
        .await
        .expect("outbox");
    let mail = outbox
        .iter()
        .find(|m| m.to == "ana@exemple.fr")
        .expect("confirmation");
    assert!(mail.body.contains(&format!("{path}\n")), "{}", mail.body);
    assert!(mail.body.contains(&format!("{path}/rendez-vous.ics")));
    assert!(
        mail.body.contains("Ana <b>Lovelace</b>"),
        "plain text, as typed"
    );

    // The calendar file.
    let ics = get(&app.router, &format!("{path}/rendez-vous.ics")).await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics.headers["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/calendar"));
    assert!(ics.body.contains("BEGIN:VEVENT\r\n"));
    assert!(ics.body.contains("STATUS:CONFIRMED"));

    // The slot is full now: the next person is told so in words, with a 409.
    let (cookie2, token2, _) = place_form(&app).await;
    let full = post(
        &app,
        uri,
        &cookie2,
        &[
            ("creneau", &slot.id),
            ("nom", "Bo"),
            ("telephone", "0563000000"),
            ("jeton", &token2),
        ],
    )
    .await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    assert!(
        text(&full).contains("Ce créneau vient d'être complet"),
        "{}",
        full.body
    );

    // Cancel from the page's button.
    let cancelled = post(&app, &format!("{path}/annuler"), "", &[]).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert!(text(&cancelled).contains("Le rendez-vous est annulé"));
    assert!(text(&cancelled).contains("Annulé"));
    assert!(!text(&cancelled).contains("Annuler ce rendez-vous"));
    let rows = app
        .state
        .store
        .bookings_of_slot(&slot.id)
        .await
        .expect("rows");
    assert_eq!(rows[0].status, "annulee");
    let ics = get(&app.router, &format!("{path}/rendez-vous.ics")).await;
    assert!(ics.body.contains("STATUS:CANCELLED"));

    for bad in [
        "/reservation/pas-un-jeton",
        &format!("/reservation/{}", "0".repeat(64)),
    ] {
        let a = get(&app.router, bad).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(text(&a).contains("aucun rendez-vous"));
    }
}

#[tokio::test]
async fn within_four_hours_the_page_refuses_to_cancel_in_plain_words() {
    let app = app().await;
    support::publish_soon_slot(&app).await;
    let a = send(
        &app.router,
        Request::post("/api/v1/creneaux/lieu-hostile-bientot/reservations")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"nom":"Ana","telephone":"0600000000"}"#))
            .expect("request"),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let path = a.json()["page"].as_str().expect("page").to_string();
    let page = get(&app.router, &path).await;
    assert!(text(&page).contains("ne peut plus être annulé en ligne"));
    assert!(!text(&page).contains("Annuler ce rendez-vous"));
    let refused = post(&app, &format!("{path}/annuler"), "", &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(text(&refused).contains("moins de 4 heures"));
    let rows = app
        .state
        .store
        .bookings_of_slot("lieu-hostile-bientot")
        .await
        .expect("rows");
    assert_eq!(rows[0].status, "confirmee");
    // The phone-only booking got its confirmation by SMS (the logging provider).
    assert!(app
        .state
        .sms
        .sent()
        .iter()
        .any(|(to, text)| to == "0600000000" && text.contains("/reservation/")));
}

/// The `Cookie` header of a new account's session.
async fn session(app: &App, email: &str, role: Role, places: Vec<String>) -> String {
    let id = support::signed_in(app, email, role, places).await;
    format!("maillage_session={id}")
}

async fn get_as(app: &App, uri: &str, cookie: &str) -> Answer {
    send(
        &app.router,
        Request::get(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn an_agent_books_for_someone_and_marks_them_seen() {
    let app = app().await;
    let slot = support::publish_slot(&app, 2).await;
    let agent = session(
        &app,
        "agent@exemple.fr",
        Role::Agent,
        vec!["lieu-hostile".into()],
    )
    .await;
    let editor = session(
        &app,
        "editeur@exemple.fr",
        Role::Editeur,
        vec!["lieu-hostile".into()],
    )
    .await;
    assert_eq!(
        get(&app.router, "/espace/agenda").await.status,
        StatusCode::SEE_OTHER
    );
    let refused = get_as(&app, "/espace/agenda", &editor).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(text(&refused).contains("réservé aux agents"));

    let space = get_as(&app, "/espace", &agent).await;
    assert!(
        space.body.contains("href=\"/espace/agenda\""),
        "the agent's space links to the agenda"
    );
    assert!(!get_as(&app, "/espace", &editor)
        .await
        .body
        .contains("/espace/agenda"));
    let page = get_as(&app, "/espace/agenda", &agent).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(text(&page).contains("Réserver pour quelqu'un"));
    let token = hidden(&page.body, "jeton");
    let bad = post(
        &app,
        "/espace/agenda/reserver",
        &agent,
        &[
            ("creneau", &slot.id),
            ("nom", "Mme Durand"),
            ("jeton", &token),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&bad).contains("téléphone ou une adresse"));
    let token = hidden(&bad.body, "jeton");
    let done = post(
        &app,
        "/espace/agenda/reserver",
        &agent,
        &[
            ("creneau", &slot.id),
            ("nom", "Mme Durand"),
            ("telephone", "05 63 11 22 33"),
            ("jeton", &token),
        ],
    )
    .await;
    let week = see_other(&done);
    let agenda = get_as(&app, &week, &agent).await;
    assert!(text(&agenda).contains("Le rendez-vous est réservé"));
    assert!(text(&agenda).contains("Mme Durand"));
    assert!(text(&agenda).contains("réservé par un agent"));

    let key = hidden(&agenda.body, "reservation");
    let token = hidden(&agenda.body, "jeton");
    let seen = post(
        &app,
        "/espace/agenda/presence",
        &agent,
        &[("reservation", &key), ("presence", "vu"), ("jeton", &token)],
    )
    .await;
    assert_eq!(seen.status, StatusCode::SEE_OTHER);
    let b = app
        .state
        .store
        .booked_slot(&key)
        .await
        .expect("read")
        .expect("booking");
    assert_eq!(b.attendance, Some(Attendance::Seen));
    assert!(b.booked_by.is_some());
    // A used token does not work twice.
    let replay = post(
        &app,
        "/espace/agenda/presence",
        &agent,
        &[
            ("reservation", &key),
            ("presence", "absent"),
            ("jeton", &token),
        ],
    )
    .await;
    assert_eq!(replay.status, StatusCode::FORBIDDEN);
    let agenda = get_as(&app, &week, &agent).await;
    assert!(text(&agenda).contains("Venu"));
}
