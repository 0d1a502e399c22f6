//! The orientation questionnaire through the real router on the real places of 82: one
//! question per step without JavaScript, a wrong answer asked again in words, level 2 to the
//! operator's correspondent with the nearest France Services, the bus's next passages for a
//! person who can only go nearby, and a home visit for one who cannot leave home.

mod support;

use axum::http::StatusCode;
use maillage_model::Dispositif;
use support::{app, bus_commune, get};

fn text(body: &str) -> String {
    body.replace("&#39;", "'")
}

/// The ids of the places a page links to.
fn place_ids(body: &str) -> Vec<String> {
    body.split("href=\"/lieux/")
        .skip(1)
        .map(|s| s.chars().take_while(|c| *c != '"').collect())
        .collect()
}

#[tokio::test]
async fn one_question_per_step_and_a_wrong_answer_is_asked_again() {
    let app = app().await;
    let first = get(&app.router, "/orientation").await;
    assert_eq!(first.status, StatusCode::OK);
    let t = text(&first.body);
    assert!(t.contains("Question 1 sur 5"), "{t}");
    assert!(t.contains("Utilisez-vous internet"));
    assert!(first.body.contains("name=\"usage\" value=\"jamais\""));

    let second = get(&app.router, "/orientation?usage=avec-aide").await;
    let t = text(&second.body);
    assert!(t.contains("De quoi avez-vous besoin"));
    assert!(second
        .body
        .contains("type=\"hidden\" name=\"usage\" value=\"avec-aide\""));
    assert!(
        second.body.contains("href=\"/orientation?\""),
        "back to the first question"
    );

    let wrong = get(
        &app.router,
        "/orientation?usage=avec-aide&besoin=%3Cscript%3E",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::OK);
    let t = text(&wrong.body);
    assert!(t.contains("Choisissez une des réponses proposées"));
    assert!(t.contains("De quoi avez-vous besoin"));
    assert!(!wrong.body.contains("<script>"));

    // Equipment asks no organisation: four questions.
    let equipment = get(&app.router, "/orientation?usage=seul&besoin=materiel").await;
    let t = text(&equipment.body);
    assert!(
        t.contains("Question 3 sur 4") && t.contains("Pouvez-vous vous déplacer"),
        "{t}"
    );
}

#[tokio::test]
async fn a_stuck_file_goes_to_the_operators_correspondent_at_the_nearest_france_services() {
    let app = app().await;
    let page = get(
        &app.router,
        "/orientation?usage=avec-aide&besoin=dossier-bloque&organisme=caf&deplacement=oui&commune=Montauban",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let t = text(&page.body);
    assert!(t.contains("Niveau 2 : un correspondant de la CAF"), "{t}");
    assert!(t.contains("Vos réponses"));
    let ids = place_ids(&page.body);
    assert!(!ids.is_empty(), "France Services near Montauban");
    for id in &ids {
        let p = app
            .state
            .store
            .place(id)
            .await
            .expect("read")
            .expect("place");
        assert!(
            p.place
                .dispositif_programmes_nationaux
                .contains(&Dispositif::FranceServices),
            "{id} is a France Services"
        );
    }
    assert!(
        page.body.contains("dispositifs=france-services"),
        "the search link keeps the filter"
    );

    let unknown = get(
        &app.router,
        "/orientation?usage=avec-aide&besoin=dossier-bloque&organisme=caf&deplacement=oui&commune=Nullepart",
    )
    .await;
    assert!(text(&unknown.body).contains("n'a pas été trouvée"));
}

#[tokio::test]
async fn nearby_only_shows_the_bus_and_housebound_a_home_visit() {
    let app = app().await;
    let commune = bus_commune(&app.router).await;
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("usage", "jamais")
        .append_pair("besoin", "apprendre")
        .append_pair("deplacement", "pres")
        .append_pair("commune", &commune)
        .finish();
    let page = get(&app.router, &format!("/orientation?{q}")).await;
    let t = text(&page.body);
    assert!(t.contains("Niveau 1"), "{t}");
    assert!(
        t.contains("Prochains passages du bus France Services"),
        "{commune}: {t}"
    );

    let home = get(
        &app.router,
        "/orientation?usage=jamais&besoin=mandat&organisme=msa&deplacement=non&commune=",
    )
    .await;
    let t = text(&home.body);
    assert!(t.contains("visite à domicile"), "{t}");
    assert!(t.contains("Aidants Connect"));
    assert!(t.contains("Indiquez votre commune"));
}
