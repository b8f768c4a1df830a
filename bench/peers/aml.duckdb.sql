-- aml-typologies (rulesets/aml-typologies) as DuckDB SQL: the B2 peer.  The same definitions as
-- aml.sqlite.sql (see there): trailing windows [anchor - W, anchor] as range self-joins (DuckDB
-- plans them as IEJoins), triggers consolidated per customer and Beijing day of the anchor.
CREATE TEMP TABLE t AS
  SELECT txn_id, customer_id, direction, channel, counterparty_id, counterparty_country,
         CAST(epoch(CAST(booked_at AS TIMESTAMPTZ)) AS BIGINT) AS ts,
         CAST(CAST(CAST(booked_at AS TIMESTAMPTZ) AS TIMESTAMP) + INTERVAL 8 HOUR AS DATE) AS day,
         CAST(amount AS DECIMAL(18, 4)) AS amount
  FROM read_csv('$TX', header = true, all_varchar = true)
  WHERE currency = 'CNY';
CREATE TEMP TABLE q AS
  SELECT 'aml.structuring' AS rule, 86400 AS w, true AS is_anchor, * FROM t
    WHERE channel = 'cash' AND direction = 'in' AND amount >= 45000 AND amount < 50000
  UNION ALL SELECT 'aml.rapid_movement', 172800, direction = 'out', * FROM t WHERE channel = 'transfer'
  UNION ALL SELECT 'aml.fan_in', 604800, true, * FROM t WHERE channel = 'transfer' AND direction = 'in'
  UNION ALL SELECT 'aml.fan_out', 604800, true, * FROM t WHERE channel = 'transfer' AND direction = 'out';
CREATE TEMP TABLE win AS
  SELECT a.rule, a.customer_id, a.day, a.txn_id AS anchor, b.txn_id, b.direction, b.amount, b.counterparty_id
  FROM q a JOIN q b ON b.rule = a.rule AND b.customer_id = a.customer_id AND b.ts >= a.ts - a.w AND b.ts <= a.ts
  WHERE a.is_anchor;
COPY (
  WITH triggered AS (
    SELECT rule, customer_id, day, anchor
    FROM win
    GROUP BY rule, customer_id, day, anchor
    HAVING CASE rule
      WHEN 'aml.structuring' THEN count(*) >= 3
      WHEN 'aml.rapid_movement' THEN
        sum(CASE WHEN direction = 'in' THEN amount END) >= 100000
        AND sum(CASE WHEN direction = 'out' THEN amount END) * 100 >= 80 * sum(CASE WHEN direction = 'in' THEN amount END)
      ELSE count(DISTINCT counterparty_id) >= 10
    END
  ),
  round_days AS (
    SELECT customer_id, day FROM t WHERE CAST(amount * 100 AS BIGINT) % 1000000 = 0
    GROUP BY customer_id, day HAVING count(*) >= 5
  ),
  members AS (
    SELECT DISTINCT w.rule, w.customer_id, w.day, w.txn_id
    FROM win w JOIN triggered g ON g.rule = w.rule AND g.customer_id = w.customer_id AND g.day = w.day AND g.anchor = w.anchor
    UNION
    SELECT 'aml.round_amounts', t.customer_id, t.day, t.txn_id
    FROM t JOIN round_days r ON r.customer_id = t.customer_id AND r.day = t.day
    WHERE CAST(t.amount * 100 AS BIGINT) % 1000000 = 0
  )
  SELECT rule, customer_id || '|' || strftime(day, '%Y-%m-%d') AS key, string_agg(txn_id, ',' ORDER BY txn_id) AS txn_ids
  FROM members GROUP BY rule, customer_id, day
  UNION ALL
  SELECT 'aml.high_risk_jurisdiction', '', txn_id FROM read_csv('$TX', header = true, all_varchar = true)
    WHERE counterparty_country IN ('KP', 'IR', 'MM')
  UNION ALL
  -- Dormant reactivation: the customer's first transaction of at least 50,000 CNY (alone at its
  -- instant), at least 180 days after last_seen_at.
  SELECT 'aml.dormant_reactivation', f.customer_id || '|' || strftime(f.day, '%Y-%m-%d'), f.txn_id
  FROM (
    SELECT customer_id, day, txn_id, ts,
           rank() OVER (PARTITION BY customer_id ORDER BY ts) AS pos,
           count(*) OVER (PARTITION BY customer_id, ts) AS at_instant
    FROM t WHERE amount >= 50000
  ) f
  JOIN (SELECT customer_id, CAST(epoch(CAST(last_seen_at AS TIMESTAMPTZ)) AS BIGINT) AS seen
        FROM read_csv('$LAST_ACTIVITY', header = true, all_varchar = true)) a ON a.customer_id = f.customer_id
  WHERE f.pos = 1 AND f.at_instant = 1 AND f.ts >= a.seen + 180 * 86400
  ORDER BY 1, 2, 3
) TO '$OUT' (FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '');
