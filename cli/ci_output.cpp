#include "ci_output.h"

#include <fmt/format.h>

#include "decree/json.h"
#include "decree/xml_escape.h"

namespace decree::cli {

namespace {

void Location(JsonWriter& w, const SarifLocation& l) {
  w.BeginObject().Key("physicalLocation").BeginObject();
  w.Key("artifactLocation").BeginObject().Field("uri", l.uri).EndObject();
  if (l.line > 0) {
    w.Key("region").BeginObject().Field("startLine", l.line);
    if (l.column > 0) w.Field("startColumn", l.column);
    if (l.end_line > 0) w.Field("endLine", l.end_line);
    if (l.end_column > 0) w.Field("endColumn", l.end_column);
    w.EndObject();
  }
  w.EndObject().EndObject();
}

}  // namespace

std::string SarifLog(const std::vector<SarifRule>& rules, const std::vector<SarifResult>& results, const std::string& library_hash) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("$schema", "https://json.schemastore.org/sarif-2.1.0.json").Field("version", "2.1.0");
  w.Key("runs").BeginArray().BeginObject();
  w.Key("tool").BeginObject().Key("driver").BeginObject();
  w.Field("name", "decree").Field("version", DECREE_VERSION).Field("informationUri", "docs/ci.md");
  w.Key("rules").BeginArray();
  for (const SarifRule& r : rules) {
    w.BeginObject().Field("id", r.id);
    if (!r.name.empty()) w.Field("name", r.name);
    w.Key("shortDescription").BeginObject().Field("text", r.description).EndObject().EndObject();
  }
  w.EndArray().EndObject().EndObject();  // rules, driver, tool
  if (!library_hash.empty()) w.Key("properties").BeginObject().Field("libraryHash", library_hash).EndObject();
  w.Key("results").BeginArray();
  for (const SarifResult& r : results) {
    w.BeginObject().Field("ruleId", r.rule_id);
    for (size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].id == r.rule_id) {
        w.Field("ruleIndex", static_cast<int64_t>(i));
        break;
      }
    }
    w.Field("level", r.level);
    w.Key("message").BeginObject().Field("text", r.message).EndObject();
    w.Key("locations").BeginArray();
    for (const SarifLocation& l : r.locations) Location(w, l);
    w.EndArray();
    if (!r.related.empty()) {
      w.Key("relatedLocations").BeginArray();
      for (const SarifLocation& l : r.related) Location(w, l);
      w.EndArray();
    }
    if (!r.suppression.empty()) {
      w.Key("suppressions").BeginArray().BeginObject().Field("kind", "inSource").Field("justification", r.suppression).EndObject().EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("invocations").BeginArray().BeginObject().FieldBool("executionSuccessful", true).EndObject().EndArray();
  w.EndObject().EndArray().EndObject();  // run, runs, log
  out += '\n';
  return out;
}

std::string JunitXml(const std::vector<JunitSuite>& suites) {
  size_t tests = 0, failures = 0;
  for (const JunitSuite& s : suites) {
    for (const JunitCase& c : s.cases) {
      ++tests;
      failures += c.failed;
    }
  }
  std::string out = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"{}\" failures=\"{}\">\n", tests, failures);
  for (const JunitSuite& s : suites) {
    size_t failed = 0;
    for (const JunitCase& c : s.cases) failed += c.failed;
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", XmlEscaped(s.name), s.cases.size(), failed);
    for (const JunitCase& c : s.cases) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"", XmlEscaped(c.classname), XmlEscaped(c.name),
                         XmlEscaped(c.file));
      if (c.line > 0) out += fmt::format(" line=\"{}\"", c.line);
      if (!c.failed) {
        out += "/>\n";
        continue;
      }
      out += fmt::format(">\n      <failure message=\"{}\"", XmlEscaped(c.failure_message));
      if (!c.failure_type.empty()) out += fmt::format(" type=\"{}\"", XmlEscaped(c.failure_type));
      out += fmt::format(">{}</failure>\n    </testcase>\n", XmlEscaped(c.failure_text));
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace decree::cli
