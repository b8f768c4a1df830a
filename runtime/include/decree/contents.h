// What a rule library holds, as plain values: its rulesets, layouts, tables, rules (with their
// citation, source text and compiled form) and tests.  `decree inspect` prints this; an embedder
// shows it, or checks which rules and which version of a regulation a library carries.
//
//   decree::LibraryContents c = decree::DescribeLibrary(*lib);
//   for (const decree::LibraryRule& r : c.rules) std::printf("%s %s\n", r.id.c_str(), r.citation.c_str());
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "decree/library.h"

namespace decree {

struct LibraryRuleset {
  std::string id, title, source, version;
  bool is_module = false;
  std::string effective_from, effective_until;  // YYYY-MM-DD, "" when open
  std::string timezone, currency, file;         // currency: the home currency's ISO code, "" if none
};

struct LibraryField {
  std::string name, type, column;
  std::string currency_column;  // money(<column>): where the currency code is read from
  bool positive = false;        // a value <= 0 rejects the row
};

struct LibraryLayout {
  std::string name, key, time;  // key and time: field names, "" when the layout has none
  std::vector<LibraryField> fields;
};

struct LibraryTable {
  std::string name;
  std::vector<LibraryField> keys, values;
};

struct LibraryRule {
  std::string id;
  int version = 0;
  std::string ruleset, kind, citation, layout;
  std::string verdicts;  // "report large_value within 5 business days and flag ..."
  std::string effective_from, effective_until;
  std::string file;
  int line = 0, column = 0;
  std::string source_text, hash;
  std::string compiled;  // the rule's compiled form (the IR text the content hash covers)
  std::vector<std::string> exempted_by;  // exemptions that can take a record out of this rule
  std::vector<std::string> overrides;    // rules this one overrides
};

struct LibraryTest {
  std::string ruleset, name;
  uint64_t records = 0, expectations = 0;
};

struct LibraryContents {
  std::vector<LibraryRuleset> rulesets;
  std::vector<LibraryLayout> layouts;
  std::vector<LibraryTable> tables;
  std::vector<LibraryRule> rules;  // exemptions included (kind "exempt")
  std::vector<LibraryTest> tests;
};

LibraryContents DescribeLibrary(const Library& lib);

}  // namespace decree
