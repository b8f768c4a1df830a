// Name similarity for screening: token-level Jaro-Winkler with an order-free assignment.
//
// TokenSimilarity(q, e) = 1 when equal; otherwise the Jaro-Winkler similarity (prefix scale
// 0.1, prefix up to 4), raised to kInitialSimilarity when one token is a single letter that
// begins the other ("M" vs "MOHAMMED").
//
// NameScore(Q, E) first merges adjacent tokens of one side whose concatenation is a token of the
// other ("ji cheng" vs "jicheng"), then pairs the tokens greedily, most similar first, each token used once, only
// pairs at least kTokenFloor similar ("lei" and "wei", 0.78, are different names, not a
// near-miss), and weighs each pair by the lengths of both tokens:
//     tokens = Σ credit(q, e)·(|q| + |e|) / (Σ|Q| + Σ|E|)   — unpaired tokens count as 0
// where credit is 1 for equal tokens and sim² for similar ones (a near-miss is weaker evidence
// than an equal token: "guanghua" and "guangfu" are 0.92 similar but different names).
// When exactly one side is a single token, that token is also cut along the other side's
// tokens written together ("zhanglei" vs "zhang lei"; both orders when there are two) and
// scored the same way, capped by the Jaro-Winkler of the written-together forms; the score is
// the larger of the two.  Scores are in [0, 1]; 1 means the same tokens.
//
// The invariant the index relies on: a score ≥ t implies some pair of tokens — each a token,
// two adjacent tokens written together, or (when the other side is a single token) all tokens
// written together — with TokenSimilarity ≥ t: a weighted mean never exceeds its largest term.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace decree::screen {

inline constexpr double kInitialSimilarity = 0.85;
inline constexpr double kTokenFloor = 0.80;
// The score `decree screen` reports from when no threshold is given (docs/screening.md: the
// labelled set's recall and precision at it).
inline constexpr double kDefaultThreshold = 0.92;
// Tokens and written-together forms are compared on their first kMaxCompare bytes.
inline constexpr size_t kMaxCompare = 128;
// Tokens beyond the first kMaxTokens of a name count in the weights but are never paired.
inline constexpr size_t kMaxTokens = 16;

double JaroWinkler(std::string_view a, std::string_view b);
double TokenSimilarity(std::string_view q, std::string_view e);

// How a score came about (for explanations).
enum MatchFlag : uint16_t {
  kMatchExact = 1 << 0,      // every token equal, same count
  kMatchReordered = 1 << 1,  // the pairing does not follow the written order
  kMatchFuzzy = 1 << 2,      // some pair is similar rather than equal
  kMatchInitial = 1 << 3,    // an initial paired with a name
  kMatchJoined = 1 << 4,     // tokens written together matched (split or joined words)
  kMatchPartial = 1 << 5,    // some token stayed unpaired
};
// Comma-free names of the flags, in bit order.
const char* MatchFlagName(int bit);

double NameScore(const std::string_view* q, size_t n, const std::string_view* e, size_t m, uint16_t* flags);

}  // namespace decree::screen
