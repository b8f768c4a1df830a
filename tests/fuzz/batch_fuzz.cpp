// libFuzzer targets: the batch readers (fuzz_batch_csv, fuzz_batch_jsonl; DECREE_FUZZ_FORMAT
// picks the reader) feeding the PBoC large-value rules, whose layout is the canonical
// transaction layout.  Any input must be read or refused with a reason, never crash, hang or
// trip a sanitizer, and every row must be evaluated or rejected: rows_read = evaluated +
// rejected, a reason for each reject.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "decree/run.h"
#include "driver/compilation.h"

namespace {

void Write(const std::string& path, const char* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  std::fwrite(data, 1, size, f);
  std::fclose(f);
}

struct Setup {
  decree::Compilation compilation{decree::CompileOptions{{DECREE_SOURCE_DIR "/rulesets/cn-pboc-lvtr"}, {}}};
  std::string input, rates;
  Setup() {
    if (!compilation.Run()) std::abort();
    const std::string base = "/tmp/decree-fuzz-batch-" + std::to_string(getpid());
    input = base + ".in";
    rates = base + ".rates.csv";
    const std::string r =
        "date,currency,usd_per_unit\n2026-03-01,USD,1\n2026-03-01,EUR,1.085\n2026-03-01,CNY,0.138672\n"
        "2026-03-02,USD,1\n2026-03-02,EUR,1.0851\n2026-03-02,JPY,0.0067\n";
    Write(rates, r.data(), r.size());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Setup setup;
  Write(setup.input, reinterpret_cast<const char*>(data), size);
  decree::InputSpec in;
  in.path = setup.input;
  in.format = decree::InputFormat::DECREE_FUZZ_FORMAT;
  decree::RunOptions options;
  options.threads = 1;
  options.tables["usd_rate"] = setup.rates;
  decree::RunResult result;
  if (decree::Run(setup.compilation.program(), in, options, &result).ok()) {
    if (result.rows_read != result.rows_evaluated + result.rows_rejected) std::abort();
    if (result.rejects.size() != result.rows_rejected) std::abort();
    for (const decree::RejectedRow& r : result.rejects) {
      if (r.reason.empty() || r.position.empty()) std::abort();
    }
  }
  return 0;
}
