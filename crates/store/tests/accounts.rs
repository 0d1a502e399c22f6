//! The accounts tables (see `maillage_store::accounts`), run on SQLite and PostgreSQL alike:
//! one-time tokens used once and expiring, sessions, the outbox claimed once, moderation
//! decided once, history, audit, freshness and account deletion.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use maillage_store::accounts::{
    AccountStore, Freshness, HistoryEntry, NewAccount, NewChange, Role, SigninToken,
    CHANGE_APPROVED, CHANGE_PENDING, CHANGE_REJECTED, TOKEN_SIGNIN,
};
use maillage_store::{Store, StoreError};
use std::sync::Arc;

use maillage_store::check_both;

fn acc(store: &Arc<dyn Store>) -> &dyn AccountStore {
    store.accounts().expect("ce stockage garde les comptes")
}

fn editor(email: &str, places: &[&str]) -> NewAccount {
    NewAccount {
        email: email.into(),
        role: Role::Editeur,
        territory: None,
        places: places.iter().map(|p| p.to_string()).collect(),
    }
}

/// Sign-in tokens of an account: (hash, expiry) each.
async fn add_tokens(a: &dyn AccountStore, account_id: i64, tokens: &[(&str, DateTime<Utc>)]) {
    for (hash, expires) in tokens {
        a.add_token(&SigninToken {
            token_hash: hash.to_string(),
            account_id,
            purpose: TOKEN_SIGNIN.into(),
            place_id: None,
            expires_at: *expires,
        })
        .await
        .expect("jeton");
    }
}

check_both!(accounts_are_unique_per_address);
async fn accounts_are_unique_per_address(store: Arc<dyn Store>) {
    let a = acc(&store);
    let created = a
        .create_account(&editor(" Marie@Exemple.FR ", &["lieu-1", "lieu-2"]))
        .await
        .expect("compte");
    assert_eq!(created.email, "marie@exemple.fr");
    assert_eq!(created.places, vec!["lieu-1", "lieu-2"]);
    assert_eq!(created.role, Role::Editeur);
    let again = a.create_account(&editor("marie@exemple.fr", &[])).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let found = a
        .account_by_email("MARIE@exemple.fr")
        .await
        .expect("lecture")
        .expect("trouvé");
    assert_eq!(found.id, created.id);
    a.add_account_place(created.id, "lieu-3")
        .await
        .expect("ajout");
    a.add_account_place(created.id, "lieu-3")
        .await
        .expect("ajout répété");
    let editors = a.place_editors("lieu-3").await.expect("éditeurs");
    assert_eq!(editors.len(), 1);
    assert_eq!(editors[0].places, vec!["lieu-1", "lieu-2", "lieu-3"]);
    assert!(a.place_editors("lieu-9").await.expect("aucun").is_empty());
}

check_both!(tokens_are_single_use_and_expire);
async fn tokens_are_single_use_and_expire(store: Arc<dyn Store>) {
    let a = acc(&store);
    let account = a
        .create_account(&editor("a@b.fr", &[]))
        .await
        .expect("compte");
    let now = Utc::now();
    add_tokens(
        a,
        account.id,
        &[
            ("h1", now + Duration::minutes(15)),
            ("h2", now - Duration::seconds(1)),
        ],
    )
    .await;
    let used = a
        .use_token("h1", now)
        .await
        .expect("usage")
        .expect("valable");
    assert_eq!(used.account_id, account.id);
    assert_eq!(used.purpose, TOKEN_SIGNIN);
    assert!(a
        .use_token("h1", now)
        .await
        .expect("second usage")
        .is_none());
    assert!(a.use_token("h2", now).await.expect("expiré").is_none());
    assert!(a
        .use_token("inconnu", now)
        .await
        .expect("inconnu")
        .is_none());
}

check_both!(sessions_expire_and_follow_the_account);
async fn sessions_expire_and_follow_the_account(store: Arc<dyn Store>) {
    let a = acc(&store);
    let account = a
        .create_account(&editor("s@b.fr", &["lieu-1"]))
        .await
        .expect("compte");
    let now = Utc::now();
    a.create_session("s1", account.id, now + Duration::hours(8))
        .await
        .expect("session");
    a.create_session("s2", account.id, now - Duration::seconds(1))
        .await
        .expect("session");
    assert_eq!(
        a.session_account("s1", now)
            .await
            .expect("lecture")
            .map(|x| x.id),
        Some(account.id)
    );
    assert!(a
        .session_account("s2", now)
        .await
        .expect("expirée")
        .is_none());
    a.set_disabled(account.id, true)
        .await
        .expect("désactivation");
    assert!(a
        .session_account("s1", now)
        .await
        .expect("désactivé")
        .is_none());
    a.set_disabled(account.id, false)
        .await
        .expect("réactivation");
    a.delete_session("s1").await.expect("déconnexion");
    assert!(a
        .session_account("s1", now)
        .await
        .expect("supprimée")
        .is_none());
}

