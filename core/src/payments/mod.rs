//! Payments: money coming in from cards. Saved cards, the processor, Add Funds' phases and their recovery,
//! the card-testing lock, receipts, hosted checkout sessions and agent funding (docs/ARCHITECTURE.md "The
//! money core"). Card inputs, decline codes and the views of attempts and cards:
//! `tollgate_domain::payments`.
//!
//! Below every page: the wallet page, the checkout page and the `/v1` API all add funds through here, and
//! nothing here knows about them. Credits go through the ledger.

pub mod add_funds;
pub mod agent_funding;
pub mod attempt_store;
pub mod auto_top_up;
pub mod card_store;
pub mod card_testing;
pub mod chat_top_up_guard;
pub mod checkout_session;
pub mod disputes;
pub mod funding_limit;
pub mod past_deposits;
pub mod processor;
pub mod processor_records;
pub mod recovery;
pub mod refunds;
