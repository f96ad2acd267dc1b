//! `/dashboard/usage`: where the money went (filled in by the usage issue).

pub mod page;
