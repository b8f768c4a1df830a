-- aml.high_risk_jurisdiction "第十一条 高风险国家或地区 (high-risk jurisdiction)"
SELECT 'aml.high_risk_jurisdiction' AS rule, '' AS key, id AS txn_ids FROM (SELECT "txn_id" AS id FROM "Transaction" WHERE coalesce(CAST(coalesce(CAST((NULLIF("counterparty_country", '') IN ('IR', 'KP', 'MM')) AS BOOLEAN), false) AND CAST(timezone('Asia/Shanghai', "booked_at") AS DATE) >= DATE '2017-07-01' AS BOOLEAN), false));

-- us.fincen.ctr.ctr "31 CFR 1010.311, 1010.313(b)"
SELECT 'us.fincen.ctr.ctr' AS rule, concat_ws('|', coalesce(CAST(k0 AS VARCHAR), ''), coalesce(CAST(k1 AS VARCHAR), ''), coalesce(CAST(k2 AS VARCHAR), '')) AS key, string_agg(id, ',' ORDER BY id) AS txn_ids
FROM (SELECT "txn_id" AS id, "customer_id" AS k0, CAST(timezone('America/New_York', "booked_at") AS DATE) AS k1, "direction" AS k2, if("currency" = 'USD', CAST("amount" AS DECIMAL(38, 10)), "amount" * j0_rate) AS a0 FROM (SELECT *, CAST(timezone('America/New_York', "booked_at") AS DATE) AS d0 FROM "Transaction") LEFT JOIN (SELECT "date" AS j0_date, "currency" AS j0_cur, "usd_per_unit" AS j0_rate FROM "usd_rate") ON d0 = j0_date AND "currency" = j0_cur WHERE coalesce(CAST(coalesce(CAST(("channel" = 'cash') AS BOOLEAN), false) AS BOOLEAN), false))
GROUP BY k0, k1, k2
HAVING coalesce(CAST((sum(a0) FILTER (WHERE true) > CAST('10000.0000000000' AS DECIMAL(38, 10))) AS BOOLEAN), false);

