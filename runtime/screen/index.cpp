#include "screen/index.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
#if defined(__SSE2__)
  static_assert(kHistogramBuckets == 32);
  const __m128i lo = _mm_min_epu8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a)), _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
  const __m128i hi =
      _mm_min_epu8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 16)), _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16)));
  const __m128i sums = _mm_add_epi64(_mm_sad_epu8(lo, _mm_setzero_si128()), _mm_sad_epu8(hi, _mm_setzero_si128()));
  return static_cast<size_t>(_mm_cvtsi128_si64(sums) + _mm_extract_epi16(sums, 4));
#else
  size_t n = 0;
  for (size_t k = 0; k < kHistogramBuckets; ++k) n += std::min(a[k], b[k]);
  return n;
#endif
}

// Leading bytes two 4-byte prefixes share (0–4).
inline int CommonPrefix(uint32_t a, uint32_t b) {
  const uint32_t x = a ^ b;
  return x == 0 ? 4 : __builtin_ctz(x) / 8;
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

// The family name of an individual written "FAMILY, Given Names" (OFAC's form): the tokens
// before the comma, counted as the normaliser splits words (at spaces and punctuation other
// than apostrophes); kNoFamily for an organisation, vessel or aircraft; 0 (the last token) for
// any other name.
uint32_t FamilyMask(const WatchEntry& entry, std::string_view text, size_t tokens) {
  if (entry.entry_type == "entity" || entry.entry_type == "vessel" || entry.entry_type == "aircraft") return kNoFamily;
  const size_t comma = text.find(',');
  if (entry.entry_type != "individual" || comma == std::string_view::npos) return 0;
  size_t words = 0;
  bool in_word = false;
  for (char c : text.substr(0, comma)) {
    const unsigned char u = static_cast<unsigned char>(c);
    const bool part = u >= 0x80 || std::isalnum(u) || c == '\'';
    if (part && !in_word) ++words;
    in_word = part;
  }
  if (words == 0 || words >= tokens || words > 16) return 0;
  return (1u << words) - 1;
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
  std::unique_ptr<NameNormalizer> normalizer;  // created on the first name not yet normalised
  NormalizedName norm;
  for (uint32_t l = 0; l < index->lists_.size(); ++l) {
    const WatchList& list = index->lists_[l];
    for (uint32_t e = 0; e < list.entries.size(); ++e) {
      const WatchEntry& entry = list.entries[e];
      for (uint32_t a = 0; a < entry.names.size(); ++a) {
        if (entry.names[a].normalized) {  // from a saved index
          norm.tokens = entry.names[a].tokens;
          norm.steps = entry.names[a].steps;
        } else {
          if (!normalizer) {
            normalizer = std::make_unique<NameNormalizer>();
            if (!normalizer->status().ok()) return normalizer->status();
          }
          normalizer->Normalize(entry.names[a].text, &norm);
        }
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
        n.family_mask = FamilyMask(entry, entry.names[a].text, norm.tokens.size());
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


  vocab_abd_.resize(vocab_.size());
  for (uint32_t v = 0; v < vocab_.size(); ++v) {
    vocab_abd_[v] = RewritesAbd(vocab_[v]);
    if (const int g = EquivalenceGroup(vocab_[v]); g >= 0) equivalent_vocab_[g].push_back(v);
    if (std::string key = PhoneticKey(vocab_[v]); !key.empty()) phonetic_vocab_[key].push_back(v);
  }

  bigram_start_.assign((1u << 16) + 1, 0);
  std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (bigram, vocab id)
  for (uint32_t v = 0; v < vocab_.size(); ++v) {
    ForEachBigram(vocab_[v], [&](uint32_t b) { pairs.emplace_back(b, v); });
  }
  // Each bigram's vocabulary sorted by length, so a lookup reads only the lengths that can
  // reach the threshold.
  auto length_of = [&](uint32_t v) { return static_cast<uint32_t>(std::min(vocab_[v].size(), kMaxCompare)); };
  std::sort(pairs.begin(), pairs.end(), [&](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first < y.first;
    if (length_of(x.second) != length_of(y.second)) return length_of(x.second) < length_of(y.second);
    return x.second < y.second;
  });
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  for (const auto& [b, v] : pairs) ++bigram_start_[b + 1];
  for (size_t b = 0; b < (1u << 16); ++b) bigram_start_[b + 1] += bigram_start_[b];
  bigram_vocab_.resize(pairs.size());
  bigram_length_.resize(pairs.size());
  bigram_histogram_.resize(pairs.size() * kHistogramBuckets);
  bigram_prefix_.assign(pairs.size(), 0);
  for (size_t k = 0; k < pairs.size(); ++k) {
    bigram_vocab_[k] = pairs[k].second;
    bigram_length_[k] = static_cast<uint8_t>(length_of(pairs[k].second));
    Histogram(vocab_[pairs[k].second], bigram_histogram_.data() + k * kHistogramBuckets);
    std::memcpy(&bigram_prefix_[k], vocab_[pairs[k].second].data(), std::min<size_t>(4, vocab_[pairs[k].second].size()));
  }
}

const std::vector<VocabHit>* LookupMemo::Find(const std::string& term) {
  Shard& shard = shards_[std::hash<std::string>()(term) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.map.find(term);
  return it == shard.map.end() ? nullptr : &it->second;
}

const std::vector<VocabHit>* LookupMemo::Insert(const std::string& term, std::vector<VocabHit> hits) {
  Shard& shard = shards_[std::hash<std::string>()(term) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.map.find(term);
  if (it != shard.map.end()) return &it->second;
  if (shard.map.size() >= capacity_per_shard_) return nullptr;
  return &shard.map.emplace(term, std::move(hits)).first->second;
}

Screener::Screener(const ScreeningIndex* index, double threshold, LookupMemo* memo)
    : index_(index),
      threshold_(threshold),
      shared_memo_(memo),
      name_stamp_(index->names_.size(), 0),
      vocab_stamp_(index->vocab_.size(), 0),
      name_slot_(index->names_.size(), 0),
      vocab_mask_stamp_(index->vocab_.size(), 0),
      vocab_mask_(index->vocab_.size(), 0) {}

const std::vector<VocabHit>& Screener::Lookup(const std::string& term) {
  if (shared_memo_ != nullptr) {
    if (const std::vector<VocabHit>* known = shared_memo_->Find(term)) return *known;
  } else {
    auto it = memo_.find(term);
    if (it != memo_.end()) return it->second;
    if (memo_.size() >= (1u << 20)) memo_.clear();  // bounded memory on endless distinct names
  }
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
  // Lengths b with min(a, b)/a + min(a, b)/b ≥ need: b in [a·(need − 1), a / (need − 1)].
  size_t min_len = 1, max_len = kMaxCompare;
  if (!initials && need > 1.0) {
    min_len = static_cast<size_t>(std::max(1.0, std::ceil(a * (need - 1.0) - 1e-9)));
    max_len = static_cast<size_t>(std::min(static_cast<double>(kMaxCompare), std::floor(a / (need - 1.0) + 1e-9)));
  }
  // The common characters each length needs, for each common-prefix length l (0–4):
  // Jaro-Winkler ≥ t needs j ≥ (t − 0.1·l) / (1 − 0.1·l), and m/a + m/b ≥ 3·j − 1 ⇔
  // m ≥ (3·j − 1)·a·b / (a + b).
  uint8_t need_common[5][kMaxCompare + 1];
  for (int l = 0; l <= 4; ++l) {
    const double jl = (threshold_ - 0.1 * l) / (1.0 - 0.1 * l);
    const double nl = 3.0 * jl - 1.0 - 1e-9;
    for (size_t bl = 1; bl <= kMaxCompare; ++bl) {
      const double b = static_cast<double>(bl);
      const bool exempt = initials && (q.size() == 1 || bl == 1);
      need_common[l][bl] = exempt ? 0 : static_cast<uint8_t>(std::min(255.0, std::max(0.0, std::ceil(nl * a * b / (a + b) - 1e-9))));
    }
  }
  uint32_t q_prefix = 0;
  std::memcpy(&q_prefix, q.data(), std::min<size_t>(4, q.size()));
  // Each vocabulary entry reached is compared once: kept when similar enough.
  auto consider = [&](uint32_t v) {
    if (vocab_stamp_[v] == stamp) return;
    vocab_stamp_[v] = stamp;
    ++stats_.vocabulary_compared;
    const double s = TokenSimilarity(term, index_->vocab_[v]);
    if (s >= threshold_) found.push_back({v, static_cast<float>(s)});
  };
  const uint8_t* lengths = index_->bigram_length_.data();
  const uint8_t* histograms = index_->bigram_histogram_.data();
  ForEachBigram(term, [&](uint32_t b) {
    uint32_t begin = index_->bigram_start_[b], end = index_->bigram_start_[b + 1];
    begin = static_cast<uint32_t>(std::lower_bound(lengths + begin, lengths + end, static_cast<uint8_t>(min_len)) - lengths);
    end = static_cast<uint32_t>(std::upper_bound(lengths + begin, lengths + end, static_cast<uint8_t>(max_len)) - lengths);
    for (uint32_t k = begin; k < end; ++k) {
      // Reads only this bigram's contiguous arrays until a token passes the filters.
      const size_t bl = lengths[k];
      const int l = std::min<int>(CommonPrefix(q_prefix, index_->bigram_prefix_[k]), static_cast<int>(std::min<size_t>(q.size(), bl)));
      if (CommonCharacters(qh, histograms + size_t{k} * kHistogramBuckets) < need_common[l][bl]) continue;
      consider(index_->bigram_vocab_[k]);
    }
  });
  // Equivalent spellings, transpositions and phonetic twins, which the filters above (exact
  // for Jaro-Winkler) may pass over.
  if (const int g = EquivalenceGroup(term); g >= 0) {
    if (auto it = index_->equivalent_vocab_.find(g); it != index_->equivalent_vocab_.end()) {
      for (uint32_t v : it->second) consider(v);
    }
  }
  if (term.size() >= 3 && term.size() <= kMaxCompare) {
    std::string swapped = term;
    for (size_t i = 0; i + 1 < swapped.size(); ++i) {
      if (swapped[i] == swapped[i + 1]) continue;
      std::swap(swapped[i], swapped[i + 1]);
      if (auto it = index_->vocab_ids_.find(swapped); it != index_->vocab_ids_.end()) consider(it->second);
      std::swap(swapped[i], swapped[i + 1]);
    }
  }
  if (std::string key = PhoneticKey(term); !key.empty()) {
    if (auto it = index_->phonetic_vocab_.find(key); it != index_->phonetic_vocab_.end()) {
      for (uint32_t v : it->second) consider(v);
    }
  }
  if (shared_memo_ != nullptr) {
    if (const std::vector<VocabHit>* kept = shared_memo_->Insert(term, found)) return *kept;
    unremembered_ = std::move(found);
    return unremembered_;
  }
  return memo_.emplace(term, std::move(found)).first->second;
}

void Screener::Consider(uint32_t name_id, const std::vector<std::string_view>& q, std::vector<ScreenHit>* hits) {
  const ScreeningIndex::Name& n = index_->names_[name_id];
  e_views_.clear();
  const uint32_t* t = index_->name_tokens(n);
  for (uint32_t k = 0; k < n.token_count; ++k) e_views_.push_back(index_->vocab_[t[k]]);
  uint16_t flags;
  double score = NameScore(q.data(), q.size(), e_views_.data(), e_views_.size(), n.family_mask, &flags);
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
    std::fill(vocab_mask_stamp_.begin(), vocab_mask_stamp_.end(), 0);
    name_epoch_ = 1;
  }
  const uint32_t epoch = name_epoch_;
  const size_t n = query->tokens.size();
  // 1. Candidates: the names holding a list token similar to a query token (or to query tokens
  // written together).  For each list token, which query tokens it is similar to.
  candidates_.clear();
  auto reach = [&](uint32_t name_id, bool joined) {
    if (name_stamp_[name_id] != epoch) {
      name_stamp_[name_id] = epoch;
      name_slot_[name_id] = static_cast<uint32_t>(candidates_.size());
      candidates_.push_back({name_id, false});
    }
    if (joined) candidates_[name_slot_[name_id]].joined = true;
  };
  for (size_t i = 0; i < n; ++i) {
    for (const VocabHit& h : Lookup(query->tokens[i])) {
      if (vocab_mask_stamp_[h.id] != epoch) {
        vocab_mask_stamp_[h.id] = epoch;
        vocab_mask_[h.id] = 0;
      }
      if (i < 32) vocab_mask_[h.id] |= 1u << i;
      for (uint32_t k = index_->posting_start_[h.id]; k < index_->posting_start_[h.id + 1]; ++k) {
        const uint32_t name_id = index_->posting_names_[k];
        // Reached through a written-together form of the name rather than one of its tokens?
        const ScreeningIndex::Name& nm = index_->names_[name_id];
        const uint32_t* t = index_->name_tokens(nm);
        reach(name_id, std::find(t, t + nm.token_count, h.id) == t + nm.token_count);
      }
    }
  }
  ForEachJoinedTerm(query->tokens, [&](const std::string& term) {
    for (const VocabHit& h : Lookup(term)) {
      for (uint32_t k = index_->posting_start_[h.id]; k < index_->posting_start_[h.id + 1]; ++k) reach(index_->posting_names_[k], true);
    }
  });
  // 2. Each candidate scored, unless a bound says it cannot reach the threshold t.  The bound
  // holds where no written-together form and no "abd" rewrite is involved (NameScore's merges all
  // involve one, and then the candidate was reached through it).  score ≥ t ⇔ Σ over parts of
  // weight·(credit − t) ≥ 0.  A part with a hit among the other side's parts adds at most
  // κ·|part|·(1 − t) (κ = kFamilyWeight for the family name, or a query part with a hit among
  // its tokens); a part without one either pairs below t (credit < t², adding at most
  // κ·|part|·(t² − t)) or is left over (adding −t·weight: for a list part at least
  // kOmittedCost·min(|part|, kOmittedLength), kFamilyWeight·|part| for the family name).
  const double t = threshold_;
  const double t2 = t * t;
  const double gain = 1.0 - t;
  const double q_miss = t2 - t;  // a query part pairs at best below t, or costs −t·|q|
  bool q_abd = false;
  double q_bound = 0;
  for (const auto& tok : query->tokens) q_abd |= RewritesAbd(tok);
  for (const Candidate& c : candidates_) {
    ++stats_.candidates;
    const ScreeningIndex::Name& nm = index_->names_[c.name];
    if (!c.joined && !q_abd && n > 1 && nm.token_count > 1 && n <= 32 && nm.token_count <= kMaxTokens) {
      const uint32_t* tk = index_->name_tokens(nm);
      uint32_t qmask = 0, family_qmask = 0;
      double bound = 0;
      bool e_abd = false;
      for (uint32_t j = 0; j < nm.token_count; ++j) {
        e_abd |= index_->vocab_abd_[tk[j]] != 0;
        const double len = static_cast<double>(index_->vocab_[tk[j]].size());
        const bool family = nm.family_mask != 0 ? (nm.family_mask >> j) & 1u : j + 1 == nm.token_count;
        const double kappa = family ? kFamilyWeight : 1.0;
        const uint32_t mask = vocab_mask_stamp_[tk[j]] == epoch ? vocab_mask_[tk[j]] : 0;
        qmask |= mask;
        if (family) family_qmask |= mask;
        const double left_over = family                         ? -t * kFamilyWeight * len
                                 : nm.family_mask == kNoFamily ? -t * len
                                                               : -t * kOmittedCost * std::min(len, kOmittedLength);
        bound += mask != 0 ? kappa * len * gain : std::max(kappa * len * q_miss, left_over);
      }
      q_bound = 0;
      for (size_t i = 0; i < n; ++i) {
        const double len = static_cast<double>(query->tokens[i].size());
        const double kappa = (family_qmask >> i) & 1u ? kFamilyWeight : 1.0;  // only a family part's partner weighs more
        q_bound += (qmask >> i) & 1u ? kappa * len * gain : len * q_miss;
      }
      if (!e_abd && bound + q_bound < -1e-12) {
        ++stats_.pruned;
        continue;
      }
    }
    Consider(c.name, q_views_, hits);
  }
  BestPerEntry(hits);
}

double Screener::Explain(std::string_view name, uint32_t name_id, std::vector<PartMatch>* parts) {
  NormalizedName query;
  normalizer_.Normalize(name, &query);
  std::vector<std::string_view> q(query.tokens.begin(), query.tokens.end());
  const ScreeningIndex::Name& n = index_->names_[name_id];
  std::vector<std::string_view> e;
  const uint32_t* t = index_->name_tokens(n);
  for (uint32_t k = 0; k < n.token_count; ++k) e.push_back(index_->vocab_[t[k]]);
  uint16_t flags;
  return NameScore(q.data(), q.size(), e.data(), e.size(), n.family_mask, &flags, parts);
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
