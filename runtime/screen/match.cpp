#include "screen/match.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace decree::screen {
namespace {

// Concatenates tokens (in the given order) into buf, at most kMaxCompare bytes.
std::string_view Join(const std::string_view* t, size_t n, bool reverse, char* buf) {
  size_t len = 0;
  for (size_t k = 0; k < n; ++k) {
    std::string_view s = t[reverse ? n - 1 - k : k];
    size_t take = std::min(s.size(), kMaxCompare - len);
    std::copy_n(s.data(), take, buf + len);
    len += take;
  }
  return std::string_view(buf, len);
}

// Tokens of `a` with each adjacent pair whose concatenation equals a token of `b` merged into
// one ("ji" "cheng" vs "jicheng").  Merged tokens are written into buf (kMaxTokens ·
// kMaxCompare bytes).  from[k] receives the input positions (bits) output token k covers.
// Returns the new count; *merged tells whether any pair was merged.
size_t MergeAdjacent(const std::string_view* a, size_t n, const uint32_t* a_from, const std::string_view* b, size_t m,
                     std::string_view* out, uint32_t* from, char* buf, bool* merged) {
  size_t count = 0, used = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n && count < kMaxTokens && a[i].size() + a[i + 1].size() <= kMaxCompare) {
      const size_t len = a[i].size() + a[i + 1].size();
      for (size_t j = 0; j < m; ++j) {
        if (b[j].size() == len && b[j].starts_with(a[i]) && b[j].ends_with(a[i + 1])) {
          std::copy_n(a[i].data(), a[i].size(), buf + used);
          std::copy_n(a[i + 1].data(), a[i + 1].size(), buf + used + a[i].size());
          from[count] = a_from[i] | a_from[i + 1];
          out[count++] = std::string_view(buf + used, len);
          used += len;
          ++i;
          *merged = true;
          goto next;
        }
      }
    }
    from[count] = a_from[i];
    out[count++] = a[i];
  next:;
  }
  return count;
}

// The "abd" + article spellings a compound begins with ("abdelbaset", "abdalrahman").
constexpr std::string_view kAbdPrefixes[] = {"abdel", "abdal", "abdol", "abdoul", "abdool", "abdil"};

// "abd" and the article after it ("abd al rahman", "abd ur rahman") as the one part "abdul";
// "abd" alone ("abd aziz") as "abdul" too; a compound written with another spelling of
// "abdul" ("abdelbaset") as "abdul…" ("abdulbaset", into `buf`, kRoom · kMaxCompare bytes).
size_t MergeAbd(const std::string_view* a, size_t n, std::string_view* out, uint32_t* from, char* buf) {
  static constexpr std::string_view kArticles[] = {"al", "el", "ul", "ol", "ar", "ur", "er", "as", "us", "es", "an", "un", "ad", "ud", "az", "uz"};
  size_t count = 0, i = 0;
  for (; i < n && i < 32; ++i) {
    if (a[i] == "abd" && i + 1 < n && i + 1 < 32 &&
        std::find(std::begin(kArticles), std::end(kArticles), a[i + 1]) != std::end(kArticles)) {
      from[count] = (3u << i);
      out[count++] = "abdul";
      ++i;
      continue;
    }
    from[count] = 1u << i;
    out[count] = a[i] == "abd" ? std::string_view("abdul") : a[i];
    for (std::string_view prefix : kAbdPrefixes) {
      if (a[i].size() >= prefix.size() + 3 && a[i].size() <= kMaxCompare && a[i].starts_with(prefix)) {
        char* at = buf + count * kMaxCompare;
        const std::string_view rest = a[i].substr(prefix.size());
        const size_t len = std::min(kMaxCompare, 5 + rest.size());
        std::copy_n("abdul", 5, at);
        std::copy_n(rest.data(), len - 5, at + 5);
        out[count] = std::string_view(at, len);
        break;
      }
    }
    ++count;
  }
  for (; i < n; ++i) {  // beyond the masks: kept as they are
    from[count] = 0;
    out[count++] = a[i];
  }
  return count;
}

// Contribution of a pair of similarity s: equal tokens count fully, similar ones count s²
// (a near-miss is weaker evidence than an equal token), dissimilar ones not at all.
inline double Credit(double s) { return s >= 1.0 ? 1.0 : s >= kTokenFloor ? s * s : 0.0; }

