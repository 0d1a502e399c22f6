//! Slots cut from a place's opening hours (issue 15, booking): pure logic, no store, so the
//! CLI, the demo and the web publish the same slots. It lives in the directory crate because
//! publishing slots is one of the directory's use cases (it already reads the places and owns
//! the other "publish" paths), and it needs nothing more than the model's hours evaluator;
//! a crate of its own would add a manifest and a dependency edge for one function.
//!
//! The rules of the issue: a duration, a capacity, closures (days off beyond the public
//! holidays the hours already know), and a booking window from 30 minutes to 3 months ahead.
//! Ids are deterministic (`<place id>-<AAAAMMJJ>T<HHMM>`), so regenerating the slots every
//! day updates the same rows and never duplicates one a person has already booked.

use chrono::{Duration, Months, NaiveDate, NaiveDateTime, NaiveTime};
use maillage_store::{Slot, SlotSource};
use opening_hours::RuleKind;

/// How a place cuts its opening hours into slots.
#[derive(Debug, Clone)]
pub struct SlotRule {
    /// Length of one appointment, in minutes (at least 5).
    pub minutes: u32,
    /// People per slot.
    pub capacity: u32,
    /// Days the place takes no appointment (holidays of the staff, training days…).
    pub closures: Vec<NaiveDate>,
}

/// The earliest and latest start of a bookable slot at `now`: 30 minutes to 3 months ahead.
pub fn booking_window(now: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    let to = now
        .checked_add_months(Months::new(3))
        .unwrap_or(now + Duration::days(92));
    (now + Duration::minutes(30), to)
}

/// The deterministic id of the slot of `place_id` starting at `start`.
pub fn slot_id(place_id: &str, start: NaiveDateTime) -> String {
    format!("{place_id}-{}", start.format("%Y%m%dT%H%M"))
}

/// Every slot of the booking window at `now`, cut from `osm` (the place's `horaires`, OSM
/// syntax): each open interval of each day is cut into whole slots of the rule's duration
/// from its start; a remainder shorter than one slot is left out, and so are the closures and
/// the intervals whose state is unknown (« sur rendez-vous »). Hours that do not parse give
/// an error in words the operator can act on.
pub fn slots_from_hours(
    place_id: &str,
    osm: &str,
    rule: &SlotRule,
    now: NaiveDateTime,
) -> Result<Vec<Slot>, String> {
    if rule.minutes < 5 {
        return Err(format!(
            "durée de créneau trop courte : {} minutes (5 au moins)",
            rule.minutes
        ));
    }
    let hours = maillage_model::hours::parse(osm)
        .map_err(|e| format!("horaires illisibles « {osm} » : {e}"))?;
    let step = Duration::minutes(i64::from(rule.minutes));
    let (from, to) = booking_window(now);
    let mut slots = Vec::new();
    let mut day = from.date();
    while day <= to.date() {
        if !rule.closures.contains(&day) {
            for range in hours.schedule_at(day) {
                if range.kind != RuleKind::Open {
                    continue;
                }
                let (a, b) = (range.range.start, range.range.end);
                let time = |h: u8, m: u8| {
                    NaiveTime::from_hms_opt(u32::from(h), u32::from(m), 0).map(|t| day.and_time(t))
                };
                let Some(mut start) = time(a.hour(), a.minute()) else {
                    continue;
                };
                // An interval ending at or after midnight ends the day.
                let end = time(b.hour(), b.minute())
                    .unwrap_or_else(|| (day + Duration::days(1)).and_time(NaiveTime::MIN));
                while start + step <= end {
                    if start >= from && start < to {
                        slots.push(Slot {
                            id: slot_id(place_id, start),
                            place_id: place_id.to_string(),
                            start,
                            end: start + step,
                            capacity: rule.capacity,
                            source: SlotSource::OpeningHours,
                        });
                    }
                    start += step;
                }
            }
        }
        day += Duration::days(1);
    }
    Ok(slots)
}

/// What [`publish_france_services`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Places that got slots.
    pub places: u32,
    pub slots: u64,
    /// France Services whose hours are missing or unreadable (no slot for them).
    pub skipped: u32,
}

