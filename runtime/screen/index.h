// The screening index: every name of the loaded watch lists, normalised once, with
//   - a vocabulary of distinct tokens (plus each multi-token name written together — both
//     orders for two tokens — so "zhanglei" can find "zhang lei"),
//   - postings: vocabulary entry → the names that hold it,
//   - a bigram index over the vocabulary (padded: "$z" "zh" … "g$"), so a query token finds
//     its similar tokens without a scan.
// A query normalises the name, finds for each token (and for the tokens written together) the
// vocabulary entries with TokenSimilarity ≥ threshold through the bigram index, scores exactly
// the names that hold them (NameScore), and keeps the best name per list entry.  AllPairs()
// scores every name instead: the reference the index is tested and benchmarked against.
//
// The index is immutable once built and shared by threads; each thread queries through its
// own Screener (ICU objects, memo of token lookups, scratch).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "decree/status.h"
#include "screen/match.h"
#include "screen/normalize.h"
#include "screen/watchlist.h"

namespace decree::screen {

class ScreeningIndex {
 public:
  struct Name {
    uint32_t list;    // index into lists()
    uint32_t entry;   // index into lists()[list].entries
    uint32_t alias;   // index into that entry's names
    uint32_t first_token, token_count;  // range of token_ids()
    uint16_t steps;   // normalisations the list name went through
    uint32_t family_mask;  // tokens of the family name (match.h NameScore); 0: the last
  };

  // Normalises every name of `lists` (moved in).  Names that normalise to nothing (all
  // punctuation) are counted in skipped_names() and not indexed.
  static Status Build(std::vector<WatchList> lists, std::unique_ptr<ScreeningIndex>* out);

  const std::vector<WatchList>& lists() const { return lists_; }
  const std::vector<Name>& names() const { return names_; }
  size_t entry_count() const;
  size_t skipped_names() const { return skipped_names_; }
  size_t vocabulary_size() const { return vocab_.size(); }
  std::string_view token(uint32_t id) const { return vocab_[id]; }
  const uint32_t* name_tokens(const Name& n) const { return token_ids_.data() + n.first_token; }

 private:
  friend class Screener;
  uint32_t Intern(const std::string& token);
  void Finish();  // postings and the bigram index

  std::vector<WatchList> lists_;
  std::vector<Name> names_;
  std::vector<uint32_t> token_ids_;
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, uint32_t> vocab_ids_;
  std::vector<std::pair<uint32_t, uint32_t>> occurrences_;  // (vocab id, name id), before Finish
  // CSR postings: names of vocabulary entry v are posting_names_[posting_start_[v] .. [v+1]).
  std::vector<uint32_t> posting_start_, posting_names_;
  // CSR bigram index over vocabulary entries: bigram b (two bytes, 0 = padding) →
  // bigram_vocab_[bigram_start_[b] .. [b+1]).
  // Within a bigram, entries are sorted by token length; bigram_length_[k] is the length of
  // bigram_vocab_[k] (at most kMaxCompare, which fits a byte).
  std::vector<uint32_t> bigram_start_, bigram_vocab_;
  std::vector<uint8_t> bigram_length_;
  // bigram_histogram_[k·kHistogramBuckets …]: character counts of bigram_vocab_[k], kept beside
  // the entry so the lossless pre-filter of a lookup reads memory in order.
  std::vector<uint8_t> bigram_histogram_;
  std::vector<uint32_t> bigram_prefix_;  // the first 4 bytes of bigram_vocab_[k], zero-padded
  // Vocabulary entries by equivalents group (match.h) and by phonetic key, for lookups the
  // bigram filters (exact for Jaro-Winkler only) would not find.
  std::unordered_map<int, std::vector<uint32_t>> equivalent_vocab_;
  std::unordered_map<std::string, std::vector<uint32_t>> phonetic_vocab_;
  std::vector<uint8_t> vocab_abd_;  // RewritesAbd of each vocabulary entry
  size_t skipped_names_ = 0;
};

inline constexpr size_t kHistogramBuckets = 32;  // a–z, 0–9 together, other bytes together

struct ScreenHit {
  uint32_t name;  // index into ScreeningIndex::names()
  double score;
  uint16_t match_flags;  // MatchFlag bits
};

// A list token similar to a looked-up term.
struct VocabHit {
  uint32_t id;
  float similarity;
};

// The token lookups of the screeners of one index and threshold, shared by their threads:
// a term is looked up once per run, not once per thread.  Entries are never removed (their
// addresses stay valid); past `capacity` terms, new lookups are not remembered.
class LookupMemo {
 public:
  explicit LookupMemo(size_t capacity = size_t{1} << 22) : capacity_per_shard_(capacity / kShards + 1) {}
  const std::vector<VocabHit>* Find(const std::string& term);
  // Remembers `hits` for `term` (unless full or already there) and returns what is remembered,
  // or nullptr when it was not.
  const std::vector<VocabHit>* Insert(const std::string& term, std::vector<VocabHit> hits);

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<VocabHit>> map;
  };
  size_t capacity_per_shard_;
  Shard shards_[kShards];
};

struct ScreenStats {
  uint64_t queries = 0, candidates = 0, pruned = 0, token_lookups = 0, vocabulary_compared = 0;
};

class Screener {
 public:
  // `threshold` in (0, 1]: hits score at least this.  `memo` (optional) shares token lookups
  // with other screeners of the same index and threshold.
  Screener(const ScreeningIndex* index, double threshold, LookupMemo* memo = nullptr);
  const Status& status() const { return normalizer_.status(); }

  // The hits of `name`, best first (score, then list and entry order), one per list entry.
  // *query receives the normalised query.
  void Screen(std::string_view name, std::vector<ScreenHit>* hits, NormalizedName* query);
  // The same, scoring every name of the index (the reference).
  void AllPairs(std::string_view name, std::vector<ScreenHit>* hits, NormalizedName* query);
  const ScreenStats& stats() const { return stats_; }
  // How `name` compares with the index's name `name_id`, part by part (match.h PartMatch).
  double Explain(std::string_view name, uint32_t name_id, std::vector<PartMatch>* parts);

 private:
  const std::vector<VocabHit>& Lookup(const std::string& term);
  void Consider(uint32_t name_id, const std::vector<std::string_view>& q, std::vector<ScreenHit>* hits);
  void BestPerEntry(std::vector<ScreenHit>* hits);

  const ScreeningIndex* index_;
  double threshold_;
  NameNormalizer normalizer_;
  std::unordered_map<std::string, std::vector<VocabHit>> memo_;  // when no shared memo
  LookupMemo* shared_memo_;
  std::vector<VocabHit> unremembered_;
  // Marks of what the current query / lookup has visited: slot == epoch means visited.
  std::vector<uint32_t> name_stamp_, vocab_stamp_;
  uint32_t name_epoch_ = 0, vocab_epoch_ = 0;
  // This query's candidates (slot of a name: name_slot_, valid where name_stamp_ is current),
  // and for each list token the query tokens similar to it (vocab_mask_, valid where
  // vocab_mask_stamp_ is current).
  struct Candidate {
    uint32_t name;
    bool joined;  // reached through a written-together form
  };
  std::vector<Candidate> candidates_;
  std::vector<uint32_t> name_slot_, vocab_mask_stamp_, vocab_mask_;
  std::vector<std::string_view> q_views_, e_views_;
  ScreenStats stats_;
};

}  // namespace decree::screen
