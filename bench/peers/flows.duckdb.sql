-- Fund flows (aml.layering_chain, aml.round_trip in rulesets/aml-typologies/flows.decree) as
-- DuckDB SQL: the B7 peer.  Written from rulesets.md ("Fund flows"): a hop is a CNY transfer out
-- to a named account; hop a links to hop b when b leaves the account a paid into, after a and
-- at most 48 hours later, moving 80 % to 100 % of a's amount (exact decimals).  Paths are found
-- by recursive CTEs from every hop, carrying their accounts and txn ids as lists.
-- Output: one line per finding, "rule<TAB>first account|first txn<TAB>paths", the paths' txn
-- ids joined by "," and the paths by ";" in txn-id order (bench/b7.sh sorts the lines).
CREATE TEMP TABLE hop AS
  SELECT txn_id AS txn, account_id AS src, counterparty_account AS dst,
         CAST(epoch(CAST(booked_at AS TIMESTAMPTZ)) AS BIGINT) AS t,
         CAST(amount AS DECIMAL(18, 2)) AS amt
  FROM read_csv('$TX', header = true, all_varchar = true)
  WHERE currency = 'CNY' AND channel = 'transfer' AND direction = 'out' AND coalesce(counterparty_account, '') <> '';
CREATE TEMP TABLE chain AS
  WITH RECURSIVE path(first, src0, t0, amt0, dst, t, amt, n, accts, txns) AS (
    SELECT txn, src, t, amt, dst, t, amt, 1, [src, dst], [txn] FROM hop WHERE src <> dst
    UNION ALL
    SELECT p.first, p.src0, p.t0, p.amt0, b.dst, b.t, b.amt, p.n + 1, list_append(p.accts, b.dst), list_append(p.txns, b.txn)
    FROM path p JOIN hop b
      ON b.src = p.dst AND b.t > p.t AND b.t <= p.t + 172800 AND b.amt * 10 >= p.amt * 8 AND b.amt <= p.amt
    WHERE p.n < 8 AND NOT list_contains(p.accts, b.dst)
  )
  SELECT * FROM path WHERE n >= 3;
CREATE TEMP TABLE trip AS
  WITH RECURSIVE path(first, src0, t0, dst, t, amt, n, accts, txns) AS (
    SELECT txn, src, t, dst, t, amt, 1, [src, dst], [txn] FROM hop
    UNION ALL
    SELECT p.first, p.src0, p.t0, b.dst, b.t, b.amt, p.n + 1, list_append(p.accts, b.dst), list_append(p.txns, b.txn)
    FROM path p JOIN hop b
      ON b.src = p.dst AND b.t > p.t AND b.t <= p.t + 172800 AND b.amt * 10 >= p.amt * 8 AND b.amt <= p.amt
    WHERE p.n < 6 AND p.dst <> p.src0 AND (b.dst = p.src0 OR NOT list_contains(p.accts, b.dst))
  )
  SELECT * FROM path WHERE n >= 2 AND dst = src0 AND t <= t0 + 604800;
COPY (
  SELECT rule, key, string_agg(path, ';' ORDER BY txns) AS paths
  FROM (
    SELECT 'aml.layering_chain' AS rule, c.src0 || '|' || c.first AS key, array_to_string(c.txns, ',') AS path, c.txns
    FROM chain c
    WHERE (c.n = 8 OR NOT EXISTS (
             SELECT 1 FROM hop b
             WHERE b.src = c.dst AND b.t > c.t AND b.t <= c.t + 172800 AND b.amt * 10 >= c.amt * 8 AND b.amt <= c.amt
               AND NOT list_contains(c.accts, b.dst)))
      AND (c.n = 8 OR NOT EXISTS (
             SELECT 1 FROM hop a
             WHERE a.dst = c.src0 AND c.t0 > a.t AND c.t0 <= a.t + 172800 AND c.amt0 * 10 >= a.amt * 8 AND c.amt0 <= a.amt
               AND NOT list_contains(c.accts, a.src)))
    UNION ALL
    SELECT 'aml.round_trip', src0 || '|' || first, array_to_string(txns, ','), txns FROM trip
  )
  GROUP BY rule, key
) TO '$OUT' (FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '');
