-- cn-pboc-lvtr (rulesets/cn-pboc-lvtr) as hand-written SQLite SQL: Art. 5(1)-(4) with the
-- Art. 7 exemptions.  The independent path of the differential test (tests/differential_test.cpp)
-- and the SQLite peer of benchmark B1 (bench/peers/sqlite_peer.sh).
--
-- Expects two tables of text columns, named as in data-layouts.md:
--   tx(txn_id, booked_at, customer_id, customer_type, ..., exemption, purpose)
--   rates(date, currency, usd_per_unit)
-- and returns one row per finding: rule, key values joined by '|', txn_ids joined by ','
-- (ascending), ordered by rule and key.
--
-- Exact arithmetic without SQLite's floating point: amounts become integers of 10^-4 units
-- and rates integers of 10^-6 units by string surgery, so a USD equivalent is an integer of
-- 10^-10 USD.  Beijing days: SQLite reads the "+HH:MM" suffix, converts to UTC, then +8 hours
-- (Asia/Shanghai has had no daylight saving since 1991).
WITH
tx_exact AS (
  SELECT txn_id, customer_id, customer_type, direction, channel, cross_border, currency,
         date(booked_at, '+8 hours') AS day,
         CAST(CASE WHEN instr(amount, '.') = 0 THEN amount || '0000'
                   ELSE substr(amount, 1, instr(amount, '.') - 1)
                        || substr(substr(amount, instr(amount, '.') + 1) || '0000', 1, 4) END AS INTEGER) AS amount_e4,
         CASE WHEN currency = 'CNY' THEN 'CNY' ELSE 'FX' END AS cls
  FROM tx
  WHERE exemption = '' AND counterparty_type <> 'government'
),
rates_exact AS (
  SELECT date, currency,
         CAST(CASE WHEN instr(usd_per_unit, '.') = 0 THEN usd_per_unit || '000000'
                   ELSE substr(usd_per_unit, 1, instr(usd_per_unit, '.') - 1)
                        || substr(substr(usd_per_unit, instr(usd_per_unit, '.') + 1) || '000000', 1, 6) END AS INTEGER) AS rate_e6
  FROM rates
),
converted AS (
  SELECT t.*, CASE WHEN t.cls = 'FX' THEN t.amount_e4 * r.rate_e6 END AS usd_e10
  FROM tx_exact t LEFT JOIN rates_exact r ON r.date = t.day AND r.currency = t.currency
),
-- Each article's population and its thresholds (CNY, and USD for foreign currency).
articles AS (
  SELECT 'cn.pboc.lvtr.cash' AS rule, 50000 AS cny_min, 10000 AS usd_min, * FROM converted
    WHERE channel = 'cash'
  UNION ALL
  SELECT 'cn.pboc.lvtr.entity_transfer', 2000000, 200000, * FROM converted
    WHERE channel = 'transfer' AND customer_type = 'entity'
  UNION ALL
  SELECT 'cn.pboc.lvtr.person_domestic_transfer', 500000, 100000, * FROM converted
    WHERE channel = 'transfer' AND customer_type = 'person' AND cross_border = 'false'
  UNION ALL
  SELECT 'cn.pboc.lvtr.person_crossborder_transfer', 200000, 10000, * FROM converted
    WHERE channel = 'transfer' AND customer_type = 'person' AND cross_border = 'true'
),
groups AS (
  SELECT rule, customer_id, day, direction, cls, cny_min, usd_min,
         sum(amount_e4) AS total_e4, sum(usd_e10) AS total_usd_e10, group_concat(txn_id, ',') AS txn_ids
  FROM (SELECT * FROM articles ORDER BY txn_id)
  GROUP BY rule, customer_id, day, direction, cls
)
SELECT rule, customer_id || '|' || day || '|' || direction || '|' || cls AS key, txn_ids
FROM groups
WHERE (cls = 'CNY' AND total_e4 >= cny_min * 10000)
   OR (cls = 'FX' AND total_usd_e10 >= usd_min * 10000000000)
ORDER BY rule, key;
