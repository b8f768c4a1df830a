#include "screen/index.h"

#include <fmt/format.h>

#include <algorithm>

#include "screen/match.h"

namespace decree::screen {
namespace {

// The tokens written together, cut at kMaxCompare bytes (as NameScore compares them).
template <typename Tokens>
std::string JoinTokens(const Tokens& tokens, bool reverse) {
  std::string out;
  for (size_t k = 0; k < tokens.size(); ++k) out += tokens[reverse ? tokens.size() - 1 - k : k];
  if (out.size() > kMaxCompare) out.resize(kMaxCompare);
  return out;
}

// The written-together forms of a name that NameScore may compare (see its invariant): each
// two adjacent tokens, and all tokens (both orders when there are two).
template <typename Tokens, typename Fn>
void ForEachJoinedTerm(const Tokens& tokens, Fn&& fn) {
  if (tokens.size() < 2) return;
  for (size_t i = 0; i + 1 < tokens.size() && i + 1 < kMaxTokens; ++i) {
    std::string pair = std::string(tokens[i]) + std::string(tokens[i + 1]);
    if (pair.size() <= kMaxCompare && tokens.size() > 2) fn(pair);
  }
  fn(JoinTokens(tokens, false));
  if (tokens.size() == 2) fn(JoinTokens(tokens, true));
}

void Histogram(std::string_view s, uint8_t* h) {
  std::fill(h, h + kHistogramBuckets, 0);
  if (s.size() > kMaxCompare) s = s.substr(0, kMaxCompare);
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    const size_t bucket = u >= 'a' && u <= 'z' ? u - 'a' : u >= '0' && u <= '9' ? 26 : 27;
    if (h[bucket] < 255) ++h[bucket];
  }
}

// Characters two strings have in common at most (as multisets): an upper bound of the matches
// Jaro counts.
inline size_t CommonCharacters(const uint8_t* a, const uint8_t* b) {
  size_t n = 0;
  for (size_t k = 0; k < kHistogramBuckets; ++k) n += std::min(a[k], b[k]);
  return n;
}

inline uint32_t Bigram(unsigned char a, unsigned char b) { return (static_cast<uint32_t>(a) << 8) | b; }

template <typename Fn>
void ForEachBigram(std::string_view s, Fn&& fn) {
  if (s.size() > kMaxCompare) s = s.substr(0, kMaxCompare);
  unsigned char prev = 0;
  for (char c : s) {
    fn(Bigram(prev, static_cast<unsigned char>(c)));
    prev = static_cast<unsigned char>(c);
  }
  fn(Bigram(prev, 0));
}

}  // namespace

uint32_t ScreeningIndex::Intern(const std::string& token) {
  auto [it, fresh] = vocab_ids_.emplace(token, static_cast<uint32_t>(vocab_.size()));
  if (fresh) vocab_.push_back(token);
  return it->second;
}

size_t ScreeningIndex::entry_count() const {
  size_t n = 0;
  for (const WatchList& l : lists_) n += l.entries.size();
  return n;
}

Status ScreeningIndex::Build(std::vector<WatchList> lists, std::unique_ptr<ScreeningIndex>* out) {
  auto index = std::unique_ptr<ScreeningIndex>(new ScreeningIndex());
  index->lists_ = std::move(lists);
  NameNormalizer normalizer;
  if (!normalizer.status().ok()) return normalizer.status();
  NormalizedName norm;
  for (uint32_t l = 0; l < index->lists_.size(); ++l) {
    const WatchList& list = index->lists_[l];
    for (uint32_t e = 0; e < list.entries.size(); ++e) {
      const WatchEntry& entry = list.entries[e];
      for (uint32_t a = 0; a < entry.names.size(); ++a) {
        normalizer.Normalize(entry.names[a].text, &norm);
        if (norm.tokens.empty()) {
          ++index->skipped_names_;
          continue;
        }
        Name n;
        n.list = l;
        n.entry = e;
        n.alias = a;
        n.first_token = static_cast<uint32_t>(index->token_ids_.size());
        n.token_count = static_cast<uint32_t>(norm.tokens.size());
        n.steps = norm.steps;
        if (entry.names[a].source == NameSource::kCommercialCode) n.steps |= kStepCommercialCode;
        const uint32_t id = static_cast<uint32_t>(index->names_.size());
        for (const std::string& t : norm.tokens) {
          uint32_t v = index->Intern(t);
          index->token_ids_.push_back(v);
          index->occurrences_.emplace_back(v, id);
        }
        ForEachJoinedTerm(norm.tokens, [&](const std::string& term) { index->occurrences_.emplace_back(index->Intern(term), id); });
        index->names_.push_back(n);
      }
    }
  }
  index->Finish();
  *out = std::move(index);
  return Status::Ok();
}

