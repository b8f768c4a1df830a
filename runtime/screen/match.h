// Name similarity for screening: name parts compared one by one, then aligned.
//
// Two parts (tokens) compare as (CompareTokens):
//   exact       equal;
//   equivalent  spellings of one name in the curated table (name_equivalents.txt: Arabic and
//               Persian names and particles, Russian/Ukrainian romanisations, Wade-Giles and
//               Cantonese against pinyin): kEquivalentSimilarity, or their Jaro-Winkler if higher;
//   typo        one pair of adjacent letters swapped (a transposition is one edit):
//               kTypoSimilarity (kTypoSimilarity3 for three letters), or their Jaro-Winkler if higher;
//   phonetic    the same PhoneticKey (Latin letters, 3 or more) and Jaro-Winkler ≥ kTokenFloor,
//               unless both are pinyin: kPhoneticSimilarity;
//   initial     one is a single letter that begins the other: kInitialSimilarity;
//   (two names the table has in different groups — "abdul" and "abdullah" — are never paired);
//   similar     otherwise their Jaro-Winkler (prefix scale 0.1, prefix up to 4); for a part of
//               4 letters or fewer at most 1 − edits/length (Levenshtein), since Jaro-Winkler
//               is generous with short strings ("ali" and "wali" are different names; "but"
//               and "bout" sound alike, so are phonetic).
//
// NameScore(Q, E) aligns the query's parts with the list name's:
//   1. "abd" and an article after it (al, el, ul, ar, …) become "abdul"; adjacent parts of one side
//      whose concatenation is a part of the other become one ("ji cheng" vs "jicheng");
//   2. parts are paired greedily, most similar first, each used once, only pairs at least
//      kTokenFloor similar.  Pairs are refused across a patronymic chain (when both names have
//      bin/ibn/ben/bint/ould after a given name, a part before it pairs only with a part before
//      it: "SALMAN BIN MUHAMMAD" is not "MUHAMMAD BIN SALMAN"; the family name pairs freely)
//      and, unless equivalent or a typo, between a patronymic (-ovich, -ovna, -ivna, …) and a
//      part that is not one;
//   3. each pair weighs (|q| + |e|), times kFamilyWeight when the list part is the family name
//      (the parts before the comma of an individual's "FAMILY, Given" name, else the last part);
//      it earns credit 1 when exact, sim² otherwise.  A part left without partner earns nothing
//      and weighs: on the query side |q| (an extra part costs much); on the list side
//      |e|·kFirstGivenCost for its first given name (the first part that is neither family
//      name nor article), |e|·kFamilyWeight for the family name, |e| for a middle name — but
//      min(|e|, kOmittedLength)·kOmittedCost (forms often leave middle names out) when the query named both the
//      first given and the family name and the middle name has 3 letters or more, unless every
//      part of the list name is pinyin (a Chinese given name is one name) — and |e|·kOmittedCost for
//      an article (al, el, …) once two pairs were made.  While the query also has parts
//      left over, the list's leftover parts contradict them and weigh |e|·kContradictionCost
//      each instead (a different given name);
//   4. score = Σ credit·weight / Σ weight, in [0, 1].
// When exactly one side is a single part, it is also cut along the other side's parts written
// together ("zhanglei" vs "zhang lei") and scored by the same credits, capped by the
// Jaro-Winkler of the written-together forms; the score is the larger of the two.
//
// The invariant the index relies on: a score ≥ t implies some pair of parts — each a part, two
// adjacent parts written together, or (when the other side is a single part) all parts written
// together — with CompareTokens ≥ t: a weighted mean never exceeds its largest term.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace decree::screen {

inline constexpr double kInitialSimilarity = 0.85;
inline constexpr double kTokenFloor = 0.80;
inline constexpr double kEquivalentSimilarity = 0.97;
inline constexpr double kTypoSimilarity = 0.95;
inline constexpr double kTypoSimilarity3 = 0.93;
inline constexpr double kPhoneticSimilarity = 0.93;
inline constexpr double kFamilyWeight = 1.25;
inline constexpr double kFirstGivenCost = 2.0;
inline constexpr double kOmittedCost = 0.25;
inline constexpr double kOmittedLength = 6;  // letters an omitted part weighs at most
inline constexpr double kContradictionCost = 1.5;
// The score `decree screen` reports from when no threshold is given (docs/screening.md: the
// labelled set's recall and precision at it).
inline constexpr double kDefaultThreshold = 0.92;
// Tokens and written-together forms are compared on their first kMaxCompare bytes.
inline constexpr size_t kMaxCompare = 128;
// Tokens beyond the first kMaxTokens of a name count in the weights but are never paired.
inline constexpr size_t kMaxTokens = 16;

