//! Accounts, the space, the edit form and moderation through the real router, on SQLite and
//! PostgreSQL: the authorisation matrix (every new route × every role × own or other place
//! and territory), single-use anti-forgery tokens and sign-in links, the sign-in rate limit
//! with `Retry-After`, the same answer for known and unknown emails, hostile text escaped,
//! the whole editor → moderation → publication path, and the person's own data.

mod support;

use std::sync::Arc;

use axum::http::{header, StatusCode};
use maillage_model::Place;
use maillage_store::accounts::{AccountStore, NewAccount, Role, CHANGE_APPROVED, CHANGE_PENDING};
use maillage_store::Store;
use maillage_web::AppState;
use support::{import_places, Answer};

use maillage_store::check_both;

const A: &str = "lieu-montauban"; // in 82
const B: &str = "lieu-cahors"; // in 46

fn place(id: &str, nom: &str, insee: &str, cp: &str, commune: &str) -> Place {
    Place {
        id: id.into(),
        pivot: "21820121700013".into(),
        nom: nom.into(),
        commune: commune.into(),
        code_postal: cp.into(),
        code_insee: Some(insee.into()),
        adresse: "1 place de la Mairie".into(),
        position: Some(maillage_model::Position::new(44.0176, 1.355)),
        horaires: Some("Mo-Fr 09:00-12:00".into()),
        courriels: vec![format!("contact@{id}.fr")],
        services: vec![maillage_model::Service::AideDemarches],
        ..Default::default()
    }
}

pub struct Site {
    state: AppState,
    router: axum::Router,
}

impl Site {
    async fn new(store: Arc<dyn Store>) -> Site {
        let referential = support::shipped_referential();
        store
            .replace_territory(&referential.communes, &referential.epcis)
            .await
            .expect("territoire");
        import_places(
            store.as_ref(),
            vec![
                place(A, "Médiathèque de Montauban", "82121", "82000", "Montauban"),
                place(B, "Espace numérique de Cahors", "46042", "46000", "Cahors"),
            ],
        )
        .await;
        let mut state = AppState::new(store, Some(referential)).await.expect("état");
        state.accounts = Arc::new(maillage_web::accounts::AccountsConfig::new(
            "http://annuaire.test",
        ));
        Site {
            router: maillage_web::router(state.clone()),
            state,
        }
    }

    fn accounts(&self) -> &dyn AccountStore {
        self.state.store.accounts().expect("comptes")
    }

    async fn create(&self, email: &str, role: Role, territory: Option<&str>, places: &[&str]) {
        self.accounts()
            .create_account(&NewAccount {
                email: email.into(),
                role,
                territory: territory.map(String::from),
                places: places.iter().map(|p| p.to_string()).collect(),
            })
            .await
            .expect("compte");
    }

    async fn get(&self, uri: &str, cookie: &str) -> Answer {
        support::get_as(&self.router, uri, cookie).await
    }

    async fn post(&self, uri: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        support::post_as(&self.router, uri, cookie, form).await
    }

    /// Asks for a link on `/connexion` as a browser does (anti-forgery cookie and token).
    async fn ask_link(&self, email: &str) -> Answer {
        let form = self.get("/connexion", "").await;
        let csrf = set_cookie(&form, "maillage_jeton_connexion").expect("cookie du formulaire");
        let token = hidden(&form.body, "jeton");
        self.post(
            "/connexion",
            &format!("maillage_jeton_connexion={csrf}"),
            &[("jeton", &token), ("email", email)],
        )
        .await
    }

    /// The last link emailed to `email`, as a path.
    async fn last_link(&self, email: &str) -> Option<String> {
        let mails = self.accounts().outbox().await.expect("boîte");
        let body = mails.iter().rev().find(|m| m.to == email)?.body.clone();
        let start = body.find("http://annuaire.test/connexion/")?;
        let link = body[start..].split_whitespace().next()?.to_string();
        Some(link.trim_start_matches("http://annuaire.test").to_string())
    }

