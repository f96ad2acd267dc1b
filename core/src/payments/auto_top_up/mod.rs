//! Auto top-up (docs/CONTRACT.md "Auto top-up", docs/ARCHITECTURE.md "Auto top-up"): a rule that keeps a
//! wallet above a threshold by charging a saved card once for the whole gap — and that can't run away.
//!
//! - **Fired by the debit itself**, not a poller: the transaction whose debit takes the balance below the
//!   threshold inserts a job (`job::enqueue`); a unique index allows one open job per wallet, so 64
//!   concurrent calls make one job.
//! - **Charged through Add Funds' phases**: a worker on any server claims the job (`worker`), stores a
//!   `pending` attempt whose idempotency key comes from the job, charges, and settles it with
//!   `add_funds::record_outcome` — so start-up recovery finishes a charge cut off by a crash, like any
//!   other. Settling an auto top-up's attempt also settles its job and the rule's decline count
//!   (`job::settle`), in the same transaction.
//! - **Safeguards**, checked under the rule's row lock when a job is claimed: at most 3 charges a rolling
//!   24 h; never past the monthly limit (a charge is cut to fit, or skipped under $10.00); 2 declines in a
//!   row turn the rule off with the reason, and only a person turns it back on; a removed card turns it
//!   off; a deleted team's jobs are skipped.

//!
//! The rule itself and its checks: `tollgate_domain::payments::auto_top_up`.

pub mod job;
pub mod settings;
pub mod worker;
