//! `/dashboard/usage` and `/v1/usage`, `/v1/requests` (list): where the money went.

pub mod page;
pub mod report;
pub mod request_list;
pub mod server_fns;
pub mod summary_table;
