-- refusals.band.high "B"
SELECT 'refusals.band.high' AS rule, '' AS key, id AS txn_ids FROM (SELECT "txn_id" AS id FROM "Transaction" WHERE coalesce(CAST(coalesce(CAST(("currency" = 'CNY') AS BOOLEAN), false) AND NOT coalesce(CAST(("amount" < CAST('1000.0000' AS DECIMAL(38, 4))) AS BOOLEAN), false) AND coalesce(CAST(("amount" >= CAST('1000.0000' AS DECIMAL(38, 4))) AS BOOLEAN), false) AS BOOLEAN), false));

-- refusals.band.low "B"
SELECT 'refusals.band.low' AS rule, '' AS key, id AS txn_ids FROM (SELECT "txn_id" AS id FROM "Transaction" WHERE coalesce(CAST(coalesce(CAST(("currency" = 'CNY') AS BOOLEAN), false) AND coalesce(CAST(("amount" < CAST('1000.0000' AS DECIMAL(38, 4))) AS BOOLEAN), false) AS BOOLEAN), false));

-- refusals.cash "cash"
SELECT 'refusals.cash' AS rule, '' AS key, id AS txn_ids FROM (SELECT "txn_id" AS id FROM "Transaction" WHERE coalesce(CAST(coalesce(CAST(("channel" = 'cash') AS BOOLEAN), false) AS BOOLEAN), false));

-- refusals.named "a name"
SELECT 'refusals.named' AS rule, '' AS key, id AS txn_ids FROM (SELECT "txn_id" AS id FROM "Transaction" WHERE coalesce(CAST(1 AND NOT coalesce(CAST(("customer_name" != '') AS BOOLEAN), false) AS BOOLEAN), false));

-- refusals.smallest "smallest in a day"
WITH t AS (SELECT *, row_number() OVER () AS n FROM (SELECT "txn_id" AS id, "customer_id" AS k0, "amount" AS a0, CAST(epoch("booked_at") AS BIGINT) AS tm, coalesce(CAST(1 AS BOOLEAN), false) AS an, CAST(timezone('Asia/Shanghai', "booked_at") AS DATE) AS dy FROM "Transaction" WHERE coalesce(CAST(coalesce(CAST(("currency" = 'CNY') AS BOOLEAN), false) AS BOOLEAN), false)))
SELECT 'refusals.smallest' AS rule, concat_ws('|', coalesce(CAST(k0 AS VARCHAR), ''), coalesce(CAST(ady AS VARCHAR), '')) AS key, array_to_string(list_sort(list_distinct(flatten(list(wids)))), ',') AS txn_ids
FROM (SELECT a.k0 AS k0, a.dy AS ady, list(r.id) AS wids
  FROM t a JOIN t r ON a.k0 IS NOT DISTINCT FROM r.k0 AND r.tm >= a.tm - 86400 AND r.tm <= a.tm
  WHERE a.an
  GROUP BY a.n, a.k0, a.dy
  HAVING coalesce(CAST((min(r.a0) FILTER (WHERE true) >= CAST('100000.0000' AS DECIMAL(38, 4))) AS BOOLEAN), false))
GROUP BY k0, ady;

-- refusals.tier_gap "tiers apart"
SELECT 'refusals.tier_gap' AS rule, '' AS key, id AS txn_ids FROM (SELECT "txn_id" AS id FROM (SELECT *, "customer_id" AS d0, "counterparty_id" AS d1 FROM "Transaction") LEFT JOIN (SELECT "customer_id" AS j0_key, "tier" AS j0_val, 1 AS j0_hit FROM "tiers") ON d0 = j0_key LEFT JOIN (SELECT "customer_id" AS j1_key, "tier" AS j1_val, 1 AS j1_hit FROM "tiers") ON d1 = j1_key WHERE coalesce(CAST(coalesce(CAST((((if(j0_hit = 1, j0_val, NULL) = 'high')) AND ((if(j1_hit = 1, j1_val, NULL) = 'low'))) AS BOOLEAN), false) AS BOOLEAN), false));

