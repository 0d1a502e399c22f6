//! The HTML pages through the real router and a real store: they work without JavaScript,
//! escape everything, carry the security headers, and the report form is protected.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use support::{app, get, send};

#[tokio::test]
async fn search_page_works_without_javascript() {
    let app = app().await;
    let a = get(&app.router, "/?q=demarche&ou=Montauban&rayon=20").await;
    assert_eq!(a.status, StatusCode::OK);
    let h = a
        .body
        .find("id=\"resultats\"")
        .map(|i| &a.body[i..i + 120])
        .unwrap_or("");
    assert!(a.body.contains("lieux autour de Montauban"), "heading: {h}");
    assert!(a.body.contains("href=\"/lieux/"), "result links");
    assert!(a.body.contains("<html lang=\"fr\""));
    assert!(a.body.contains("href=\"#contenu\""), "skip link");
    // The search is in the URL: the form is a GET form with the values filled in.
    assert!(a.body.contains("method=\"get\""));
    assert!(a.body.contains("value=\"Montauban\""));
}

#[tokio::test]
async fn hostile_text_is_shown_as_text_everywhere() {
    let app = app().await;
    for uri in [
        "/?q=mediatheque+montauban",
        "/lieux/lieu-hostile",
        "/carte?q=script",
        "/embed?q=script",
        "/imprimer?ou=82121",
    ] {
        let a = get(&app.router, uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert!(
            !a.body.contains("<script>alert"),
            "{uri} runs the place's script"
        );
        assert!(
            !a.body.contains("<img src=x"),
            "{uri} renders the place's HTML"
        );
    }
    let page = get(&app.router, "/lieux/lieu-hostile").await;
    assert!(
        page.body.contains("&lt;script&gt;alert") || page.body.contains("&#60;script&#62;alert")
    );
    // JSON keeps the text as it was given (a re-user escapes in its own context).
    let api = get(&app.router, "/api/v1/lieux/lieu-hostile").await.json();
    assert_eq!(api["nom"], "<script>alert('nom')</script> Médiathèque");
}

#[tokio::test]
async fn strict_csp_everywhere_and_framing_only_for_the_widget() {
    let app = app().await;
    for uri in ["/", "/lieux/lieu-hostile", "/carte", "/api", "/nulle-part"] {
        let a = get(&app.router, uri).await;
        let csp = a.headers["content-security-policy"].to_str().expect("csp");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{uri}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}");
        assert_eq!(a.headers["x-frame-options"], "DENY", "{uri}");
        assert!(
            !a.body.contains("<script>") && !a.body.contains(" onclick="),
            "{uri}: inline script"
        );
    }
    let embed = get(
        &app.router,
        "/embed?ou=Montauban&services=aide-aux-demarches-administratives",
    )
    .await;
    assert_eq!(embed.status, StatusCode::OK);
    assert!(embed.headers.get("x-frame-options").is_none());
    assert!(!embed.headers["content-security-policy"]
        .to_str()
        .expect("csp")
        .contains("frame-ancestors"));
    assert!(
        !embed.body.contains("app-header"),
        "no site header in the widget"
    );
}

#[tokio::test]
async fn errors_are_french_pages_with_a_next_step() {
    let app = app().await;
    let a = get(&app.router, "/lieux/nexiste-pas").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.body.contains("Page introuvable") && a.body.contains("Retour à la recherche"));
    let b = get(&app.router, "/nulle-part").await;
    assert_eq!(b.status, StatusCode::NOT_FOUND);
    // A wrong filter on the search page is said above the form, not a dead end.
    let c = get(&app.router, "/?services=cuisine").await;
    assert_eq!(c.status, StatusCode::OK);
    assert!(c.body.contains("services : « cuisine »") && c.body.contains("pas une valeur connue"));
}

fn form_token(body: &str) -> String {
    let start = body.find("name=\"jeton\" value=\"").expect("token field") + 20;
    body[start..start + 32].to_string()
}

fn post(uri: &str, cookie: Option<&str>, form: &str) -> Request<Body> {
    let mut r = Request::post(uri).header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header("cookie", format!("maillage_jeton={c}"));
    }
    r.body(Body::from(form.to_string())).expect("request")
}

