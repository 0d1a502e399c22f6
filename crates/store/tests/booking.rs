//! Booking on both backends: capacity is enforced by the database under real concurrency
//! (100 requests at once for 3 places), cancellation respects its limit, and the purge
//! removes the personal data of past appointments and nothing else.
//!
//! SQLite runs on a file (not in memory, which has one connection): the pool's connections
//! then really compete for the write lock.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use maillage_store::{
    BookingOutcome, CancelOutcome, NewBooking, Slot, SlotQuery, SlotSource, Store,
};

use maillage_store::check_both;

fn at(day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, day)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .expect("date")
}

fn slot(id: &str, day: u32, hour: u32, capacity: u32) -> Slot {
    Slot {
        id: id.into(),
        place_id: "lieu-test".into(),
        start: at(day, hour),
        end: at(day, hour + 1),
        capacity,
        source: SlotSource::OpeningHours,
    }
}

fn booking(slot_id: &str, n: usize) -> NewBooking {
    NewBooking {
        slot_id: slot_id.into(),
        name: format!("Personne {n}"),
        phone: Some(format!("06 00 00 00 {n:02}")),
        email: None,
        token_hash: format!("{slot_id}-{n:04}"),
        not_before: at(1, 8),
        created_at: at(1, 8),
    }
}

