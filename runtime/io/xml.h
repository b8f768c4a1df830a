// XML input through libxml2's streaming reader (xmlTextReader): the UN consolidated list and
// XML filings.  Conformant to XML 1.0 and Namespaces in XML: a byte order mark and declared
// encodings are handled, and a duplicated attribute, an unbound prefix, a control character or
// "]]>" in text is an error with its line and column.  Hardened for hostile input: no DTD is
// accepted (a DOCTYPE is an error, so no entity is ever declared or expanded), nothing is
// loaded from the network or the file system, and libxml2's depth and size limits apply.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decree/xml_escape.h"
#include "decree/status.h"

namespace decree::io {

struct XmlAttribute {
  std::string name;   // as written, with any prefix
  std::string local;  // without it
  std::string ns;     // the namespace URI ("" for an unprefixed attribute)
  std::string value;
};

class XmlReader {
 public:
  enum class Event { kStart, kEnd, kText, kEof };

  // Reads a whole document held in `text` (which must outlive the reader).
  explicit XmlReader(std::string_view text);
  ~XmlReader();
  XmlReader(const XmlReader&) = delete;
  XmlReader& operator=(const XmlReader&) = delete;

  // Advances to the next event.  kStart: name(), local_name(), ns() and attributes() are set
  // (an empty element <a/> yields kStart then kEnd).  kText: text() holds the characters
  // (CDATA and whitespace included).  Errors read "line L, column C: what"; after one, every
  // further call returns it again.
  Status Next(Event* event);

  const std::string& name() const { return name_; }
  const std::string& local_name() const { return local_; }
  const std::string& ns() const { return ns_; }
  const std::string& text() const { return text_out_; }
  const std::vector<XmlAttribute>& attributes() const { return attributes_; }
  // The 1-based line of the current event.
  size_t line() const { return line_; }
  size_t depth() const { return depth_; }

 private:
  Status ReadNode(Event* event);

  void* reader_ = nullptr;  // xmlTextReaderPtr
  std::string_view input_;
  std::string error_text_;  // the first error libxml2 reported
  Status error_;
  bool pending_end_ = false;
  bool root_seen_ = false;
  size_t line_ = 1, depth_ = 0;
  std::string name_, local_, ns_, text_out_;
  std::vector<XmlAttribute> attributes_;

  friend void XmlReaderError(void*, const void*);
};

// A whole document held in memory (filings), elements in document order; element 0 is the
// root.
struct XmlElement {
  std::string name;   // as written, with any prefix
  std::string local;  // without it
  std::string ns;     // namespace URI
  std::vector<XmlAttribute> attributes;
  std::string text;  // the element's own character data, concatenated (children's excluded)
  size_t line = 0;   // 1-based line of the start tag
  int parent = -1;
  std::vector<int> children;
};

Status ParseXmlDocument(std::string_view text, std::vector<XmlElement>* out);

// decree/xml_escape.h, where the readers and writers of this layer look for it.
using decree::AppendXmlEscaped;
using decree::XmlEscaped;

// "fc2:Activity" -> "Activity".
std::string_view XmlLocalName(std::string_view name);

// Validates a document against an XML Schema (both as text); the error names the first
// violation's line.  `schema_name` names the schema in messages.
Status ValidateXmlSchema(std::string_view document, std::string_view schema, const std::string& schema_name);

}  // namespace decree::io
