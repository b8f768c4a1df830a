// decree/screen.h over the screen layer's index, lists and batch screener.
#include <fmt/format.h>

#include "decree/screen.h"
#include "screen/batch.h"
#include "screen/index.h"
#include "screen/index_file.h"
#include "screen/watchlist.h"

namespace decree {

static_assert(screen::kDefaultThreshold == 0.92, "decree/screen.h states the default threshold");

WatchListIndex::WatchListIndex() = default;
WatchListIndex::~WatchListIndex() = default;

Status WatchListIndex::Load(const std::vector<std::string>& paths, const WatchListLoadOptions& options,
                            std::unique_ptr<WatchListIndex>* out, std::vector<std::string>* notes) {
  std::vector<screen::WatchList> lists;
  screen::ListLoadOptions list_options;
  list_options.allow_partial = options.allow_partial;
  if (Status st = screen::LoadListFiles(paths, list_options, &lists, notes); !st.ok()) return st;
  std::unique_ptr<WatchListIndex> index(new WatchListIndex());
  if (Status st = screen::ScreeningIndex::Build(std::move(lists), &index->index_); !st.ok()) return st;
  index->sources_ = paths;
  *out = std::move(index);
  return Status::Ok();
}

std::vector<WatchListIndex::List> WatchListIndex::lists() const {
  std::vector<List> out;
  for (const screen::WatchList& l : index_->lists()) {
    uint64_t names = 0;
    for (const auto& e : l.entries) names += e.names.size();
    out.push_back({l.list_id, l.source, l.entries.size(), names});
  }
  return out;
}

uint64_t WatchListIndex::name_count() const { return index_->names().size(); }
uint64_t WatchListIndex::vocabulary_size() const { return index_->vocabulary_size(); }
Status WatchListIndex::Save(const std::string& path) const { return screen::SaveIndex(*index_, sources_, path); }
Status WatchListIndex::CheckSavePath(const std::string& path) { return screen::CheckIndexFile(path); }

Status ScreenBatch(const WatchListIndex& index, const std::string& input, const ScreenBatchOptions& options,
                   ScreenBatchResult* result) {
  screen::BatchScreenOptions o;
  o.threshold = options.threshold;
  o.input_format = options.input_format;
  o.columns = options.columns;
  o.threads = options.threads;
  o.all_pairs = options.all_pairs;
  o.out_path = options.out_path;
  o.progress = options.progress;
  std::vector<screen::AllowEntry> allow;
  if (!options.allow_path.empty()) {
    if (Status st = screen::LoadAllowList(options.allow_path, &allow); !st.ok()) {
      return Status::Corruption("allow-list: " + st.message());
    }
    o.allow = &allow;
  }
  screen::BatchScreenResult r;
  if (Status st = screen::ScreenBatch(*index.index_, input, o, &r); !st.ok()) return st;
  *result = ScreenBatchResult{};
  result->rows_read = r.rows_read;
  result->rows_screened = r.rows_screened;
  result->rows_rejected = r.rows_rejected;
  result->names_screened = r.names_screened;
  result->names_empty = r.names_empty;
  result->hits = r.hits;
  result->allowed = r.allowed;
  for (const screen::BatchReject& x : r.rejects) result->rejects.push_back({x.where, x.txn_id, x.reason});
  for (const screen::AllowEntry& a : allow) {
    if (a.used == 0) result->unused_allow_entries.push_back(fmt::format("{} ({} {})", a.where, a.list_id, a.entry_id));
  }
  result->queries = r.stats.queries;
  result->candidates = r.stats.candidates;
  result->pruned = r.stats.pruned;
  result->token_lookups = r.stats.token_lookups;
  result->vocabulary_compared = r.stats.vocabulary_compared;
  result->seconds = r.seconds;
  return Status::Ok();
}

}  // namespace decree
