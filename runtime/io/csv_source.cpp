// The CSV batch reader: RFC 4180, a header row binding columns by name, read in segments by
// several threads.  A record that spans several lines (a quoted field holding a line break) is
// rejected with its line range unless the input allows multi-line records; blank lines and the
// extra lines of multi-line records are counted, so every line is accounted for.
#include <fmt/format.h>

#include "decree/files.h"
#include "common/utf8.h"
#include "io/csv.h"
#include "io/csv_records.h"
#include "io/reader_support.h"

namespace decree::io {

namespace {

class CsvSource final : public RowSource {
 public:
  Status Init(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout) {
    multiline_ = spec.multiline_records;
    Status st = spec.bytes ? Status::Ok() : file_.Open(spec.path, spec.max_record_bytes);
    if (!st.ok()) return st;
    if (spec.bytes) file_.OpenBytes(spec.path, spec.bytes);
    size_t pos = 0;
    std::vector<std::string> names;
    if (st = ReadCsvHeader(file_, spec.path, spec.max_record_bytes, &names, &pos); !st.ok()) return st;
    ncols_ = names.size();
    st = BindColumns(layout, names, spec.path, &field_col_, &currency_col_);
    if (!st.ok()) return st;
    key_col_ = layout.id_field >= 0 ? field_col_[layout.id_field] : -1;
    codecs_ = Codecs(program, layout);
    segments_.Init(&file_, pos, /*quotes=*/true, kSegmentBytes, spec.max_record_bytes, 1);
    return Status::Ok();
  }

  size_t segment_count() const override { return segments_.count(); }
  uint64_t total_bytes() const override { return file_.size(); }
  std::string format_name() const override { return "CSV"; }
  Status CheckUnchanged() const override { return file_.CheckUnchanged(); }
  bool line_based() const override { return true; }
  std::unique_ptr<PositionLabeler> NewLabeler() const override { return std::make_unique<LineLabeler>(file_, 1); }

  Status ReadSegment(size_t segment, const ChunkFn& on_chunk, SegmentResult* result) override {
    thread_local std::string data;  // this thread's segment buffer, reused
    uint64_t begin, end;
    Status st = segments_.Read(segment, &data, &begin, &end);
    if (!st.ok()) return st;
    // Valid UTF-8 as a whole means valid in every field (fields split at ASCII bytes); only a
    // segment that is not has its text fields checked one by one, to name the bad one.
    const bool utf8_checked = IsValidUtf8(data);
    ChunkBuffers buf(codecs_);
    std::vector<CsvField> fields;
    fields.reserve(ncols_ + 1);
    std::string reason;
    uint64_t pos = begin, reported = begin;  // file offsets
    CsvScanner scanner(data.data(), 0, data.size());
    while (!scanner.done()) {
      size_t from = scanner.pos();
      uint64_t start = begin + from;
      CsvError error;
      scanner.Next(&fields, &error);
      pos = begin + scanner.pos();
      if (error == CsvError::kNone && fields.size() == 1 && fields[0].size == 0 && ncols_ > 1) {  // blank line
        ++result->blank_lines;
        continue;
      }
      ++result->rows_read;
      uint64_t last = 0;  // where the record's last line starts, when it has several
      if (scanner.quoted()) {
        size_t body_end = scanner.pos();
        if (body_end > from && data[body_end - 1] == '\n') --body_end;
        uint64_t breaks = CountByte(data.data() + from, body_end - from, '\n');
        if (breaks > 0) {
          const char* nl = static_cast<const char*>(memrchr(data.data() + from, '\n', body_end - from));
          last = begin + static_cast<uint64_t>(nl - data.data()) + 1;
          ++result->multiline_rows;
          result->extra_lines += breaks;
        }
      }
      if (error != CsvError::kNone) {
        result->rejects.push_back(Reject{start, last, RecordId(fields, &buf.arena), CsvErrorText(error)});
        continue;
      }
      if (last != 0 && !multiline_) {
        result->rejects.push_back(Reject{start, last, RecordId(fields, &buf.arena),
                                         "the record spans several lines: a quoted field holds a line break (a stray quote?); "
                                         "multi-line records are not accepted unless the run allows them"});
        continue;
      }
      if (fields.size() != ncols_) {
        result->rejects.push_back(Reject{start, last, RecordId(fields, &buf.arena),
                                         fmt::format("expected {} fields, found {}", ncols_, fields.size())});
        continue;
      }
      uint32_t row = buf.chunk.size;
      bool ok = true;
      for (size_t f = 0; f < codecs_.size(); ++f) {
        std::string_view text = CsvText(fields[field_col_[f]], &buf.arena);
        std::string_view cur = currency_col_[f] >= 0 ? CsvText(fields[currency_col_[f]], &buf.arena) : std::string_view();
        if (!codecs_[f].Parse(text, cur, false, buf.chunk.columns[f], row, &reason, utf8_checked)) {
          result->rejects.push_back(Reject{start, last, RecordId(fields, &buf.arena), reason});
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (buf.Commit(start)) {
        buf.Flush(on_chunk);
        bytes_done_.fetch_add(pos - reported, std::memory_order_relaxed);
        reported = pos;
      }
    }
    buf.Flush(on_chunk);
    bytes_done_.fetch_add(end - reported, std::memory_order_relaxed);
    return Status::Ok();
  }

 private:
  std::string RecordId(const std::vector<CsvField>& fields, Arena* arena) const {
    if (key_col_ < 0 || static_cast<size_t>(key_col_) >= fields.size()) return std::string();
    std::string_view id = CsvText(fields[key_col_], arena);
    if (id.size() > 256 || !IsValidUtf8(id)) return std::string();
    return std::string(id);
  }

  InputFile file_;
  std::vector<FieldCodec> codecs_;
  std::vector<int> field_col_, currency_col_;
  size_t ncols_ = 0;
  int key_col_ = -1;
  bool multiline_ = false;
  SegmentReader segments_;
};

}  // namespace

Status OpenCsvSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout, std::unique_ptr<RowSource>* out) {
  auto s = std::make_unique<CsvSource>();
  Status st = s->Init(spec, program, layout);
  if (st.ok()) *out = std::move(s);
  return st;
}

}  // namespace decree::io
