// Supporting evidence beside a name (`decree screen`): the country a batch row gives with the
// name against the country the list gives for the entry.
//
// A name column `X_name` has the evidence column `X_country` when the batch has one
// (counterparty_name → counterparty_country in the canonical layout).  Countries compare as
// ISO 3166 alpha-2 codes: a two-letter value is one; a name ("Iran (Islamic Republic of)",
// "Yemen") is looked up among ICU's English country names, its parenthesis dropped.  Agreeing
// countries raise the name score by kCountryEffect, differing ones lower it by as much; an
// unknown country on either side changes nothing.  The adjusted score stays in [0, 1].
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "screen/index.h"

namespace decree::screen {

inline constexpr double kCountryEffect = 0.02;

// The ISO 3166 alpha-2 code of `text` (a code or an English country name), or "".
std::string CountryCode(std::string_view text);

// The entries' countries as codes, computed once per index.
class CountryEvidence {
 public:
  explicit CountryEvidence(const ScreeningIndex& index);
  // The effect on a hit on `name` (an index name) for a row whose country code is `row_code`:
  // +kCountryEffect, −kCountryEffect or 0; *entry_code receives the entry's code ("" unknown).
  double Effect(const ScreeningIndex::Name& name, std::string_view row_code, std::string* entry_code) const;

 private:
  std::vector<std::vector<std::string>> codes_;  // [list][entry]
};

}  // namespace decree::screen
