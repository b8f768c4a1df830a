-- cn-pboc-lvtr (rulesets/cn-pboc-lvtr) as DuckDB SQL: Art. 5(1)-(4) with Art. 7 exemptions.
CREATE TEMP TABLE rates AS
  SELECT CAST(date AS DATE) AS date, currency, CAST(usd_per_unit AS DECIMAL(18, 6)) AS usd_per_unit
  FROM read_csv('$RATES', header = true, all_varchar = true);
CREATE TEMP TABLE t AS
  SELECT txn_id, customer_id, customer_type, direction, channel, cross_border = 'true' AS cross_border, currency,
         CAST(CAST(CAST(booked_at AS TIMESTAMPTZ) AS TIMESTAMP) + INTERVAL 8 HOUR AS DATE) AS day,
         CAST(amount AS DECIMAL(18, 4)) AS amount,
         CASE WHEN currency = 'CNY' THEN 'CNY' ELSE 'FX' END AS cls
  FROM read_csv('$TX', header = true, all_varchar = true)
  WHERE coalesce(exemption, '') = '' AND counterparty_type <> 'government';
CREATE TEMP TABLE tc AS
  SELECT t.*, CASE WHEN t.currency = 'USD' THEN CAST(t.amount AS DECIMAL(38, 10)) ELSE t.amount * r.usd_per_unit END AS usd
  FROM t LEFT JOIN rates r ON r.date = t.day AND r.currency = t.currency;
COPY (
  WITH rules AS (
    SELECT 'cn.pboc.lvtr.cash' AS rule, * FROM tc WHERE channel = 'cash'
    UNION ALL SELECT 'cn.pboc.lvtr.entity_transfer', * FROM tc WHERE channel = 'transfer' AND customer_type = 'entity'
    UNION ALL SELECT 'cn.pboc.lvtr.person_domestic_transfer', * FROM tc
      WHERE channel = 'transfer' AND customer_type = 'person' AND NOT cross_border
    UNION ALL SELECT 'cn.pboc.lvtr.person_crossborder_transfer', * FROM tc
      WHERE channel = 'transfer' AND customer_type = 'person' AND cross_border
  ),
  groups AS (
    SELECT rule, customer_id, day, direction, cls, sum(amount) AS total, sum(usd) AS total_usd,
           string_agg(txn_id, ',' ORDER BY txn_id) AS txn_ids
    FROM rules GROUP BY rule, customer_id, day, direction, cls
  )
  SELECT rule, customer_id || '|' || strftime(day, '%Y-%m-%d') || '|' || direction || '|' || cls AS key, txn_ids
  FROM groups
  WHERE (cls = 'CNY' AND total >= CASE rule WHEN 'cn.pboc.lvtr.cash' THEN 50000 WHEN 'cn.pboc.lvtr.entity_transfer' THEN 2000000
                                            WHEN 'cn.pboc.lvtr.person_domestic_transfer' THEN 500000 ELSE 200000 END)
     OR (cls = 'FX' AND total_usd >= CASE rule WHEN 'cn.pboc.lvtr.cash' THEN 10000 WHEN 'cn.pboc.lvtr.entity_transfer' THEN 200000
                                                WHEN 'cn.pboc.lvtr.person_domestic_transfer' THEN 100000 ELSE 10000 END)
  ORDER BY rule, key
) TO '$OUT' (FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '');
