-- refusals.cash "cash"
SELECT 'refusals.cash' AS rule, '' AS key, id AS txn_ids FROM (SELECT `txn_id` AS id FROM `Transaction` WHERE ifNull(ifNull((`channel` = 'cash'), 0), 0));

