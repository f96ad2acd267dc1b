//! Pieces every page's forms share.

pub mod form_error;
