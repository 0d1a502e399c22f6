//! The booking's use cases on a real store (SQLite file and PostgreSQL): booking queues the
//! confirmation with its links, the 48-hour reminder job sends each reminder exactly once
//! (run twice, then again on a reopened store, as after a restart), a phone-only booking is
//! reminded by SMS, and the purge erases names and contacts after the delay while the counts
//! remain.

use chrono::{NaiveDate, NaiveDateTime};
use maillage_directory::appointments::{self, BookResult, Contact, ReminderRound};
use maillage_notify::sms::LogSms;
use maillage_store::{Slot, SlotSource, Store};

fn at(day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, day)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .expect("date")
}

fn slot(id: &str, day: u32, hour: u32) -> Slot {
    Slot {
        id: id.into(),
        place_id: "lieu-test".into(),
        start: at(day, hour),
        end: at(day, hour + 1),
        capacity: 5,
        source: SlotSource::OpeningHours,
    }
}

fn contact(name: &str, email: Option<&str>, phone: Option<&str>) -> Contact {
    appointments::check_contact(Some(name), phone, email).expect("valid contact")
}

async fn booked(store: &dyn Store, sms: &LogSms, slot_id: &str, c: &Contact) -> String {
    match appointments::book(
        store,
        sms,
        slot_id,
        c,
        at(1, 8),
        "https://rdv.exemple.fr/",
        None,
    )
    .await
    .expect("book")
    {
        BookResult::Booked { token, .. } => token,
        other => panic!("not booked: {other:?}"),
    }
}

/// Runs the whole scenario on the store at `url`, reopening it once.
async fn scenario(url: &str) {
    let store = maillage_store::open(url).await.expect("store");
    let sms = LogSms::default();
    store
        .save_slots(&[slot("proche", 3, 9), slot("loin", 20, 9)])
        .await
        .expect("slots");
    let ada = booked(
        store.as_ref(),
        &sms,
        "proche",
        &contact("Ada Lovelace", Some("ada@exemple.fr"), None),
    )
    .await;
    let _bob = booked(
        store.as_ref(),
        &sms,
        "proche",
        &contact("Bob", None, Some("06 12 34 56 78")),
    )
    .await;
    let _later = booked(
        store.as_ref(),
        &sms,
        "loin",
        &contact("Chloé", Some("chloe@exemple.fr"), None),
    )
    .await;

    // The confirmation: one email for each address, with the page and the calendar links;
    // an SMS for the phone-only booking.
    let outbox = store
        .accounts()
        .expect("outbox")
        .outbox()
        .await
        .expect("outbox");
    assert_eq!(outbox.len(), 2);
    let first = &outbox[0];
    assert_eq!(first.to, "ada@exemple.fr");
    assert!(
        first.subject.contains("jeudi 3 décembre 2026 à 9 h"),
        "{}",
        first.subject
    );
    assert!(
        first.body.contains(&format!(
            "https://rdv.exemple.fr/reservation/{ada}/rendez-vous.ics"
        )),
        "{}",
        first.body
    );
    assert!(first
        .body
        .contains(&format!("https://rdv.exemple.fr/reservation/{ada}\n")));
    assert!(
        first.body.contains("jusqu'au jeudi 3 décembre 2026 à 5 h"),
        "{}",
        first.body
    );
    assert_eq!(sms.sent().len(), 1);
    assert!(sms.sent()[0].1.contains("/reservation/"));

    // Too early: 4 days before, nothing is due.
    let early = appointments::send_reminders(store.as_ref(), &sms, at(1, 8))
        .await
        .expect("job");
    assert_eq!(early, ReminderRound::default());

    // 47 hours before: Ada by email, Bob by SMS; Chloé's appointment is weeks away.
    let now = at(1, 10);
    let round = appointments::send_reminders(store.as_ref(), &sms, now)
        .await
        .expect("job");
    assert_eq!(round, ReminderRound { emails: 1, sms: 1 });
    let again = appointments::send_reminders(store.as_ref(), &sms, now)
        .await
        .expect("job");
    assert_eq!(
        again,
        ReminderRound::default(),
        "running the job twice sends nothing more"
    );
    drop(store);

    // A restart: a new process opens the same database and runs the job.
    let store = maillage_store::open(url).await.expect("reopened store");
    let after = appointments::send_reminders(store.as_ref(), &sms, at(1, 11))
        .await
        .expect("job");
    assert_eq!(
        after,
        ReminderRound::default(),
        "nothing is sent twice across a restart"
    );
    let outbox = store
        .accounts()
        .expect("outbox")
        .outbox()
        .await
        .expect("outbox");
    let reminders: Vec<_> = outbox
        .iter()
        .filter(|m| m.subject.starts_with("Rappel"))
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].to, "ada@exemple.fr");
    assert!(reminders[0].body.contains("jeudi 3 décembre 2026 à 9 h"));
    let texts = sms.sent();
    assert_eq!(texts.len(), 2, "confirmation and reminder, once each");
    assert!(texts[1].1.starts_with("Rappel"), "{texts:?}");

    // The purge: a month after the appointment the names and contacts are gone; the rows
    // (and so the counts) stay. Chloé's appointment is not past: kept.
    let purged = appointments::purge(store.as_ref(), at(3, 12) + chrono::Duration::days(31))
        .await
        .expect("purge");
    assert_eq!(purged, 2);
    let rows = store.bookings_of_slot("proche").await.expect("rows");
    assert_eq!(rows.len(), 2, "the counts remain");
    assert!(rows
        .iter()
        .all(|r| r.purged && r.name.is_empty() && r.phone.is_none() && r.email.is_none()));
    let kept = store.bookings_of_slot("loin").await.expect("rows");
    assert_eq!(kept[0].name, "Chloé");
    // Not before the delay: a purge 29 days after erases nothing more.
    assert_eq!(
        appointments::purge(store.as_ref(), at(20, 10) + chrono::Duration::days(29))
            .await
            .expect("purge"),
        0
    );
}

#[tokio::test]
async fn booking_confirms_reminds_once_and_purges_on_sqlite() {
    let dir = tempfile::tempdir().expect("dossier temporaire");
    let url = format!("sqlite:{}", dir.path().join("rdv.sqlite").display());
    scenario(&url).await;
}

#[tokio::test]
async fn booking_confirms_reminds_once_and_purges_on_postgres() {
    let Some(pg) = maillage_store::testing::postgres_or_skip().await else {
        return;
    };
    scenario(&pg.url).await;
}