#[tokio::test]
async fn error_report_needs_its_token_is_bounded_and_waits_for_moderation() {
    let app = app().await;
    let page = get(&app.router, "/lieux/lieu-hostile").await;
    let set_cookie = page.headers["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(set_cookie.contains("SameSite=Strict") && set_cookie.contains("HttpOnly"));
    let cookie = set_cookie
        .trim_start_matches("maillage_jeton=")
        .split(';')
        .next()
        .expect("value")
        .to_string();
    let token = form_token(&page.body);
    let uri = "/lieux/lieu-hostile/signaler";

    // Without the cookie (a form posted from another site): refused.
    let forged = send(
        &app.router,
        post(
            uri,
            None,
            &format!("message=Ferm%C3%A9+le+lundi&jeton={token}"),
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Too long: refused with the reason, the text kept in the form.
    let long = "a".repeat(2001);
    let too_long = send(
        &app.router,
        post(uri, Some(&cookie), &format!("message={long}&jeton={token}")),
    )
    .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.body.contains("trop long"));
    // Not a form at all: the French error page, not a technical message.
    let garbage = send(
        &app.router,
        Request::post(uri)
            .header("content-type", "text/plain")
            .body(Body::from("x"))
            .expect("request"),
    )
    .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert!(garbage.body.contains("formulaire envoyé est illisible"));
    // A good one is stored, pending.
    let ok = send(
        &app.router,
        post(
            uri,
            Some(&cookie),
            &format!("message=Ferm%C3%A9+le+lundi+%3Cb%3E&contact=&jeton={token}"),
        ),
    )
    .await;
    assert_eq!(
        ok.status,
        StatusCode::OK,
        "{}",
        &ok.body[..ok.body.len().min(500)]
    );
    assert!(ok.body.contains("votre signalement est enregistré"));
    let pending = app.test_store.store.reports(true).await.expect("reports");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].place_id, "lieu-hostile");
    assert_eq!(pending[0].message, "Fermé le lundi <b>");
    // Rate limit: a few more from the same address, then 429.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = send(
            &app.router,
            post(
                uri,
                Some(&cookie),
                &format!("message=encore+une+erreur&jeton={token}"),
            ),
        )
        .await;
        statuses.push(r.status);
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn static_assets_are_content_addressed_cached_and_compressed() {
    let app = app().await;
    let page = get(&app.router, "/").await;
    let start = page.body.find("/static/").expect("asset url");
    let url: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let request = Request::get(&url)
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .expect("request");
    let a = send(&app.router, request).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.headers["cache-control"]
        .to_str()
        .expect("cc")
        .contains("immutable"));
    assert_eq!(a.headers["content-encoding"], "gzip");
}

#[tokio::test]
async fn printable_list_and_widget_generator() {
    let app = app().await;
    let epci = app
        .test_store
        .referential
        .epcis
        .iter()
        .find(|e| e.communes.iter().any(|c| c == "82121"))
        .expect("Montauban's EPCI")
        .code
        .clone();
    let a = get(&app.router, &format!("/imprimer?epci={epci}")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("app-print-item"));
    assert!(a.body.contains("media=\"print\""));
    let g = get(&app.router, "/embed/generateur?ou=Montauban&rayon=10").await;
    assert_eq!(g.status, StatusCode::OK);
    assert!(
        g.body.contains("&lt;iframe src=&quot;https://") || g.body.contains("&#60;iframe"),
        "snippet shown as text"
    );
}

/// Every HTML page of the site (the browser suite visits the same list).
const PAGES: &[&str] = &[
    "/",
    "/?q=demarche&ou=Montauban&rayon=20",
    "/lieux/lieu-hostile",
    "/carte?ou=Montauban",
    "/embed?ou=Montauban",
    "/embed/generateur?ou=Montauban&rayon=10",
    "/imprimer?ou=82121",
    "/api",
    "/accessibilite",
    "/mentions-legales",
    "/donnees-personnelles",
    "/plan-du-site",
    "/connexion",
    "/composants",
    "/itinerance",
    "/observatoire",
    "/nulle-part",
];

