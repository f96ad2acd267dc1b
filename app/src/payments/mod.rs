//! Payments: money coming in from cards. Card inputs and decline codes, saved cards, the processor,
//! Add Funds' phases and their recovery, the card-testing lock, receipts, hosted checkout sessions and
//! agent funding (docs/ARCHITECTURE.md "The money core").
//!
//! Below every page: the wallet page, the checkout page and the `/v1` API all add funds through here, and
//! nothing here knows about them. Credits go through the ledger.

pub mod attempt;
pub mod auto_top_up;
pub mod card;
pub mod checkout_session;
pub mod decline;
pub mod new_card;
pub mod payment_method;

#[cfg(feature = "ssr")]
pub mod add_funds;
#[cfg(feature = "ssr")]
pub mod agent_funding;
#[cfg(feature = "ssr")]
pub mod attempt_store;
#[cfg(feature = "ssr")]
pub mod card_store;
#[cfg(feature = "ssr")]
pub mod card_testing;
#[cfg(feature = "ssr")]
pub mod funding_limit;
#[cfg(feature = "ssr")]
pub mod processor;
#[cfg(feature = "ssr")]
pub mod recovery;
