// The project's deterministic batch generator: the same seed gives the same bytes.
//
// Transactions in the canonical layout (data-layouts.md), ~150 bytes a row, with dense
// threshold cases (amounts at, just under and just over the large-value thresholds; pairs that
// cross them only when totalled), mixed currencies with their own minor units, mixed UTC
// offsets (so the Beijing day differs from the written date), exemption codes, government
// counterparties, and, with the AML mix, structuring, rapid movement, fan-in/out and round
// amount patterns.  Every row is valid: the generator never writes a reject.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace decree::bench {

// The shape of a batch: `dense` (the default) puts amounts at, under and over the
// thresholds, ~40 rows a customer; `retail` many customers with few, mostly small
// transactions (few findings); `heavy` few customers with large amounts (many findings).
enum class Mix { kDense, kRetail, kHeavy };

struct GenOptions {
  uint64_t rows = 100000;
  uint64_t seed = 1;
  Mix mix = Mix::kDense;
  uint64_t customers = 0;  // 0: rows / 40 (dense), rows / 4 (retail), rows / 400 (heavy)
  int days = 30;           // from 2026-03-01 (Asia/Shanghai)
  bool aml_patterns = true;
  // Fund flows (aml.layering_chain, aml.round_trip): per mille of the generator's draws that
  // plant a flow of transfers between customers' accounts — chains, cycles, scatter-gather,
  // and near misses at every boundary (48 h + 1 s, 79.99 %, a repeated account, 7 days + 1 s).
  // With flows, 3 % of other CNY transfers out go to a customer's account (chance links).
  // 0: none (the default, so batches without it are unchanged).
  int flow_permille = 0;
  // Every row a CNY transfer out to another customer's account (a transfer graph, for B7).
  bool transfers_only = false;
};

struct GeneratedRow {
  std::string txn_id, booked_at, customer_id, customer_type, customer_name, account_id, direction, amount, currency,
      channel, cross_border, counterparty_id, counterparty_name, counterparty_account, counterparty_type,
      counterparty_country, exemption, purpose;
};

// The canonical column order of the CSV header.
const std::vector<std::string>& Columns();
std::vector<std::string> Fields(const GeneratedRow& r);

// Calls `emit` for every row, in file order.
void Generate(const GenOptions& o, const std::function<void(const GeneratedRow&)>& emit);

// rates.csv rows (date, currency, usd_per_unit) for every day and currency generated.
std::vector<std::vector<std::string>> Rates(const GenOptions& o);

// last_activity.csv rows (customer_id, last_seen_at) for the dormant-reactivation typology:
// three customers in four, last seen 120 to 240 days before the batch starts.
std::vector<std::vector<std::string>> LastActivity(const GenOptions& o);

// Writes a CSV (or JSON Lines) batch, its rates file, its last_activity file.
bool WriteBatch(const GenOptions& o, const std::string& path, bool jsonl, std::string* error);
bool WriteRates(const GenOptions& o, const std::string& path, std::string* error);
bool WriteLastActivity(const GenOptions& o, const std::string& path, std::string* error);

}  // namespace decree::bench
