//! What the audit log records and who it says did it. Each money or access change calls [`record`] with
//! its own transaction, so the row and the change commit together or not at all.

use crate::client_ip::ClientIp;
use sqlx::PgConnection;
use std::net::IpAddr;
use tollgate_domain::error::AppError;
use tollgate_domain::money::Usd;
use tollgate_domain::teams::member::Member;
use uuid::Uuid;

/// Where an action came from (`audit_events.channel`, `payment_attempts.channel`, a `funds.added` event's
/// `channel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type, strum::IntoStaticStr)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    /// A signed-in person on a dashboard page.
    Dashboard,
    /// A person on a hosted checkout page (`/checkout/{id}`).
    Checkout,
    /// An agent with a spend key on the `/v1` API.
    Api,
    /// A chat app through its connection (`/mcp`, `/oauth`).
    Chat,
    /// The server itself (the demo account's seeding).
    Server,
    /// The account's auto top-up rule acting on its own (docs/CONTRACT.md "Auto top-up").
    AutoTopUp,
    /// Tollgate's staff in the back office (docs/CONTRACT.md "Back office").
    Staff,
}

/// Who acted on which account, through what, from where.
#[derive(Clone, Debug)]
pub struct Actor {
    pub account_id: Uuid,
    /// The person: signed in, or the maker of the key an agent used.
    pub user_id: Option<Uuid>,
    /// The spend key an agent or chat app used.
    pub key_id: Option<Uuid>,
    pub channel: Channel,
    pub ip: Option<IpAddr>,
}

impl Actor {
    /// A signed-in person on a dashboard page acting for `account_id`, from `ip`.
    pub fn person(account_id: Uuid, user_id: Uuid, ip: ClientIp) -> Actor {
        Actor {
            account_id,
            user_id: Some(user_id),
            key_id: None,
            channel: Channel::Dashboard,
            ip: Some(ip.ip()),
        }
    }

    /// `member` on a dashboard page from `ip`, as the audit log records them.
    pub fn member(member: &Member, ip: ClientIp) -> Actor {
        Actor::person(member.account_id, member.user_id, ip)
    }

    /// The server acting on `user_id`'s behalf, from no address (seeding the demo account).
    pub fn server(account_id: Uuid, user_id: Uuid) -> Actor {
        Actor { account_id, user_id: Some(user_id), key_id: None, channel: Channel::Server, ip: None }
    }
}

/// One thing that happened to an account. `detail` words it for the log's reader.
#[derive(Clone, Debug)]
pub enum Event<'a> {
    CardUpdated {
        card: &'a str,
    },
    CardRemoved {
        card: &'a str,
    },
    CardMadeDefault {
        card: &'a str,
    },
    KeyCreated {
        name: &'a str,
    },
    KeyPaused {
        name: &'a str,
    },
    KeyResumed {
        name: &'a str,
    },
    KeyRevoked {
        name: &'a str,
    },
    /// A key's (or chat connection's) settings edited: what changed, in words.
    KeyChanged {
        name: &'a str,
        connection: bool,
        changes: &'a [String],
    },
    ConnectionCreated {
        app: &'a str,
    },
    ConnectionRevoked {
        app: &'a str,
    },
    TeamCreated {
        name: &'a str,
    },
    TeamDeleted {
        name: &'a str,
    },
    MemberInvited {
        role: &'a str,
    },
    InviteRevoked {
        role: &'a str,
    },
    MemberJoined {
        email: &'a str,
        role: &'a str,
    },
    MemberRemoved {
        email: &'a str,
    },
    MemberLeft {
        email: &'a str,
    },
    RoleChanged {
        email: &'a str,
        from: &'a str,
        to: &'a str,
    },
    BudgetChanged {
        email: &'a str,
        budget: Option<Usd>,
    },
    SettingChanged {
        setting: &'a str,
        value: String,
    },
    PasswordChanged,
    /// Tollgate turned auto top-up off (declines in a row, its card removed), with the banner's words.
    AutoTopUpTurnedOff {
        reason: &'a str,
    },
    WebhookAdded {
        url: &'a str,
    },
    WebhookDeleted {
        url: &'a str,
    },
    /// Tollgate turned an endpoint off: the person who added it left the team or lost the right to manage it.
    WebhookDisabled {
        url: &'a str,
    },
    WebhookEnabled {
        url: &'a str,
    },
    /// Tollgate's staff granted promotional credit (docs/CONTRACT.md "Promotional credit").
    PromotionalCreditGranted {
        amount: Usd,
        /// The expiry as the account's pages write it ("Jan 6, 2027").
        expires: &'a str,
    },
    /// Tollgate's staff moved paid credit by hand (`waiting`: above $1,000.00, for a second person).
    Adjusted {
        amount: Usd,
        waiting: bool,
    },
    /// Tollgate's staff refunded (part of) a deposit to its card (`waiting`: for a second person).
    Refunded {
        amount: Usd,
        payment_id: Uuid,
        waiting: bool,
    },
    /// Tollgate's staff recorded how a card dispute ended.
    DisputeSettled {
        amount: Usd,
        won: bool,
    },
    /// A second staff member approved a refund or an adjustment another asked for ("Refund of $1,500.00").
    Approved {
        what: &'a str,
    },
    /// A staff action, with the reason they gave: the action's own row, its detail followed by the reason.
    Because {
        event: &'a Event<'a>,
        reason: &'a str,
    },
}

