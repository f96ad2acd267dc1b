//! Pieces every page's forms and tables share.

pub mod form_error;
pub mod scroll_table;
