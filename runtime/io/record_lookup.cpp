// FindRecords and ForEachRecord (decree/input.h): a batch's records as text, for explanations
// and pictures.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/arena.h"
#include "decree/input.h"
#include "decree/json.h"
#include "io/csv.h"
#include "io/csv_records.h"
#include "io/input_file.h"

namespace decree {
namespace {

constexpr size_t kSegmentBytes = 4 << 20;

// Calls `fn(data, begin)` for each segment of the records from `pos` on, in file order.
template <typename Fn>
Status ForEachSegment(const io::InputFile& file, size_t pos, bool quotes, uint64_t max_record, Fn&& fn) {
  io::SegmentReader segments;
  segments.Init(&file, pos, quotes, kSegmentBytes, max_record, 1);
  std::string data;
  for (size_t k = 0; k < segments.count(); ++k) {
    uint64_t begin, end;
    if (Status st = segments.Read(k, &data, &begin, &end); !st.ok()) return st;
    fn(data, begin);
  }
  return Status::Ok();
}

using Want = std::function<bool(const std::string& id)>;
using Sink = std::function<void(RecordText&&)>;

// CSV: the header names the fields; a record is kept when `want` takes its `id_field`.
Status FindCsv(const io::InputFile& file, const InputSpec& input, const std::string& id_field, const Want& want, const Sink& out) {
  size_t pos = 0;
  std::vector<std::string> header;
  if (Status st = io::ReadCsvHeader(file, input.path, input.max_record_bytes, &header, &pos); !st.ok()) return st;
  const size_t id_col = static_cast<size_t>(std::find(header.begin(), header.end(), id_field) - header.begin());
  if (id_col == header.size()) return Status::InvalidArgument(fmt::format("{}: header row has no {} column", input.path, id_field));
  io::LineCounter lines(file, 1);
  std::vector<io::CsvField> f;
  io::CsvError e;
  Arena arena;
  return ForEachSegment(file, pos, /*quotes=*/true, input.max_record_bytes, [&](const std::string& data, uint64_t begin) {
    for (size_t at = 0; at < data.size();) {
      const size_t start = at;
      io::NextCsvRecord(data.data(), data.size(), &at, &f, &e);
      arena.Reset();
      if (e != io::CsvError::kNone || f.size() != header.size() || !want(std::string(io::CsvText(f[id_col], &arena)))) continue;
      RecordText r;
      r.id = std::string(io::CsvText(f[id_col], &arena));
      r.position = lines.Label(begin + start, 0);
      for (size_t c = 0; c < header.size(); ++c) r.fields.emplace_back(header[c], std::string(io::CsvText(f[c], &arena)));
      out(std::move(r));
    }
  });
}

// JSON Lines: each object's members in order; strings as decoded, other values as written.
Status FindJsonl(const io::InputFile& file, const InputSpec& input, const std::string& id_field, const Want& want, const Sink& out) {
  std::string head;
  if (Status st = file.ReadAt(0, 3, &head); !st.ok()) return st;
  io::LineCounter lines(file, 1);
  return ForEachSegment(file, head == "\xEF\xBB\xBF" ? 3 : 0, /*quotes=*/false, input.max_record_bytes,
                        [&](const std::string& data, uint64_t begin) {
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
      if (id == nullptr || !id->is_string() || !want(id->text)) continue;
      RecordText r;
      r.id = id->text;
      r.position = lines.Label(start, 0);
      for (const JsonMember& m : v.members) {
        const JsonValue& x = m.value;
        std::string value = x.kind == JsonValue::Kind::kNull ? "null" : x.kind == JsonValue::Kind::kBool ? (x.b ? "true" : "false") : x.text;
        r.fields.emplace_back(m.key, std::move(value));
      }
      out(std::move(r));
    }
  });
}

Status Scan(const InputSpec& input, const std::string& id_field, const Want& want, const Sink& out) {
  InputFormat format = input.format == InputFormat::kAuto ? DetectInputFormat(input.path) : input.format;
  if (format != InputFormat::kCsv && format != InputFormat::kJsonl) {
    return Status::NotSupported(input.path + ": records are looked up in CSV and JSON Lines batches only");
  }
  io::InputFile file;
  if (Status st = file.Open(input.path, input.max_record_bytes); !st.ok()) return st;
  return format == InputFormat::kCsv ? FindCsv(file, input, id_field, want, out) : FindJsonl(file, input, id_field, want, out);
}

}  // namespace

Status FindRecords(const InputSpec& input, const std::string& id_field, const std::set<std::string>& ids, std::vector<RecordText>* out) {
  out->clear();
  return Scan(input, id_field, [&](const std::string& id) { return ids.count(id) > 0; }, [&](RecordText&& r) { out->push_back(std::move(r)); });
}

Status ForEachRecord(const InputSpec& input, const std::string& id_field, const std::function<void(RecordText&&)>& fn) {
  return Scan(input, id_field, [](const std::string&) { return true; }, fn);
}

}  // namespace decree