impl Event<'_> {
    /// The stable name of the action (`audit_events.action`, the CSV's `action` column).
    pub fn action(&self) -> &'static str {
        match self {
            Event::CardUpdated { .. } => "card_updated",
            Event::CardRemoved { .. } => "card_removed",
            Event::CardMadeDefault { .. } => "card_made_default",
            Event::KeyCreated { .. } => "key_created",
            Event::KeyPaused { .. } => "key_paused",
            Event::KeyResumed { .. } => "key_resumed",
            Event::KeyRevoked { .. } => "key_revoked",
            Event::KeyChanged { .. } => "key_changed",
            Event::ConnectionCreated { .. } => "connection_created",
            Event::ConnectionRevoked { .. } => "connection_revoked",
            Event::TeamCreated { .. } => "team_created",
            Event::TeamDeleted { .. } => "team_deleted",
            Event::MemberInvited { .. } => "member_invited",
            Event::InviteRevoked { .. } => "invite_revoked",
            Event::MemberJoined { .. } => "member_joined",
            Event::MemberRemoved { .. } => "member_removed",
            Event::MemberLeft { .. } => "member_left",
            Event::RoleChanged { .. } => "role_changed",
            Event::BudgetChanged { .. } => "budget_changed",
            Event::SettingChanged { .. } => "setting_changed",
            Event::PasswordChanged => "password_changed",
            Event::AutoTopUpTurnedOff { .. } => "auto_top_up_turned_off",
            Event::WebhookAdded { .. } => "webhook_added",
            Event::WebhookDeleted { .. } => "webhook_deleted",
            Event::WebhookDisabled { .. } => "webhook_disabled",
            Event::WebhookEnabled { .. } => "webhook_enabled",
            Event::PromotionalCreditGranted { .. } => "promotional_credit_granted",
            Event::Adjusted { waiting: false, .. } => "balance_adjusted",
            Event::Adjusted { waiting: true, .. } => "adjustment_requested",
            Event::Refunded { waiting: false, .. } => "refund_issued",
            Event::Refunded { waiting: true, .. } => "refund_requested",
            Event::Approved { .. } => "approved",
            Event::DisputeSettled { won: true, .. } => "dispute_won",
            Event::DisputeSettled { won: false, .. } => "dispute_lost",
            Event::Because { event, .. } => event.action(),
        }
    }

    /// The row's detail: what was acted on, in words.
    pub fn detail(&self) -> String {
        match self {
            Event::CardUpdated { card } | Event::CardRemoved { card } | Event::CardMadeDefault { card } => {
                card.to_string()
            }
            Event::KeyCreated { name }
            | Event::KeyPaused { name }
            | Event::KeyResumed { name }
            | Event::KeyRevoked { name } => format!("Key \"{name}\""),
            Event::KeyChanged { name, connection: false, changes } => {
                format!("Key \"{name}\": {}", changes.join("; "))
            }
            Event::KeyChanged { name, connection: true, changes } => {
                format!("Chat connection \"{name}\": {}", changes.join("; "))
            }
            Event::ConnectionCreated { app } | Event::ConnectionRevoked { app } => {
                format!("Chat connection \"{app}\"")
            }
            Event::TeamCreated { name } | Event::TeamDeleted { name } => format!("Team \"{name}\""),
            Event::MemberInvited { role } | Event::InviteRevoked { role } => {
                format!("Invite link for {role}")
            }
            Event::MemberJoined { email, role } => format!("{email} as {role}"),
            Event::MemberRemoved { email } | Event::MemberLeft { email } => email.to_string(),
            Event::RoleChanged { email, from, to } => format!("{email}: {from} → {to}"),
            Event::BudgetChanged { email, budget: Some(budget) } => format!("{email}: {budget} a month"),
            Event::BudgetChanged { email, budget: None } => format!("{email}: no budget"),
            Event::SettingChanged { setting, value } => format!("{setting}: {value}"),
            Event::PasswordChanged => "Password".to_string(),
            Event::AutoTopUpTurnedOff { reason } => reason.to_string(),
            Event::WebhookAdded { url }
            | Event::WebhookDeleted { url }
            | Event::WebhookDisabled { url }
            | Event::WebhookEnabled { url } => url.to_string(),
            Event::PromotionalCreditGranted { amount, expires } => format!("{amount}, expires {expires}"),
            Event::Adjusted { amount, waiting } => format!("{}{}", signed(*amount), awaiting(*waiting)),
            Event::Refunded { amount, payment_id, waiting } => {
                format!("{amount} of deposit {payment_id}{}", awaiting(*waiting))
            }
            Event::Approved { what } => format!("{what} approved"),
            Event::DisputeSettled { amount, won: true } => {
                format!("Dispute of {amount} won: returned to the wallet")
            }
            Event::DisputeSettled { amount, won: false } => format!("Dispute of {amount} lost"),
            Event::Because { event, reason } => format!("{} (reason: {reason})", event.detail()),
        }
    }
}

