// The XML Schemas of the reports decree writes (report/schemas/*.xsd), compiled in.
#include "report/writers.h"

#include <fmt/format.h>

#include <cstring>

#include "decree/files.h"
#include "io/xml.h"

namespace decree::report {

namespace {

struct Schema {
  const char* name;
  const char* text;
};

constexpr Schema kSchemas[] = {
#include "schemas.inc"
};

}  // namespace

const char* SchemaText(const char* name) {
  for (const Schema& s : kSchemas) {
    if (std::strcmp(s.name, name) == 0) return s.text;
  }
  return nullptr;
}

Status CheckAgainstSchema(std::string_view xml, const char* schema) {
  const char* text = SchemaText(schema);
  if (text == nullptr) return Status::Internal(fmt::format("no schema {} compiled in", schema));
  Status st = io::ValidateXmlSchema(xml, text, schema);
  if (!st.ok()) return Status::Internal(fmt::format("the report is {}; nothing was written (a bug: please report it)", st.message()));
  return Status::Ok();
}

Status CheckFilingSchema(const std::string& path) {
  std::string text;
  Status st = ReadWholeFile(path, kMaxWholeFileBytes, &text, "filing");
  if (!st.ok()) return st;
  io::XmlReader reader(text);
  io::XmlReader::Event ev = io::XmlReader::Event::kEof;
  while ((st = reader.Next(&ev)).ok() && ev != io::XmlReader::Event::kStart && ev != io::XmlReader::Event::kEof) {
  }
  if (!st.ok() || ev != io::XmlReader::Event::kStart) return Status::Ok();  // the reader reports what is malformed
  struct Root {
    const char* local;
    const char* ns;
    const char* schema;
  };
  static constexpr Root kRoots[] = {{"lvtr_report", "urn:decree:report:pboc-lvtr:1", "pboc-lvtr.xsd"},
                                    {"report", "", "goaml-report.xsd"},
                                    {"EFilingBatchXML", "www.fincen.gov/base", "fincen-ctr.xsd"}};
  for (const Root& r : kRoots) {
    if (reader.local_name() != r.local || reader.ns() != r.ns) continue;
    st = io::ValidateXmlSchema(text, SchemaText(r.schema), r.schema);
    return st.ok() ? st : Status::Corruption(fmt::format("{}: {}", path, st.message()));
  }
  return Status::Ok();
}

}  // namespace decree::report