#[tokio::test]
async fn the_default_theme_carries_nothing_of_the_state() {
    let app = app().await;
    for uri in PAGES {
        let a = get(&app.router, uri).await;
        let body = a.body.to_lowercase();
        for banned in ["class=\"fr-", " fr-", "dsfr"] {
            assert!(!body.contains(banned), "{uri} contains « {banned} »");
        }
        // The State's marks are looked for around the content: the directory's own data may
        // say them ("44 rue de la Fraternité", "France services Marianne").
        let chrome = match (body.find("<main"), body.find("</main>")) {
            (Some(start), Some(end)) if start < end => {
                format!("{}{}", &body[..start], &body[end..])
            }
            _ => body.clone(),
        };
        for banned in [
            "marianne",
            "liberté",
            "égalité",
            "fraternité",
            "république française",
            "gouvernement",
        ] {
            assert!(!chrome.contains(banned), "{uri} contains « {banned} »");
        }
        // Every footer links the legal pages.
        if !uri.starts_with("/embed?") {
            for href in [
                "/accessibilite",
                "/mentions-legales",
                "/donnees-personnelles",
                "/plan-du-site",
            ] {
                assert!(
                    a.body.contains(&format!("href=\"{href}\"")),
                    "{uri}: {href}"
                );
            }
            assert!(a.body.contains("Licence Ouverte 2.0"), "{uri}: licence");
        }
    }
    // Nor does any stylesheet the default pages link.
    let css = String::from_utf8_lossy(maillage_web::assets::get("app/app.css").expect("css"))
        .to_lowercase();
    assert!(!css.contains("marianne") && !css.contains(".fr-"));
    // The demo's identity is neutral.
    let home = get(&app.router, "/").await;
    assert!(home.body.contains("inclusion numérique</a>") && home.body.contains("Démonstration"));
    assert!(!home.body.contains("Tarn-et-Garonne</p>"));
}

#[tokio::test]
async fn a_configured_identity_shows_on_every_page_with_its_colours_and_logo() {
    let (app, _dir) = support::configured("neutre").await;
    for uri in PAGES.iter().filter(|u| !u.starts_with("/embed?")) {
        let a = get(&app.router, uri).await;
        assert!(a.body.contains("Inclusion numérique 82"), "{uri}");
        assert!(a.body.contains("Département de Tarn-et-Garonne"), "{uri}");
        assert!(a.body.contains("05 63 00 00 00"), "{uri}");
        assert!(a.body.contains("src=\"/identite/logo\""), "{uri}");
        assert!(a.body.contains("Open Database License"), "{uri}");
        assert!(!a.body.contains("class=\"fr-"), "{uri}");
    }
    let home = get(&app.router, "/").await;
    let start = home.body.find("/theme.css?v=").expect("theme link");
    let url: String = home.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let css = get(&app.router, &url).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/css"));
    assert!(css.body.contains("--primary:#6a1b4d") && css.body.contains("--secondary:#fbe9f2"));
    let logo = get(&app.router, "/identite/logo").await;
    assert_eq!(logo.headers["content-type"], "image/svg+xml");
    assert!(logo.body.starts_with("<svg"));
    assert_eq!(
        get(&app.router, "/identite/partenaires/0").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app.router, "/identite/partenaires/7").await.status,
        StatusCode::NOT_FOUND
    );
    // The printed list carries the service and whom to call, at the top of the paper.
    let print = get(&app.router, "/imprimer?ou=82121").await;
    let brand = print.body.find("app-print-brand").expect("print header");
    let main = print.body.find("<main").expect("main");
    assert!(brand > main && print.body[brand..].contains("Téléphone : 05 63 00 00 00"));
    let mentions = get(&app.router, "/mentions-legales").await;
    assert!(mentions
        .body
        .contains("La présidente du conseil départemental"));
    assert!(mentions.body.contains("Hébergeur Exemple"));
    // The demo's own identity has no logo to serve.
    let demo = app_demo_logo().await;
    assert_eq!(demo, StatusCode::NOT_FOUND);
}

async fn app_demo_logo() -> StatusCode {
    get(&app().await.router, "/identite/logo").await.status
}

#[tokio::test]
async fn the_state_theme_is_opt_in_and_brings_the_dsfr() {
    let (app, _dir) = support::configured("etat").await;
    let home = get(&app.router, "/").await;
    assert!(home.body.contains("class=\"fr-header\"") && home.body.contains("fr-logo"));
    assert!(home.body.contains("vendor/dsfr/dsfr.css"));
    assert!(home.body.contains("Inclusion numérique 82"));
    let default = get(&app_default().await, "/").await;
    assert!(!default.body.contains("vendor/dsfr/"));
}

async fn app_default() -> axum::Router {
    app().await.router
}