check_both!(outbox_message_is_claimed_once);
async fn outbox_message_is_claimed_once(store: Arc<dyn Store>) {
    let a = acc(&store);
    let id = a
        .enqueue_email("x@y.fr", "Objet", "Texte <b>")
        .await
        .expect("file");
    let now = Utc::now() + Duration::seconds(1);
    let lease = now + Duration::minutes(5);
    let claimed = a
        .claim_email(now, lease)
        .await
        .expect("prise")
        .expect("due");
    assert_eq!(claimed.id, id);
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.body, "Texte <b>");
    // Claimed: nobody else takes it while the lease runs.
    assert!(a.claim_email(now, lease).await.expect("prise").is_none());
    a.mark_email_failed(id, now, "serveur injoignable")
        .await
        .expect("échec");
    let retried = a
        .claim_email(now, lease)
        .await
        .expect("reprise")
        .expect("due");
    assert_eq!(retried.attempts, 2);
    a.mark_email_sent(id, now).await.expect("envoyé");
    assert!(a
        .claim_email(lease + Duration::hours(1), lease)
        .await
        .expect("prise")
        .is_none());
    let all = a.outbox().await.expect("boîte");
    assert_eq!(all.len(), 1);
    assert!(all[0].sent_at.is_some());
    assert_eq!(all[0].last_error, None);
}

check_both!(a_change_is_decided_once);
async fn a_change_is_decided_once(store: Arc<dyn Store>) {
    let a = acc(&store);
    let author = a
        .create_account(&editor("e@b.fr", &["lieu-1"]))
        .await
        .expect("compte");
    let moderator = a
        .create_account(&NewAccount {
            email: "c@b.fr".into(),
            role: Role::Coordinateur,
            territory: Some("82".into()),
            places: vec![],
        })
        .await
        .expect("compte");
    let new = |n: &str| NewChange {
        place_id: "lieu-1".into(),
        author_id: Some(author.id),
        before_json: "{}".into(),
        after_json: format!("{{\"nom\":\"{n}\"}}"),
        changed_fields: vec!["nom".into(), "horaires".into()],
        applied: false,
    };
    let c1 = a.add_change(&new("A")).await.expect("changement");
    let c2 = a.add_change(&new("B")).await.expect("changement");
    assert_eq!(
        a.changes(Some(CHANGE_PENDING)).await.expect("file").len(),
        2
    );
    let now = Utc::now();
    assert!(a
        .decide_change(c1, CHANGE_APPROVED, moderator.id, "", now)
        .await
        .expect("ok"));
    assert!(!a
        .decide_change(c1, CHANGE_REJECTED, moderator.id, "non", now)
        .await
        .expect("déjà"));
    assert!(a
        .decide_change(c2, CHANGE_REJECTED, moderator.id, "<script>", now)
        .await
        .expect("ok"));
    let one = a.change(c1).await.expect("lecture").expect("existe");
    assert_eq!(one.status, CHANGE_APPROVED);
    assert_eq!(one.changed_fields, vec!["nom", "horaires"]);
    assert_eq!(one.moderator_id, Some(moderator.id));
    let two = a.change(c2).await.expect("lecture").expect("existe");
    assert_eq!(two.message, "<script>");
    assert!(a
        .changes(Some(CHANGE_PENDING))
        .await
        .expect("file")
        .is_empty());
    assert_eq!(a.changes(None).await.expect("tout").len(), 2);

    // Deleting the author keeps the change, without its author.
    a.audit(Some(author.id), "connexion", "lien")
        .await
        .expect("audit");
    a.delete_account(author.id).await.expect("suppression");
    assert!(a.account(author.id).await.expect("lecture").is_none());
    assert_eq!(
        a.change(c1)
            .await
            .expect("lecture")
            .expect("gardé")
            .author_id,
        None
    );
    let log = a.audit_log(None, 10).await.expect("journal");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].account_id, None);
}

