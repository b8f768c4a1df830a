// Opening a batch input (by format, from the name or the first bytes), the in-memory record
// source, and what every reader shares (reader_support.h).  The readers themselves live in
// csv_source.cpp, jsonl_source.cpp, sqlite_source.cpp and xml_source.cpp.
#include "io/source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "io/reader_support.h"

namespace decree::io {

ChunkBuffers::ChunkBuffers(const std::vector<FieldCodec>& codecs, uint32_t rows)
    : fields(codecs.size()), capacity(std::clamp<uint32_t>(rows, 1, kChunkSize)), pos(new uint64_t[capacity]) {
  for (size_t f = 0; f < codecs.size(); ++f) codecs[f].InitBuffer(&fields[f], capacity);
  chunk.columns.resize(codecs.size());
  for (size_t f = 0; f < codecs.size(); ++f) chunk.columns[f] = fields[f].vec();
  chunk.pos = pos.get();
}

std::vector<FieldCodec> Codecs(const ir::Program& program, const ir::Layout& layout) {
  std::vector<FieldCodec> codecs;
  for (const ir::Field& f : layout.fields) codecs.emplace_back(program, f);
  return codecs;
}

std::string CountLabeler::Label(uint64_t pos, uint64_t) { return fmt::format("{} {}", word_, pos + offset_); }

std::vector<std::string> RowSource::Labels(const std::vector<uint64_t>& positions) const {
  std::unique_ptr<PositionLabeler> labeler = NewLabeler();
  std::vector<std::string> out;
  out.reserve(positions.size());
  for (uint64_t p : positions) out.push_back(labeler->Label(p, 0));
  return out;
}

// Binds layout fields to input column names; reports every missing column at once.
Status BindColumns(const ir::Layout& layout, const std::vector<std::string>& names, const std::string& what,
                   std::vector<int>* field_col, std::vector<int>* currency_col) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!index.emplace(names[i], static_cast<int>(i)).second) {
      return Status::InvalidArgument(fmt::format("{}: column \"{}\" appears twice in the header", what, names[i]));
    }
  }
  std::vector<std::string> missing;
  field_col->assign(layout.fields.size(), -1);
  currency_col->assign(layout.fields.size(), -1);
  for (size_t f = 0; f < layout.fields.size(); ++f) {
    const ir::Field& field = layout.fields[f];
    auto it = index.find(field.column);
    if (it == index.end()) {
      missing.push_back(field.column);
    } else {
      (*field_col)[f] = it->second;
    }
    if (!field.currency_column.empty()) {
      auto c = index.find(field.currency_column);
      if (c == index.end()) {
        missing.push_back(field.currency_column);
      } else {
        (*currency_col)[f] = c->second;
      }
    }
  }
  if (!missing.empty()) {
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    return Status::InvalidArgument(fmt::format("{}: missing column{} {} (layout {} binds columns by name)", what,
                                               missing.size() == 1 ? "" : "s", fmt::join(missing, ", "), layout.name));
  }
  return Status::Ok();
}

namespace {

class ValueSource final : public RowSource {
 public:
  ValueSource(const ir::Program& program, const ir::Layout& layout, std::vector<std::vector<ir::Value>> records)
      : layout_(&layout), codecs_(Codecs(program, layout)), records_(std::move(records)) {}

  size_t segment_count() const override { return 1; }
  uint64_t total_bytes() const override { return records_.size(); }
  std::string format_name() const override { return "records"; }
  std::unique_ptr<PositionLabeler> NewLabeler() const override { return std::make_unique<CountLabeler>("record", 1); }

  Status ReadSegment(size_t, const ChunkFn& on_chunk, SegmentResult* result) override {
    ChunkBuffers buf(codecs_, static_cast<uint32_t>(std::min<size_t>(records_.size(), kChunkSize)));
    for (size_t r = 0; r < records_.size(); ++r) {
      ++result->rows_read;
      const std::vector<ir::Value>& rec = records_[r];
      uint32_t row = buf.chunk.size;
      std::string id = layout_->id_field >= 0 && !rec[layout_->id_field].null ? rec[layout_->id_field].s : "";
      bool ok = true;
      for (size_t f = 0; f < codecs_.size(); ++f) {
        const ir::Value& v = rec[f];
        const ir::Field& field = layout_->fields[f];
        if (v.null && !field.type.optional) {
          result->rejects.push_back(Reject{r, 0, id, fmt::format("{}: missing value", field.column)});
          ok = false;
          break;
        }
        if (field.positive && !v.null &&
            ((v.kind == ir::TypeKind::kInteger && v.i <= 0) || (v.kind != ir::TypeKind::kInteger && v.m <= 0))) {
          result->rejects.push_back(Reject{r, 0, id, fmt::format("{}: must be positive", field.column)});
          ok = false;
          break;
        }
        StoreValue(v, buf.chunk.columns[f], row, &buf.arena);
      }
      if (!ok) continue;
      if (buf.Commit(r)) buf.Flush(on_chunk);
    }
    buf.Flush(on_chunk);
    return Status::Ok();
  }

