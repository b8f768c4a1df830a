#include "engine_common.h"

#include <fmt/format.h>

#include <malloc.h>

#include <cstdlib>

#include "compile_common.h"

namespace decree::cli {

namespace {

// "90s", "48h", "7d" (a bare number is seconds) -> microseconds; false when not a duration.
bool ParseDuration(const std::string& text, int64_t* us) {
  char* end = nullptr;
  long long n = std::strtoll(text.c_str(), &end, 10);
  std::string unit = end != nullptr ? end : "";
  int64_t scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (end == text.c_str() || scale == 0 || n <= 0 || n > INT64_MAX / 1000000 / scale) return false;
  *us = static_cast<int64_t>(n) * scale * 1000000;
  return true;
}

}  // namespace

std::vector<OptionSpec> EngineOptionSpecs() {
  return {
      {"table", 't', "NAME=FILE", "a table the rules use, bound at start (repeatable)", true},
      {"list", 'l', "FILE", "a watch list for the rules' screen() calls (repeatable)", true},
      {"allow-partial-list", 0, "", "load an OFAC sdn.csv without its alt.csv and add.csv"},
      {"layout", 0, "NAME", "the layout of the records, when the library's rules read several"},
      {"late-after", 0, "DURATION", "refuse (422) a record whose time is this far behind the newest accepted (default 7d; 90s, 48h, 7d)"},
      {"state", 0, "DIR", "keep the decisions durable in DIR (a log synced before each answer); a restart continues from it"},
      {"skip-rule", 0, "ID", "leave this rule out of the decisions (repeatable; path rules must be: they run in batch)", true},
  };
}

int ParseEngineOptions(const std::string& verb, const Args& args, EngineOptions* out) {
  out->layout = args.Get("layout");
  if (!TableArgs(verb, args, &out->tables)) return kExitUsage;
  out->watch_lists = args.GetAll("list");
  out->allow_partial_lists = args.Has("allow-partial-list");
  out->state_dir = args.Get("state");
  out->skip_rules = args.GetAll("skip-rule");
  if (args.Has("late-after") && !ParseDuration(args.Get("late-after"), &out->late_after_us)) {
    return UsageError(verb, fmt::format("--late-after expects a duration such as 90s, 48h or 7d, not '{}'", args.Get("late-after")));
  }
  return 0;
}

int OpenEngine(const std::string& verb, const Args& args, const EngineOptions& options, std::unique_ptr<Engine>* out) {
  // Each decision builds and frees the evaluator's chunk buffers: keep freed memory in the
  // heap rather than returning it to the system and faulting it in again (2.6x faster
  // decisions on this VM, measured on 2,000 records; docs/serve.md).  For glibc's malloc: a
  // decree linked with jemalloc (CMakeLists.txt, DECREE_JEMALLOC) does not use it.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
  std::unique_ptr<Library> lib;
  if (int code = OpenOrCompile(verb, args.positionals(), args.Color(stderr), &lib); code != 0) return code;
  Status st = Engine::Open(std::shared_ptr<const Library>(std::move(lib)), options, out);
  if (!st.ok()) {
    fmt::print(stderr, "decree {}: {}\n", verb, st.message());
    return st.code() == Status::Code::kMissingInput || st.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  return 0;
}

Status LoadLibraryForReload(const Args& args, std::shared_ptr<const Library>* out) {
  std::unique_ptr<Library> lib;
  if (OpenOrCompile("serve", args.positionals(), false, &lib) != 0) {
    return Status::InvalidArgument("the library did not load (see the messages above)");
  }
  *out = std::shared_ptr<const Library>(std::move(lib));
  return Status::Ok();
}

}  // namespace decree::cli
