//! The monthly digest of the listings due for confirmation, on both stores: queued once per
//! editor and month (a second run, or a second server, queues nothing), again the next month
//! while a listing stays due, never for an editor with nothing due or a disabled account, and
//! its links built from the public address.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use maillage_directory::freshness::{send_monthly_digest, DigestRun};
use maillage_directory::import;
use maillage_model::CommuneLookup;
use maillage_standard::read::Format;
use maillage_store::accounts::{NewAccount, Role};
use maillage_store::{PlaceFilter, Store};
use maillage_territory::Referential;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn run(queued: u32, already_sent: u32, nothing_due: u32) -> DigestRun {
    DigestRun {
        queued,
        already_sent,
        nothing_due,
    }
}

async fn check_digest(store: &dyn Store) {
    let referential = Referential::load_dir(&data().join("referentiel")).expect("referential");
    let read = import::read_file(
        &data().join("lieux/liste-fs-20240801-82.csv"),
        &Format::FranceServices,
        None,
        Some(&referential as &dyn CommuneLookup),
    )
    .expect("readable");
    import::import(store, vec![read]).await.expect("import");
    let places = store.places(&PlaceFilter::default()).await.expect("places");
    let (due, fresh, other) = (&places[0].place, &places[1].place, &places[2].place);
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    let accounts = store.accounts().expect("accounts");
    let mut ids = Vec::new();
    for (email, place) in [
        ("due@exemple.fr", due),
        ("fresh@exemple.fr", fresh),
        ("disabled@exemple.fr", other),
    ] {
        let a = accounts
            .create_account(&NewAccount {
                email: email.into(),
                role: Role::Editeur,
                territory: None,
                places: vec![place.id.clone()],
            })
            .await
            .expect("account");
        ids.push(a.id);
    }
    accounts.set_disabled(ids[2], true).await.expect("disable");
    // Confirmed today: not due. The other one was confirmed 18 months ago: due, and older
    // than a year.
    for (place, date) in [
        (fresh, today),
        (due, NaiveDate::from_ymd_opt(2025, 6, 1).expect("date")),
    ] {
        let mut f = accounts.freshness(&place.id).await.expect("freshness");
        f.last_confirmed = Some(date);
        accounts.set_freshness(&f).await.expect("confirm");
    }

    let base = "https://annuaire.exemple.fr";
    let first = send_monthly_digest(store, base, today)
        .await
        .expect("digest");
    assert_eq!(first, run(1, 0, 1));
    let outbox = accounts.outbox().await.expect("outbox");
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0].to, "due@exemple.fr");
    assert!(outbox[0].body.contains(&due.nom), "{}", outbox[0].body);
    assert!(outbox[0]
        .body
        .contains(&format!("{base}/espace/lieux/{}/modifier", due.id)));
    assert!(
        outbox[0].body.contains("plus de 12 mois"),
        "{}",
        outbox[0].body
    );
    assert!(!outbox[0].body.contains(&fresh.nom));

    // The same month again (a second run, another server): nothing more.
    let later = today + chrono::Duration::days(20);
    let again = send_monthly_digest(store, base, later)
        .await
        .expect("digest");
    assert_eq!(again, run(0, 1, 1));
    assert_eq!(accounts.outbox().await.expect("outbox").len(), 1);

    // Next month, still due: one new digest. Once confirmed, none.
    let next = NaiveDate::from_ymd_opt(2027, 1, 3).expect("date");
    assert_eq!(
        send_monthly_digest(store, base, next)
            .await
            .expect("digest"),
        run(1, 0, 1)
    );
    let mut f = accounts.freshness(&due.id).await.expect("freshness");
    f.last_confirmed = Some(next);
    accounts.set_freshness(&f).await.expect("confirm");
    let after = NaiveDate::from_ymd_opt(2027, 2, 3).expect("date");
    assert_eq!(
        send_monthly_digest(store, base, after)
            .await
            .expect("digest"),
        run(0, 0, 2)
    );
    assert_eq!(accounts.outbox().await.expect("outbox").len(), 2);
}

#[tokio::test]
async fn digest_once_per_month_sqlite() {
    let store = maillage_store::open("sqlite::memory:")
        .await
        .expect("sqlite");
    check_digest(store.as_ref()).await;
}

#[tokio::test]
async fn digest_once_per_month_postgres() {
    let Some(pg) = maillage_store::testing::postgres_or_skip().await else {
        return;
    };
    let store = maillage_store::open(&pg.url).await.expect("postgres");
    check_digest(store.as_ref()).await;
}