double JaroWinkler(std::string_view a, std::string_view b);

// How two parts compare, or how a part was left over.
enum class PartHow : uint8_t { kExact, kEquivalent, kTypo, kPhonetic, kInitial, kSimilar, kJoined, kOmitted, kExtra };
const char* PartHowName(PartHow how);  // exact, equivalent, typo, phonetic, initial, similar, joined, omitted, extra

struct TokenMatch {
  double similarity = 0;
  PartHow how = PartHow::kSimilar;
};
TokenMatch CompareTokens(std::string_view q, std::string_view e);
// The same, given EquivalenceGroup of each (for callers comparing one part with many).
TokenMatch CompareTokens(std::string_view q, std::string_view e, int q_group, int e_group);
double TokenSimilarity(std::string_view q, std::string_view e);  // CompareTokens(q, e).similarity

// The curated equivalents: the group of a spelling (-1: none), and every spelling of a group.
int EquivalenceGroup(std::string_view token);
const std::vector<std::string>& EquivalentSpellings(int group);
int EquivalenceGroupCount();
// A consonant skeleton for phonetic comparison of Latin-script parts ("qadhafi" and "kaddafi"
// both "kdf", "bout" and "but" both "bt"); empty for parts shorter than 3 letters or with
// other characters.
std::string PhoneticKey(std::string_view token);
// Whether `token` begins a patronymic chain (bin, ibn, ben, bint, binti, ould).
bool IsChainParticle(std::string_view token);
// Whether NameScore reads `token` as another spelling ("abd" and "abdel…" compounds as
// "abdul…"): the index's pruning bound does not hold for names with such a token.
bool RewritesAbd(std::string_view token);
// Whether `token` is an Arabic article as romanised (al, el, ad, ar, as, …).
bool IsArticle(std::string_view token);
// Whether `token` is a pinyin syllable or two written together ("ping", "jianguo").
bool IsPinyinComposed(std::string_view token);

// How a score came about (for explanations).
enum MatchFlag : uint16_t {
  kMatchExact = 1 << 0,      // every token equal, same count
  kMatchReordered = 1 << 1,  // the pairing does not follow the written order
  kMatchFuzzy = 1 << 2,      // some pair is similar rather than equal
  kMatchInitial = 1 << 3,    // an initial paired with a name
  kMatchJoined = 1 << 4,     // tokens written together matched (split or joined words)
  kMatchPartial = 1 << 5,    // some token stayed unpaired
  kMatchEquivalent = 1 << 6, // some pair is an equivalent spelling
  kMatchTypo = 1 << 7,       // some pair differs by a transposition
  kMatchPhonetic = 1 << 8,   // some pair sounds alike
};
inline constexpr int kMatchFlagCount = 9;
// Comma-free names of the flags, in bit order.
const char* MatchFlagName(int bit);

// One part of an explanation: a pair (query and list part), or a part left over (one side
// empty).  contribution: the score points it earned; lost: the points it cost (weight ·
// (1 − credit) / Σ weight).  Σ contribution = score, Σ (contribution + lost) = 1.
struct PartMatch {
  std::string query, list;
  PartHow how = PartHow::kSimilar;
  double similarity = 0, contribution = 0, lost = 0;
  bool family = false;  // the list part is (part of) the family name
};

// `family_mask`: bit k set when list token k is (part of) the family name; 0: the last token;
// kNoFamily: none (an organisation, a vessel).
inline constexpr uint32_t kNoFamily = 1u << 31;
// `parts`, when given, receives the explanation (pairs in query order, then leftovers).
double NameScore(const std::string_view* q, size_t n, const std::string_view* e, size_t m, uint32_t family_mask, uint16_t* flags,
                 std::vector<PartMatch>* parts = nullptr);

}  // namespace decree::screen
