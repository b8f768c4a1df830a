// libFuzzer target: the JSON Lines reader's fast path (runtime/io/jsonl_flat.h) against
// simdjson.  Every line the fast path accepts, simdjson must accept with the same members;
// a disagreement aborts.  Also the engine's compact form of a held record
// (runtime/engine/compact_record.h): a valid JSON line it compacts must expand to an object
// with the same members, in the same order, with the same values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "decree/json.h"
#include "engine/compact_record.h"
#include "io/jsonl_flat_reference.h"

namespace {

bool SameValue(const decree::JsonValue& a, const decree::JsonValue& b) {
  return a.kind == b.kind && a.b == b.b && a.text == b.text && a.items.empty() && b.items.empty() && a.members.empty() &&
         b.members.empty();
}

void CheckCompact(const std::string& line) {
  // The seeds' keys: single letters and the canonical transaction's columns.
  static const std::vector<std::string> columns = {
      "a", "b", "c", "k", "n", "t", "f", "z", "big", "txn_id", "booked_at", "customer_id", "customer_type", "customer_name",
      "account_id", "direction", "amount", "currency", "channel", "cross_border", "counterparty_id", "counterparty_name",
      "counterparty_account", "counterparty_type", "counterparty_country", "exemption", "purpose"};
  decree::JsonValue in, out;
  size_t offset = 0;
  std::string error, compact, expanded;
  if (!decree::ParseJson(line, &in, &offset, &error)) return;  // the engine holds only lines that read
  if (!decree::engine::CompactRecord(line, columns, &compact)) return;
  decree::engine::ExpandRecord(compact, columns, &expanded);
  if (!decree::ParseJson(expanded, &out, &offset, &error)) std::abort();
  if (in.kind != decree::JsonValue::Kind::kObject || out.members.size() != in.members.size()) std::abort();
  for (size_t i = 0; i < in.members.size(); ++i) {
    if (in.members[i].key != out.members[i].key || !SameValue(in.members[i].value, out.members[i].value)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t at = 0;
  while (at <= input.size()) {
    size_t nl = input.find('\n', at);
    if (nl == std::string::npos) nl = input.size();
    std::string line = input.substr(at, nl - at);
    if (!decree::io::flat_reference::Disagreement(line).empty()) std::abort();
    CheckCompact(line);
    at = nl + 1;
  }
  return 0;
}
