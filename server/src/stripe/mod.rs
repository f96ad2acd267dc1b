//! Stripe, the real card processor (docs/CONTRACT.md "Card processors", docs/ARCHITECTURE.md "Stripe"):
//! its API as Tollgate uses it (`api`), its refusals in Tollgate's words (`decline`). Card details go from
//! the browser to Stripe through Stripe.js and never reach Tollgate, which keeps Stripe's ids of the
//! Customer and the card (a PaymentMethod) and what Stripe tells of the card: brand, last 4, expiry.

pub mod api;
pub mod decline;
pub mod processor;
pub mod settings;
