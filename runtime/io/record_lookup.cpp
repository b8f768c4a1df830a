// FindRecords (decree/input.h): a batch's records by id, as text, for explanations.
#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

#include "common/arena.h"
#include "decree/input.h"
#include "decree/json.h"
#include "io/csv.h"
#include "io/input_file.h"

namespace decree {
namespace {

// CSV: the header names the fields; a record is kept when its `id_field` is one of `ids`.
Status FindCsv(const std::string& text, const std::string& id_field, const std::set<std::string>& ids, std::vector<RecordText>* out) {
  size_t pos = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  std::vector<io::CsvField> f;
  io::CsvError e;
  Arena arena;
  io::NextCsvRecord(text.data(), text.size(), &pos, &f, &e);
  if (e != io::CsvError::kNone) return Status::InvalidArgument(fmt::format("header row: {}", io::CsvErrorText(e)));
  std::vector<std::string> header;
  for (const io::CsvField& h : f) header.emplace_back(io::CsvText(h, &arena));
  size_t id_col = header.size();
  for (size_t c = 0; c < header.size(); ++c) {
    if (header[c] == id_field) id_col = c;
  }
  if (id_col == header.size()) return Status::InvalidArgument(fmt::format("header row has no {} column", id_field));
  uint64_t line = 1;
  while (pos < text.size()) {
    const size_t start = pos;
    io::NextCsvRecord(text.data(), text.size(), &pos, &f, &e);
    line += 1;
    const uint64_t record_line = line;
    for (size_t k = start; k < pos && k + 1 < pos; ++k) line += text[k] == '\n';  // line breaks inside quotes
    arena.Reset();
    if (e != io::CsvError::kNone || f.size() != header.size() || !ids.count(std::string(io::CsvText(f[id_col], &arena)))) continue;
    RecordText r;
    r.id = std::string(io::CsvText(f[id_col], &arena));
    r.position = fmt::format("line {}", record_line);
    for (size_t c = 0; c < header.size(); ++c) r.fields.emplace_back(header[c], std::string(io::CsvText(f[c], &arena)));
    out->push_back(std::move(r));
  }
  return Status::Ok();
}

// JSON Lines: each object's members in order; strings as decoded, other values as written.
Status FindJsonl(const std::string& text, const std::string& id_field, const std::set<std::string>& ids, std::vector<RecordText>* out) {
  uint64_t line = 0;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    std::string_view body(text.data() + at, nl - at);
    at = nl + 1;
    ++line;
    JsonValue v;
    size_t off;
    std::string error;
    if (!ParseJson(body, &v, &off, &error) || v.kind != JsonValue::Kind::kObject) continue;
    const JsonValue* id = v.Get(id_field);
    if (id == nullptr || !id->is_string() || !ids.count(id->text)) continue;
    RecordText r;
    r.id = id->text;
    r.position = fmt::format("line {}", line);
    for (const JsonMember& m : v.members) {
      const JsonValue& x = m.value;
      std::string value = x.kind == JsonValue::Kind::kNull ? "null" : x.kind == JsonValue::Kind::kBool ? (x.b ? "true" : "false") : x.text;
      r.fields.emplace_back(m.key, std::move(value));
    }
    out->push_back(std::move(r));
  }
  return Status::Ok();
}

}  // namespace

Status FindRecords(const InputSpec& input, const std::string& id_field, const std::set<std::string>& ids, std::vector<RecordText>* out) {
  out->clear();
  InputFormat format = input.format == InputFormat::kAuto ? DetectInputFormat(input.path) : input.format;
  if (format != InputFormat::kCsv && format != InputFormat::kJsonl) {
    return Status::NotSupported(input.path + ": records are looked up in CSV and JSON Lines batches only");
  }
  io::InputFile file;
  if (Status st = file.Open(input.path, input.max_record_bytes); !st.ok()) return st;
  std::string text;
  if (Status st = file.ReadAt(0, file.size(), &text); !st.ok()) return st;
  Status st = format == InputFormat::kCsv ? FindCsv(text, id_field, ids, out) : FindJsonl(text, id_field, ids, out);
  return st.ok() ? st : Status::InvalidArgument(input.path + ": " + st.message());
}

}  // namespace decree
