-- aml-typologies (rulesets/aml-typologies) as hand-written SQLite SQL: the independent path of
-- the typologies' differential test (tests/differential_test.cpp).
--
-- Expects the tables tx (text columns named as in data-layouts.md) and last_activity
-- (customer_id, last_seen_at), and returns one row per
-- finding: rule, key values joined by '|' (customer_id|day; empty for the row rule), txn_ids
-- joined by ',' (ascending), ordered by rule and key.
--
-- Windows as rulesets.md defines them: for each anchor, the customer's qualifying transactions
-- whose instant lies in [anchor - W, anchor], both ends inclusive (a self-join on the instant in
-- whole seconds: the generator writes whole seconds); an anchor whose window meets the
-- condition triggers; a finding per customer and Beijing day of the anchor, with the union of
-- the windows of its triggering anchors.  Amounts are exact integers of 10^-4 CNY by string
-- surgery.  Beijing days: the instant + 8 hours (no daylight saving since 1991).
WITH
tx_exact AS (
  SELECT txn_id, customer_id, direction, channel, counterparty_id, counterparty_country,
         unixepoch(booked_at) AS ts,
         date(booked_at, '+8 hours') AS day,
         CAST(CASE WHEN instr(amount, '.') = 0 THEN amount || '0000'
                   ELSE substr(amount, 1, instr(amount, '.') - 1)
                        || substr(substr(amount, instr(amount, '.') + 1) || '0000', 1, 4) END AS INTEGER) AS amount_e4
  FROM tx
  WHERE currency = 'CNY'
),
-- The windowed rules' qualifying transactions, with the window length and whether each is an anchor.
qualifying AS (
  SELECT 'aml.structuring' AS rule, 86400 AS w, 1 AS is_anchor, * FROM tx_exact
    WHERE channel = 'cash' AND direction = 'in' AND amount_e4 >= 450000000 AND amount_e4 < 500000000
  UNION ALL
  SELECT 'aml.rapid_movement', 172800, direction = 'out', * FROM tx_exact WHERE channel = 'transfer'
  UNION ALL
  SELECT 'aml.fan_in', 604800, 1, * FROM tx_exact WHERE channel = 'transfer' AND direction = 'in'
  UNION ALL
  SELECT 'aml.fan_out', 604800, 1, * FROM tx_exact WHERE channel = 'transfer' AND direction = 'out'
),
windows AS (
  SELECT a.rule, a.customer_id, a.day, a.txn_id AS anchor, b.txn_id, b.direction, b.amount_e4, b.counterparty_id
  FROM qualifying a
  JOIN qualifying b ON b.rule = a.rule AND b.customer_id = a.customer_id AND b.ts BETWEEN a.ts - a.w AND a.ts
  WHERE a.is_anchor
),
triggered AS (
  SELECT rule, customer_id, day, anchor
  FROM windows
  GROUP BY rule, customer_id, day, anchor
  HAVING CASE rule
    WHEN 'aml.structuring' THEN count(*) >= 3
    WHEN 'aml.rapid_movement' THEN
      sum(CASE WHEN direction = 'in' THEN amount_e4 END) >= 1000000000
      AND sum(CASE WHEN direction = 'out' THEN amount_e4 END) * 100 >= 80 * sum(CASE WHEN direction = 'in' THEN amount_e4 END)
    ELSE count(DISTINCT counterparty_id) >= 10
  END
),
members AS (
  SELECT DISTINCT w.rule, w.customer_id, w.day, w.txn_id
  FROM windows w JOIN triggered t USING (rule, customer_id, day, anchor)
  UNION
  -- Round amounts: per customer and Beijing day, five or more whole multiples of 10,000 CNY.
  SELECT 'aml.round_amounts', customer_id, day, txn_id FROM tx_exact
  WHERE amount_e4 % 100000000 = 0
    AND (customer_id, day) IN (SELECT customer_id, day FROM tx_exact WHERE amount_e4 % 100000000 = 0
                               GROUP BY customer_id, day HAVING count(*) >= 5)
)
SELECT rule, customer_id || '|' || day AS key, group_concat(txn_id, ',') AS txn_ids
FROM (SELECT * FROM members ORDER BY txn_id)
GROUP BY rule, customer_id, day
UNION ALL
SELECT 'aml.high_risk_jurisdiction', '', txn_id FROM tx WHERE counterparty_country IN ('KP', 'IR', 'MM')
UNION ALL
-- Dormant reactivation: a customer's first transaction of at least 50,000 CNY in the batch
-- (alone at its instant), at least 180 days after last_activity.last_seen_at.
SELECT 'aml.dormant_reactivation', customer_id || '|' || day, txn_id
FROM (
  SELECT l.customer_id, l.day, l.txn_id, l.ts,
         rank() OVER (PARTITION BY l.customer_id ORDER BY l.ts) AS pos,
         count(*) OVER (PARTITION BY l.customer_id, l.ts) AS at_instant
  FROM tx_exact l WHERE l.amount_e4 >= 500000000
) f
JOIN last_activity a USING (customer_id)
WHERE f.pos = 1 AND f.at_instant = 1 AND f.ts >= unixepoch(a.last_seen_at) + 180 * 86400
ORDER BY 1, 2, 3;
