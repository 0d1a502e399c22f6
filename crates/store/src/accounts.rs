//! Accounts and what the living directory keeps about people and changes: roles, one-time
//! sign-in links, sessions shared by every app server, the email outbox, the moderation queue,
//! the change history (for revert), the audit log and each place's freshness.
//!
//! Why a trait of its own ([`AccountStore`], reached through [`crate::Store::accounts`]) rather
//! than twenty more methods on `Store`: the places store is shared by several helpers, and one
//! accessor keeps that shared file's change to one line. The SQL is in `accounts_imp.rs`,
//! included by `imp.rs` in both backends; the tables come from the `0300_accounts.sql`
//! migrations. Secrets (sign-in tokens, session ids) are stored only as hashes made by the
//! caller: a copy of the database does not let anyone sign in.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Result;

/// What a person may do. Stored as the French word the command line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Keeps the listing of one or more places.
    Editeur,
    /// France Services or conseiller numérique (orientation and activity).
    Agent,
    /// Moderates the places of a territory (département or EPCI).
    Coordinateur,
    /// Everything, everywhere.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Editeur, Role::Agent, Role::Coordinateur, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editeur => "editeur",
            Role::Agent => "agent",
            Role::Coordinateur => "coordinateur",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role in words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Editeur => "structure (édition de ses lieux)",
            Role::Agent => "agent",
            Role::Coordinateur => "coordination",
            Role::Admin => "administration",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// Département code (`82`) or EPCI SIREN, for a coordinator or an agent.
    pub territory: Option<String>,
    /// Places an editor may change.
    pub places: Vec<String>,
    pub disabled: bool,
    /// argon2 PHC string; never shown.
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Stored lower-cased and trimmed (one account per address).
    pub email: String,
    pub role: Role,
    pub territory: Option<String>,
    pub places: Vec<String>,
}

/// Normalises an email address the same way everywhere it is looked up.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Why a one-time link was sent.
pub const TOKEN_SIGNIN: &str = "connexion";
/// Claiming a listing: the link was sent to the email on the listing.
pub const TOKEN_CLAIM: &str = "revendication";
/// "Toujours exact": confirms a place's listing in one click.
pub const TOKEN_CONFIRM: &str = "confirmation";

/// A one-time link, as stored (the token itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninToken {
    pub token_hash: String,
    pub account_id: i64,
    pub purpose: String,
    pub place_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// One email of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub next_try: DateTime<Utc>,
    pub last_error: Option<String>,
}

pub const CHANGE_PENDING: &str = "en_attente";
pub const CHANGE_APPROVED: &str = "approuvee";
pub const CHANGE_REJECTED: &str = "rejetee";

/// A change an editor asked for, waiting for moderation (or already decided).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub id: i64,
    pub place_id: String,
    pub author_id: Option<i64>,
    /// The place as JSON (`maillage_model::Place`), before and as the editor left it.
    pub before_json: String,
    pub after_json: String,
    pub changed_fields: Vec<String>,
    pub status: String,
    /// Post-moderation: already live, still to be reviewed.
    pub applied: bool,
    pub moderator_id: Option<i64>,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChange {
    pub place_id: String,
    pub author_id: Option<i64>,
    pub before_json: String,
    pub after_json: String,
    pub changed_fields: Vec<String>,
    pub applied: bool,
}

/// One change applied to a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub place_id: String,
    pub account_id: Option<i64>,
    pub at: DateTime<Utc>,
    /// Why: « modification approuvée (n° 3) », « retour à la version du … ».
    pub why: String,
    /// Where the values come from (`saisie`, an import source).
    pub source: String,
    pub before_json: String,
    pub after_json: String,
    pub changed_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub account_id: Option<i64>,
    /// `connexion`, `deconnexion`, `droits`, `moderation`, `suppression`…
    pub action: String,
    pub detail: String,
}

/// How often a place's listing must be confirmed, and when it last was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Freshness {
    pub place_id: String,
    /// 1, 3, 6, 12 or 16 months (6 by default).
    pub interval_months: i32,
    pub last_confirmed: Option<NaiveDate>,
    pub reminder_sent_at: Option<DateTime<Utc>>,
}

/// The default confirmation interval, in months.
pub const DEFAULT_INTERVAL_MONTHS: i32 = 6;
/// The intervals a place may choose.
pub const INTERVALS_MONTHS: [i32; 5] = [1, 3, 6, 12, 16];

/// How long the purge keeps what is no longer needed (see [`AccountStore::purge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgePolicy {
    /// Sent emails are kept this many days (the person's data download shows them), then
    /// deleted.
    pub sent_email_days: i64,
    /// Handled "signaler une erreur" reports (with the contact a person may have given) are
    /// kept this many days after they were sent.
    pub handled_report_days: i64,
}

impl Default for PurgePolicy {
    fn default() -> Self {
        PurgePolicy {
            sent_email_days: 30,
            handled_report_days: 90,
        }
    }
}

