//! Pieces every page's forms and tables share.

pub mod bank_check;
pub mod form_error;
pub mod new_card_fields;
pub mod scroll_table;