void ScreeningIndex::Finish() {
  std::sort(occurrences_.begin(), occurrences_.end());
  occurrences_.erase(std::unique(occurrences_.begin(), occurrences_.end()), occurrences_.end());
  posting_start_.assign(vocab_.size() + 1, 0);
  for (const auto& [v, name] : occurrences_) ++posting_start_[v + 1];
  for (size_t v = 0; v < vocab_.size(); ++v) posting_start_[v + 1] += posting_start_[v];
  posting_names_.resize(occurrences_.size());
  for (size_t k = 0; k < occurrences_.size(); ++k) posting_names_[k] = occurrences_[k].second;  // sorted by v
  occurrences_.clear();
  occurrences_.shrink_to_fit();

  histograms_.resize(vocab_.size() * kHistogramBuckets);
  for (size_t v = 0; v < vocab_.size(); ++v) Histogram(vocab_[v], histograms_.data() + v * kHistogramBuckets);

  bigram_start_.assign((1u << 16) + 1, 0);
  std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (bigram, vocab id)
  for (uint32_t v = 0; v < vocab_.size(); ++v) {
    ForEachBigram(vocab_[v], [&](uint32_t b) { pairs.emplace_back(b, v); });
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  for (const auto& [b, v] : pairs) ++bigram_start_[b + 1];
  for (size_t b = 0; b < (1u << 16); ++b) bigram_start_[b + 1] += bigram_start_[b];
  bigram_vocab_.resize(pairs.size());
  for (size_t k = 0; k < pairs.size(); ++k) bigram_vocab_[k] = pairs[k].second;
}

Screener::Screener(const ScreeningIndex* index, double threshold)
    : index_(index), threshold_(threshold), name_stamp_(index->names_.size(), 0), vocab_stamp_(index->vocab_.size(), 0) {}

const std::vector<Screener::VocabHit>& Screener::Lookup(const std::string& term) {
  auto it = memo_.find(term);
  if (it != memo_.end()) return it->second;
  if (memo_.size() >= (1u << 20)) memo_.clear();  // bounded memory on endless distinct names
  ++stats_.token_lookups;
  std::vector<VocabHit> found;
  if (++vocab_epoch_ == 0) {  // wrapped: forget every mark
    std::fill(vocab_stamp_.begin(), vocab_stamp_.end(), 0);
    vocab_epoch_ = 1;
  }
  const uint32_t stamp = vocab_epoch_;
  // Lossless pre-filters.  Jaro-Winkler ≥ t needs Jaro j ≥ (t − 0.4) / 0.6 (the prefix bonus
  // adds at most 0.4·(1 − j)), and j ≤ (m/a + m/b + 1) / 3 for m matching characters of
  // strings of lengths a and b, so m ≥ (3·j_min − 1)·a·b / (a + b) — which the common
  // characters bound, and m ≤ min(a, b) bounds the length ratio.  Equal strings always pass;
  // an initial (one letter) is never filtered when the threshold admits initials.
  const double j_min = (threshold_ - 0.4) / 0.6;
  const double need = 3.0 * j_min - 1.0 - 1e-9;
  const bool initials = threshold_ <= kInitialSimilarity;
  const std::string_view q = term.size() > kMaxCompare ? std::string_view(term).substr(0, kMaxCompare) : std::string_view(term);
  uint8_t qh[kHistogramBuckets];
  Histogram(q, qh);
  const double a = static_cast<double>(q.size());
  ForEachBigram(term, [&](uint32_t b) {
    for (uint32_t k = index_->bigram_start_[b]; k < index_->bigram_start_[b + 1]; ++k) {
      uint32_t v = index_->bigram_vocab_[k];
      if (vocab_stamp_[v] == stamp) continue;
      vocab_stamp_[v] = stamp;
      const std::string_view token = index_->vocab_[v];
      if (!(initials && (q.size() == 1 || token.size() == 1))) {
        const double bl = static_cast<double>(std::min(token.size(), kMaxCompare));
        const double m_max = std::min(a, bl);
        if (m_max / a + m_max / bl < need) continue;
        const double common = static_cast<double>(CommonCharacters(qh, index_->histograms_.data() + size_t{v} * kHistogramBuckets));
        if (common / a + common / bl < need) continue;
      }
      ++stats_.vocabulary_compared;
      double s = TokenSimilarity(term, token);
      if (s >= threshold_) found.push_back({v, static_cast<float>(s)});
    }
  });
  return memo_.emplace(term, std::move(found)).first->second;
}

void Screener::Consider(uint32_t name_id, const std::vector<std::string_view>& q, std::vector<ScreenHit>* hits) {
  const ScreeningIndex::Name& n = index_->names_[name_id];
  e_views_.clear();
  const uint32_t* t = index_->name_tokens(n);
  for (uint32_t k = 0; k < n.token_count; ++k) e_views_.push_back(index_->vocab_[t[k]]);
  uint16_t flags;
  double score = NameScore(q.data(), q.size(), e_views_.data(), e_views_.size(), &flags);
  if (score >= threshold_) hits->push_back({name_id, score, flags});
}

void Screener::BestPerEntry(std::vector<ScreenHit>* hits) {
  const auto& names = index_->names_;
  auto entry_order = [&](const ScreenHit& a, const ScreenHit& b) {
    const auto& na = names[a.name];
    const auto& nb = names[b.name];
    if (na.list != nb.list) return na.list < nb.list;
    return na.entry < nb.entry;
  };
  std::sort(hits->begin(), hits->end(), [&](const ScreenHit& a, const ScreenHit& b) {
    if (entry_order(a, b) || entry_order(b, a)) return entry_order(a, b);
    if (a.score != b.score) return a.score > b.score;
    return a.name < b.name;
  });
  size_t kept = 0;
  for (size_t k = 0; k < hits->size(); ++k) {
    if (kept > 0 && !entry_order((*hits)[kept - 1], (*hits)[k])) continue;  // same entry, lower score
    (*hits)[kept++] = (*hits)[k];
  }
  hits->resize(kept);
  std::stable_sort(hits->begin(), hits->end(), [](const ScreenHit& a, const ScreenHit& b) { return a.score > b.score; });
}

void Screener::Screen(std::string_view name, std::vector<ScreenHit>* hits, NormalizedName* query) {
  hits->clear();
  ++stats_.queries;
  normalizer_.Normalize(name, query);
  if (query->tokens.empty()) return;
  q_views_.assign(query->tokens.begin(), query->tokens.end());
  if (++name_epoch_ == 0) {  // wrapped: forget every mark
    std::fill(name_stamp_.begin(), name_stamp_.end(), 0);
    name_epoch_ = 1;
  }
  const uint32_t epoch = name_epoch_;
  auto visit = [&](const std::string& term) {
    const std::vector<VocabHit>& found = Lookup(term);
    for (const VocabHit& h : found) {
      for (uint32_t k = index_->posting_start_[h.id]; k < index_->posting_start_[h.id + 1]; ++k) {
        uint32_t name_id = index_->posting_names_[k];
        if (name_stamp_[name_id] == epoch) continue;
        name_stamp_[name_id] = epoch;
        ++stats_.candidates;
        Consider(name_id, q_views_, hits);
      }
    }
  };
  for (const std::string& t : query->tokens) visit(t);
  ForEachJoinedTerm(query->tokens, visit);
  BestPerEntry(hits);
}

void Screener::AllPairs(std::string_view name, std::vector<ScreenHit>* hits, NormalizedName* query) {
  hits->clear();
  ++stats_.queries;
  normalizer_.Normalize(name, query);
  if (query->tokens.empty()) return;
  q_views_.assign(query->tokens.begin(), query->tokens.end());
  for (uint32_t id = 0; id < index_->names_.size(); ++id) Consider(id, q_views_, hits);
  stats_.candidates += index_->names_.size();
  BestPerEntry(hits);
}

}  // namespace decree::screen
