// The XML batch reader (filings): the document is parsed whole through libxml2 (filings are
// small enough to hold), and each element named like the layout's record element is a record
// ("a/b/record": one whose parent is b, in a).  A field's column is looked up on the record,
// then on each ancestor in turn: an attribute of that name, or a child element whose path
// (steps separated by '/') leads there; "../name" starts at the parent.  Names compare by
// their local part, and only elements in the record element's namespace count: an element of
// another namespace (an extension) is never taken for a field, and neither is an attribute of
// one.  An absent element is null (a non-optional field rejects the record as missing); an
// empty one is empty text.  A record's position is the line of its start tag.
//
// Lookups are memoized per (field, element), so records that share ancestors cost one lookup
// per ancestor, however many attributes and children those have.
#include <fmt/format.h>

#include "decree/files.h"
#include "common/utf8.h"
#include "io/reader_support.h"
#include "io/xml.h"

namespace decree::io {

namespace {

std::string Trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string_view> Steps(std::string_view path) {
  std::vector<std::string_view> steps;
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    steps.push_back(XmlLocalName(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start)));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return steps;
}

// How a column is looked up: how many levels up it starts, and the steps below.
struct Lookup {
  int up = 0;
  std::vector<std::string> steps;
  std::string column;
};

class XmlSource final : public RowSource {
 public:
  Status Init(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout) {
    layout_ = &layout;
    path_ = spec.path;
    if (layout.record.empty()) {
      return Status::InvalidArgument(fmt::format("{}: layout {} reads no XML (declare it `from xml \"<record element>\"`)", path_,
                                                 layout.name));
    }
    Status st = file_.Open(spec.path);
    if (!st.ok()) return st;
    if (file_.size() > kMaxWholeFileBytes) {
      return Status::InvalidArgument(fmt::format("{}: {} is more than the {} an XML filing may hold", path_,
                                                 FormatBytes(file_.size()), FormatBytes(kMaxWholeFileBytes)));
    }
    std::string text;
    if (!(st = file_.ReadAt(0, static_cast<size_t>(file_.size()), &text)).ok()) return st;
    if (!(st = ParseXmlDocument(text, &doc_)).ok()) return Status::InvalidArgument(fmt::format("{}: {}", path_, st.message()));
    // "lvtr_report/finding/transaction": the element's local name and its nearest ancestors',
    // all in the record element's namespace.
    std::vector<std::string_view> path = Steps(layout.record);
    for (size_t i = 0; i < doc_.size(); ++i) {
      int n = static_cast<int>(i);
      size_t k = path.size();
      while (k > 0 && n >= 0 && doc_[n].local == path[k - 1] && doc_[n].ns == doc_[i].ns) {
        --k;
        n = doc_[n].parent;
      }
      if (k == 0) records_.push_back(static_cast<int>(i));
    }
    codecs_ = Codecs(program, layout);
    for (const ir::Field& f : layout.fields) {
      value_.push_back(PrepareLookup(f.column));
      currency_.push_back(f.currency_column.empty() ? -1 : PrepareLookup(f.currency_column));
    }
    memo_.assign(lookups_.size(), std::vector<const std::string*>(doc_.size(), &kUnknown));
    return Status::Ok();
  }

  size_t segment_count() const override { return 1; }
  uint64_t total_bytes() const override { return records_.size(); }  // progress counts records
  std::string format_name() const override { return "XML"; }
  Status CheckUnchanged() const override { return file_.CheckUnchanged(); }
  std::unique_ptr<PositionLabeler> NewLabeler() const override { return std::make_unique<CountLabeler>("line", 0); }

