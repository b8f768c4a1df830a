-- refusals.band.high "B"
SELECT 'refusals.band.high' AS rule, '' AS key, id AS txn_ids FROM (SELECT `txn_id` AS id FROM `Transaction` WHERE ifNull(ifNull((`currency` = 'CNY'), 0) AND NOT ifNull((`amount` < toDecimal128('1000.0000', 4)), 0) AND ifNull((`amount` >= toDecimal128('1000.0000', 4)), 0), 0));

-- refusals.band.low "B"
SELECT 'refusals.band.low' AS rule, '' AS key, id AS txn_ids FROM (SELECT `txn_id` AS id FROM `Transaction` WHERE ifNull(ifNull((`currency` = 'CNY'), 0) AND ifNull((`amount` < toDecimal128('1000.0000', 4)), 0), 0));

-- refusals.cash "cash"
SELECT 'refusals.cash' AS rule, '' AS key, id AS txn_ids FROM (SELECT `txn_id` AS id FROM `Transaction` WHERE ifNull(ifNull((`channel` = 'cash'), 0), 0));

-- refusals.named "a name"
SELECT 'refusals.named' AS rule, '' AS key, id AS txn_ids FROM (SELECT `txn_id` AS id FROM `Transaction` WHERE ifNull(1 AND NOT ifNull((`customer_name` != ''), 0), 0));

