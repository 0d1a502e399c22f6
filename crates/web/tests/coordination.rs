//! The coordinator's space through the real router, on SQLite and on PostgreSQL: who may open
//! every route (visitor, editor, agent, coordinator of another territory, coordinator, admin),
//! the upload of the demo's real files with a dry run that writes nothing then an apply,
//! the history, the size limit, a stale dry run refused, a split and a merge that hold after
//! a re-import, the inbox and the accounts.

mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use maillage_store::accounts::{AccountStore, NewAccount, Role};
use maillage_store::{PlaceFilter, Store};
use maillage_web::AppState;
use support::{send, Answer};

use maillage_store::check_both;

check_both!(authorisation_matrix, |store| Site::open(store).await);
check_both!(
    dry_run_writes_nothing_then_apply_imports_and_is_recorded,
    |store| Site::open(store).await
);
check_both!(stale_dry_run_is_refused_and_nothing_is_written, |store| {
    Site::open(store).await
});
check_both!(upload_over_the_limit_is_refused_with_its_limit, |store| {
    Site::open(store).await
});
check_both!(split_and_merge_hold_after_a_reimport, |store| Site::open(
    store
)
.await);
check_both!(inbox_and_accounts, |store| Site::open(store).await);
check_both!(
    tours_publish_once_and_the_second_publisher_is_told,
    |store| Site::open(store).await
);
check_both!(
    a_mairie_asks_for_a_home_visit_that_the_coordinator_slots_in,
    |store| Site::open(store).await
);

const FS_2024: &str = "liste-fs-20240801-82.csv";
const CNFS: &str = "cnfs-lieux-conseillers-numeriques-2022-12-82.json";
/// A small limit for the uploads of the tests: the demo's files (10 and 29 Ko) pass, a 40 Ko
/// upload does not (the default is 200 Mo).
const LIMIT: u64 = 40 * 1024;

pub struct Site {
    state: AppState,
    router: axum::Router,
    uploads: tempfile::TempDir,
}

impl Site {
    async fn open(store: Arc<dyn Store>) -> Site {
        Site::with_limit(store, LIMIT).await
    }

    async fn with_limit(store: Arc<dyn Store>, limit: u64) -> Site {
        let referential = support::shipped_referential();
        store
            .replace_territory(&referential.communes, &referential.epcis)
            .await
            .expect("territoire");
        let mut state = AppState::new(store, Some(referential)).await.expect("état");
        let uploads = tempfile::tempdir().expect("dossier des dépôts");
        let mut config = maillage_web::accounts::AccountsConfig::new("http://annuaire.test");
        config.upload_max_bytes = limit;
        config.upload_dir = uploads.path().to_path_buf();
        state.accounts = Arc::new(config);
        Site {
            router: maillage_web::router(state.clone()),
            state,
            uploads,
        }
    }

    fn accounts(&self) -> &dyn AccountStore {
        self.state.store.accounts().expect("comptes")
    }

    /// Creates an account and a session for it; returns the `Cookie` header value. (Signing
    /// in through the emailed link is the accounts suite's subject.)
    async fn person(&self, email: &str, role: Role, territory: Option<&str>) -> String {
        let account = self
            .accounts()
            .create_account(&NewAccount {
                email: email.into(),
                role,
                territory: territory.map(String::from),
                places: Vec::new(),
            })
            .await
            .expect("compte");
        let session = maillage_web::accounts::random_token();
        self.accounts()
            .create_session(
                &maillage_web::accounts::hash(&session),
                account.id,
                chrono::Utc::now() + chrono::Duration::hours(1),
            )
            .await
            .expect("session");
        format!("maillage_session={session}")
    }

    async fn get(&self, uri: &str, cookie: &str) -> Answer {
        support::get_as(&self.router, uri, cookie).await
    }

    async fn post(&self, uri: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        support::post_as(&self.router, uri, cookie, form).await
    }

    /// `post` with a fresh anti-forgery token of this session as `jeton`.
    async fn submit(&self, uri: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        let token = self.token(cookie).await;
        let mut fields = vec![("jeton", token.as_str())];
        fields.extend_from_slice(form);
        self.post(uri, cookie, &fields).await
    }

