// FindRecords (decree/input.h): a batch's records by id, as text, for explanations.
#include <fmt/format.h>

#include <algorithm>
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

constexpr size_t kSegmentBytes = 4 << 20;

// CSV: the header names the fields (read in 64 KiB steps until it is complete); the records
// after it are read a segment at a time, and one is kept when its `id_field` is one of `ids`.
Status FindCsv(const io::InputFile& file, uint64_t max_record, const std::string& id_field, const std::set<std::string>& ids,
               std::vector<RecordText>* out) {
  std::string head;
  std::vector<io::CsvField> f;
  io::CsvError e = io::CsvError::kNone;
  size_t pos = 0;
  for (;;) {
    if (Status st = file.ReadAt(0, std::min<uint64_t>(file.size(), head.size() + (64 << 10)), &head); !st.ok()) return st;
    pos = head.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    io::NextCsvRecord(head.data(), head.size(), &pos, &f, &e);
    if ((e == io::CsvError::kNone && pos < head.size()) || head.size() >= file.size() || head.size() >= max_record) break;
  }
  if (e != io::CsvError::kNone) return Status::InvalidArgument(fmt::format("header row: {}", io::CsvErrorText(e)));
  Arena arena;
  std::vector<std::string> header;
  for (const io::CsvField& h : f) header.emplace_back(io::CsvText(h, &arena));
  const size_t id_col = static_cast<size_t>(std::find(header.begin(), header.end(), id_field) - header.begin());
  if (id_col == header.size()) return Status::InvalidArgument(fmt::format("header row has no {} column", id_field));
  io::SegmentReader segments;
  segments.Init(&file, pos, /*quotes=*/true, kSegmentBytes, max_record, 1);
  io::LineCounter lines(file, 1);
  std::string data;
  for (size_t k = 0; k < segments.count(); ++k) {
    uint64_t begin, end;
    if (Status st = segments.Read(k, &data, &begin, &end); !st.ok()) return st;
    for (size_t at = 0; at < data.size();) {
      const size_t start = at;
      io::NextCsvRecord(data.data(), data.size(), &at, &f, &e);
      arena.Reset();
      if (e != io::CsvError::kNone || f.size() != header.size() || !ids.count(std::string(io::CsvText(f[id_col], &arena)))) continue;
      RecordText r;
      r.id = std::string(io::CsvText(f[id_col], &arena));
      r.position = lines.Label(begin + start, 0);
      for (size_t c = 0; c < header.size(); ++c) r.fields.emplace_back(header[c], std::string(io::CsvText(f[c], &arena)));
      out->push_back(std::move(r));
    }
  }
  return Status::Ok();
}

// JSON Lines: each object's members in order; strings as decoded, other values as written.
Status FindJsonl(const io::InputFile& file, uint64_t max_record, const std::string& id_field, const std::set<std::string>& ids,
                 std::vector<RecordText>* out) {
  std::string head;
  if (Status st = file.ReadAt(0, 3, &head); !st.ok()) return st;
  io::SegmentReader segments;
  segments.Init(&file, head == "\xEF\xBB\xBF" ? 3 : 0, /*quotes=*/false, kSegmentBytes, max_record, 1);
  io::LineCounter lines(file, 1);
  std::string data;
  for (size_t k = 0; k < segments.count(); ++k) {
    uint64_t begin, end;
    if (Status st = segments.Read(k, &data, &begin, &end); !st.ok()) return st;
    for (size_t at = 0; at < data.size();) {
      size_t nl = data.find('\n', at);
      if (nl == std::string::npos) nl = data.size();
      const std::string_view body(data.data() + at, nl - at);
      const uint64_t start = begin + at;
      at = nl + 1;
      JsonValue v;
      size_t off;
      std::string error;
      if (!ParseJson(body, &v, &off, &error) || v.kind != JsonValue::Kind::kObject) continue;
      const JsonValue* id = v.Get(id_field);
      if (id == nullptr || !id->is_string() || !ids.count(id->text)) continue;
      RecordText r;
      r.id = id->text;
      r.position = lines.Label(start, 0);
      for (const JsonMember& m : v.members) {
        const JsonValue& x = m.value;
        std::string value = x.kind == JsonValue::Kind::kNull ? "null" : x.kind == JsonValue::Kind::kBool ? (x.b ? "true" : "false") : x.text;
        r.fields.emplace_back(m.key, std::move(value));
      }
      out->push_back(std::move(r));
    }
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
  Status st = format == InputFormat::kCsv ? FindCsv(file, input.max_record_bytes, id_field, ids, out)
                                          : FindJsonl(file, input.max_record_bytes, id_field, ids, out);
  return st.ok() ? st : Status::InvalidArgument(input.path + ": " + st.message());
}

}  // namespace decree
