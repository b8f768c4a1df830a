// Checking a filing (CSV or XML) against the `require` rules of a rule library (docs/reports.md,
// "Validating a filing").
//
//   decree::ValidateOptions o;  o.input.path = "lvtr.xml";
//   decree::ValidationResult r;
//   decree::Status st = decree::ValidateFiling(*lib, o, &r);   // st: the validation could not run
//   for (const decree::FilingViolation& v : r.violations) { ... v.line, v.rule, v.message ... }
//
// The filing is read through the layout of the require rules (with several, the one it fits, or
// `layout`).  Every record either passes every rule or is listed: a record the layout rejects
// (a missing field, a wrong type, an unknown code) is a violation of the layout at its line; a
// `per` rule points at its group's first record and lists the others; a filing that cannot be
// read at all is one violation of "decree.filing.readable".  Violations are sorted by line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "decree/input.h"
#include "decree/library.h"
#include "decree/status.h"

namespace decree {

struct ValidateOptions {
  InputSpec input;     // the filing
  std::string layout;  // "" = the layout of the require rules the filing fits
};

// What a filing is checked against: a require rule, a layout, or one of decree's own checks
// ("decree.filing.readable", "decree.filing.schema").
struct FilingRule {
  std::string id, description;
};

struct FilingViolation {
  std::string rule;       // a FilingRule's id
  int line = 0;           // 0: the whole filing
  std::vector<int> also;  // the other lines of a group
  std::string message;
};

struct ValidationResult {
  std::string layout;     // the layout read ("no layout" when none fits)
  uint64_t records = 0;
  std::vector<FilingRule> rules;  // every rule checked, in the order reports list them
  std::vector<FilingViolation> violations;
  bool valid() const { return violations.empty(); }
};

// InvalidArgument when the library has no require rules, `layout` is not one of theirs, or the
// filing fits several; an unreadable filing is a violation, not an error.
Status ValidateFiling(const Library& lib, const ValidateOptions& options, ValidationResult* result);

}  // namespace decree
