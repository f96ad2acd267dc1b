//! What runs beside requests, on every server at once (each takes its work under a database lock, so
//! several servers share it): the webhook sender, the sweeper that settles payments whose answer was lost,
//! the expiry of promotional credit, and the maintenance pass that forgets expired records. The auto top-up worker is the money core's
//! (`tollgate_core::payments::auto_top_up::worker`).

pub mod maintenance;
pub mod promotional_expiry;
pub mod sweeper;
pub mod webhook_sender;
