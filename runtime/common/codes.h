// Code lists: ISO 4217 currencies (with their minor units) and ISO 3166-1 alpha-2 countries.
//
// Currencies are identified by a small dense index (CurrencyId) so that the hot path can carry
// them in a uint16 column; index order is alphabetical by code and is part of the rule-library
// format only through the code text, never through the number.
#pragma once

#include <cstdint>
#include <string_view>

namespace decree {

using CurrencyId = uint16_t;
inline constexpr CurrencyId kNoCurrency = 0xFFFF;

// Returns kNoCurrency for anything that is not an active ISO 4217 code (upper case, 3 letters).
CurrencyId LookupCurrency(std::string_view code);
std::string_view CurrencyCode(CurrencyId id);
// Number of decimals of the currency's minor unit (CNY 2, JPY 0, BHD 3, CLF 4).
int CurrencyMinorUnits(CurrencyId id);
int CurrencyCount();
// Largest minor-unit count of any currency: the scale money columns are stored at.
inline constexpr int kMoneyScale = 4;

bool IsCountryCode(std::string_view code);

}  // namespace decree
