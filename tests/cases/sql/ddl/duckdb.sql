-- The input table of layout decree.canonical.Transaction (18 columns, named as in the CSV).
CREATE TABLE "Transaction" (
  "txn_id" VARCHAR,
  "booked_at" TIMESTAMPTZ,
  "customer_id" VARCHAR,
  "customer_type" VARCHAR,
  "customer_name" VARCHAR,
  "account_id" VARCHAR,
  "direction" VARCHAR,
  "amount" DECIMAL(38, 4),
  "currency" VARCHAR,
  "channel" VARCHAR,
  "cross_border" BOOLEAN,
  "counterparty_id" VARCHAR,
  "counterparty_name" VARCHAR,
  "counterparty_account" VARCHAR,
  "counterparty_type" VARCHAR,
  "counterparty_country" VARCHAR,
  "exemption" VARCHAR,
  "purpose" VARCHAR
);

-- Table aml.last_activity.
CREATE TABLE "last_activity" (
  "customer_id" VARCHAR,
  "last_seen_at" TIMESTAMPTZ
);

-- Table cn.pboc.lvtr.work_calendar.
CREATE TABLE "work_calendar" (
  "date" DATE,
  "working" BOOLEAN,
  "holiday" VARCHAR,
  "source" VARCHAR
);

-- Table decree.canonical.usd_rate.
CREATE TABLE "usd_rate" (
  "date" DATE,
  "currency" VARCHAR,
  "usd_per_unit" DECIMAL(38, 6)
);

