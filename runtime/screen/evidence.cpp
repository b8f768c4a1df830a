#include "screen/evidence.h"

#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace decree::screen {
namespace {

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// English country name (lower case) → alpha-2 code, from ICU's region names.
const std::unordered_map<std::string, std::string>& NameToCode() {
  static const std::unordered_map<std::string, std::string> table = [] {
    std::unordered_map<std::string, std::string> t;
    for (const char* const* c = icu::Locale::getISOCountries(); *c != nullptr; ++c) {
      icu::UnicodeString name;
      icu::Locale("", *c).getDisplayCountry(icu::Locale::getEnglish(), name);
      std::string utf8;
      name.toUTF8String(utf8);
      t.emplace(Lower(utf8), *c);
    }
    return t;
  }();
  return table;
}

}  // namespace

std::string CountryCode(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.size() == 2 && std::isalpha(static_cast<unsigned char>(text[0])) && std::isalpha(static_cast<unsigned char>(text[1]))) {
    return {static_cast<char>(std::toupper(static_cast<unsigned char>(text[0]))),
            static_cast<char>(std::toupper(static_cast<unsigned char>(text[1])))};
  }
  std::string name = Lower(text.substr(0, std::min(text.find('('), text.size())));
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.starts_with("the ")) name.erase(0, 4);
  const auto& table = NameToCode();
  auto it = table.find(name);
  return it == table.end() ? std::string() : it->second;
}

CountryEvidence::CountryEvidence(const ScreeningIndex& index) {
  for (const WatchList& l : index.lists()) {
    codes_.emplace_back();
    for (const WatchEntry& e : l.entries) codes_.back().push_back(CountryCode(e.country));
  }
}

double CountryEvidence::Effect(const ScreeningIndex::Name& name, std::string_view row_code, std::string* entry_code) const {
  *entry_code = codes_[name.list][name.entry];
  if (row_code.empty() || entry_code->empty()) return 0;
  return *entry_code == row_code ? kCountryEffect : -kCountryEffect;
}

}  // namespace decree::screen
