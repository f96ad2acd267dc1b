//! The audit log as the page shows it (shared by the server's render and the browser's hydration).

use serde::{Deserialize, Serialize};

/// How many rows a page of the log holds.
pub const PAGE_SIZE: i64 = 50;

/// One row of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    /// "Dec 2, 2026 14:05 UTC"
    pub at: String,
    /// The person ("ana@example.com"), with the key an agent used ("ana@example.com, key \"ci\""), or
    /// "Tollgate" for the server itself.
    pub who: String,
    /// The stable action name (`funds_added`); [`action_label`] words it.
    pub action: String,
    pub detail: String,
    /// `dashboard`, `checkout`, `api`, `chat`, `server`, `auto_top_up` or `staff`; [`channel_label`] words it.
    pub channel: String,
    /// The address the action came from (empty when there was none: the server, a token replay).
    pub ip: String,
}

/// A page of the log, newest first, and the id to read older rows before (`None`: this is the oldest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub older_than: Option<i64>,
    /// Whether this page starts at the newest row (no "Newest" link needed).
    pub is_newest: bool,
}

/// What the log calls an action, for people.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "funds_added" => "Funds added",
        "card_added" => "Card added",
        "card_updated" => "Card updated",
        "card_removed" => "Card removed",
        "card_made_default" => "Card made default",
        "key_created" => "Key created",
        "key_paused" => "Key paused",
        "key_resumed" => "Key resumed",
        "key_revoked" => "Key revoked",
        "key_changed" => "Key changed",
        "connection_created" => "Chat connection created",
        "connection_revoked" => "Chat connection revoked",
        "team_created" => "Team created",
        "team_deleted" => "Team deleted",
        "member_invited" => "Member invited",
        "invite_revoked" => "Invite revoked",
        "member_joined" => "Member joined",
        "member_removed" => "Member removed",
        "member_left" => "Member left",
        "role_changed" => "Role changed",
        "budget_changed" => "Budget changed",
        "setting_changed" => "Setting changed",
        "password_changed" => "Password changed",
        "auto_top_up_turned_off" => "Auto top-up turned off",
        "webhook_added" => "Webhook endpoint added",
        "webhook_deleted" => "Webhook endpoint deleted",
        "webhook_disabled" => "Webhook endpoint disabled",
        "webhook_enabled" => "Webhook endpoint turned on",
        "promotional_credit_granted" => "Promotional credit granted",
        "balance_adjusted" => "Balance adjusted",
        "adjustment_requested" => "Adjustment requested",
        "refund_issued" => "Refund issued",
        "refund_requested" => "Refund requested",
        "approved" => "Approved",
        "dispute_won" => "Dispute won",
        "dispute_lost" => "Dispute lost",
        _ => "Other",
    }
}

/// What the log calls a channel, for people.
pub fn channel_label(channel: &str) -> &'static str {
    match channel {
        "dashboard" => "Dashboard",
        "checkout" => "Checkout page",
        "api" => "API",
        "chat" => "Chat",
        "auto_top_up" => "Auto top-up",
        "staff" => "Tollgate staff",
        _ => "Tollgate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recorded_action_has_its_own_label() {
        let actions = [
            "funds_added",
            "card_added",
            "card_updated",
            "card_removed",
            "card_made_default",
            "key_created",
            "key_paused",
            "key_resumed",
            "key_revoked",
            "key_changed",
            "connection_created",
            "connection_revoked",
            "team_created",
            "team_deleted",
            "member_invited",
            "invite_revoked",
            "member_joined",
            "member_removed",
            "member_left",
            "role_changed",
            "budget_changed",
            "setting_changed",
            "password_changed",
            "auto_top_up_turned_off",
            "webhook_added",
            "webhook_deleted",
            "webhook_disabled",
            "webhook_enabled",
            "promotional_credit_granted",
            "balance_adjusted",
            "adjustment_requested",
            "refund_issued",
            "refund_requested",
            "approved",
            "dispute_won",
            "dispute_lost",
        ];
        let labels: std::collections::HashSet<_> = actions.iter().map(|a| action_label(a)).collect();
        assert_eq!(labels.len(), actions.len());
        assert!(!labels.contains("Other"));
    }
}
