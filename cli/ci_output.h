// The two formats CI systems read, written in one place for every verb: SARIF 2.1.0 (check,
// validate) and JUnit XML (test, validate).  docs/ci.md shows them in a pipeline.
#pragma once

#include <string>
#include <vector>

namespace decree::cli {

struct SarifRule {
  std::string id, name, description;  // name may be empty
};

struct SarifLocation {
  std::string uri;
  int line = 0, column = 0, end_line = 0, end_column = 0;  // 0: not known (no region, or no columns)
};

struct SarifResult {
  std::string rule_id;
  std::string level = "error";  // "error", "warning", "note"
  std::string message;
  std::vector<SarifLocation> locations, related;
  std::string suppression;      // a justification: the result is suppressed in source
};

// A SARIF log with one run of the tool "decree"; `library_hash`, when given, is a run property.
std::string SarifLog(const std::vector<SarifRule>& rules, const std::vector<SarifResult>& results,
                     const std::string& library_hash = "");

struct JunitCase {
  std::string classname, name, file;
  int line = 0;
  bool failed = false;
  std::string failure_message = {}, failure_type = {}, failure_text = {};
};

struct JunitSuite {
  std::string name;
  std::vector<JunitCase> cases;
};

std::string JunitXml(const std::vector<JunitSuite>& suites);

}  // namespace decree::cli
