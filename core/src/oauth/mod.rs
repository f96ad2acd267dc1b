//! Chat connections' storage (docs/ARCHITECTURE.md "Connecting a chat app"): registered apps, single-use
//! authorization codes, and rotating tokens, each connection standing for one spend key.

pub mod store;
