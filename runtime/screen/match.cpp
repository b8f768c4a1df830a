#include "screen/match.h"

#include <algorithm>
#include <array>

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
// kMaxCompare bytes).  Returns the new count; *merged tells whether any pair was merged.
size_t MergeAdjacent(const std::string_view* a, size_t n, const std::string_view* b, size_t m, std::string_view* out, char* buf,
                     bool* merged) {
  size_t count = 0, used = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n && count < kMaxTokens && a[i].size() + a[i + 1].size() <= kMaxCompare) {
      const size_t len = a[i].size() + a[i + 1].size();
      for (size_t j = 0; j < m; ++j) {
        if (b[j].size() == len && b[j].starts_with(a[i]) && b[j].ends_with(a[i + 1])) {
          std::copy_n(a[i].data(), a[i].size(), buf + used);
          std::copy_n(a[i + 1].data(), a[i + 1].size(), buf + used + a[i].size());
          out[count++] = std::string_view(buf + used, len);
          used += len;
          ++i;
          *merged = true;
          goto next;
        }
      }
    }
    out[count++] = a[i];
  next:;
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

const char* MatchFlagName(int bit) {
  static const char* const kNames[] = {"exact", "reordered", "fuzzy", "initial", "joined", "partial"};
  return bit >= 0 && bit < 6 ? kNames[bit] : "?";
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

double TokenSimilarity(std::string_view q, std::string_view e) {
  if (q == e) return 1.0;
  double jw = JaroWinkler(q, e);
  if ((q.size() == 1 && e.size() > 1 && e[0] == q[0]) || (e.size() == 1 && q.size() > 1 && q[0] == e[0])) {
    return std::max(jw, kInitialSimilarity);
  }
  return jw;
}

double NameScore(const std::string_view* q_in, size_t n, const std::string_view* e_in, size_t m, uint16_t* flags) {
  *flags = 0;
  if (n == 0 || m == 0) return 0.0;
  // Split words on either side ("ji cheng" / "jicheng") first become one token.
  std::array<std::string_view, kMaxTokens> qm, em;
  std::array<char, kMaxTokens * kMaxCompare> qbuf, ebuf;
  bool merged = false;
  const std::string_view* q = q_in;
  const std::string_view* e = e_in;
  if (n > 1 && n <= kMaxTokens && m <= kMaxTokens) {
    n = MergeAdjacent(q_in, n, e_in, m, qm.data(), qbuf.data(), &merged);
    q = qm.data();
  }
  if (m > 1 && m <= kMaxTokens && n <= kMaxTokens) {
    m = MergeAdjacent(e_in, m, q, n, em.data(), ebuf.data(), &merged);
    e = em.data();
  }
  double total_weight = 0;
  for (size_t i = 0; i < n; ++i) total_weight += static_cast<double>(q[i].size());
  for (size_t j = 0; j < m; ++j) total_weight += static_cast<double>(e[j].size());
  const size_t pn = std::min(n, kMaxTokens), pm = std::min(m, kMaxTokens);
  std::array<std::array<double, kMaxTokens>, kMaxTokens> sim;
  for (size_t i = 0; i < pn; ++i) {
    for (size_t j = 0; j < pm; ++j) sim[i][j] = TokenSimilarity(q[i], e[j]);
  }
  std::array<bool, kMaxTokens> used_q{}, used_e{};
  std::array<int, kMaxTokens> pair_of{};
  pair_of.fill(-1);
  double score = 0;
  uint16_t f = 0;
  for (size_t round = 0; round < std::min(pn, pm); ++round) {
    double best = -1;
    size_t bi = 0, bj = 0;
    for (size_t i = 0; i < pn; ++i) {
      if (used_q[i]) continue;
      for (size_t j = 0; j < pm; ++j) {
        if (!used_e[j] && sim[i][j] > best) {
          best = sim[i][j];
          bi = i;
          bj = j;
        }
      }
    }
    if (best < kTokenFloor) break;
    used_q[bi] = used_e[bj] = true;
    pair_of[bi] = static_cast<int>(bj);
    score += Credit(best) * static_cast<double>(q[bi].size() + e[bj].size());
    if (best < 1.0) {
      f |= kMatchFuzzy;
      if ((q[bi].size() == 1) != (e[bj].size() == 1) && q[bi][0] == e[bj][0]) f |= kMatchInitial;
    }
  }
  score /= total_weight;
  int last = -1;
  size_t paired = 0;
  for (size_t i = 0; i < pn; ++i) {
    if (pair_of[i] < 0) continue;
    ++paired;
    if (pair_of[i] < last) f |= kMatchReordered;
    last = pair_of[i];
  }
  if (paired < n || paired < m) f |= kMatchPartial;
  if (merged) f |= kMatchJoined;
  if ((n == 1) != (m == 1) && std::max(n, m) <= kMaxTokens) {
    // One side is a single token: compare it with the other side written together.
    const std::string_view single = n == 1 ? q[0] : e[0];
    const std::string_view* many = n == 1 ? e : q;
    const size_t count = n == 1 ? m : n;
    double joined = JoinedScore(single, many, count, false);
    if (count == 2) joined = std::max(joined, JoinedScore(single, many, count, true));
    if (joined > score) {
      score = joined;
      f = kMatchJoined | (joined < 1.0 ? kMatchFuzzy : 0);
    }
  }

  if (score >= 1.0) {
    score = 1.0;
    if (n == m && !(f & kMatchJoined)) f = static_cast<uint16_t>(kMatchExact | (f & kMatchReordered));
  }
  *flags = f;
  return score;
}

}  // namespace decree::screen