// `single` against `many` written together: `single` is cut into parts as long as the tokens
// of `many` (the last part takes the rest) and the parts scored like paired tokens, so
// "zhanglei" against "zhang lei" is 1 while against "zhang wei" it is not.  Capped by the
// Jaro-Winkler of the written-together forms, which is what the index looks up.
double JoinedScore(std::string_view single, const std::string_view* many, size_t count, bool reverse) {
  char buf[kMaxCompare];
  const std::string_view together = Join(many, count, reverse, buf);
  const double cap = JaroWinkler(single, together);
  double credit = 0, weight = 0;
  size_t at = 0;
  for (size_t k = 0; k < count; ++k) {
    const std::string_view t = many[reverse ? count - 1 - k : k];
    const size_t take = k + 1 == count ? single.size() - std::min(at, single.size()) : std::min(t.size(), single.size() - std::min(at, single.size()));
    const std::string_view part = single.substr(std::min(at, single.size()), take);
    at += take;
    credit += (part.empty() ? 0.0 : Credit(JaroWinkler(part, t))) * static_cast<double>(part.size() + t.size());
    weight += static_cast<double>(part.size() + t.size());
  }
  return weight > 0 ? std::min(cap, credit / weight) : 0.0;
}

}  // namespace

bool RewritesAbd(std::string_view t) {
  if (t == "abd") return true;
  for (std::string_view prefix : kAbdPrefixes) {
    if (t.size() >= prefix.size() + 3 && t.starts_with(prefix)) return true;
  }
  return false;
}

const char* MatchFlagName(int bit) {
  static const char* const kNames[] = {"exact", "reordered", "fuzzy", "initial", "joined", "partial", "equivalent", "typo", "phonetic"};
  return bit >= 0 && bit < kMatchFlagCount ? kNames[bit] : "?";
}