check_both!(history_audit_freshness_and_moderation_mode);
async fn history_audit_freshness_and_moderation_mode(store: Arc<dyn Store>) {
    let a = acc(&store);
    let at = Utc::now();
    for (i, why) in ["première", "seconde"].iter().enumerate() {
        a.add_history(&HistoryEntry {
            id: 0,
            place_id: "lieu-1".into(),
            account_id: None,
            at: at + Duration::seconds(i as i64),
            why: why.to_string(),
            source: "saisie".into(),
            before_json: "{}".into(),
            after_json: "{}".into(),
            changed_fields: vec!["horaires".into()],
        })
        .await
        .expect("historique");
    }
    let h = a.history("lieu-1").await.expect("historique");
    assert_eq!(
        h.iter().map(|e| e.why.as_str()).collect::<Vec<_>>(),
        ["seconde", "première"]
    );
    assert_eq!(
        a.history_entry(h[1].id)
            .await
            .expect("ligne")
            .map(|e| e.why),
        Some("première".into())
    );

    let f = a.freshness("lieu-1").await.expect("fraîcheur");
    assert_eq!(f.interval_months, 6);
    assert_eq!(f.last_confirmed, None);
    let confirmed = Freshness {
        last_confirmed: NaiveDate::from_ymd_opt(2026, 5, 1),
        interval_months: 3,
        ..f
    };
    a.set_freshness(&confirmed).await.expect("écriture");
    a.set_freshness(&confirmed).await.expect("réécriture");
    assert_eq!(a.freshness("lieu-1").await.expect("relecture"), confirmed);
    assert_eq!(a.freshness_all().await.expect("toutes").len(), 1);

    assert!(!a.post_moderation("82").await.expect("défaut"));
    a.set_post_moderation("82", true).await.expect("réglage");
    assert!(a.post_moderation("82").await.expect("relecture"));
    assert!(!a.post_moderation("46").await.expect("autre"));
}

check_both!(purge_deletes_only_what_is_no_longer_needed);
async fn purge_deletes_only_what_is_no_longer_needed(store: Arc<dyn Store>) {
    use maillage_store::accounts::{PurgeCounts, PurgePolicy};
    let a = acc(&store);
    let account = a
        .create_account(&editor("a@b.fr", &[]))
        .await
        .expect("compte");
    let now = Utc::now();
    // Tokens: one used, one expired, one still valid.
    add_tokens(
        a,
        account.id,
        &[
            ("used", now + Duration::minutes(15)),
            ("expired", now - Duration::seconds(1)),
            ("live", now + Duration::minutes(15)),
        ],
    )
    .await;
    a.use_token("used", now)
        .await
        .expect("usage")
        .expect("valable");
    // Sessions: one expired, one open.
    a.create_session("old", account.id, now - Duration::minutes(1))
        .await
        .expect("session");
    a.create_session("open", account.id, now + Duration::hours(12))
        .await
        .expect("session");
    // Emails: sent 40 days ago, sent today, not sent yet.
    let old = a
        .enqueue_email("a@b.fr", "ancien", "x")
        .await
        .expect("file");
    let recent = a
        .enqueue_email("a@b.fr", "récent", "x")
        .await
        .expect("file");
    a.enqueue_email("a@b.fr", "à envoyer", "x")
        .await
        .expect("file");
    a.mark_email_sent(old, now - Duration::days(40))
        .await
        .expect("envoyé");
    a.mark_email_sent(recent, now).await.expect("envoyé");
    // A report waiting for moderation is never deleted, however old.
    store
        .add_report(&maillage_store::NewPlaceReport {
            place_id: "lieu-1".into(),
            message: "fermé le lundi".into(),
            contact: "a@b.fr".into(),
        })
        .await
        .expect("signalement");

    let policy = PurgePolicy::default();
    let done = a.purge(now, &policy).await.expect("purge");
    assert_eq!(
        done,
        PurgeCounts {
            tokens: 2,
            sessions: 1,
            emails: 1,
            reports: 0
        }
    );
    // Twice: nothing more.
    assert_eq!(
        a.purge(now, &policy).await.expect("purge"),
        PurgeCounts::default()
    );
    assert!(a.use_token("live", now).await.expect("usage").is_some());
    assert!(a
        .session_account("open", now)
        .await
        .expect("session")
        .is_some());
    let left: Vec<String> = a
        .outbox()
        .await
        .expect("boîte")
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(left, vec!["récent", "à envoyer"]);
    // Far later: the session and the last sent email go; the pending report and the unsent
    // email stay.
    let later = now + Duration::days(1000);
    let done = a.purge(later, &policy).await.expect("purge");
    assert_eq!((done.sessions, done.emails, done.reports), (1, 1, 0));
    assert_eq!(store.reports(true).await.expect("signalements").len(), 1);
    assert_eq!(a.outbox().await.expect("boîte").len(), 1);
}
