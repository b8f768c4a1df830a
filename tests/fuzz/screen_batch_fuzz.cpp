// libFuzzer target: `decree screen`'s batch readers (CSV, and JSON Lines with
// -DDECREE_FUZZ_FORMAT=kJsonl) over a small in-memory list, through ScreenBatch as the CLI calls
// it.  Any input must be screened or refused; when screened, every row is counted once: abort
// unless rows_read = rows_screened + rows_rejected and every reject has a position and a reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "screen/batch.h"
#include "screen/index.h"
#include "screen/watchlist.h"

#ifndef DECREE_FUZZ_FORMAT
#define DECREE_FUZZ_FORMAT kCsv
#endif

namespace {

const decree::screen::ScreeningIndex& Index() {
  static std::unique_ptr<decree::screen::ScreeningIndex> index = [] {
    std::vector<decree::screen::WatchList> lists;
    const char* csv =
        "list_id,entry_id,entry_type,name,aliases,country,birth_date,program\n"
        "demo,W1,individual,\"BINALSHIBH, Ramzi Mohammed Abdullah\",,YE,,SDGT\n"
        "demo,W2,individual,\"ZHANG, Lei\",张磊,CN,,SDGT\n"
        "demo,W3,entity,Golden Crescent Trading,,AE,,SDGT\n";
    if (!decree::screen::LoadWatchlistCsv(csv, "fuzz-list.csv", &lists).ok()) std::abort();
    std::unique_ptr<decree::screen::ScreeningIndex> out;
    if (!decree::screen::ScreeningIndex::Build(std::move(lists), &out).ok()) std::abort();
    return out;
  }();
  return *index;
}

constexpr decree::InputFormat kFormat = decree::InputFormat::DECREE_FUZZ_FORMAT;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool jsonl = kFormat == decree::InputFormat::kJsonl;
  const std::string in = decree::fuzz::TempPath("screen", jsonl ? ".jsonl" : ".csv");
  decree::fuzz::WriteInput(in, data, size);
  decree::screen::BatchScreenOptions options;
  options.input_format = kFormat;
  options.threads = 1;
  options.out_path = decree::fuzz::TempPath("screen-hits", ".jsonl");
  decree::screen::BatchScreenResult result;
  if (decree::screen::ScreenBatch(Index(), in, options, &result).ok()) {
    if (result.rows_read != result.rows_screened + result.rows_rejected) std::abort();
    for (const auto& r : result.rejects) {
      if (r.where.empty() || r.reason.empty()) std::abort();
    }
  }
  return 0;
}
