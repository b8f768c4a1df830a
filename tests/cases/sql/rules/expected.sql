-- aml.high_risk_jurisdiction "第十一条 高风险国家或地区 (high-risk jurisdiction)"
SELECT 'aml.high_risk_jurisdiction' AS rule, '' AS key, id AS txn_ids FROM (SELECT `txn_id` AS id FROM `Transaction` WHERE ifNull(ifNull((NULLIF(`counterparty_country`, '') IN ('IR', 'KP', 'MM')), 0) AND toDate(parseDateTimeBestEffort(`booked_at`), 'Asia/Shanghai') >= toDate('2017-07-01'), 0));

-- us.fincen.ctr.ctr "31 CFR 1010.311, 1010.313(b)"
SELECT 'us.fincen.ctr.ctr' AS rule, arrayStringConcat([ifNull(toString(k0), ''), ifNull(toString(k1), ''), ifNull(toString(k2), '')], '|') AS key, arrayStringConcat(arraySort(groupArray(id)), ',') AS txn_ids
FROM (SELECT `txn_id` AS id, `customer_id` AS k0, toDate(parseDateTimeBestEffort(`booked_at`), 'America/New_York') AS k1, `direction` AS k2, if(`currency` = 'USD', toDecimal128(`amount`, 10), `amount` * j0_rate) AS a0 FROM (SELECT *, toDate(parseDateTimeBestEffort(`booked_at`), 'America/New_York') AS d0 FROM `Transaction`) ANY LEFT JOIN (SELECT `date` AS j0_date, `currency` AS j0_cur, `usd_per_unit` AS j0_rate FROM `usd_rate`) ON d0 = j0_date AND `currency` = j0_cur WHERE ifNull(ifNull((`channel` = 'cash'), 0), 0))
GROUP BY k0, k1, k2
HAVING ifNull((if(countIf(1) = 0, NULL, sumIf(a0, 1)) > toDecimal128('10000.0000000000', 10)), 0);

