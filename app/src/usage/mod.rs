//! `/dashboard/usage` and `/v1/usage`, `/v1/requests` (list): where the money went.

pub mod page;
pub mod report;

#[cfg(feature = "ssr")]
pub mod db;
