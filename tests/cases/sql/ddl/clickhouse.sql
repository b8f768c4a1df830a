-- The input table of layout decree.canonical.Transaction (18 columns, named as in the CSV).
-- On every shard of cluster decree: the local table.
CREATE TABLE `Transaction_local` (
  `txn_id` String,
  `booked_at` String,
  `customer_id` String,
  `customer_type` String,
  `customer_name` String,
  `account_id` String,
  `direction` String,
  `amount` Decimal(38, 4),
  `currency` String,
  `channel` String,
  `cross_border` String,
  `counterparty_id` String,
  `counterparty_name` String,
  `counterparty_account` String,
  `counterparty_type` String,
  `counterparty_country` Nullable(String),
  `exemption` String,
  `purpose` String
) ENGINE = MergeTree ORDER BY `txn_id`;

-- Once: the Distributed table over them, sharded by cityHash64(`customer_id`) (every grouped rule keys on it, so groups are shard-local).
CREATE TABLE `Transaction` AS `Transaction_local` ENGINE = Distributed(decree, default, Transaction_local, cityHash64(`customer_id`));

-- Table aml.last_activity: on every shard, with the same rows.
CREATE TABLE `last_activity` (
  `customer_id` String,
  `last_seen_at` String
) ENGINE = MergeTree ORDER BY (`customer_id`);

-- Table cn.pboc.lvtr.work_calendar: on every shard, with the same rows.
CREATE TABLE `work_calendar` (
  `date` Date,
  `working` String,
  `holiday` String,
  `source` String
) ENGINE = MergeTree ORDER BY (`date`);

-- Table decree.canonical.usd_rate: on every shard, with the same rows.
CREATE TABLE `usd_rate` (
  `date` Date,
  `currency` String,
  `usd_per_unit` Decimal(38, 6)
) ENGINE = MergeTree ORDER BY (`date`, `currency`);

