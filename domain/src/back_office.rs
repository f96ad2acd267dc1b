//! The back office as its pages show it (docs/CONTRACT.md "Back office"): who is looking, the accounts a
//! search finds, one account's whole file, and the staff log.

use crate::audit_log::AuditRow;
use crate::keys::settings::SpendKeyView;
use crate::ledger::wallet::ActivityRow;
use crate::money::Usd;
use crate::staff::StaffRole;
use crate::teams::role::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The staff member looking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    pub email: String,
    pub role: StaffRole,
}

/// One account a search found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountHit {
    pub account_id: Uuid,
    pub name: String,
    /// "Personal" or "Team".
    pub kind: String,
    /// Its members' emails, owners first.
    pub people: Vec<String>,
    pub balance: Usd,
    /// What the search matched: "email", "account id", "key prefix" or "payment id".
    pub matched: String,
}

/// A promotional grant as the back office lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRow {
    pub amount: Usd,
    /// What is left of it (0 once expired).
    pub left: Usd,
    /// "Jan 6, 2027 00:00 UTC"
    pub expires: String,
    pub expired: bool,
    pub reason: String,
    pub granted_by: String,
}

/// Everything the back office shows of one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFile {
    pub account_id: Uuid,
    pub name: String,
    pub kind: String,
    /// "Dec 2, 2026 14:05 UTC"
    pub opened: String,
    pub timezone: String,
    pub balance: Usd,
    pub paid: Usd,
    pub promotional: Usd,
    pub held: Usd,
    pub grants: Vec<GrantRow>,
    /// The latest ledger entries, newest first.
    pub ledger: Vec<ActivityRow>,
    /// Deposits and failed attempts, newest first.
    pub deposits: Vec<DepositFileRow>,
    /// Refunds and adjustments above $1,000.00 waiting for a second person, oldest first.
    pub waiting: Vec<WaitingRow>,
    /// Every refund of the account, newest first.
    pub refunds: Vec<RefundFileRow>,
    /// Its card disputes, newest first.
    pub disputes: Vec<DisputeFileRow>,
    pub keys: Vec<SpendKeyView>,
    pub members: Vec<AccountMember>,
    /// The auto top-up rule's sentence while it is on, else "Off".
    pub auto_top_up: String,
    /// The account's audit log, newest first.
    pub audit: Vec<AuditRow>,
}

/// A deposit or failed attempt as the back office lists it, with what of it can be refunded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositFileRow {
    pub payment_id: Uuid,
    /// "Dec 2, 2026 14:05 UTC"
    pub when: String,
    pub amount: Usd,
    /// "Visa •••• 4242"
    pub card: String,
    pub succeeded: bool,
    /// A failed attempt's reason.
    pub failure: Option<String>,
    /// Refunded, or being refunded.
    pub refunded: Usd,
    /// What can be refunded now: what is left of its paid credit.
    pub refundable: Usd,
}

/// What a second person may approve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitingKind {
    Refund,
    Adjustment,
}

/// A refund or adjustment above $1,000.00 waiting for a second person's approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingRow {
    pub kind: WaitingKind,
    pub id: Uuid,
    /// Signed for an adjustment.
    pub amount: Usd,
    /// The deposit a refund is of.
    pub payment_id: Option<Uuid>,
    pub requested_by: String,
    pub requested_at: String,
    pub reason: String,
}

/// A refund as the back office lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundFileRow {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: Usd,
    /// `awaiting_approval`, `pending`, `succeeded`, `failed` or `refused`.
    pub status: String,
    /// Why the processor refused it (the money went back to the wallet).
    pub failure: Option<String>,
    pub requested_by: String,
    pub requested_at: String,
    pub reason: String,
}

/// A card dispute as the back office lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeFileRow {
    pub id: Uuid,
    /// The processor's id for it (`dp_…`).
    pub processor_dispute_id: String,
    pub payment_id: Uuid,
    pub amount: Usd,
    /// `opened`, `won` or `lost`.
    pub status: String,
    /// The bank's reason (`fraudulent`).
    pub reason: Option<String>,
    pub opened: String,
}

/// A person who belongs to the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMember {
    pub email: String,
    pub role: Role,
}

/// One row of the staff log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffLogRow {
    pub id: i64,
    /// "Dec 2, 2026 14:05 UTC"
    pub at: String,
    pub actor: String,
    /// `area.verb` (`credit.granted`).
    pub action: String,
    pub account_id: Option<Uuid>,
    pub reason: Option<String>,
    /// What changed, in words.
    pub detail: String,
}

/// A page of the staff log, newest first, and the id to read older rows before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffLogPage {
    pub rows: Vec<StaffLogRow>,
    pub older_than: Option<i64>,
}