#[tokio::test]
async fn the_widget_takes_the_host_sites_colours_when_readable() {
    let app = app().await;
    let a = get(
        &app.router,
        "/embed?ou=Montauban&principale=%235a2d82&secondaire=fff8e0",
    )
    .await;
    let theme = a.body.find("/embed/theme.css").map(|i| &a.body[i..i + 80]);
    assert!(
        a.body
            .contains("/embed/theme.css?principale=5a2d82&#38;secondaire=fff8e0"),
        "{theme:?}"
    );
    // Yellow under white text is unreadable: ours instead; garbage too.
    let b = get(
        &app.router,
        "/embed?ou=Montauban&principale=ffff00&secondaire=%3Cscript%3E",
    )
    .await;
    assert!(
        b.body
            .contains("/embed/theme.css?principale=1d5a82&#38;secondaire=e6f0f5"),
        "fallback"
    );
    let css = get(
        &app.router,
        "/embed/theme.css?principale=ffff00&secondaire=000000",
    )
    .await;
    assert!(css.body.contains("--primary:#1d5a82") && css.body.contains("--secondary:#e6f0f5"));
    let ok = get(&app.router, "/embed/theme.css?principale=5a2d82").await;
    assert!(ok.body.contains("--primary:#5a2d82"));
    let g = get(
        &app.router,
        "/embed/generateur?ou=Montauban&principale=5a2d82",
    )
    .await;
    assert!(
        g.body.contains("principale=5a2d82"),
        "the snippet keeps the colours"
    );
}

#[tokio::test]
async fn the_personal_data_page_lists_every_personal_table_of_the_migrations() {
    use maillage_web::pages::legal::{NOT_PERSONAL, PERSONAL_DATA};
    let migrations = support::workspace().join("crates/store/migrations");
    let mut tables = Vec::new();
    for dir in ["sqlite", "postgres"] {
        for entry in std::fs::read_dir(migrations.join(dir)).expect("migrations") {
            let sql = std::fs::read_to_string(entry.expect("entry").path()).expect("sql");
            for line in sql.lines() {
                let l = line.trim().to_ascii_uppercase();
                if let Some(rest) = l.strip_prefix("CREATE TABLE ") {
                    let name = rest
                        .trim_start_matches("IF NOT EXISTS ")
                        .split([' ', '('])
                        .next()
                        .expect("name")
                        .to_ascii_lowercase();
                    if !tables.contains(&name) {
                        tables.push(name);
                    }
                }
            }
        }
    }
    assert!(tables.len() >= 9, "{tables:?}");
    let page = get(&app().await.router, "/donnees-personnelles").await;
    for t in &tables {
        let personal = PERSONAL_DATA.iter().any(|p| p.table == t);
        let not = NOT_PERSONAL.iter().any(|(n, _)| n == t);
        assert!(
            personal ^ not,
            "table {t}: add it to PERSONAL_DATA or NOT_PERSONAL in pages/legal.rs"
        );
        if personal {
            assert!(
                page.body.contains(&format!("<code>{t}</code>")),
                "{t} on the page"
            );
        }
    }
    // And no entry names a table that does not exist.
    for p in PERSONAL_DATA {
        assert!(tables.iter().any(|t| t == p.table), "{}", p.table);
    }
}

#[tokio::test]
async fn the_bus_poster_links_its_stylesheet_and_carries_the_identity() {
    let (app, _dir) = support::configured("neutre").await;
    let commune = support::bus_commune(&app.router).await;
    let page = get(
        &app.router,
        &format!(
            "/itinerance?commune={}",
            form_urlencoded::byte_serialize(commune.as_bytes()).collect::<String>()
        ),
    )
    .await;
    let Some(start) = page.body.find("/itinerance/affiche?commune=") else {
        panic!("no poster link on /itinerance");
    };
    let url: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect::<String>()
        .replace("&amp;", "&");
    let poster = get(&app.router, &url).await;
    assert_eq!(poster.status, StatusCode::OK, "{url}");
    assert!(
        !poster.body.contains("<style"),
        "inline style is blocked by the CSP"
    );
    assert!(poster
        .body
        .contains("<link rel=\"stylesheet\" href=\"/itinerance/affiche.css\">"));
    assert!(poster
        .body
        .contains("Inclusion numérique 82 — Département de Tarn-et-Garonne"));
    assert!(poster.body.contains("Téléphone : 05 63 00 00 00"));
    let css = get(&app.router, "/itinerance/affiche.css").await;
    assert!(css.body.contains("size: A4"));
    assert!(!css.body.to_lowercase().contains("marianne"));
}