check_both!(hundred_concurrent_bookings_fill_exactly_three_places, file);
async fn hundred_concurrent_bookings_fill_exactly_three_places(store: Arc<dyn Store>) {
    store
        .save_slots(&[slot("c1", 10, 9, 3)])
        .await
        .expect("slots");
    let tasks: Vec<_> = (0..100)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.book(&booking("c1", n)).await })
        })
        .collect();
    let mut booked = 0;
    let mut full = 0;
    for t in tasks {
        match t.await.expect("task").expect("no database error") {
            BookingOutcome::Booked => booked += 1,
            BookingOutcome::Full => full += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((booked, full), (3, 97));
    let rows = store.bookings_of_slot("c1").await.expect("rows");
    assert_eq!(rows.len(), 3, "exactly the three bookings are stored");
    let listed = store.slot("c1").await.expect("slot").expect("exists");
    assert_eq!(listed.remaining, 0);
}

check_both!(slots_are_upserted_listed_and_bookable_only_ahead, file);
async fn slots_are_upserted_listed_and_bookable_only_ahead(store: Arc<dyn Store>) {
    let slots = [
        slot("a", 10, 9, 2),
        slot("b", 10, 10, 1),
        slot("c", 12, 9, 1),
    ];
    store.save_slots(&slots).await.expect("slots");
    store.save_slots(&slots).await.expect("same slots again");
    let q = SlotQuery {
        place_id: Some("lieu-test".into()),
        from: at(10, 0),
        to: at(11, 0),
    };
    let listed = store.slots(&q).await.expect("list");
    let ids: Vec<_> = listed.iter().map(|s| s.slot.id.as_str()).collect();
    assert_eq!(
        ids,
        ["a", "b"],
        "saved twice, listed once, in the range only"
    );
    let other = SlotQuery {
        place_id: Some("lieu-autre".into()),
        ..q.clone()
    };
    assert!(store.slots(&other).await.expect("list").is_empty());

    assert_eq!(
        store.book(&booking("a", 1)).await.expect("book"),
        BookingOutcome::Booked
    );
    let a = store.slot("a").await.expect("slot").expect("a");
    assert_eq!((a.slot.capacity, a.remaining), (2, 1));
    assert_eq!(
        store.book(&booking("inconnu", 1)).await.expect("book"),
        BookingOutcome::NoSuchSlot
    );
    let late = NewBooking {
        not_before: at(10, 9) + chrono::Duration::minutes(1),
        ..booking("a", 2)
    };
    assert_eq!(
        store.book(&late).await.expect("book"),
        BookingOutcome::TooLate
    );
}

check_both!(cancelling_frees_the_place_until_the_limit, file);
async fn cancelling_frees_the_place_until_the_limit(store: Arc<dyn Store>) {
    store
        .save_slots(&[slot("s", 10, 9, 1)])
        .await
        .expect("slots");
    assert_eq!(
        store.book(&booking("s", 1)).await.expect("book"),
        BookingOutcome::Booked
    );
    assert_eq!(
        store.book(&booking("s", 2)).await.expect("book"),
        BookingOutcome::Full
    );
    // Four hours before 9:00 is 5:00: a limit past the start refuses.
    assert_eq!(
        store
            .cancel_booking("s-0001", at(10, 10), at(10, 6))
            .await
            .expect("cancel"),
        CancelOutcome::TooLate
    );
    assert_eq!(
        store
            .cancel_booking("s-0001", at(10, 5), at(10, 1))
            .await
            .expect("cancel"),
        CancelOutcome::Cancelled
    );
    assert_eq!(
        store
            .cancel_booking("s-0001", at(10, 5), at(10, 1))
            .await
            .expect("cancel"),
        CancelOutcome::AlreadyCancelled
    );
    assert_eq!(
        store
            .cancel_booking("nul", at(10, 5), at(10, 1))
            .await
            .expect("cancel"),
        CancelOutcome::NotFound
    );
    assert_eq!(
        store.book(&booking("s", 3)).await.expect("book"),
        BookingOutcome::Booked,
        "the cancelled place is free again"
    );
}

check_both!(purge_blanks_personal_data_of_past_appointments_only, file);
async fn purge_blanks_personal_data_of_past_appointments_only(store: Arc<dyn Store>) {
    store
        .save_slots(&[slot("past", 2, 9, 2), slot("future", 20, 9, 2)])
        .await
        .expect("slots");
    for (s, n) in [("past", 1), ("past", 2), ("future", 3)] {
        store.book(&booking(s, n)).await.expect("book");
    }
    let purged = store
        .purge_bookings(at(3, 0), at(3, 0))
        .await
        .expect("purge");
    assert_eq!(purged, 2);
    for row in store.bookings_of_slot("past").await.expect("rows") {
        assert!(row.purged);
        assert_eq!(
            (row.name.as_str(), &row.phone, &row.email),
            ("", &None, &None)
        );
        assert_eq!(row.status, "confirmee", "the row stays for the counts");
    }
    let future = store.bookings_of_slot("future").await.expect("rows");
    assert_eq!(future[0].name, "Personne 3");
    assert!(!future[0].purged);
    assert_eq!(
        store
            .purge_bookings(at(3, 0), at(3, 0))
            .await
            .expect("purge"),
        0,
        "purging twice changes nothing"
    );
}

check_both!(a_reminder_is_claimed_once_and_queued_with_its_mark);
async fn a_reminder_is_claimed_once_and_queued_with_its_mark(store: Arc<dyn Store>) {
    use maillage_store::QueuedEmail;
    store
        .save_slots(&[slot("r", 3, 9, 3), slot("later", 20, 9, 3)])
        .await
        .expect("slots");
    for (s, n) in [("r", 1), ("r", 2), ("later", 3)] {
        assert_eq!(
            store.book(&booking(s, n)).await.expect("book"),
            BookingOutcome::Booked
        );
    }
    store
        .cancel_booking("r-0002", at(1, 9), at(1, 9))
        .await
        .expect("cancel");
    // On the 1st at 10:00, 48 hours ahead reaches the 3rd at 10:00: "r" is due, "later" not,
    // and the cancelled booking never is.
    let due = store
        .due_reminders(at(1, 10), at(3, 10))
        .await
        .expect("due");
    let keys: Vec<_> = due.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(keys, ["r-0001"]);
    assert_eq!(due[0].slot.start, at(3, 9));
    assert_eq!(due[0].booking.name, "Personne 1");
    let mail = QueuedEmail {
        to: "personne@exemple.fr".into(),
        subject: "Rappel".into(),
        body: "Rappel".into(),
    };
    let before = store
        .accounts()
        .expect("outbox")
        .outbox()
        .await
        .expect("outbox")
        .len();
    assert!(store
        .mark_reminded("r-0001", at(1, 10), Some(&mail))
        .await
        .expect("mark"));
    assert!(
        !store
            .mark_reminded("r-0001", at(1, 11), Some(&mail))
            .await
            .expect("mark"),
        "a second claim finds it reminded"
    );
    assert!(
        !store
            .mark_reminded("r-0002", at(1, 11), Some(&mail))
            .await
            .expect("mark"),
        "a cancelled booking is not reminded"
    );
    let outbox = store
        .accounts()
        .expect("outbox")
        .outbox()
        .await
        .expect("outbox");
    assert_eq!(
        outbox.len(),
        before + 1,
        "one email queued, with the first claim only"
    );
    assert!(store
        .due_reminders(at(1, 12), at(3, 12))
        .await
        .expect("due")
        .is_empty());
    let b = store
        .booked_slot("r-0001")
        .await
        .expect("read")
        .expect("booking");
    assert_eq!(b.reminded_at, Some(at(1, 10)));
}

check_both!(the_agenda_lists_bookings_of_the_agents_places_and_notes_attendance);
async fn the_agenda_lists_bookings_of_the_agents_places_and_notes_attendance(
    store: Arc<dyn Store>,
) {
    use maillage_store::Attendance;
    let mut elsewhere = slot("autre", 10, 11, 1);
    elsewhere.place_id = "lieu-autre".into();
    store
        .save_slots(&[slot("m", 10, 9, 2), slot("n", 10, 10, 2), elsewhere])
        .await
        .expect("slots");
    for (s, n) in [("n", 1), ("m", 2), ("autre", 3)] {
        store.book(&booking(s, n)).await.expect("book");
    }
    store.set_booked_by("n-0001", 7).await.expect("by");
    let day = store
        .bookings_between(&["lieu-test".to_string()], at(10, 0), at(11, 0))
        .await
        .expect("agenda");
    let keys: Vec<_> = day.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(keys, ["m-0002", "n-0001"], "this place's, by start time");
    assert_eq!(day[1].booked_by, Some(7));
    assert!(store
        .bookings_between(&[], at(10, 0), at(11, 0))
        .await
        .expect("none")
        .is_empty());
    assert!(store
        .set_attendance("m-0002", Some(Attendance::NoShow))
        .await
        .expect("note"));
    assert!(!store
        .set_attendance("inconnu", Some(Attendance::Seen))
        .await
        .expect("note"));
    let m = store.booked_slot("m-0002").await.expect("read").expect("m");
    assert_eq!(m.attendance, Some(Attendance::NoShow));
    store.set_attendance("m-0002", None).await.expect("clear");
    let m = store.booked_slot("m-0002").await.expect("read").expect("m");
    assert_eq!(m.attendance, None);
}