    /// Signs in through the emailed link; returns the `Cookie` header value of the session.
    async fn sign_in(&self, email: &str) -> String {
        let answer = self.ask_link(email).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let link = self.last_link(email).await.expect("lien envoyé");
        let opened = self.get(&link, "").await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER);
        let session = set_cookie(&opened, "maillage_session").expect("cookie de session");
        format!("maillage_session={session}")
    }

    /// Sends the "toujours exact" form of `target`, with the token of the edit form of
    /// `form_of` (the same place, or another one to try a stolen id).
    async fn send_confirm(
        &self,
        cookie: &str,
        form_of: &str,
        target: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let form = self
            .get(&format!("/espace/lieux/{form_of}/modifier"), cookie)
            .await;
        let token = hidden_n(&form.body, "jeton", 1);
        let mut all = vec![("jeton", token.as_str())];
        all.extend_from_slice(fields);
        self.post(&format!("/espace/lieux/{target}/confirmer"), cookie, &all)
            .await
    }

    async fn pending_change(&self, place: &str, author: &str) -> i64 {
        let a = self
            .accounts()
            .account_by_email(author)
            .await
            .expect("lecture")
            .expect("auteur");
        self.accounts()
            .add_change(&maillage_store::accounts::NewChange {
                place_id: place.into(),
                author_id: Some(a.id),
                before_json: "{}".into(),
                after_json: serde_json::to_string(
                    &self
                        .state
                        .store
                        .place(place)
                        .await
                        .expect("lieu")
                        .expect("lieu")
                        .place,
                )
                .expect("json"),
                changed_fields: vec!["horaires".into()],
                applied: false,
            })
            .await
            .expect("modification")
    }
}

fn set_cookie(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|r| r.split(';').next().unwrap_or("").to_string())
        })
}

/// The value of the first hidden input called `name` (HTML-unescaped).
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("pas de champ {name}"))
        + marker.len();
    let raw = &html[start..start + html[start..].find('"').expect("fin")];
    raw.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn everyone(site: &Site) -> Vec<(&'static str, String)> {
    site.create("editeur82@test.fr", Role::Editeur, None, &[A])
        .await;
    site.create("editeur46@test.fr", Role::Editeur, None, &[B])
        .await;
    site.create("coord82@test.fr", Role::Coordinateur, Some("82"), &[])
        .await;
    site.create("coord46@test.fr", Role::Coordinateur, Some("46"), &[])
        .await;
    site.create("admin@test.fr", Role::Admin, None, &[]).await;
    site.create("agent@test.fr", Role::Agent, Some("82"), &[])
        .await;
    let mut out = vec![("visiteur", String::new())];
    for (who, email) in [
        ("editeur82", "editeur82@test.fr"),
        ("editeur46", "editeur46@test.fr"),
        ("coord82", "coord82@test.fr"),
        ("coord46", "coord46@test.fr"),
        ("admin", "admin@test.fr"),
        ("agent", "agent@test.fr"),
    ] {
        out.push((who, site.sign_in(email).await));
    }
    out
}

