//! The calls of a usage export (docs/CONTRACT.md "Usage"), read a page at a time with `COPY`, so
//! PostgreSQL formats the CSV (docs/BENCHMARKS.md "P7"). The statements are built at run time: `COPY`
//! takes no parameters.

use uuid::Uuid;

/// Where a page of calls ends: the last call's time and sequence number (the request list's order).
pub type Position = (chrono::DateTime<chrono::Utc>, i64);

/// The calls of one export: `[from, to)`, their dates in `tz`, one member's keys or everyone's.
#[derive(Clone)]
pub struct Calls {
    pub account_id: Uuid,
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    pub tz: chrono_tz::Tz,
    pub member: Option<Uuid>,
}

impl Calls {
    /// Where the page of `page` calls after `after` (the first page: `None`) ends: its last call, or `None`
    /// when it is the last page (it holds fewer than `page` calls).
    pub async fn page_end(
        &self,
        pool: &sqlx::PgPool,
        after: Option<Position>,
        page: i64,
    ) -> Result<Option<Position>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT created_at, seq FROM requests WHERE {} ORDER BY created_at DESC, seq DESC OFFSET {} LIMIT 1",
            self.filter(after, None),
            page - 1
        ))
        .fetch_optional(pool)
        .await
    }

    /// The calls after `after` down to `end` (both in the request list's order), as SQL. Every value is
    /// written in, as COPY takes no parameters: uuids, instants and numbers, none of which can hold a quote.
    /// A page's bounds are given as plain `created_at` bounds too: a backward index scan starts from a plain
    /// bound, and with only the range's end to start from, every page would walk the index from there
    /// (docs/BENCHMARKS.md "P7").
    fn filter(&self, after: Option<Position>, end: Option<Position>) -> String {
        let instant =
            |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut sql = format!("account_id = '{}'", self.account_id);
        match after {
            Some((at, seq)) => {
                let at = instant(at);
                sql.push_str(&format!(" AND created_at <= '{at}' AND (created_at, seq) < ('{at}', {seq})"));
            }
            None => sql.push_str(&format!(" AND created_at < '{}'", instant(self.to))),
        }
        match end {
            Some((at, seq)) => {
                let at = instant(at);
                sql.push_str(&format!(" AND created_at >= '{at}' AND (created_at, seq) >= ('{at}', {seq})"));
            }
            None => sql.push_str(&format!(" AND created_at >= '{}'", instant(self.from))),
        }
        if let Some(member) = self.member {
            sql.push_str(&format!(
                " AND spend_key_id IN (SELECT id FROM spend_keys WHERE account_id = '{}' AND created_by = '{member}')",
                self.account_id
            ));
        }
        sql
    }

    /// The calls after `after` down to `end` as CSV `request` rows (the columns of the export's header),
    /// newest first, formatted by PostgreSQL.
    pub async fn copy_page(
        &self,
        pool: &sqlx::PgPool,
        after: Option<Position>,
        end: Option<Position>,
    ) -> Result<Vec<u8>, sqlx::Error> {
        use futures::TryStreamExt;
        use sqlx::postgres::PgPoolCopyExt;
        let chunks: Vec<_> = pool.copy_out_raw(&self.copy(after, end)).await?.try_collect().await?;
        Ok(chunks.concat())
    }

    /// The `COPY` of a page as `request` rows (the columns of `HEADER`), newest first.
    fn copy(&self, after: Option<Position>, end: Option<Position>) -> String {
        // A timezone's name is letters, digits and `/_+-` (chrono-tz parsed it); doubled quotes all the same.
        // The date is written in ISO form (sqlx sets `DateStyle` to ISO on every connection): `to_char`
        // is slow enough to dominate the export's time in PostgreSQL (docs/BENCHMARKS.md "P7").
        let tz = self.tz.name().replace('\'', "''");
        format!(
            "COPY (SELECT 'request', (created_at AT TIME ZONE '{tz}')::date, id, \
                          to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), \
                          service_id, model, status, input_tokens, output_tokens, NULL, \
                          trim_scale(cost_input), trim_scale(cost_output), trim_scale(cost_fee), trim_scale(cost_total), via \
                     FROM requests WHERE {} ORDER BY created_at DESC, seq DESC) \
             TO STDOUT (FORMAT csv)",
            self.filter(after, end)
        )
    }
}