    /// A fresh anti-forgery token of this session (from the accounts page's forms).
    async fn token(&self, cookie: &str) -> String {
        let page = self.get("/coordination/comptes", cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        hidden(&page.body, "jeton")
    }

    /// Uploads `bytes` as `name` the way the browser's form does (multipart, token first).
    async fn upload_bytes(&self, cookie: &str, token: &str, name: &str, bytes: &[u8]) -> Answer {
        let boundary = "----limite-maillage-7f3a";
        let mut body = Vec::new();
        for (field, value) in [("jeton", token), ("format", "auto")] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = Request::post("/coordination/imports")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .expect("requête");
        send(&self.router, r).await
    }

    /// Uploads one of the demo's files; returns the path of its dry run.
    async fn upload(&self, cookie: &str, file: &str) -> String {
        let bytes =
            std::fs::read(support::workspace().join("data/lieux").join(file)).expect("fichier");
        let token = self.token(cookie).await;
        let a = self.upload_bytes(cookie, &token, file, &bytes).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        location(&a)
    }

    /// Applies the dry run at `run` as shown (its token and fingerprint).
    async fn apply(&self, cookie: &str, run: &str) -> Answer {
        let page = self.get(run, cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let (token, print) = (hidden(&page.body, "jeton"), hidden(&page.body, "empreinte"));
        self.post(
            &format!("{run}/appliquer"),
            cookie,
            &[("jeton", &token), ("empreinte", &print)],
        )
        .await
    }

    async fn places(&self) -> Vec<maillage_store::StoredPlace> {
        self.state
            .store
            .places(&PlaceFilter::default())
            .await
            .expect("lieux")
    }
}

fn location(a: &Answer) -> String {
    a.headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The value of the first hidden input called `name`.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("pas de champ {name}"))
        + marker.len();
    html[start..start + html[start..].find('"').expect("fin")]
        .replace("&#x7c;", "|")
        .replace("&amp;", "&")
}

/// The number in the cell `id` of a dry run.
fn cell(html: &str, id: &str) -> u64 {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("pas de case {id}"))
        + marker.len();
    html[start..start + html[start..].find('<').expect("fin")]
        .parse()
        .expect("nombre")
}