/// Publishes the slots of every France Services of the store from its opening hours, with
/// one rule: what the demo does so a visitor can try booking (and what a département can run
/// daily: ids are deterministic, so a booked slot is updated, never duplicated).
pub async fn publish_france_services(
    store: &dyn maillage_store::Store,
    rule: &SlotRule,
    now: NaiveDateTime,
) -> Result<Published, maillage_store::StoreError> {
    let places = store
        .places(&maillage_store::PlaceFilter::default())
        .await?;
    let mut done = Published::default();
    for stored in places {
        let p = &stored.place;
        let france_services = p
            .dispositif_programmes_nationaux
            .contains(&maillage_model::Dispositif::FranceServices);
        if !france_services {
            continue;
        }
        let Some(hours) = p.horaires.as_deref() else {
            done.skipped += 1;
            continue;
        };
        match slots_from_hours(&p.id, hours, rule, now) {
            Ok(slots) if !slots.is_empty() => {
                done.slots += store.save_slots(&slots).await?;
                done.places += 1;
            }
            Ok(_) | Err(_) => done.skipped += 1,
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .expect("date")
    }

    fn rule(minutes: u32) -> SlotRule {
        SlotRule {
            minutes,
            capacity: 2,
            closures: vec![],
        }
    }

    #[test]
    fn open_intervals_are_cut_into_whole_slots() {
        // Tuesday 1 December 2026, 8:00.
        let now = at(2026, 12, 1, 8, 0);
        let slots =
            slots_from_hours("lieu-a", "Tu 09:00-12:00,14:00-15:40", &rule(45), now).expect("ok");
        let first_day: Vec<_> = slots
            .iter()
            .take_while(|s| s.start.date() == now.date())
            .map(|s| s.start.format("%H:%M").to_string())
            .collect();
        // 9:00-12:00 gives four slots; 14:00-15:40 gives two (the last 10 minutes are left).
        assert_eq!(
            first_day,
            ["09:00", "09:45", "10:30", "11:15", "14:00", "14:45"]
        );
        assert_eq!(slots[0].id, "lieu-a-20261201T0900");
        assert_eq!(slots[0].end, at(2026, 12, 1, 9, 45));
        assert_eq!(slots[0].capacity, 2);
        // Tuesdays only, up to 3 months ahead: 1 December to 1 March (13 Tuesdays + 1 March).
        assert!(slots
            .iter()
            .all(|s| s.start.format("%a").to_string() == "Tue"));
        assert_eq!(
            slots.last().expect("last").start.date(),
            at(2027, 2, 23, 0, 0).date()
        );
    }

    #[test]
    fn the_window_opens_thirty_minutes_ahead_and_closures_and_holidays_are_skipped() {
        let now = at(2026, 12, 1, 8, 40);
        let mut r = rule(60);
        r.closures = vec![NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")];
        let slots = slots_from_hours("p", "Mo-Fr 09:00-11:00; PH off", &r, now).expect("ok");
        // 9:00 starts 20 minutes from now: too soon. 10:00 is the first bookable slot.
        assert_eq!(slots[0].start, at(2026, 12, 1, 10, 0));
        assert!(!slots
            .iter()
            .any(|s| s.start.date() == at(2026, 12, 2, 0, 0).date()));
        // Christmas day is a public holiday.
        assert!(!slots
            .iter()
            .any(|s| s.start.date() == at(2026, 12, 25, 0, 0).date()));
        assert!(slots
            .iter()
            .any(|s| s.start.date() == at(2026, 12, 24, 0, 0).date()));
    }

    #[test]
    fn regenerating_gives_the_same_ids() {
        let a = slots_from_hours("p", "Mo-Sa 09:00-12:00", &rule(30), at(2026, 12, 1, 7, 0))
            .expect("ok");
        let b = slots_from_hours("p", "Mo-Sa 09:00-12:00", &rule(30), at(2026, 12, 1, 7, 5))
            .expect("ok");
        assert_eq!(a, b);
        let mut ids: Vec<_> = a.iter().map(|s| &s.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), a.len(), "ids are unique");
    }

    #[test]
    fn bad_hours_and_rules_are_refused_in_words() {
        let now = at(2026, 12, 1, 7, 0);
        let e = slots_from_hours("p", "quand on peut", &rule(30), now).expect_err("refused");
        assert!(e.contains("horaires illisibles"), "{e}");
        let e = slots_from_hours("p", "Mo 09:00-12:00", &rule(1), now).expect_err("refused");
        assert!(e.contains("trop courte"), "{e}");
    }
}
