// A small pull parser for the XML the project reads (the UN consolidated list, XML filings):
// elements, attributes, text, CDATA, comments, processing instructions and the five predefined
// and numeric character references.  No DTDs (a DOCTYPE is an error), no namespaces beyond
// keeping prefixed names as written.  Well-formedness that matters to a reader is checked:
// every end tag matches its start tag, one root, no text outside it; each error names its line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decree/status.h"

namespace decree::io {

class XmlReader {
 public:
  enum class Event { kStart, kEnd, kText, kEof };

  explicit XmlReader(std::string_view text) : text_(text) {}

  // Advances to the next event.  kStart: name() and attributes() are set (an empty element
  // <a/> yields kStart then kEnd).  kText: text() holds the decoded characters (whitespace
  // included).  After an error every further call returns the same error.
  Status Next(Event* event);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_out_; }
  const std::vector<std::pair<std::string, std::string>>& attributes() const { return attributes_; }
  // The 1-based line of the start of the current event.
  size_t line() const { return event_line_; }
  size_t depth() const { return open_.size(); }

 private:
  Status Fail(const std::string& what);
  Status ParseStartTag(Event* event);
  Status ParseEndTag(Event* event);
  Status ParseText(Event* event);
  bool ReadName(std::string* out);
  Status DecodeReference(std::string* out);  // at '&'
  bool Skip(std::string_view until);         // past the next `until`, counting lines
  void Advance(size_t n);

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t event_line_ = 1;
  bool root_seen_ = false;
  bool pending_end_ = false;  // an empty element's kEnd is due
  Status error_;
  std::string name_, text_out_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  std::vector<std::string> open_;
};

// A whole document held in memory (filings: small enough to hold), elements in document
// order; element 0 is the root.
struct XmlElement {
  std::string name;  // as written, with any prefix
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // the element's own character data, concatenated (children's excluded)
  size_t line = 0;   // 1-based line of the start tag
  int parent = -1;
  std::vector<int> children;
};

Status ParseXmlDocument(std::string_view text, std::vector<XmlElement>* out);

// Appends `s` escaped for XML text and attribute values (&, <, >, ").  Control characters that
// XML 1.0 cannot carry at all (U+0000..U+001F but tab, LF, CR) become U+FFFD.
void AppendXmlEscaped(std::string* out, std::string_view s);
std::string XmlEscaped(std::string_view s);

// "fc2:Activity" -> "Activity": filings are matched by local names.
std::string_view XmlLocalName(std::string_view name);

}  // namespace decree::io
