// Screening a transaction batch (canonical layout, CSV or JSON Lines): the customer and counterparty names
// of every row against a ScreeningIndex, hits as JSON Lines (docs/screening.md), every row
// screened or rejected with its line and reason.  Output is identical whatever the thread
// count: segments are screened in parallel and written in file order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "decree/input.h"
#include "decree/status.h"
#include "screen/index.h"
#include "screen/match.h"

namespace decree::screen {

// A reviewed false positive: hits of `list_id`/`entry_id` for a query whose normalised tokens
// equal those of `name` are reported as allowed instead of as hits.
struct AllowEntry {
  std::string list_id, entry_id, name;
  std::string reviewed_by, reviewed_on, reason;
  std::string where;  // file:line
  std::vector<std::string> tokens;  // `name` normalised
  uint64_t used = 0;
};

// allow.csv: list_id,entry_id,name,reviewed_by,reviewed_on,reason — all required, reviewed_on
// an ISO date.
Status LoadAllowList(const std::string& path, std::vector<AllowEntry>* out);

struct BatchScreenOptions {
  InputFormat input_format = InputFormat::kAuto;  // CSV or JSON Lines; kAuto: by extension, then content
  double threshold = kDefaultThreshold;
  std::vector<std::string> columns = {"customer_name", "counterparty_name"};
  int threads = 0;         // 0: one per core
  bool all_pairs = false;  // score every list name (the reference) instead of using the index
  std::vector<AllowEntry>* allow = nullptr;  // `used` counts are updated
  std::string out_path;    // hits.jsonl, written atomically; "-" is standard output
  std::function<void(uint64_t bytes_done, uint64_t bytes_total, uint64_t rows)> progress;
};

struct BatchReject {
  std::string where;  // "line N"
  std::string txn_id;
  std::string reason;
};

struct BatchScreenResult {
  uint64_t rows_read = 0, rows_screened = 0, rows_rejected = 0;
  uint64_t names_screened = 0, names_empty = 0;
  uint64_t hits = 0, allowed = 0;
  std::vector<BatchReject> rejects;
  ScreenStats stats;
  double seconds = 0;
};

Status ScreenBatch(const ScreeningIndex& index, const std::string& input, const BatchScreenOptions& options,
                   BatchScreenResult* result);

// What a row's country did to a hit (screen/evidence.h).
struct HitEvidence {
  double score = 0;   // the name score with the effect, in [0, 1]
  double effect = 0;  // +kCountryEffect, −kCountryEffect or 0
  std::string row_country, list_country;  // ISO codes, "" unknown
};

// One hit as the JSON object of a hits.jsonl line (no line break); `evidence` when the batch
// gives the name's country.
void AppendHitJson(const ScreeningIndex& index, std::string_view txn_id, std::string_view column, std::string_view query,
                   const NormalizedName& normalized, const ScreenHit& hit, const AllowEntry* allowed, std::string* out,
                   const HitEvidence* evidence = nullptr);

}  // namespace decree::screen
