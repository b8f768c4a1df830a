// Name normalisation for screening: any script, any spelling habit → lower-case ASCII-ish tokens
// that compare well.  Steps, in order (each reported when it changed the name, so a hit can
// say what made it match):
//   nfkc            Unicode NFKC (full-width Latin, compatibility forms, ligatures)
//   casefold        Unicode case folding
//   trad_to_simp    Traditional → Simplified Han (ICU Traditional-Simplified)
//   legal_form      legal-form noise removed: 有限公司 / 股份有限公司 / 公司, and trailing
//                   LTD, CO, INC, LLC, S.A., S.A. DE C.V., GMBH, JSC, OOO, … tokens
//   han_to_latin    Han → pinyin with the surname readings (ICU Han-Latin/Names)
//   to_latin        other scripts → Latin: Cyrillic by BGN/PCGN (Пригожин → Prigozhin, as the
//                   lists write it), the rest by ICU Any-Latin (Arabic, Greek, Hangul, …)
//   diacritics      accents and tone marks removed (ICU Latin-ASCII)
//   punctuation     punctuation as token breaks; apostrophes dropped ("O'Brien" → "obrien")
// Token order is kept (for explanations) but matching ignores it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decree/status.h"

namespace decree::screen {

enum NormStep : uint16_t {
  kStepNfkc = 1 << 0,
  kStepCasefold = 1 << 1,
  kStepTradToSimp = 1 << 2,
  kStepLegalForm = 1 << 3,
  kStepHanToLatin = 1 << 4,
  kStepToLatin = 1 << 5,
  kStepDiacritics = 1 << 6,
  kStepPunctuation = 1 << 7,
  kStepCommercialCode = 1 << 8,  // set by the list loader, not here: the name was a CCC remark
};
// The names of the steps in `steps`, in pipeline order.
std::vector<std::string> NormStepNames(uint16_t steps);

struct NormalizedName {
  std::vector<std::string> tokens;
  uint16_t steps = 0;
};

// One per thread: ICU transliterators are not thread-safe.
class NameNormalizer {
 public:
  NameNormalizer();
  ~NameNormalizer();
  NameNormalizer(const NameNormalizer&) = delete;
  NameNormalizer& operator=(const NameNormalizer&) = delete;

  // Not ok when ICU lacks a transform this needs (reported once, at construction).
  const Status& status() const { return status_; }
  void Normalize(std::string_view name, NormalizedName* out);

 private:
  struct Icu;
  std::unique_ptr<Icu> icu_;
  Status status_;
  std::string scratch_;
};

}  // namespace decree::screen
