// Watch-list screening inside rules: `screen(name, list "id")` (docs/language.md).
//
// screen() is the best score of `name` against the entries of list `id`, in [0, 1] at four
// decimals, rounded down: `screen(n, list "un-sc") >= 0.92` holds exactly when the matcher's
// score (screen/match.h) is at least 0.92.  Scores below the run's floor read as 0.  The floor
// is the smallest constant a rule compares a screen() with (0.0001 when some rule uses a
// screen() in any other way), so every comparison a rule makes gives the answer the exact
// score would: substituting 0 for a score under every constant compared changes no comparison.
// A null name screens to null; a name that normalises to nothing scores 0.
//
// The lists are indexed once per run (RuleScreening, shared); each worker thread scores
// through its own RuleScreener, which remembers the names it has seen.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "decree/status.h"
#include "ir/ir.h"
#include "screen/index.h"
#include "screen/watchlist.h"

namespace decree::screen {

inline constexpr int32_t kScoreUnits = 10000;  // screen() values are decimal(4)

struct RuleMatch {
  int32_t score = 0;  // in 1/kScoreUnits
  int32_t name = -1;  // the best name (index into ScreeningIndex::names()); -1: none at the floor
};

class RuleScreener;

class RuleScreening {
 public:
  // The distinct list ids the rules of `program` screen against, sorted; empty when no rule
  // calls screen().
  static std::vector<std::string> ListsUsed(const ir::Program& program);
  // The floor for `program`, in 1/kScoreUnits (at least 1).
  static int32_t Floor(const ir::Program& program);

  // Indexes `lists` (moved in) for the screen() calls of `program`.  Fails naming each list a
  // rule screens against that none of `lists` provides.
  static Status Build(const ir::Program& program, std::vector<WatchList> lists, std::unique_ptr<RuleScreening>* out);
  ~RuleScreening();

  const ScreeningIndex& index() const { return *index_; }
  int32_t floor() const { return floor_; }
  // The slot of list `id` (what RuleScreener::Best takes), or -1 when no list has that id.
  int Slot(const std::string& id) const;
  // `un-sc QDi.001 "BOUT, Viktor" (alias)`: the entry a match names, for explanations; with
  // the screened `query`, also how its parts met the entry's (`viktor=viktor exact +0.26,
  // but~bout phonetic +0.16, …`; thread-safe, slower).
  std::string Describe(const RuleMatch& m, std::string_view query = {}) const;

  // For scalar evaluation (explanations, group-level guards): thread-safe, slower.
  RuleMatch BestLocked(int slot, std::string_view name) const;

 private:
  friend class RuleScreener;
  RuleScreening() = default;

  std::unique_ptr<ScreeningIndex> index_;
  int32_t floor_ = 1;
  std::vector<std::string> slot_ids_;  // list id of each slot
  std::vector<int> slot_of_list_;      // index().lists() position -> slot
  mutable LookupMemo memo_;            // token lookups shared by the run's screeners
  mutable std::mutex shared_mu_;
  mutable std::unique_ptr<RuleScreener> shared_;  // BestLocked's screener
};

class RuleScreener {
 public:
  explicit RuleScreener(const RuleScreening& s);
  const Status& status() const { return screener_.status(); }

  // The best match of `name` among the entries of list `slot`.
  RuleMatch Best(int slot, std::string_view name);
  Screener& screener() { return screener_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  static constexpr size_t kCacheLimit = size_t{1} << 20;  // names remembered per thread

  const RuleScreening& s_;
  Screener screener_;
  // Each name seen: its best match in every slot.
  std::unordered_map<std::string, std::vector<RuleMatch>, Hash, std::equal_to<>> cache_;
  std::vector<ScreenHit> hits_;
  std::vector<RuleMatch> scratch_;
  NormalizedName query_;
};

}  // namespace decree::screen