const char* PartHowName(PartHow how) {
  static const char* const kNames[] = {"exact", "equivalent", "typo", "phonetic", "initial", "similar", "joined", "omitted", "extra"};
  return kNames[static_cast<int>(how)];
}
double JaroWinkler(std::string_view a, std::string_view b) {
  if (a.size() > kMaxCompare) a = a.substr(0, kMaxCompare);
  if (b.size() > kMaxCompare) b = b.substr(0, kMaxCompare);
  const size_t la = a.size(), lb = b.size();
  if (la == 0 || lb == 0) return la == lb ? 1.0 : 0.0;
  if (a == b) return 1.0;
  const size_t window = std::max(la, lb) / 2 >= 1 ? std::max(la, lb) / 2 - 1 : 0;
  std::array<bool, kMaxCompare> ma{}, mb{};
  size_t m = 0;
  for (size_t i = 0; i < la; ++i) {
    size_t lo = i > window ? i - window : 0;
    size_t hi = std::min(lb, i + window + 1);
    for (size_t j = lo; j < hi; ++j) {
      if (!mb[j] && a[i] == b[j]) {
        ma[i] = mb[j] = true;
        ++m;
        break;
      }
    }
  }
  if (m == 0) return 0.0;
  size_t k = 0, half = 0;
  for (size_t i = 0; i < la; ++i) {
    if (!ma[i]) continue;
    while (!mb[k]) ++k;
    if (a[i] != b[k]) ++half;
    ++k;
  }
  const double md = static_cast<double>(m);
  const double jaro = (md / static_cast<double>(la) + md / static_cast<double>(lb) + (md - static_cast<double>(half / 2)) / md) / 3.0;
  size_t prefix = 0;
  while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

namespace {

bool IsPatronymic(std::string_view t) {
  static constexpr std::string_view kEndings[] = {"ovich", "evich", "ovych", "evych", "ovitch", "evitch", "owitsch", "ewitsch",
                                                  "ovna",  "evna",  "ivna",  "ichna"};
  if (t.size() < 6) return false;
  for (std::string_view end : kEndings) {
    if (t.ends_with(end)) return true;
  }
  return false;
}

// Where a patronymic chain starts (a particle after a given name: a part that is not the
// family name, when `family` says which are), or -1.
int ChainAt(const std::string_view* t, size_t n, const bool* family = nullptr) {
  bool given = false;
  for (size_t i = 0; i < n && i < kMaxTokens; ++i) {
    if (given && IsChainParticle(t[i])) return static_cast<int>(i);
    given |= family == nullptr || !family[i];
  }
  return -1;
}

int Segment(int i, int chain) { return i < chain ? 0 : i == chain ? 1 : 2; }

// The list side's parts after the merges: which are the family name, which the first given
// name (the first part that is not family), and the cost of leaving each out.
struct ListRoles {
  std::array<bool, kMaxTokens> family{};
  int first_given = -1;
  bool person = true;  // kNoFamily: an organisation's words have no roles, each costs its length
  bool chinese = false;  // every part pinyin: the given name is one name, its syllables not middle names
};

ListRoles Roles(const std::string_view* e, size_t m, const uint32_t* from, uint32_t family_mask) {
  ListRoles r;
  if (family_mask == kNoFamily) {
    r.person = false;
    return r;
  }
  const size_t pm = std::min(m, kMaxTokens);
  for (size_t j = 0; j < pm; ++j) r.family[j] = family_mask != 0 ? (from[j] & family_mask) != 0 : j + 1 == m;
  for (size_t j = 0; j < pm && r.first_given < 0; ++j) {
    if (!r.family[j] && !IsArticle(e[j]) && !IsChainParticle(e[j])) r.first_given = static_cast<int>(j);
  }
  r.chinese = m >= 2;
  for (size_t j = 0; j < m && r.chinese; ++j) r.chinese = IsPinyinComposed(e[j]);
  return r;
}

}  // namespace

namespace {

// One comparison of a query with a list name: the parts after the merges, their pairing, and
// the weighted terms of the score (NameScore's steps 1–4, one method each).
class Aligner {
 public:
  Aligner(const std::string_view* q, size_t n, const std::string_view* e, size_t m, uint32_t family_mask);
  void Pair();
  double Weigh(uint16_t* flags);
  double JoinedAlternative(double score, uint16_t* flags);
  void Explain(double score, std::vector<PartMatch>* parts) const;

 private:
  struct Term {
    int i, j;
    double weight, credit;
  };
  static constexpr size_t kRoom = kMaxTokens + 32;
  std::array<std::string_view, kRoom> qa_, ea_;
  std::array<uint32_t, kRoom> qa_from_, ea_from_, q_from_, e_from_;
  std::array<char, kRoom * kMaxCompare> qa_buf_, ea_buf_;  // MergeAbd's rewritten compounds
  std::array<std::string_view, kMaxTokens> qm_, em_;
  std::array<uint32_t, kMaxTokens> qm_from_, em_from_;
  std::array<char, kMaxTokens * kMaxCompare> qbuf_, ebuf_;
  const std::string_view* q_;
  const std::string_view* e_;
  size_t n_, m_, pn_ = 0, pm_ = 0, pairs_ = 0;
  bool merged_ = false, joined_won_ = false;
  ListRoles roles_;
  struct Sim {  // trivially constructible: the matrix is written before it is read
    double similarity;
    PartHow how;
  };
  std::array<std::array<Sim, kMaxTokens>, kMaxTokens> sim_;
  std::array<int, kMaxTokens> pair_of_, paired_e_;
  std::array<Term, 2 * kMaxTokens + 2> terms_;
  size_t nterms_ = 0;
  double den_ = 0;
};

// Step 1: "abd al" as "abdul", then split words on either side ("ji cheng" / "jicheng") as one.
Aligner::Aligner(const std::string_view* q, size_t n, const std::string_view* e, size_t m, uint32_t family_mask)
    : q_(q), e_(e), n_(n), m_(m) {
  for (size_t i = 0; i < std::min(n_, kRoom); ++i) q_from_[i] = i < 32 ? 1u << i : 0;
  for (size_t j = 0; j < std::min(m_, kRoom); ++j) e_from_[j] = j < 32 ? 1u << j : 0;
  if (n_ <= kRoom && m_ <= kRoom) {
    n_ = MergeAbd(q, n_, qa_.data(), qa_from_.data(), qa_buf_.data());
    m_ = MergeAbd(e, m_, ea_.data(), ea_from_.data(), ea_buf_.data());
    q_ = qa_.data();
    e_ = ea_.data();
    std::copy_n(qa_from_.begin(), n_, q_from_.begin());
    std::copy_n(ea_from_.begin(), m_, e_from_.begin());
  }
  if (n_ > 1 && n_ <= kMaxTokens && m_ <= kMaxTokens) {
    n_ = MergeAdjacent(q_, n_, q_from_.data(), e_, m_, qm_.data(), qm_from_.data(), qbuf_.data(), &merged_);
    q_ = qm_.data();
    std::copy_n(qm_from_.begin(), n_, q_from_.begin());
  }
  if (m_ > 1 && m_ <= kMaxTokens && n_ <= kMaxTokens) {
    m_ = MergeAdjacent(e_, m_, e_from_.data(), q_, n_, em_.data(), em_from_.data(), ebuf_.data(), &merged_);
    e_ = em_.data();
    std::copy_n(em_from_.begin(), m_, e_from_.begin());
  }
  roles_ = Roles(e_, m_, e_from_.data(), family_mask);
  pn_ = std::min(n_, kMaxTokens);
  pm_ = std::min(m_, kMaxTokens);
}

// Step 2: similarities, without the pairs a patronymic chain or a patronymic forbids; then
// the greedy pairing, most similar first.
void Aligner::Pair() {
  const int q_chain = ChainAt(q_, n_), e_chain = ChainAt(e_, m_, roles_.family.data());
  std::array<int, kMaxTokens> q_group, e_group;
  std::array<bool, kMaxTokens> q_patronymic, e_patronymic;
  for (size_t i = 0; i < pn_; ++i) {
    q_group[i] = EquivalenceGroup(q_[i]);
    q_patronymic[i] = IsPatronymic(q_[i]);
  }
  for (size_t j = 0; j < pm_; ++j) {
    e_group[j] = EquivalenceGroup(e_[j]);
    e_patronymic[j] = IsPatronymic(e_[j]);
  }
  for (size_t i = 0; i < pn_; ++i) {
    for (size_t j = 0; j < pm_; ++j) {
      const TokenMatch c = CompareTokens(q_[i], e_[j], q_group[i], e_group[j]);
      Sim& t = sim_[i][j];
      t = {c.similarity, c.how};
      // The family name pairs across the chain (OFAC writes it first, the query often last).
      const bool chain_ok = q_chain < 0 || e_chain < 0 || roles_.family[j] ||
                            Segment(static_cast<int>(i), q_chain) == Segment(static_cast<int>(j), e_chain);
      const bool loose = t.how == PartHow::kSimilar || t.how == PartHow::kPhonetic || t.how == PartHow::kInitial;
      if (!chain_ok || (loose && q_patronymic[i] != e_patronymic[j])) t.similarity = 0;
    }
  }
  pair_of_.fill(-1);
  paired_e_.fill(-1);
  for (size_t round = 0; round < std::min(pn_, pm_); ++round) {
    double best = -1;
    size_t bi = 0, bj = 0;
    for (size_t i = 0; i < pn_; ++i) {
      if (pair_of_[i] >= 0) continue;
      for (size_t j = 0; j < pm_; ++j) {
        if (paired_e_[j] < 0 && sim_[i][j].similarity > best) {
          best = sim_[i][j].similarity;
          bi = i;
          bj = j;
        }
      }
    }
    if (best < kTokenFloor) break;
    pair_of_[bi] = static_cast<int>(bj);
    paired_e_[bj] = static_cast<int>(bi);
    ++pairs_;
  }
}

// Steps 3 and 4: the weighted credits of the pairs and the costs of the parts left over.
double Aligner::Weigh(uint16_t* flags) {
  auto len = [](std::string_view t) { return static_cast<double>(t.size()); };
  double num = 0;
  uint16_t f = 0;
  for (size_t i = 0; i < pn_; ++i) {
    if (pair_of_[i] < 0) continue;
    const size_t j = static_cast<size_t>(pair_of_[i]);
    const Sim& t = sim_[i][j];
    const double w = (len(q_[i]) + len(e_[j])) * (roles_.family[j] ? kFamilyWeight : 1.0);
    const double c = Credit(t.similarity);
    terms_[nterms_++] = {static_cast<int>(i), static_cast<int>(j), w, c};
    num += w * c;
    den_ += w;
    if (t.how == PartHow::kExact) continue;
    f |= kMatchFuzzy;
    if (t.how == PartHow::kInitial) f |= kMatchInitial;
    if (t.how == PartHow::kEquivalent) f |= kMatchEquivalent;
    if (t.how == PartHow::kTypo) f |= kMatchTypo;
    if (t.how == PartHow::kPhonetic) f |= kMatchPhonetic;
  }
  size_t q_left = 0;
  for (size_t i = 0; i < n_; ++i) {
    if (i < pn_ && pair_of_[i] >= 0) continue;
    ++q_left;
    den_ += len(q_[i]);
    if (i < pn_) terms_[nterms_++] = {static_cast<int>(i), -1, len(q_[i]), 0};
  }
  // Middle names are cheap to leave out once the query named the first given and the family name.
  bool named = roles_.person && (roles_.first_given < 0 || paired_e_[static_cast<size_t>(roles_.first_given)] >= 0);
  for (size_t j = 0; j < pm_; ++j) named &= !roles_.family[j] || paired_e_[j] >= 0;
  size_t contradicted = 0;
  for (size_t j = 0; j < m_; ++j) {
    if (j < pm_ && paired_e_[j] >= 0) continue;
    double cost = 1.0;
    if (j < pm_ && roles_.family[j]) {
      cost = kFamilyWeight;
    } else if (contradicted < q_left) {
      cost = kContradictionCost;
      ++contradicted;
    } else if (static_cast<int>(j) == roles_.first_given) {
      cost = kFirstGivenCost;
    } else if (pairs_ >= 2 && roles_.person && (IsArticle(e_[j]) || (named && e_[j].size() >= 3 && !roles_.chinese))) {
      cost = kOmittedCost;
    }
    // An omitted middle name costs as a short one however long it is ("vladimirovich").
    const double weight = cost == kOmittedCost ? std::min(len(e_[j]), kOmittedLength) * cost : len(e_[j]) * cost;
    den_ += weight;
    if (j < pm_ && nterms_ < terms_.size()) terms_[nterms_++] = {-1, static_cast<int>(j), weight, 0};
  }
  int last = -1;
  for (size_t i = 0; i < pn_; ++i) {
    if (pair_of_[i] < 0) continue;
    if (pair_of_[i] < last) f |= kMatchReordered;
    last = pair_of_[i];
  }
  if (pairs_ < n_ || pairs_ < m_) f |= kMatchPartial;
  if (merged_) f |= kMatchJoined;
  *flags = f;
  return den_ > 0 ? num / den_ : 0.0;
}

// When exactly one side is a single part: compared with the other side written together.
double Aligner::JoinedAlternative(double score, uint16_t* flags) {
  if ((n_ == 1) == (m_ == 1) || std::max(n_, m_) > kMaxTokens) return score;
  const std::string_view single = n_ == 1 ? q_[0] : e_[0];
  const std::string_view* many = n_ == 1 ? e_ : q_;
  const size_t count = n_ == 1 ? m_ : n_;
  double joined = JoinedScore(single, many, count, false);
  if (count == 2) joined = std::max(joined, JoinedScore(single, many, count, true));
  if (joined <= score) return score;
  *flags = kMatchJoined | (joined < 1.0 ? kMatchFuzzy : 0);
  joined_won_ = true;
  return joined;
}

void Aligner::Explain(double score, std::vector<PartMatch>* parts) const {
  if (joined_won_) {
    std::string all;
    const std::string_view* many = n_ == 1 ? e_ : q_;
    for (size_t k = 0; k < (n_ == 1 ? m_ : n_); ++k) all += std::string(k ? " " : "") + std::string(many[k]);
    parts->push_back({n_ == 1 ? std::string(q_[0]) : all, n_ == 1 ? all : std::string(e_[0]), PartHow::kJoined, score, score, 1 - score, false});
    return;
  }
  for (size_t k = 0; k < nterms_; ++k) {
    const Term& t = terms_[k];
    PartMatch p;
    if (t.i >= 0) p.query = std::string(q_[t.i]);
    if (t.j >= 0) {
      p.list = std::string(e_[t.j]);
      p.family = roles_.family[static_cast<size_t>(t.j)];
    }
    if (t.i >= 0 && t.j >= 0) {
      // A part made of words written apart on one side ("zhang lei" for "zhanglei") is joined.
      const bool joined = __builtin_popcount(q_from_[t.i]) > 1 || __builtin_popcount(e_from_[t.j]) > 1;
      p.how = joined && sim_[t.i][t.j].how == PartHow::kExact ? PartHow::kJoined : sim_[t.i][t.j].how;
      p.similarity = sim_[t.i][t.j].similarity;
    } else {
      p.how = t.i >= 0 ? PartHow::kExtra : PartHow::kOmitted;
    }
    p.contribution = den_ > 0 ? t.weight * t.credit / den_ : 0;
    p.lost = den_ > 0 ? t.weight * (1 - t.credit) / den_ : 0;
    parts->push_back(std::move(p));
  }
}

}  // namespace

double NameScore(const std::string_view* q, size_t n, const std::string_view* e, size_t m, uint32_t family_mask, uint16_t* flags,
                 std::vector<PartMatch>* parts) {
  *flags = 0;
  if (parts != nullptr) parts->clear();
  if (n == 0 || m == 0) return 0.0;
  Aligner a(q, n, e, m, family_mask);
  a.Pair();
  double score = a.JoinedAlternative(a.Weigh(flags), flags);
  if (score >= 1.0) {
    score = 1.0;
    if (n == m && !(*flags & kMatchJoined)) *flags = static_cast<uint16_t>(kMatchExact | (*flags & kMatchReordered));
  }
  if (parts != nullptr) a.Explain(score, parts);
  return score;
}

}  // namespace decree::screen
