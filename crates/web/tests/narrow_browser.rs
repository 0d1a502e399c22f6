//! Every public page on a 360 px phone in a real headless Chromium (`tests/narrow.mjs`): none
//! scrolls sideways (`document.documentElement.scrollWidth <= 360`), the search with its
//! filters unfolded included. The real router on the real store of Tarn-et-Garonne's places.
//! Skipped loudly only when a tool is missing outside CI.

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_public_page_scrolls_sideways_at_360_px() {
    let root = support::workspace();
    let missing = support::browser_tools_missing(&root);
    if support::skip_browser_suite("test des pages à 360 px", &missing) {
        return;
    }
    let app = support::app().await;
    let place = app
        .state
        .index()
        .entries()
        .iter()
        .find(|e| e.place.horaires.is_some() && e.place.nom.starts_with("France"))
        .map(|e| e.place.id.clone())
        .expect("un lieu");
    let commune = support::bus_commune(&app.router).await;
    let server = support::serve(app.state.clone(), support::listen().await);
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let paths = vec![
        "/".to_string(),
        "/?q=demarche&ou=Montauban&rayon=20".to_string(),
        "/?q=demarche&ou=Montauban#filtres".to_string(),
        format!("/lieux/{}", encode(&place)),
        "/carte".to_string(),
        "/embed?ou=Montauban".to_string(),
        "/embed/generateur".to_string(),
        "/imprimer?ou=82121".to_string(),
        "/itinerance".to_string(),
        format!("/itinerance?commune={}", encode(&commune)),
        "/observatoire".to_string(),
        "/connexion".to_string(),
        format!("/espace/revendiquer/{}", encode(&place)),
        "/api".to_string(),
        "/accessibilite".to_string(),
        "/mentions-legales".to_string(),
        "/donnees-personnelles".to_string(),
        "/plan-du-site".to_string(),
        "/composants".to_string(),
    ];
    let out = root.join("test-output/360px");
    let mut args = vec![server.base.clone(), out.display().to_string()];
    args.extend(paths);
    let stdout = support::node("crates/web/tests/narrow.mjs", args).await;
    server.stop().await;
    assert_eq!(stdout.lines().filter(|l| l.contains("largeur")).count(), 19);
}