 private:
  const ir::Layout* layout_;
  std::vector<FieldCodec> codecs_;
  std::vector<std::vector<ir::Value>> records_;
};

}  // namespace


Status OpenSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout,
                  std::unique_ptr<RowSource>* out) {
  InputFormat format = spec.format;
  if (spec.bytes) {  // in memory: CSV or JSON Lines, told apart by the first byte
    if (format == InputFormat::kAuto) format = !spec.bytes->empty() && spec.bytes->front() == '{' ? InputFormat::kJsonl : InputFormat::kCsv;
    if (format != InputFormat::kCsv && format != InputFormat::kJsonl) {
      return Status::InvalidArgument(spec.path + ": only CSV and JSON Lines are read from memory");
    }
  } else if (format == InputFormat::kAuto) {
    format = spec.path == "-" ? InputFormat::kCsv : DetectInputFormat(spec.path);
  }
  out->reset();
  switch (format) {
    case InputFormat::kJsonl: return OpenJsonlSource(spec, program, layout, out);
    case InputFormat::kXml: return OpenXmlSource(spec, program, layout, out);
    case InputFormat::kSqlite: return OpenSqliteSource(spec, program, layout, out);
    default: return OpenCsvSource(spec, program, layout, out);
  }
}

Status RecordLabels(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout,
                    std::vector<std::pair<std::string, std::string>>* out) {
  std::unique_ptr<RowSource> source;
  Status st = OpenSource(spec, program, layout, &source);
  if (!st.ok()) return st;
  std::vector<std::pair<uint64_t, std::string>> rows;  // (position, id)
  for (size_t s = 0; s < source->segment_count(); ++s) {
    SegmentResult seg;
    st = source->ReadSegment(s, [&](const Chunk& c) {
      for (uint32_t r = 0; r < c.size; ++r) {
        ir::Value id = layout.id_field >= 0 ? SlotValue(c.columns[layout.id_field], r, layout.fields[layout.id_field].type)
                                            : ir::Value();
        rows.emplace_back(c.pos[r], id.null ? std::string() : id.s);
      }
    }, &seg);
    if (!st.ok()) return st;
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint64_t> positions;
  for (const auto& r : rows) positions.push_back(r.first);
  std::vector<std::string> labels = source->Labels(positions);
  for (size_t i = 0; i < rows.size(); ++i) out->emplace_back(rows[i].second, labels[i]);
  return Status::Ok();
}

std::unique_ptr<RowSource> MakeValueSource(const ir::Program& program, const ir::Layout& layout,
                                           std::vector<std::vector<ir::Value>> records) {
  return std::make_unique<ValueSource>(program, layout, std::move(records));
}

}  // namespace decree::io

namespace decree {

InputFormat DetectInputFormat(const std::string& path) {
  auto ends = [&](const char* ext) {
    size_t n = std::strlen(ext);
    return path.size() >= n && path.compare(path.size() - n, n, ext) == 0;
  };
  if (ends(".csv")) return InputFormat::kCsv;
  if (ends(".jsonl") || ends(".ndjson")) return InputFormat::kJsonl;
  if (ends(".db") || ends(".sqlite") || ends(".sqlite3")) return InputFormat::kSqlite;
  if (ends(".xml")) return InputFormat::kXml;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return InputFormat::kCsv;
  char head[16] = {};
  size_t n = std::fread(head, 1, sizeof(head), f);
  std::fclose(f);
  if (n == 16 && std::memcmp(head, "SQLite format 3", 16) == 0) return InputFormat::kSqlite;
  size_t i = 0;
  while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\t')) ++i;
  if (i < n && head[i] == '{') return InputFormat::kJsonl;
  if (i < n && head[i] == '<') return InputFormat::kXml;
  return InputFormat::kCsv;
}

Status ParseInputFormat(const std::string& name, InputFormat* out) {
  if (name == "auto") {
    *out = InputFormat::kAuto;
  } else if (name == "csv") {
    *out = InputFormat::kCsv;
  } else if (name == "jsonl") {
    *out = InputFormat::kJsonl;
  } else if (name == "sqlite") {
    *out = InputFormat::kSqlite;
  } else if (name == "xml") {
    *out = InputFormat::kXml;
  } else {
    return Status::InvalidArgument("unknown input format '" + name + "' (csv, jsonl, sqlite, xml)");
  }
  return Status::Ok();
}

}  // namespace decree
