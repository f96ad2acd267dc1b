//! The funding order agents place (`POST /v1/wallet/fund`) and chat apps place (the `add_funds` tool), in
//! one place: who may place it, the order itself, and its outcome with the links a person follows
//! (docs/CONTRACT.md "Agent funding"). The exactly-once charge behind it is the money core's
//! (`tollgate_core::payments::agent_funding`); each channel words the outcome its own way.

use crate::state::AppState;
use tollgate_core::audit::Channel;
use tollgate_core::client_ip::ClientIp;
use tollgate_core::keys::db::AuthenticatedKey;
use tollgate_core::payments::agent_funding::{self, FundAnswer, FundOrder};
use tollgate_domain::error::AppError;
use tollgate_domain::money::{TopUpAmount, Usd};
use tollgate_domain::payments::decline::DeclineCode;
use uuid::Uuid;

/// Whether `key` may place a funding order: it needs "Allow adding funds" (`not_allowed` is how the
/// channel says it doesn't), and the person who made it must still be allowed to add funds. Checked
/// first, so a key that may not fund learns nothing else.
pub fn ensure_may_fund(key: &AuthenticatedKey, not_allowed: AppError) -> Result<(), AppError> {
    if !key.allow_funding {
        return Err(not_allowed);
    }
    key.maker_may_fund()
}

/// What a channel asks for: an amount (checked by the Add Funds rules, `TopUpAmount::parse`), and a saved
/// card (the default when `None`).
pub struct Ask {
    pub amount: TopUpAmount,
    pub payment_method_id: Option<Uuid>,
    pub client_ip: Option<ClientIp>,
    pub channel: Channel,
}

/// How an order ended, with the links a person follows resolved against this site's address.
pub enum Funded {
    Completed {
        payment_id: Uuid,
        amount: Usd,
        balance: Usd,
    },
    /// No saved card: a hosted checkout to pay (and save one) on.
    RequiresCheckout {
        checkout_url: String,
    },
    /// The bank wants the person to confirm the payment (3-D Secure): nothing was charged; the person
    /// retries it on the wallet page, where their bank can ask them.
    RequiresAuthentication {
        payment_id: Uuid,
        message: String,
        authentication_url: String,
    },
    /// Declined: nothing was charged; the person can fix the card on the wallet page.
    Declined {
        payment_id: Uuid,
        decline_code: DeclineCode,
        message: String,
        fix_url: String,
    },
}

impl Funded {
    /// Whether money was charged.
    pub fn charged(&self) -> bool {
        matches!(self, Funded::Completed { .. })
    }
}

/// Places the order once per `idempotency_key`.
pub async fn place(
    state: &AppState,
    base: &str,
    key: &AuthenticatedKey,
    idempotency_key: &str,
    ask: &Ask,
) -> Result<Funded, AppError> {
    let order = FundOrder {
        account_id: key.account_id,
        spend_key_id: key.key_id,
        idempotency_key,
        amount: ask.amount,
        payment_method_id: ask.payment_method_id,
        client_ip: ask.client_ip,
        channel: ask.channel,
    };
    Ok(match agent_funding::fund(&state.pool, &*state.processor, &order).await? {
        FundAnswer::Completed { payment_id, amount, balance } => {
            Funded::Completed { payment_id, amount, balance }
        }
        FundAnswer::RequiresCheckout { checkout_id } => {
            Funded::RequiresCheckout { checkout_url: format!("{base}/checkout/{checkout_id}") }
        }
        FundAnswer::Declined { payment_id, decline_code: DeclineCode::AuthenticationRequired, message } => {
            Funded::RequiresAuthentication {
                payment_id,
                message,
                authentication_url: format!("{base}/dashboard/wallet?attempt={payment_id}"),
            }
        }
        FundAnswer::Declined { payment_id, decline_code, message } => Funded::Declined {
            payment_id,
            decline_code,
            message,
            fix_url: format!("{base}/dashboard/wallet"),
        },
    })
}