async fn authorisation_matrix(site: Site) {
    seed_tours(&site).await;
    let coord = site
        .person("coord82@test.fr", Role::Coordinateur, Some("82"))
        .await;
    let people = [
        ("visiteur", String::new()),
        (
            "editeur",
            site.person("editeur@test.fr", Role::Editeur, None).await,
        ),
        (
            "agent",
            site.person("agent@test.fr", Role::Agent, Some("82")).await,
        ),
        (
            "coord46",
            site.person("coord46@test.fr", Role::Coordinateur, Some("46"))
                .await,
        ),
        ("coord82", coord.clone()),
        (
            "admin",
            site.person("admin@test.fr", Role::Admin, None).await,
        ),
    ];
    // Something of 82 behind each route: a run of coord82, a place, an account it manages.
    let run = site.upload(&coord, FS_2024).await;
    assert_eq!(site.apply(&coord, &run).await.status, StatusCode::SEE_OTHER);
    let staged = site.upload(&coord, FS_2024).await;
    let place = site
        .places()
        .await
        .into_iter()
        .find(|p| p.place.departement() == Some("82"))
        .expect("un lieu du 82");
    let place = format!("/coordination/doublons/{}", place.place.id);
    let managed = site
        .accounts()
        .account_by_email("agent@test.fr")
        .await
        .expect("lecture")
        .expect("agent")
        .id;
    let account = format!("/coordination/comptes/{managed}");

    // (route, what coord46 gets: its own pages open, 82's things are "not found")
    let gets: Vec<(String, StatusCode)> = vec![
        ("/coordination".into(), StatusCode::OK),
        ("/coordination/imports".into(), StatusCode::OK),
        (run.clone(), StatusCode::OK), // an applied import is history, seen by every coordinator
        (staged.clone(), StatusCode::NOT_FOUND),
        (format!("{staged}/rejets.csv"), StatusCode::NOT_FOUND),
        ("/coordination/doublons".into(), StatusCode::OK),
        (place.clone(), StatusCode::NOT_FOUND),
        ("/coordination/signalements".into(), StatusCode::OK),
        ("/coordination/comptes".into(), StatusCode::OK),
        ("/coordination/journal".into(), StatusCode::OK),
        // The tours of 82 are 82's coordination's.
        ("/coordination/tournees".into(), StatusCode::FORBIDDEN),
        ("/coordination/visites".into(), StatusCode::OK),
    ];
    for (uri, for_coord46) in &gets {
        for (who, cookie) in &people {
            let a = site.get(uri, cookie).await;
            let expected = match *who {
                "visiteur" => StatusCode::SEE_OTHER,
                "editeur" | "agent" => StatusCode::FORBIDDEN,
                "coord46" => *for_coord46,
                _ => StatusCode::OK,
            };
            assert_eq!(
                a.status,
                expected,
                "GET {uri} par {who}: {}",
                &a.body[..a.body.len().min(400)]
            );
            match *who {
                "visiteur" => assert_eq!(location(&a), "/connexion"),
                "editeur" | "agent" => assert!(a.body.contains("Accès réservé"), "{who} {uri}"),
                _ => {}
            }
        }
    }
    // Writes: refused before anything is read for who may not enter; with a valid token,
    // coord46 still cannot act on 82's things.
    let posts: Vec<(String, Vec<(&str, String)>)> = vec![
        (format!("{staged}/appliquer"), vec![]),
        (
            "/coordination/doublons/fusionner".into(),
            vec![
                (
                    "garder",
                    place.rsplit('/').next().unwrap_or_default().to_string(),
                ),
                ("absorber", "x".into()),
            ],
        ),
        (
            format!("{place}/separer"),
            vec![("enregistrement", "a|b".into()), ("motif", "test".into())],
        ),
        (account.clone(), vec![("action", "desactiver".into())]),
    ];
    for (uri, fields) in &posts {
        for (who, cookie) in &people {
            let token = match *who {
                "coord46" | "coord82" | "admin" => site.token(cookie).await,
                _ => "0".repeat(64),
            };
            let mut form: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            form.push(("jeton", &token));
            if *who == "coord82" || *who == "admin" {
                continue; // their successful writes are the subject of the other tests
            }
            let a = site.post(uri, cookie, &form).await;
            let expected = match *who {
                "visiteur" => StatusCode::SEE_OTHER,
                "editeur" | "agent" => StatusCode::FORBIDDEN,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(
                a.status,
                expected,
                "POST {uri} par {who}: {}",
                &a.body[..a.body.len().min(400)]
            );
        }
    }
    for (who, cookie) in &people[..3] {
        let a = site
            .upload_bytes(cookie, &"0".repeat(64), "x.csv", b"nom\n")
            .await;
        let expected = if *who == "visiteur" {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(a.status, expected, "dépôt par {who}");
    }
    for (who, cookie) in &people[..3] {
        let a = site
            .post(
                "/coordination/signalements/traites",
                cookie,
                &[("jeton", &"0".repeat(64))],
            )
            .await;
        let expected = if *who == "visiteur" {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(a.status, expected, "signalements par {who}");
        let a = site
            .post(
                "/coordination/comptes",
                cookie,
                &[("jeton", &"0".repeat(64)), ("email", "x@y.fr")],
            )
            .await;
        assert_eq!(a.status, expected, "invitation par {who}");
    }
    for uri in [
        "/coordination/tournees/planifier",
        "/coordination/tournees/publier",
    ] {
        for (who, cookie) in &people[..4] {
            let token = match *who {
                "coord46" => site.token(cookie).await,
                _ => "0".repeat(64),
            };
            let a = site
                .post(uri, cookie, &[("jeton", &token), ("version", "")])
                .await;
            let expected = if *who == "visiteur" {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(a.status, expected, "POST {uri} par {who}");
        }
    }
    assert_eq!(
        site.state
            .store
            .latest_tour_version()
            .await
            .expect("version"),
        None,
        "rien de publié"
    );
    // The account coord46 could not disable is still active.
    assert!(
        !site
            .accounts()
            .account(managed)
            .await
            .expect("lecture")
            .expect("compte")
            .disabled
    );
}

async fn dry_run_writes_nothing_then_apply_imports_and_is_recorded(site: Site) {
    let coord = site
        .person("coord82@test.fr", Role::Coordinateur, Some("82"))
        .await;
    let run = site.upload(&coord, FS_2024).await;
    let page = site.get(&run, &coord).await;
    assert_eq!(page.status, StatusCode::OK);
    let created = cell(&page.body, "essai-crees");
    assert!(created > 10, "l'essai annonce {created} créations");
    assert!(page.body.contains("Appliquer cet import"));
    assert_eq!(site.places().await.len(), 0, "l'essai n'écrit rien");

    let token = hidden(&page.body, "jeton");
    let print = hidden(&page.body, "empreinte");
    let applied = site
        .post(
            &format!("{run}/appliquer"),
            &coord,
            &[("jeton", &token), ("empreinte", &print)],
        )
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    assert_eq!(
        site.places().await.len() as u64,
        created,
        "l'import crée ce que l'essai annonçait"
    );
    // The same form sent twice: its token is used, nothing happens twice.
    let again = site
        .post(
            &format!("{run}/appliquer"),
            &coord,
            &[("jeton", &token), ("empreinte", &print)],
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);

    let history = site.get("/coordination/imports", &coord).await;
    assert!(
        history.body.contains(FS_2024) && history.body.contains("coord82@test.fr"),
        "{}",
        history.body
    );
    let runs = site.state.store.import_runs(10).await.expect("historique");
    assert_eq!(runs[0].outcome.created, created);
    assert!(
        !std::path::Path::new(&runs[0].stored_path).exists(),
        "le fichier appliqué est effacé"
    );
    // The search index was reloaded: the new places are found.
    assert_eq!(site.state.index().entries().len() as u64, created);

    // The same file again: nothing to create or update.
    let second = site.upload(&coord, FS_2024).await;
    let page = site.get(&second, &coord).await;
    assert_eq!(
        (
            cell(&page.body, "essai-crees"),
            cell(&page.body, "essai-maj")
        ),
        (0, 0),
        "réimport"
    );
    // A file that is not a file of places: refused with its reason, nothing written.
    let token = site.token(&coord).await;
    let bad = site
        .upload_bytes(&coord, &token, "notes.csv", "bonjour;le monde\n".as_bytes())
        .await;
    let page = site.get(&location(&bad), &coord).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert_eq!(site.places().await.len() as u64, created);
}

async fn stale_dry_run_is_refused_and_nothing_is_written(site: Site) {
    let coord = site
        .person("coord82@test.fr", Role::Coordinateur, Some("82"))
        .await;
    let first = site.upload(&coord, FS_2024).await;
    let second = site.upload(&coord, FS_2024).await;
    // The coordinator reads the first dry run…
    let page = site.get(&first, &coord).await;
    let (token, print) = (hidden(&page.body, "jeton"), hidden(&page.body, "empreinte"));
    // …meanwhile the same file is applied from another tab.
    assert_eq!(
        site.apply(&coord, &second).await.status,
        StatusCode::SEE_OTHER
    );
    let before = site.places().await;
    let stale = site
        .post(
            &format!("{first}/appliquer"),
            &coord,
            &[("jeton", &token), ("empreinte", &print)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.body.contains("La base a changé"), "{}", stale.body);
    // The new dry run is shown: nothing left to create.
    assert_eq!(cell(&stale.body, "essai-crees"), 0);
    assert_eq!(site.places().await, before, "rien n'est écrit");
    let run = site
        .state
        .store
        .import_run(first.rsplit('/').next().unwrap().parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, maillage_store::coordination::RUN_STAGED);
}

async fn upload_over_the_limit_is_refused_with_its_limit(site: Site) {
    let coord = site
        .person("coord82@test.fr", Role::Coordinateur, Some("82"))
        .await;
    let token = site.token(&coord).await;
    let big = vec![b'a'; (LIMIT + 1) as usize];
    let a = site.upload_bytes(&coord, &token, "gros.csv", &big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        a.body
            .contains("dépasse la taille maximale acceptée (0 Mo)")
            || a.body.contains("taille maximale"),
        "{}",
        a.body
    );
    assert!(site
        .state
        .store
        .import_runs(10)
        .await
        .expect("runs")
        .is_empty());
    assert_eq!(
        std::fs::read_dir(site.uploads.path())
            .expect("dossier")
            .count(),
        0,
        "le dépôt refusé est effacé"
    );
}

async fn split_and_merge_hold_after_a_reimport(site: Site) {
    let coord = site
        .person("coord82@test.fr", Role::Coordinateur, Some("82"))
        .await;
    for file in [FS_2024, CNFS] {
        let run = site.upload(&coord, file).await;
        assert_eq!(
            site.apply(&coord, &run).await.status,
            StatusCode::SEE_OTHER,
            "{file}"
        );
    }
    let places = site.places().await;
    let group = places
        .iter()
        .find(|p| p.records.len() > 1)
        .expect("au moins un lieu fusionné dans la démo")
        .clone();
    let page = site
        .get(
            &format!("/coordination/doublons/{}", group.place.id),
            &coord,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Scores de la règle"));
    let leaving = group.records[1].source.clone();
    let token = hidden(&page.body, "jeton");
    let key = format!("{}|{}", leaving.source, leaving.source_id);
    // No reason given: refused, nothing split.
    let a = site
        .post(
            &format!("/coordination/doublons/{}/separer", group.place.id),
            &coord,
            &[("jeton", &token), ("enregistrement", &key), ("motif", "")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = site
        .submit(
            &format!("/coordination/doublons/{}/separer", group.place.id),
            &coord,
            &[
                ("enregistrement", &key),
                ("motif", "deux structures distinctes"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    // Two single-source places of one commune that the rule kept apart: merged by hand.
    let places = site.places().await;
    let single: Vec<&maillage_store::StoredPlace> = places
        .iter()
        .filter(|p| p.records.len() == 1 && p.records[0].source != leaving)
        .collect();
    let mut pair = None;
    'search: for (i, a) in single.iter().enumerate() {
        for b in &single[i + 1..] {
            if a.place.code_insee.is_some() && a.place.code_insee == b.place.code_insee {
                pair = Some(((*a).clone(), (*b).clone()));
                break 'search;
            }
        }
    }
    let (kept, absorbed) = pair.expect("deux lieux d'une même commune");
    let a = site
        .submit(
            "/coordination/doublons/fusionner",
            &coord,
            &[
                ("garder", &kept.place.id),
                ("absorber", &absorbed.place.id),
                ("motif", "même lieu, deux noms"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let hold = |places: &[maillage_store::StoredPlace]| {
        let holder = |r: &maillage_model::SourceRef| {
            places
                .iter()
                .find(|p| p.records.iter().any(|x| &x.source == r))
                .map(|p| p.place.id.clone())
        };
        let left = holder(&leaving).expect("l'enregistrement séparé");
        let others: Vec<_> = group
            .records
            .iter()
            .filter(|r| r.source != leaving)
            .map(|r| holder(&r.source))
            .collect();
        assert!(
            others.iter().all(|o| o.as_deref() != Some(left.as_str())),
            "la séparation tient"
        );
        assert_eq!(
            holder(&kept.records[0].source),
            holder(&absorbed.records[0].source),
            "la fusion tient"
        );
    };
    hold(&site.places().await);
    // Both files again, through the same pages: every decision holds.
    for file in [FS_2024, CNFS] {
        let run = site.upload(&coord, file).await;
        let a = site.apply(&coord, &run).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{file}: {}", a.body);
    }
    hold(&site.places().await);
    // Merging back what was split is refused with the reason of the split.
    let places = site.places().await;
    let left = places
        .iter()
        .find(|p| p.records.iter().any(|x| x.source == leaving))
        .expect("séparé");
    let rest = places
        .iter()
        .find(|p| {
            p.records
                .iter()
                .any(|x| x.source == group.records[0].source)
        })
        .expect("reste");
    let a = site
        .submit(
            "/coordination/doublons/fusionner",
            &coord,
            &[
                ("garder", &rest.place.id),
                ("absorber", &left.place.id),
                ("motif", ""),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("deux structures distinctes"), "{}", a.body);
    // The journal tells who did what.
    let journal = site.get("/coordination/journal", &coord).await;
    for action in ["import", "separation", "fusion"] {
        assert!(journal.body.contains(action), "{action}");
    }
}

async fn inbox_and_accounts(site: Site) {
    let coord = site
        .person("coord82@test.fr", Role::Coordinateur, Some("82"))
        .await;
    let run = site.upload(&coord, FS_2024).await;
    assert_eq!(site.apply(&coord, &run).await.status, StatusCode::SEE_OTHER);
    let place = site.places().await.into_iter().next().expect("un lieu");
    let id = site
        .state
        .store
        .add_report(&maillage_store::NewPlaceReport {
            place_id: place.place.id.clone(),
            message: "<script>alert('x')</script> fermé le mardi".into(),
            contact: String::new(),
        })
        .await
        .expect("signalement");
    let inbox = site.get("/coordination/signalements", &coord).await;
    assert!(
        inbox.body.contains("&#60;script&#62;alert") && !inbox.body.contains("<script>alert"),
        "échappé"
    );
    let token = hidden(&inbox.body, "jeton");
    let a = site
        .post(
            "/coordination/signalements/traites",
            &coord,
            &[("jeton", &token), ("id", &id.to_string())],
        )
        .await;
    assert!(
        a.body.contains("1 signalement(s) marqué(s) traité(s)"),
        "{}",
        a.body
    );
    assert!(site
        .state
        .store
        .reports(true)
        .await
        .expect("signalements")
        .is_empty());

    // Invite: the account exists, in the coordinator's territory, and its link is in the outbox.
    let a = site
        .submit(
            "/coordination/comptes",
            &coord,
            &[
                ("email", "mairie@test.fr"),
                ("role", "agent"),
                ("territoire", "75"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let invited = site
        .accounts()
        .account_by_email("mairie@test.fr")
        .await
        .expect("lecture")
        .expect("invité");
    assert_eq!(
        (invited.role, invited.territory.as_deref()),
        (Role::Agent, Some("82")),
        "un coordinateur invite dans son territoire"
    );
    let mail = site
        .accounts()
        .outbox()
        .await
        .expect("boîte")
        .into_iter()
        .find(|m| m.to == "mairie@test.fr")
        .expect("courriel");
    assert!(mail.body.contains("http://annuaire.test/connexion/"));
    // A coordinator cannot make an administrator.
    let token = site.token(&coord).await;
    let a = site
        .post(
            &format!("/coordination/comptes/{}", invited.id),
            &coord,
            &[("jeton", &token), ("role", "admin")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let token = site.token(&coord).await;
    let a = site
        .post(
            &format!("/coordination/comptes/{}", invited.id),
            &coord,
            &[("jeton", &token), ("role", "coordinateur")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        site.accounts()
            .account(invited.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Coordinateur
    );
    // Disabled: its session no longer opens anything.
    let session = {
        let s = maillage_web::accounts::random_token();
        site.accounts()
            .create_session(
                &maillage_web::accounts::hash(&s),
                invited.id,
                chrono::Utc::now() + chrono::Duration::hours(1),
            )
            .await
            .unwrap();
        format!("maillage_session={s}")
    };
    assert_eq!(
        site.get("/coordination", &session).await.status,
        StatusCode::OK
    );
    let token = site.token(&coord).await;
    site.post(
        &format!("/coordination/comptes/{}", invited.id),
        &coord,
        &[("jeton", &token), ("action", "desactiver")],
    )
    .await;
    assert_eq!(
        site.get("/coordination", &session).await.status,
        StatusCode::SEE_OTHER
    );
    let journal = site.get("/coordination/journal", &coord).await;
    assert!(
        journal.body.contains("invitation de mairie@test.fr")
            && journal.body.contains("désactivation de mairie@test.fr"),
        "{}",
        journal.body
    );
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Measure (run alone: `cargo test -p maillage-web --test coordination -- --ignored`): a
/// 200 Mo upload through the router, streamed to disk. Prints the growth of the process's
/// peak memory against the file's size, and the upload's time against writing the same
/// bytes to a file directly (the baseline, measured in the same run).
#[tokio::test]
#[ignore]
async fn measure_a_200_mo_upload_streams_within_bounded_memory() {
    const SIZE: u64 = 200 * 1024 * 1024;
    let store = maillage_store::open("sqlite::memory:")
        .await
        .expect("SQLite en mémoire");
    let site = Site::with_limit(store, SIZE + 1024 * 1024).await;
    let coord = site
        .person("coord82@test.fr", Role::Coordinateur, Some("82"))
        .await;
    let token = site.token(&coord).await;
    let boundary = "----limite-mesure";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"jeton\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"gros.csv\"\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    // Through a real socket, as a browser sends it: the server reads the body as it comes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(maillage_web::serve_on(
        site.state.clone(),
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    // Reset the peak to the current size (Linux: `5` in clear_refs), so the peak read after
    // is the upload's, not the referential's loading.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_kb("VmRSS:");
    let started = std::time::Instant::now();
    let answer = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connexion");
        let length = head.len() as u64 + SIZE + tail.len() as u64;
        s.write_all(format!("POST /coordination/imports HTTP/1.1\r\nHost: {addr}\r\nCookie: {coord}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{head}").as_bytes()).await.expect("en-tête");
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..SIZE / (64 * 1024) {
            s.write_all(&chunk).await.expect("corps");
        }
        s.write_all(tail.as_bytes()).await.expect("fin");
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.expect("réponse");
        answer
    };
    let upload = started.elapsed();
    let _ = stop.send(());
    let _ = server.await;
    assert!(
        answer.starts_with("HTTP/1.1 303"),
        "{}",
        &answer[..answer.len().min(300)]
    );
    let peak = status_kb("VmHWM:");
    let run = site
        .state
        .store
        .import_runs(1)
        .await
        .expect("run")
        .remove(0);
    assert_eq!(run.size_bytes, SIZE);
    // Baseline: the same bytes written to a file in 64 Ko chunks, nothing else.
    let started = std::time::Instant::now();
    {
        use std::io::Write;
        let mut f = std::fs::File::create(site.uploads.path().join("base.bin")).expect("fichier");
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..SIZE / (64 * 1024) {
            f.write_all(&chunk).expect("écriture");
        }
        f.flush().expect("flush");
    }
    let baseline = started.elapsed();
    let grown_mb = peak.saturating_sub(rss_before) as f64 / 1024.0;
    println!(
        "dépôt de 200 Mo : mémoire de pointe +{grown_mb:.1} Mo ({:.3} × la taille du fichier) ; \
         durée {:.2} s contre {:.2} s pour écrire les mêmes octets directement (× {:.1})",
        grown_mb / 200.0,
        upload.as_secs_f64(),
        baseline.as_secs_f64(),
        upload.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
    );
    let _ = std::fs::remove_file(&run.stored_path);
}

/// The demo's tours in the store, with the routes shipped beside them as the proposed plan.
async fn seed_tours(site: &Site) {
    let dir = support::workspace().join("data/tours");
    let files: Vec<std::path::PathBuf> = ["sites-82.csv", "vehicules-82.csv", "evenements-82.csv"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    let files: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let store = site.state.store.as_ref();
    maillage_directory::tours::import_files(store, &files)
        .await
        .expect("tournées");
    let plan =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan-82.json")).expect("plan"))
            .expect("plan lisible");
    let today = maillage_web::hours::now_paris().date();
    maillage_directory::tours::seed_plan(store, plan, today)
        .await
        .expect("plan proposé");
}

async fn tours_publish_once_and_the_second_publisher_is_told(site: Site) {
    seed_tours(&site).await;
    let coord = site
        .person("coord82@test.fr", Role::Coordinateur, Some("82"))
        .await;
    let other = site
        .person("coord82b@test.fr", Role::Coordinateur, Some("82"))
        .await;
    let coord46 = site
        .person("coord46@test.fr", Role::Coordinateur, Some("46"))
        .await;
    assert_eq!(
        site.get("/coordination/tournees", &coord46).await.status,
        StatusCode::FORBIDDEN
    );
    let input = site.state.store.tour_input().await.expect("tournées");
    let first_site: maillage_tours::Site =
        serde_json::from_str(&input.sites[0].data).expect("site");
    let feed = format!(
        "/itinerance/calendrier.ics?commune={}",
        first_site.code_insee
    );
    let ics_before = site.get(&feed, "").await;

    // Both read the page while nothing is published.
    let a = site.get("/coordination/tournees", &coord).await;
    let b = site.get("/coordination/tournees", &other).await;
    assert!(
        a.body.contains("Aucun calendrier n'est encore publié"),
        "{}",
        a.body
    );
    let publish = |page: &Answer| {
        vec![
            (
                "jeton".to_string(),
                hidden_in_form(&page.body, "/coordination/tournees/publier", "jeton"),
            ),
            ("version".to_string(), String::new()),
        ]
    };
    let form_a = publish(&a);
    let form_b = publish(&b);
    let first = site
        .post(
            "/coordination/tournees/publier",
            &coord,
            &form_a
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("Version 1 publiée"), "{}", first.body);
    // The second publisher read the page before version 1: told, nothing published.
    let second = site
        .post(
            "/coordination/tournees/publier",
            &other,
            &form_b
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert!(
        second.body.contains("version 1 du calendrier"),
        "{}",
        second.body
    );
    assert_eq!(
        site.state
            .store
            .latest_tour_version()
            .await
            .expect("version"),
        Some(1)
    );
    // The public calendar and its feed show the published version.
    let ics = site.get(&feed, "").await;
    assert_eq!(ics.status, StatusCode::OK);
    assert_ne!(
        ics.body, ics_before.body,
        "le flux iCalendar change à la publication"
    );
    assert!(
        ics.body.contains("BEGIN:VEVENT"),
        "{}",
        &ics.body[..ics.body.len().min(300)]
    );
    let journal = site.get("/coordination/journal", &coord).await;
    assert!(journal.body.contains("version 1 publiée"));

    // The commune agrees on the 1st and 3rd Thursdays: the site's day changes, the plan
    // follows, the publication moves its passages with a notice.
    let page = site.get("/coordination/tournees", &coord).await;
    let token = hidden_in_form(&page.body, "/coordination/tournees/site", "jeton");
    let bad = site
        .post(
            "/coordination/tournees/site",
            &coord,
            &[
                ("jeton", &token),
                ("site", &first_site.id),
                ("rythme", "un jour"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let token = hidden_in_form(&bad.body, "/coordination/tournees/site", "jeton");
    let ok = site
        .post(
            "/coordination/tournees/site",
            &coord,
            &[
                ("jeton", &token),
                ("site", &first_site.id),
                ("rythme", "1er,3e jeudi apres-midi"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let token = hidden_in_form(&ok.body, "/coordination/tournees/planifier", "jeton");
    let planned = site
        .post(
            "/coordination/tournees/planifier",
            &coord,
            &[("jeton", &token), ("version", "")],
        )
        .await;
    assert_eq!(planned.status, StatusCode::OK, "{}", planned.body);
    assert!(
        planned.body.contains(&first_site.commune),
        "le changement est listé"
    );
    let token = hidden_in_form(&planned.body, "/coordination/tournees/publier", "jeton");
    let v2 = site
        .post(
            "/coordination/tournees/publier",
            &coord,
            &[("jeton", &token), ("version", "1")],
        )
        .await;
    assert!(
        v2.body.contains("Version 2 publiée")
            && v2.body.contains("Avis à transmettre aux communes"),
        "{}",
        v2.body
    );
    let published = maillage_directory::tours::published(site.state.store.as_ref())
        .await
        .expect("lecture")
        .expect("version 2");
    let today = maillage_web::hours::now_paris().date();
    let ours: Vec<_> = published
        .book
        .calendar
        .passages
        .iter()
        .filter(|p| p.site_id == first_site.id && p.date >= today)
        .collect();
    assert!(!ours.is_empty(), "le site garde des passages");
    assert!(
        ours.iter()
            .all(|p| chrono::Datelike::weekday(&p.date) == chrono::Weekday::Thu),
        "jeudis seulement"
    );
    assert!(
        published.changes.iter().any(|c| c.site_id == first_site.id),
        "un avis pour le site"
    );
    let ics_v2 = site.get(&feed, "").await;
    assert_ne!(ics_v2.body, ics.body, "le flux suit la version 2");
}

/// The value of the hidden `name` of the form posting to `action`.
fn hidden_in_form(html: &str, action: &str, name: &str) -> String {
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("pas de formulaire {action}"));
    hidden(&html[start..], name)
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, x)| (k.as_str(), x.as_str())).collect()
}

async fn a_mairie_asks_for_a_home_visit_that_the_coordinator_slots_in(site: Site) {
    seed_tours(&site).await;
    let today = maillage_web::hours::now_paris().date();
    maillage_directory::tours::publish(site.state.store.as_ref(), "test", today)
        .await
        .expect("publication");
    site.state.reload().await.expect("rechargement");
    let mairie = site.person("mairie@test.fr", Role::Agent, Some("82")).await;
    let coord = site
        .person("coord82@test.fr", Role::Coordinateur, Some("82"))
        .await;
    let coord46 = site
        .person("coord46@test.fr", Role::Coordinateur, Some("46"))
        .await;
    let editor = site.person("editeur@test.fr", Role::Editeur, None).await;
    assert_eq!(
        site.get("/espace/visites", &editor).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        site.get("/espace/visites", "").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        site.get("/coordination/visites", &mairie).await.status,
        StatusCode::FORBIDDEN
    );

    let form = site.get("/espace/visites", &mairie).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let commune = hidden_option(&form.body, "commune");
    let token = hidden(&form.body, "jeton");
    let fields = |token: &str, nom: &str| {
        vec![
            ("jeton".to_string(), token.to_string()),
            ("partenaire".into(), "mairie".into()),
            ("structure".into(), "Mairie <b>test</b>".into()),
            ("commune".into(), commune.clone()),
            ("nom".into(), nom.to_string()),
            ("telephone".into(), "05 63 00 00 00".into()),
            ("adresse".into(), "2 rue de l'Église".into()),
            ("motif".into(), "age".into()),
            ("besoin".into(), "déclaration de revenus".into()),
        ]
    };
    // Without a name: refused, nothing stored.
    let a = site
        .post("/espace/visites", &mairie, &pairs(&fields(&token, "")))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(site
        .state
        .store
        .home_visits()
        .await
        .expect("visites")
        .is_empty());
    let token = hidden(&a.body, "jeton");
    let a = site
        .post("/espace/visites", &mairie, &pairs(&fields(&token, "M. D.")))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        a.body.contains("Demande enregistrée") && a.body.contains("demandée"),
        "{}",
        a.body
    );
    let visit = maillage_directory::visits::all(site.state.store.as_ref())
        .await
        .expect("visites")
        .remove(0);

    let list = site.get("/coordination/visites", &coord).await;
    assert!(
        list.body.contains("Mairie &#60;b&#62;test&#60;/b&#62;"),
        "échappé : {}",
        list.body
    );
    let uri = format!("/coordination/visites/{}", visit.id);
    assert_eq!(site.get(&uri, &coord46).await.status, StatusCode::NOT_FOUND);
    let page = site.get(&uri, &coord).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Planifier la visite"),
        "des créneaux sont proposés : {}",
        page.body
    );
    let token = hidden(&page.body, "jeton");
    let a = site
        .post(&uri, &coord, &[("jeton", &token), ("choix", "1")])
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("Visite planifiée"), "{}", a.body);
    let scheduled = maillage_directory::visits::all(site.state.store.as_ref())
        .await
        .expect("visites")
        .remove(0);
    let slot = scheduled.slot.expect("créneau");
    assert!(slot.date >= today);
    // The mairie sees the status.
    let mine = site.get("/espace/visites", &mairie).await;
    assert!(
        mine.body.contains("planifiée")
            && mine
                .body
                .contains(&slot.date.format("%d/%m/%Y").to_string()),
        "{}",
        mine.body
    );
}

/// The value of the first option of the select called `name`.
fn hidden_option(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("pas de liste {name}"));
    let rest = &html[start..];
    let v = rest.find("<option value=\"").expect("option") + "<option value=\"".len();
    rest[v..v + rest[v..].find('"').expect("fin")].to_string()
}