  Status ReadSegment(size_t, const ChunkFn& on_chunk, SegmentResult* result) override {
    ChunkBuffers buf(codecs_);
    std::string reason;
    for (int r : records_) {
      ++result->rows_read;
      uint64_t line = doc_[r].line;
      const std::string* idv = layout_->id_field >= 0 ? Value(value_[layout_->id_field], r) : nullptr;
      std::string id = idv != nullptr ? Trimmed(*idv).substr(0, 256) : "";
      uint32_t row = buf.chunk.size;
      bool ok = true;
      for (size_t f = 0; f < codecs_.size() && ok; ++f) {
        const ir::Field& field = layout_->fields[f];
        const std::string* v = Value(value_[f], r);
        std::string_view cur;
        if (currency_[f] >= 0) {
          const std::string* c = Value(currency_[f], r);
          if (c != nullptr) cur = buf.arena.Copy(Trimmed(*c)).view();
        }
        std::string_view text = v != nullptr ? buf.arena.Copy(Trimmed(*v)).view() : std::string_view();
        if (v == nullptr && !field.type.optional) {
          result->rejects.push_back(Reject{line, 0, id, fmt::format("{}: missing", field.column)});
          ok = false;
        } else if (!codecs_[f].Parse(text, cur, v == nullptr, buf.chunk.columns[f], row, &reason)) {
          result->rejects.push_back(Reject{line, 0, id, reason});
          ok = false;
        }
      }
      if (ok && buf.Commit(line)) buf.Flush(on_chunk);
      bytes_done_.fetch_add(1, std::memory_order_relaxed);
    }
    buf.Flush(on_chunk);
    return Status::Ok();
  }

 private:
  int PrepareLookup(const std::string& column) {
    for (size_t i = 0; i < lookups_.size(); ++i) {
      if (lookups_[i].column == column) return static_cast<int>(i);
    }
    Lookup l;
    l.column = column;
    std::string_view rest = l.column;
    while (rest.starts_with("../")) {
      rest.remove_prefix(3);
      ++l.up;
    }
    for (std::string_view step : Steps(rest)) l.steps.emplace_back(step);
    lookups_.push_back(std::move(l));
    return static_cast<int>(lookups_.size() - 1);
  }

  // The value lookup `l` finds for record element r (see the file comment), or null.
  const std::string* Value(int l, int r) {
    for (int up = lookups_[l].up; up > 0 && r >= 0; --up) r = doc_[r].parent;
    if (r < 0) return nullptr;
    return Find(l, r, doc_[r].ns);
  }

  // Memoized: the value lookup `l` finds from element n upwards, or null.
  const std::string* Find(int l, int n, const std::string& ns) {
    std::vector<const std::string*>& memo = memo_[l];
    if (memo[n] != &kUnknown) return memo[n];
    const std::string* here = FindAt(l, n, ns);
    if (here == nullptr && doc_[n].parent >= 0) here = Find(l, doc_[n].parent, ns);
    return memo[n] = here;
  }

  // Lookup `l` at element n itself: an attribute (for a one-step lookup), else a child path.
  const std::string* FindAt(int l, int n, const std::string& ns) const {
    const std::vector<std::string>& steps = lookups_[l].steps;
    const XmlElement& e = doc_[n];
    if (steps.size() == 1) {
      for (const XmlAttribute& attr : e.attributes) {
        if (attr.local == steps[0] && (attr.ns.empty() || attr.ns == ns)) return &attr.value;
      }
    }
    int at = n;
    for (const std::string& step : steps) {
      int next = -1;
      for (int c : doc_[at].children) {
        if (doc_[c].local == step && doc_[c].ns == ns) {
          next = c;
          break;
        }
      }
      at = next;
      if (at < 0) return nullptr;
    }
    return &doc_[at].text;
  }

  const ir::Layout* layout_ = nullptr;
  std::string path_;
  InputFile file_;
  std::vector<XmlElement> doc_;
  std::vector<int> records_;
  std::vector<FieldCodec> codecs_;
  std::vector<Lookup> lookups_;
  std::vector<int> value_, currency_;     // per field: index into lookups_
  std::vector<std::vector<const std::string*>> memo_;  // per lookup, per element
  static const std::string kUnknown;  // memo_ entries not computed yet point here
};

const std::string XmlSource::kUnknown;

}  // namespace

Status OpenXmlSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout, std::unique_ptr<RowSource>* out) {
  auto s = std::make_unique<XmlSource>();
  Status st = s->Init(spec, program, layout);
  if (st.ok()) *out = std::move(s);
  return st;
}

}  // namespace decree::io
