//! The frame around pages: the signed-in dashboard header, the public home and not-found pages, and the
//! "page is live" marker the browser entry sets. The document itself is `shell.rs`, the route table
//! `routes.rs`.

pub mod dashboard;
pub mod home_page;
pub mod hydrated_marker;
pub mod not_found;