/// "+$5.00" or "-$5.00".
fn signed(amount: Usd) -> String {
    if amount.amount().is_sign_negative() {
        amount.display()
    } else {
        format!("+{}", amount.display())
    }
}

fn awaiting(waiting: bool) -> &'static str {
    if waiting {
        ", awaiting a second person's approval"
    } else {
        ""
    }
}

/// Appends `event` by `actor` to the account's log, in the caller's transaction. An agent's row names the
/// person who made its key.
pub async fn record(conn: &mut PgConnection, actor: &Actor, event: Event<'_>) -> Result<(), AppError> {
    let detail: String = event.detail().chars().take(600).collect();
    sqlx::query!(
        "INSERT INTO audit_events (account_id, actor_user_id, actor_key_id, channel, action, detail, ip)
         VALUES ($1, COALESCE($2, (SELECT created_by FROM spend_keys WHERE id = $3)), $3, $4, $5, $6, $7::text::inet)",
        actor.account_id,
        actor.user_id,
        actor.key_id,
        actor.channel as Channel,
        event.action(),
        detail,
        actor.ip.map(|ip| ip.to_string()),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What a settled top-up adds to the log.
#[derive(Clone, Copy, Debug)]
pub struct TopUpEvents {
    /// It was paid: "funds added".
    pub funds_added: bool,
    /// It saved its new card (paid, or declined and kept to be fixed): "card added".
    pub card_added: bool,
}

/// A top-up that just settled: its rows, by whoever asked for it — a person on the wallet or checkout
/// page, or an agent's key through `/v1` or the chat — read from the attempt, since settling may happen in
/// start-up recovery, long after the request.
pub async fn record_top_up(
    conn: &mut PgConnection,
    attempt_id: Uuid,
    events: TopUpEvents,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO audit_events (account_id, actor_user_id, actor_key_id, channel, action, detail, ip)
         SELECT a.account_id, COALESCE(a.made_by, k.created_by), a.spend_key_id,
                CASE WHEN a.checkout_id IS NOT NULL THEN 'checkout'
                     WHEN a.channel IS NOT NULL THEN a.channel
                     WHEN a.spend_key_id IS NOT NULL THEN 'api'
                     ELSE 'dashboard' END,
                e.action,
                CASE e.action
                     WHEN 'funds_added' THEN '$' || to_char(a.amount, 'FM999,990.00') || ' with '
                     ELSE '' END || a.card_brand || ' •••• ' || a.card_last4,
                a.client_ip
           FROM payment_attempts a
           LEFT JOIN spend_keys k ON k.id = a.spend_key_id
          CROSS JOIN (VALUES (1, 'card_added', $3::boolean), (2, 'funds_added', $2::boolean)) AS e (n, action, wanted)
          WHERE a.id = $1 AND e.wanted
          ORDER BY e.n",
        attempt_id,
        events.funds_added,
        events.card_added,
    )
    .execute(conn)
    .await?;
    Ok(())
}
