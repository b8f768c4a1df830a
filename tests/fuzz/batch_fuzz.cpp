// libFuzzer targets: the batch readers (fuzz_batch_csv, fuzz_batch_jsonl; DECREE_FUZZ_FORMAT
// picks the reader) feeding the PBoC large-value rules, whose layout is the canonical
// transaction layout.  Any input must be read or refused with a reason, never crash, hang or
// trip a sanitizer, and every row must be evaluated or rejected: rows_read = evaluated +
// rejected, a reason for each reject.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "decree/run.h"
#include "fuzz_support.h"

namespace {

// The rates the PBoC rules convert foreign currency with, written once.
std::string RatesFile() {
  const std::string path = decree::fuzz::TempPath("batch-rates", ".csv");
  const std::string r =
      "date,currency,usd_per_unit\n2026-03-01,USD,1\n2026-03-01,EUR,1.085\n2026-03-01,CNY,0.138672\n"
      "2026-03-02,USD,1\n2026-03-02,EUR,1.0851\n2026-03-02,JPY,0.0067\n";
  decree::fuzz::WriteInput(path, r.data(), r.size());
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static decree::fuzz::CompiledRuleset rules("cn-pboc-lvtr");
  static const std::string rates = RatesFile();
  static const std::string input = decree::fuzz::TempPath("batch", ".in");
  decree::fuzz::WriteInput(input, data, size);
  decree::InputSpec in;
  in.path = input;
  in.format = decree::InputFormat::DECREE_FUZZ_FORMAT;
  decree::RunOptions options;
  options.threads = 1;
  options.tables["usd_rate"] = rates;
  decree::RunResult result;
  if (decree::Run(rules.program(), in, options, &result).ok()) {
    if (result.rows_read != result.rows_evaluated + result.rows_rejected) std::abort();
    if (result.rejects.size() != result.rows_rejected) std::abort();
    for (const decree::RejectedRow& r : result.rejects) {
      if (r.reason.empty() || r.position.empty()) std::abort();
    }
  }
  return 0;
}
