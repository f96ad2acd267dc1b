-- The wallet page's fingerprint (core/src/reads/wallet.rs `page_fingerprint`; bench/run.sh P2 runs this
-- file): the account's timezone, and the row versions (xmin) of everything the plain wallet page shows — the
-- wallet row (moved with every ledger entry, and every hold placed or resolved), the soonest expiry of an
-- open hold (the page's "Held" line changes when it passes), how many promotional grants expire within the
-- week (the page warns of each), the account row (alert threshold, timezone), every saved
-- card (removal is an update), the auto top-up rule and the deposit history's rows — and, for the header's "Account" list, the
-- viewer's memberships and their accounts (joining, leaving, a role, a team renamed or deleted). $1 the
-- account, $2 the history's length, $3 the viewer.
SELECT a.timezone,
       concat_ws(':', w.xmin, a.xmin,
         (SELECT min(h.expires_at) FROM holds h
           WHERE w.open_holds > 0 AND h.account_id = $1 AND h.status = 'held' AND h.expires_at > now()),
         (SELECT count(*) FROM promotional_grants g
           WHERE w.promotional > 0 AND g.account_id = $1 AND g.expired_at IS NULL
             AND g.expires_at <= now() + interval '7 days'),
         (SELECT s.xmin FROM auto_top_up_settings s WHERE s.account_id = $1),
         (SELECT string_agg(p.id || '.' || p.xmin, ',' ORDER BY p.id)
            FROM payment_methods p WHERE p.account_id = $1),
         (SELECT string_agg(t.id || '.' || t.xmin, ',')
            FROM (SELECT id, xmin FROM payment_attempts
                   WHERE account_id = $1 AND status IN ('succeeded', 'failed')
                   ORDER BY COALESCE(completed_at, created_at) DESC
                   LIMIT $2) t),
         (SELECT string_agg(m.account_id || '.' || m.xmin || '.' || ma.xmin, ',' ORDER BY m.account_id)
            FROM memberships m JOIN accounts ma ON ma.id = m.account_id WHERE m.user_id = $3))
         AS "fingerprint!"
  FROM wallets w JOIN accounts a ON a.id = w.account_id
 WHERE w.account_id = $1
