//! `/checkout/{id}`: the hosted checkout an agent links to when it asked for a top-up and the account has no
//! saved card (`POST /v1/wallet/fund` → `requires_checkout`). The new-card Add Funds form, no login, one
//! amount, valid 24 h, single use.

pub mod page;
pub mod server_fns;