check_both!(authorisation_matrix, |store| Site::new(store).await);
async fn authorisation_matrix(site: Site) {
    let people = everyone(&site).await;
    let ca = site.pending_change(A, "editeur82@test.fr").await;
    let cb = site.pending_change(B, "editeur46@test.fr").await;
    let edit_a = format!("/espace/lieux/{A}/modifier");
    let edit_b = format!("/espace/lieux/{B}/modifier");
    let mod_a = format!("/moderation/{ca}");
    let mod_b = format!("/moderation/{cb}");
    // Expected status per person for: /espace, edit A, edit B, /moderation, change on A,
    // change on B. 303 = sent to the sign-in page; 404 = as if it did not exist.
    let expected: &[(&str, [u16; 6])] = &[
        ("visiteur", [303, 303, 303, 303, 303, 303]),
        ("editeur82", [200, 200, 404, 404, 404, 404]),
        ("editeur46", [200, 404, 200, 404, 404, 404]),
        ("coord82", [200, 200, 404, 200, 200, 404]),
        ("coord46", [200, 404, 200, 200, 404, 200]),
        ("admin", [200, 200, 200, 200, 200, 200]),
        ("agent", [200, 404, 404, 404, 404, 404]),
    ];
    let routes = ["/espace", &edit_a, &edit_b, "/moderation", &mod_a, &mod_b];
    let mut failures = Vec::new();
    for (who, codes) in expected {
        let cookie = &people.iter().find(|(w, _)| w == who).expect("personne").1;
        for (route, code) in routes.iter().zip(codes) {
            let got = site.get(route, cookie).await.status.as_u16();
            if got != *code {
                failures.push(format!("{who} GET {route} : {got} au lieu de {code}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");

    // Writes: a valid token of one's own session does not open someone else's place or
    // territory.
    let cookie_of = |who: &str| {
        people
            .iter()
            .find(|(w, _)| *w == who)
            .expect("personne")
            .1
            .clone()
    };
    let e46 = cookie_of("editeur46");
    let own = site.get(&edit_b, &e46).await;
    let token = hidden(&own.body, "jeton");
    let r = site
        .post(
            &edit_a,
            &e46,
            &[
                ("jeton", &token),
                ("nom", "Pris"),
                ("action", "enregistrer"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let c46 = cookie_of("coord46");
    let page = site.get(&mod_b, &c46).await;
    let token = hidden(&page.body, "jeton");
    let r = site
        .post(
            &mod_a,
            &c46,
            &[("jeton", &token), ("decision", "approuver")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let still = site
        .accounts()
        .change(ca)
        .await
        .expect("lecture")
        .expect("existe");
    assert_eq!(still.status, CHANGE_PENDING);
    // Anonymous writes go to the sign-in page and change nothing.
    let r = site.post(&mod_a, "", &[("decision", "approuver")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = site.post("/deconnexion", "", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

check_both!(editor_change_waits_then_is_published, |store| Site::new(
    store
)
.await);
async fn editor_change_waits_then_is_published(site: Site) {
    site.create("editeur82@test.fr", Role::Editeur, None, &[A])
        .await;
    site.create("coord82@test.fr", Role::Coordinateur, Some("82"), &[])
        .await;
    let editor = site.sign_in("editeur82@test.fr").await;
    let edit = format!("/espace/lieux/{A}/modifier");
    let form = site.get(&edit, &editor).await;
    assert_eq!(form.status, StatusCode::OK);
    // The stored hours are read into the grid.
    assert!(
        form.body.contains("name=\"h_0_0\" value=\"09:00\""),
        "grille lue"
    );
    let mut fields: Vec<(String, String)> = vec![
        ("jeton".into(), hidden(&form.body, "jeton")),
        ("avant".into(), hidden(&form.body, "avant")),
        ("nom".into(), "Médiathèque de Montauban".into()),
        ("adresse".into(), "1 place de la Mairie".into()),
        ("code_postal".into(), "82000".into()),
        ("commune".into(), "Montauban".into()),
        ("courriels".into(), "contact@lieu-montauban.fr".into()),
        (
            "presentation_resume".into(),
            "<script>alert('x')</script> Aide".into(),
        ),
        ("action".into(), "apercu".into()),
    ];
    for d in 0..5 {
        fields.push((format!("h_{d}_0"), "09:00".into()));
        fields.push((format!("h_{d}_1"), "12:00".into()));
        fields.push((format!("h_{d}_2"), "14:00".into()));
        fields.push((format!("h_{d}_3"), "17:30".into()));
    }
    let as_refs = |f: &[(String, String)]| {
        f.iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect::<Vec<_>>()
    };
    let post = |f: Vec<(String, String)>| {
        let site = &site;
        let editor = editor.clone();
        let edit = edit.clone();
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            site.post(&edit, &editor, &refs).await
        }
    };
    let preview = post(as_refs(&fields)).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Aperçu de vos changements"));
    assert!(
        preview.body.contains("Mo-Fr 09:00-12:00,14:00-17:30"),
        "OSM écrit"
    );
    assert!(
        preview
            .body
            .contains("lundi : 9 h – 12 h et 14 h – 17 h 30"),
        "relu en clair"
    );
    assert!(
        !preview.body.contains("<script>alert('x')"),
        "texte hostile échappé"
    );
    // The token of the first form is spent: sending it again is refused.
    let replay = post(as_refs(&fields)).await;
    assert_eq!(replay.status, StatusCode::FORBIDDEN);
    fields[0].1 = hidden(&preview.body, "jeton");
    let last = fields.len() - 21;
    fields[last].1 = "enregistrer".into();
    let saved = post(as_refs(&fields)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.headers[header::LOCATION], "/espace?envoye=attente");

    // Waiting: the public page and the API still show the old hours.
    let pending = site
        .accounts()
        .changes(Some(CHANGE_PENDING))
        .await
        .expect("file");
    assert_eq!(pending.len(), 1);
    assert!(
        pending[0].changed_fields.contains(&"horaires".to_string()),
        "{:?}",
        pending[0].changed_fields
    );
    let api = site.get(&format!("/api/v1/lieux/{A}"), "").await;
    assert!(api.body.contains("Mo-Fr 09:00-12:00\""), "{}", api.body);
    let space = site.get("/espace", &editor).await;
    assert!(space.body.contains("1 modification(s) en attente"));

    // The coordinator approves.
    let coord = site.sign_in("coord82@test.fr").await;
    let queue = site.get("/moderation", &coord).await;
    assert!(queue.body.contains("Médiathèque de Montauban"));
    let path = format!("/moderation/{}", pending[0].id);
    let page = site.get(&path, &coord).await;
    assert!(page.body.contains("Mo-Fr 09:00-12:00,14:00-17:30"));
    assert!(!page.body.contains("<script>alert"), "diff échappé");
    let done = site
        .post(
            &path,
            &coord,
            &[
                ("jeton", &hidden(&page.body, "jeton")),
                ("decision", "approuver"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let change = site
        .accounts()
        .change(pending[0].id)
        .await
        .expect("lecture")
        .expect("existe");
    assert_eq!(change.status, CHANGE_APPROVED);

    // Published: the store (with provenance "saisie"), the API, the public page.
    let stored = site
        .state
        .store
        .place(A)
        .await
        .expect("lecture")
        .expect("lieu");
    assert_eq!(
        stored.place.horaires.as_deref(),
        Some("Mo-Fr 09:00-12:00,14:00-17:30")
    );
    assert!(stored
        .provenance
        .iter()
        .any(|p| p.field == "horaires" && p.source == "saisie"));
    let api = site.get(&format!("/api/v1/lieux/{A}"), "").await;
    assert!(
        api.body.contains("Mo-Fr 09:00-12:00,14:00-17:30"),
        "{}",
        api.body
    );
    let public = site.get(&format!("/lieux/{A}"), "").await;
    assert!(public.body.contains("17 h 30"), "page publique");
    assert!(!public.body.contains("<script>alert('x')"));
    let history = site.accounts().history(A).await.expect("historique");
    assert_eq!(history.len(), 1);
    // The editor is told by email; the moderation is in the audit log.
    let mails = site.accounts().outbox().await.expect("boîte");
    assert!(mails
        .iter()
        .any(|m| m.to == "editeur82@test.fr" && m.subject.contains("publiée")));
    let log = site.accounts().audit_log(None, 50).await.expect("journal");
    assert!(log.iter().any(|e| e.action == "moderation"));
    assert!(log.iter().filter(|e| e.action == "connexion").count() >= 2);
}

check_both!(sign_in_links_and_limits, |store| Site::new(store).await);
async fn sign_in_links_and_limits(site: Site) {
    site.create("marie@test.fr", Role::Editeur, None, &[A])
        .await;
    // The same answer for a known and an unknown address; only the known one gets mail.
    let known = site.ask_link("marie@test.fr").await;
    let unknown = site.ask_link("personne@test.fr").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(
        known.body.replace("marie@test.fr", "X"),
        unknown.body.replace("personne@test.fr", "X")
    );
    assert!(site.last_link("personne@test.fr").await.is_none());
    let link = site.last_link("marie@test.fr").await.expect("lien");
    // Single use.
    let first = site.get(&link, "").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let cookie = set_cookie(&first, "maillage_session").expect("session");
    let flags = first
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("maillage_session"))
        .expect("cookie")
        .to_string();
    assert!(
        flags.contains("HttpOnly") && flags.contains("SameSite=Lax") && !flags.contains("Secure"),
        "{flags}"
    );
    assert_eq!(site.get(&link, "").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        site.get("/connexion/abc", "").await.status,
        StatusCode::NOT_FOUND
    );
    // A new sign-in gives a new session id; the old one is closed.
    let link2 = {
        site.ask_link("marie@test.fr").await;
        site.last_link("marie@test.fr").await.expect("lien")
    };
    let second = site
        .get(&link2, &format!("maillage_session={cookie}"))
        .await;
    let cookie2 = set_cookie(&second, "maillage_session").expect("session");
    assert_ne!(cookie, cookie2);
    assert_eq!(
        site.get("/espace", &format!("maillage_session={cookie}"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        site.get("/espace", &format!("maillage_session={cookie2}"))
            .await
            .status,
        StatusCode::OK
    );
    // Rate limit per email (3 per 15 minutes; two used above), with Retry-After.
    let third = site.ask_link("marie@test.fr").await;
    assert_eq!(third.status, StatusCode::OK);
    let limited = site.ask_link("marie@test.fr").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .expect("texte")
        .parse()
        .expect("secondes");
    assert!(wait > 0 && wait <= 900, "{wait}");
    // Without the anti-forgery token: refused.
    let r = site
        .post("/connexion", "", &[("email", "marie@test.fr")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Sign-out needs the page's single-use token.
    let session = format!("maillage_session={cookie2}");
    let r = site
        .post(
            "/deconnexion",
            &session,
            &[("jeton", "0".repeat(64).as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let space = site.get("/espace", &session).await;
    let out = site
        .post(
            "/deconnexion",
            &session,
            &[("jeton", &hidden(&space.body, "jeton"))],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        site.get("/espace", &session).await.status,
        StatusCode::SEE_OTHER
    );
}

check_both!(claim_download_and_delete, |store| Site::new(store).await);
async fn claim_download_and_delete(site: Site) {
    // Claiming: the link goes to the listing's own email, and opens the place to its owner.
    let form = site.get(&format!("/espace/revendiquer/{A}"), "").await;
    let csrf = set_cookie(&form, "maillage_jeton_connexion").expect("cookie");
    let sent = site
        .post(
            &format!("/espace/revendiquer/{A}"),
            &format!("maillage_jeton_connexion={csrf}"),
            &[("jeton", &hidden(&form.body, "jeton"))],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let owner = "contact@lieu-montauban.fr";
    let link = site.last_link(owner).await.expect("lien envoyé à la fiche");
    let opened = site.get(&link, "").await;
    let cookie = format!(
        "maillage_session={}",
        set_cookie(&opened, "maillage_session").expect("session")
    );
    assert_eq!(
        site.get(&format!("/espace/lieux/{A}/modifier"), &cookie)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        site.get(&format!("/espace/lieux/{B}/modifier"), &cookie)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The person's data, then deletion.
    let data = site.get("/espace/donnees", &cookie).await;
    assert_eq!(data.status, StatusCode::OK);
    let json = data.json();
    assert_eq!(json["compte"]["email"], owner);
    assert!(json["compte"].get("password_hash").is_none());
    assert!(json["courriels"].as_array().is_some_and(|m| !m.is_empty()));
    let space = site.get("/espace", &cookie).await;
    let delete = site
        .post(
            "/espace/supprimer",
            &cookie,
            &[("jeton", &hidden_n(&space.body, "jeton", 1))],
        )
        .await;
    assert_eq!(delete.status, StatusCode::SEE_OTHER);
    assert!(site
        .accounts()
        .account_by_email(owner)
        .await
        .expect("lecture")
        .is_none());
    assert_eq!(
        site.get("/espace", &cookie).await.status,
        StatusCode::SEE_OTHER
    );
}

/// The `n`-th hidden input called `name` (0-based).
fn hidden_n(html: &str, name: &str, n: usize) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let mut rest = html;
    for _ in 0..n {
        let at = rest.find(&marker).expect("champ") + marker.len();
        rest = &rest[at..];
    }
    hidden(rest, name)
}

check_both!(freshness_confirm_interval_reminder_and_dashboard, |store| {
    Site::new(store).await
});
async fn freshness_confirm_interval_reminder_and_dashboard(site: Site) {
    site.create("editeur82@test.fr", Role::Editeur, None, &[A])
        .await;
    site.create("editeur46@test.fr", Role::Editeur, None, &[B])
        .await;
    site.create("coord82@test.fr", Role::Coordinateur, Some("82"), &[])
        .await;
    let editor = site.sign_in("editeur82@test.fr").await;

    // Never confirmed: flagged on the public page and in the API, never hidden.
    let public = site.get(&format!("/lieux/{A}"), "").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("peuvent ne plus être exactes"));
    let api = site.get(&format!("/api/v1/lieux/{A}"), "").await;
    assert_eq!(api.json()["peut_etre_perime"], true);
    let listed = site.get("/api/v1/lieux?q=mediatheque", "").await;
    assert!(listed.body.contains(A), "toujours dans la recherche");

    // The coordinator's dashboard: A is due, B (another territory) is not counted.
    let coord = site.sign_in("coord82@test.fr").await;
    let board = site.get("/moderation/fraicheur", &coord).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(board.body.contains("Médiathèque de Montauban"));
    assert!(board.body.contains("jamais confirmée"));
    assert!(!board.body.contains("Espace numérique de Cahors"));
    assert!(board
        .body
        .contains("<strong>1</strong> fiche(s) : 0 à jour"));
    assert_eq!(
        site.get("/moderation/fraicheur", &editor).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get("/moderation/fraicheur", "").await.status,
        StatusCode::SEE_OTHER
    );

    // The editor chooses another interval (without confirming).
    let form = site
        .get(&format!("/espace/lieux/{A}/modifier"), &editor)
        .await;
    assert!(form
        .body
        .contains("<option value=\"6\" selected>tous les 6 mois</option>"));
    let r = site
        .send_confirm(
            &editor,
            A,
            A,
            &[("intervalle", "3"), ("action", "frequence")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/espace?envoye=frequence");
    let f = site.accounts().freshness(A).await.expect("fraîcheur");
    assert_eq!((f.interval_months, f.last_confirmed), (3, None));
    // An interval that is not offered, someone else's place: refused, nothing written.
    let bad = site
        .send_confirm(
            &editor,
            A,
            A,
            &[("intervalle", "7"), ("action", "confirmer")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let other = site.sign_in("editeur46@test.fr").await;
    let stolen = site
        .send_confirm(&other, B, A, &[("action", "confirmer")])
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    assert_eq!(
        site.accounts()
            .freshness(A)
            .await
            .expect("fraîcheur")
            .last_confirmed,
        None
    );

    // Due: one reminder, not two; its "toujours exact" link confirms and resets it.
    let today = chrono::Utc::now().date_naive();
    let sent = maillage_web::pages::freshness::send_reminders(&site.state, today)
        .await
        .expect("rappels");
    assert_eq!(sent, 2, "A et B sont à confirmer");
    let again = maillage_web::pages::freshness::send_reminders(&site.state, today)
        .await
        .expect("rappels");
    assert_eq!(again, 0, "un seul rappel");
    let link = site
        .last_link("editeur82@test.fr")
        .await
        .expect("lien « toujours exact »");
    let opened = site.get(&link, "").await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    let f = site.accounts().freshness(A).await.expect("fraîcheur");
    assert_eq!(f.last_confirmed, Some(today));
    assert!(f.reminder_sent_at.is_none(), "rappel remis à zéro");
    // A reminder read a week later still confirms, but an old email signs nobody in.
    let editor = site
        .accounts()
        .account_by_email("editeur82@test.fr")
        .await
        .expect("compte")
        .expect("l'éditeur");
    let old = maillage_web::accounts::random_token();
    site.accounts()
        .add_token(&maillage_store::accounts::SigninToken {
            token_hash: maillage_web::accounts::hash(&old),
            account_id: editor.id,
            purpose: maillage_store::accounts::TOKEN_CONFIRM.into(),
            place_id: Some(A.into()),
            expires_at: chrono::Utc::now() + chrono::Duration::days(23),
        })
        .await
        .expect("lien ancien");
    let late = site.get(&format!("/connexion/{old}"), "").await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);
    assert_eq!(late.headers[header::LOCATION], "/connexion?fiche=confirmee");
    assert!(
        late.headers.get_all(header::SET_COOKIE).iter().count() == 0,
        "no session from an old link"
    );
    let thanks = site.get("/connexion?fiche=confirmee", "").await;
    assert!(thanks.body.contains("la fiche est confirmée"));
    let public = site.get(&format!("/lieux/{A}"), "").await;
    assert!(!public.body.contains("peuvent ne plus être exactes"));
    // Confirming without change from the form works the same.
    let done = site
        .send_confirm(
            &other,
            B,
            B,
            &[("intervalle", "12"), ("action", "confirmer")],
        )
        .await;
    assert_eq!(done.headers[header::LOCATION], "/espace?envoye=confirme");
    let f = site.accounts().freshness(B).await.expect("fraîcheur");
    assert_eq!((f.interval_months, f.last_confirmed), (12, Some(today)));
    let board = site.get("/moderation/fraicheur", &coord).await;
    assert!(board
        .body
        .contains("<strong>1</strong> fiche(s) : 1 à jour"));
    let log = site.accounts().audit_log(None, 100).await.expect("journal");
    assert!(log.iter().filter(|e| e.action == "confirmation").count() >= 3);
}

/// The edit form of place A as a browser sends it: every field as shown, the hours of the
/// test place in the grid, and `extra` on top (checkboxes, position…).
async fn edit_form_of_a(
    site: &Site,
    cookie: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let form = site
        .get(&format!("/espace/lieux/{A}/modifier"), cookie)
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let mut fields: Vec<(String, String)> = [
        "jeton",
        "avant",
        "nom",
        "adresse",
        "code_postal",
        "commune",
        "courriels",
        "latitude",
        "longitude",
    ]
    .iter()
    .map(|n| (n.to_string(), hidden(&form.body, n)))
    .collect();
    fields.push(("listes".into(), "1".into()));
    fields.push(("action".into(), "enregistrer".into()));
    for d in 0..5 {
        fields.push((format!("h_{d}_0"), "09:00".into()));
        fields.push((format!("h_{d}_1"), "12:00".into()));
    }
    for (k, v) in extra {
        fields.retain(|(n, _)| n != k || k.starts_with("services"));
        fields.push((k.to_string(), v.to_string()));
    }
    fields
}

async fn post_pairs(site: &Site, uri: &str, cookie: &str, fields: &[(String, String)]) -> Answer {
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    site.post(uri, cookie, &refs).await
}

check_both!(lists_position_history_and_revert, |store| Site::new(store)
    .await);
async fn lists_position_history_and_revert(site: Site) {
    use maillage_model::{Frais, Service};
    site.create("coord82@test.fr", Role::Coordinateur, Some("82"), &[])
        .await;
    site.create("coord46@test.fr", Role::Coordinateur, Some("46"), &[])
        .await;
    site.create("editeur82@test.fr", Role::Editeur, None, &[A])
        .await;
    let coord = site.sign_in("coord82@test.fr").await;
    let edit = format!("/espace/lieux/{A}/modifier");
    let before = site
        .state
        .store
        .place(A)
        .await
        .expect("lecture")
        .expect("lieu");

    // The form shows the schema's lists as checkboxes, the stored values ticked.
    let form = site.get(&edit, &coord).await;
    assert!(form
        .body
        .contains("name=\"services\" value=\"Aide aux démarches administratives\" checked"));
    assert!(form
        .body
        .contains("name=\"frais_a_charge\" value=\"Gratuit\">"));
    // A position far from the commune (Cahors for Montauban) is refused next to the field.
    let far = edit_form_of_a(
        &site,
        &coord,
        &[("latitude", "44.4475"), ("longitude", "1.4406")],
    )
    .await;
    let refused = post_pairs(&site, &edit, &coord, &far).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("La position ne convient pas"),
        "{}",
        refused.body
    );
    let bad = edit_form_of_a(&site, &coord, &[("latitude", "quarante-quatre")]).await;
    let refused = post_pairs(&site, &edit, &coord, &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("saisissez un nombre"),
        "{}",
        refused.body
    );

    // Ticked boxes and a pin moved within the commune: published at once (coordinator).
    let fields = edit_form_of_a(
        &site,
        &coord,
        &[
            ("services", "Accès internet et matériel informatique"),
            ("frais_a_charge", "Gratuit"),
            ("latitude", "44,0180"),
            ("longitude", "1.3560"),
        ],
    )
    .await;
    let saved = post_pairs(&site, &edit, &coord, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let after = site
        .state
        .store
        .place(A)
        .await
        .expect("lecture")
        .expect("lieu");
    let mut services = after.place.services.clone();
    services.sort();
    assert_eq!(
        services,
        vec![Service::AideDemarches, Service::AccesInternet]
    );
    assert_eq!(after.place.frais_a_charge, vec![Frais::Gratuit]);
    let pos = after.place.position.expect("position");
    assert!((pos.lat - 44.018).abs() < 1e-9 && (pos.lon - 1.356).abs() < 1e-9);

    // The history names the change; only moderators of the territory see it.
    let history = format!("/moderation/lieux/{A}/historique");
    let page = site.get(&history, &coord).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("frais_a_charge") && page.body.contains("Annuler cette modification")
    );
    let editor = site.sign_in("editeur82@test.fr").await;
    let other = site.sign_in("coord46@test.fr").await;
    for cookie in [&editor, &other] {
        assert_eq!(
            site.get(&history, cookie).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let entry = site.accounts().history(A).await.expect("historique")[0].id;
    let revert = format!("/moderation/historique/{entry}/annuler");
    assert_eq!(
        site.get(&format!("/moderation/lieux/{B}/historique"), &other)
            .await
            .status,
        StatusCode::OK
    );
    let own = site.get("/espace", &other).await;
    let stolen = site
        .post(&revert, &other, &[("jeton", &hidden(&own.body, "jeton"))])
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);

    // Undo: the place is as before, through the same path (a new history line).
    let done = site
        .post(&revert, &coord, &[("jeton", &hidden(&page.body, "jeton"))])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let back = site
        .state
        .store
        .place(A)
        .await
        .expect("lecture")
        .expect("lieu");
    assert_eq!(back.place.services, before.place.services);
    assert_eq!(back.place.frais_a_charge, before.place.frais_a_charge);
    assert_eq!(back.place.position, before.place.position);
    let lines = site.accounts().history(A).await.expect("historique");
    assert_eq!(lines.len(), 2);
    assert!(lines[0].why.contains("annulation"), "{}", lines[0].why);
    // The older line cannot be undone any more (the place changed since): nothing written.
    let page = site.get(&history, &coord).await;
    let again = site
        .post(&revert, &coord, &[("jeton", &hidden(&page.body, "jeton"))])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(
        site.accounts().history(A).await.expect("historique").len(),
        2
    );
    let public = site.get(&format!("/api/v1/lieux/{A}"), "").await;
    assert!(!public
        .body
        .contains("Accès internet et matériel informatique"));
}

check_both!(the_server_purges_on_its_own, |store| Site::new(store).await);
async fn the_server_purges_on_its_own(site: Site) {
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    let mail = site
        .accounts()
        .enqueue_email("marie@test.fr", "ancien", "x")
        .await
        .expect("file");
    site.accounts()
        .mark_email_sent(mail, past - chrono::Duration::days(31))
        .await
        .expect("envoyé");
    // The loop `maillage serve` spawns, here every 50 ms.
    let job = tokio::spawn(maillage_web::purge_every(
        site.state.store.clone(),
        std::time::Duration::from_millis(50),
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !site.accounts().outbox().await.expect("boîte").is_empty() {
        assert!(std::time::Instant::now() < deadline, "rien n'a été purgé");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    job.abort();
}
