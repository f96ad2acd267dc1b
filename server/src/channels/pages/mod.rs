//! The dashboard's routes the server answers itself (the pages are the app's): form posts that must read
//! repeated fields or show a secret once, the CSV downloads, and the back office's gate.

pub mod attachment;
pub mod audit_export;
pub mod back_office_gate;
pub mod csv_field;
pub mod invite_form;
pub mod key_form;
pub mod secret_shown_once;
pub mod statement_files;
pub mod usage_export;
pub mod webhook_form;