/// What one purge deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PurgeCounts {
    /// Sign-in links and form tokens used or expired.
    pub tokens: u64,
    /// Sessions expired.
    pub sessions: u64,
    pub emails: u64,
    pub reports: u64,
}

/// Everything the living directory stores about accounts and changes. See the module docs.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account; [`crate::StoreError::Conflict`] when the address has one.
    async fn create_account(&self, account: &NewAccount) -> Result<Account>;
    async fn account(&self, id: i64) -> Result<Option<Account>>;
    /// By address (normalised with [`normalise_email`]).
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>>;
    async fn accounts_list(&self) -> Result<Vec<Account>>;
    /// Adds a place to the places an editor may change.
    async fn add_account_place(&self, account_id: i64, place_id: &str) -> Result<()>;
    /// Accounts allowed to edit a place (its editors).
    async fn place_editors(&self, place_id: &str) -> Result<Vec<Account>>;
    async fn set_password_hash(&self, account_id: i64, hash: Option<&str>) -> Result<()>;
    async fn set_disabled(&self, account_id: i64, disabled: bool) -> Result<()>;
    /// Deletes an account, its sessions and tokens; changes, history and audit keep no link
    /// to it (their author becomes empty).
    async fn delete_account(&self, account_id: i64) -> Result<()>;

    async fn add_token(&self, token: &SigninToken) -> Result<()>;
    /// Uses a token once: `Some` only if it exists, is unused and has not expired at `now`;
    /// it is then marked used in the same statement (two clicks, one sign-in).
    async fn use_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<SigninToken>>;

    async fn create_session(
        &self,
        id_hash: &str,
        account_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The account of a live session (not expired at `now`, account not disabled).
    async fn session_account(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<Account>>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;

    /// Queues an email; returns its id.
    async fn enqueue_email(&self, to: &str, subject: &str, body: &str) -> Result<i64>;
    /// Claims the oldest message due at `now`: its `next_try` moves to `lease_until` and its
    /// attempts grow by one in the same statement, so no other worker takes it meanwhile.
    async fn claim_email(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<OutboxMessage>>;
    async fn mark_email_sent(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
    async fn mark_email_failed(&self, id: i64, next_try: DateTime<Utc>, error: &str) -> Result<()>;
    /// Every message, oldest first (tests, the account data download).
    async fn outbox(&self) -> Result<Vec<OutboxMessage>>;

    async fn add_change(&self, change: &NewChange) -> Result<i64>;
    async fn change(&self, id: i64) -> Result<Option<Change>>;
    /// Changes, oldest first; only those with this status when given.
    async fn changes(&self, status: Option<&str>) -> Result<Vec<Change>>;
    /// Decides a pending change; `false` when it was not pending any more (decided by someone
    /// else meanwhile), and nothing is written then.
    async fn decide_change(
        &self,
        id: i64,
        status: &str,
        moderator_id: i64,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;

    async fn add_history(&self, entry: &HistoryEntry) -> Result<i64>;
    /// A place's history, most recent first.
    async fn history(&self, place_id: &str) -> Result<Vec<HistoryEntry>>;
    async fn history_entry(&self, id: i64) -> Result<Option<HistoryEntry>>;

    async fn audit(&self, account_id: Option<i64>, action: &str, detail: &str) -> Result<()>;
    /// The audit log, most recent first; only one account's when given.
    async fn audit_log(&self, account_id: Option<i64>, limit: u64) -> Result<Vec<AuditEntry>>;

    /// A place's freshness (the default interval and never confirmed when nothing is stored).
    async fn freshness(&self, place_id: &str) -> Result<Freshness>;
    async fn set_freshness(&self, freshness: &Freshness) -> Result<()>;
    /// Every stored freshness row.
    async fn freshness_all(&self) -> Result<Vec<Freshness>>;

    /// Queues the monthly digest of `month` (`YYYY-MM`) for an account, once: the digest's
    /// row and its email are written in one transaction; `false`, and nothing written, when
    /// the account already got that month's digest (another server, a second run).
    async fn enqueue_digest(
        &self,
        account_id: i64,
        month: &str,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<bool>;

    /// Deletes, in one transaction, what is no longer needed as of `now`: used or expired
    /// one-time tokens, expired sessions, emails sent more than `sent_email_days` ago, and
    /// handled reports older than `handled_report_days` (a report waiting for moderation is
    /// never deleted). Run by `maillage serve` every few hours and by `maillage entretien
    /// purge`; running it twice deletes nothing more.
    async fn purge(&self, now: DateTime<Utc>, policy: &PurgePolicy) -> Result<PurgeCounts>;

    /// Whether a territory is in post-moderation (pre-moderation by default).
    async fn post_moderation(&self, territory: &str) -> Result<bool>;
    async fn set_post_moderation(&self, territory: &str, post: bool) -> Result<()>;
}
