#include "io/xml.h"

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include <mutex>

#include "common/utf8.h"

namespace decree::io {

namespace {

xmlTextReaderPtr Reader(void* p) { return static_cast<xmlTextReaderPtr>(p); }

std::string Str(const xmlChar* s) { return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s)); }

// libxml2's global state is set up once, before threads use it.
void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

std::string Trimmed(const char* msg) {
  std::string s = msg == nullptr ? "" : msg;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// No DTD loading, no entity substitution, no network; libxml2's default limits on depth and
// sizes stay on (no XML_PARSE_HUGE).
constexpr int kParseOptions = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES;

}  // namespace

void XmlReaderError(void* arg, const void* error) {
  auto* self = static_cast<XmlReader*>(arg);
  const xmlError* e = static_cast<const xmlError*>(error);
  if (e == nullptr || e->level < XML_ERR_ERROR || !self->error_text_.empty()) return;
  self->error_text_ = e->int2 > 0 ? fmt::format("line {}, column {}: {}", e->line, e->int2, Trimmed(e->message))
                                   : fmt::format("line {}: {}", e->line, Trimmed(e->message));
}

namespace {

void StructuredError(void* arg, xmlErrorPtr error) { XmlReaderError(arg, error); }

}  // namespace

XmlReader::XmlReader(std::string_view text) : input_(text) {
  InitLibxml();
  reader_ = xmlReaderForMemory(text.data(), static_cast<int>(text.size()), nullptr, nullptr, kParseOptions);
  if (reader_ == nullptr || text.size() > static_cast<size_t>(INT32_MAX)) {
    error_ = Status::Corruption("the XML document is too large to read (2 GiB at most)");
    return;
  }
  xmlTextReaderSetStructuredErrorHandler(Reader(reader_), StructuredError, this);
}

XmlReader::~XmlReader() {
  if (reader_ != nullptr) xmlFreeTextReader(Reader(reader_));
}

Status XmlReader::Next(Event* event) {
  if (!error_.ok()) return error_;
  if (pending_end_) {
    pending_end_ = false;
    *event = Event::kEnd;
    return Status::Ok();
  }
  for (;;) {
    int rc = xmlTextReaderRead(Reader(reader_));
    if (!error_text_.empty() || rc < 0) {
      if (error_text_.empty()) error_text_ = fmt::format("line {}: malformed XML", xmlTextReaderGetParserLineNumber(Reader(reader_)));
      error_ = Status::Corruption(error_text_);
      return error_;
    }
    if (rc == 0) {
      if (!root_seen_) {
        error_ = Status::Corruption("line 1: no root element (an empty document?)");
        return error_;
      }
      *event = Event::kEof;
      return Status::Ok();
    }
    Status st = ReadNode(event);
    if (!st.ok()) return error_ = st;
    if (*event != Event::kEof) return Status::Ok();  // kEof here: a node that yields no event
  }
}

Status XmlReader::ReadNode(Event* event) {
  xmlTextReaderPtr r = Reader(reader_);
  xmlNodePtr node = xmlTextReaderCurrentNode(r);
  long line = node != nullptr ? xmlGetLineNo(node) : -1;
  line_ = static_cast<size_t>(line > 0 ? line : std::max(1, xmlTextReaderGetParserLineNumber(r)));
  int type = xmlTextReaderNodeType(r);
  switch (type) {
    case XML_READER_TYPE_ELEMENT: {
      root_seen_ = true;
      depth_ = static_cast<size_t>(xmlTextReaderDepth(r)) + 1;
      name_ = Str(xmlTextReaderConstName(r));
      local_ = Str(xmlTextReaderConstLocalName(r));
      ns_ = Str(xmlTextReaderConstNamespaceUri(r));
      attributes_.clear();
      bool empty = xmlTextReaderIsEmptyElement(r) == 1;
      while (xmlTextReaderMoveToNextAttribute(r) == 1) {
        if (xmlTextReaderIsNamespaceDecl(r) == 1) continue;
        attributes_.push_back(XmlAttribute{Str(xmlTextReaderConstName(r)), Str(xmlTextReaderConstLocalName(r)),
                                           Str(xmlTextReaderConstNamespaceUri(r)), Str(xmlTextReaderConstValue(r))});
      }
      xmlTextReaderMoveToElement(r);
      if (!error_text_.empty()) return Status::Corruption(error_text_);
      pending_end_ = empty;
      *event = Event::kStart;
      return Status::Ok();
    }
    case XML_READER_TYPE_END_ELEMENT:
      depth_ = static_cast<size_t>(xmlTextReaderDepth(r)) + 1;
      name_ = Str(xmlTextReaderConstName(r));
      local_ = Str(xmlTextReaderConstLocalName(r));
      ns_ = Str(xmlTextReaderConstNamespaceUri(r));
      *event = Event::kEnd;
      return Status::Ok();
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA:
    case XML_READER_TYPE_WHITESPACE:
    case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
      text_out_ = Str(xmlTextReaderConstValue(r));
      *event = Event::kText;
      return Status::Ok();
    case XML_READER_TYPE_DOCUMENT_TYPE:
      return Status::Corruption(fmt::format("line {}: a DOCTYPE is not accepted (no DTDs, so no entities can be declared)", line_));
    case XML_READER_TYPE_ENTITY_REFERENCE:
    case XML_READER_TYPE_ENTITY:
      return Status::Corruption(fmt::format("line {}: an entity reference is not accepted", line_));
    default:  // comments, processing instructions, the XML declaration
      *event = Event::kEof;
      return Status::Ok();
  }
}

Status ParseXmlDocument(std::string_view text, std::vector<XmlElement>* out) {
  out->clear();
  XmlReader reader(text);
  std::vector<int> open;
  for (;;) {
    XmlReader::Event ev;
    Status st = reader.Next(&ev);
    if (!st.ok()) return st;
    if (ev == XmlReader::Event::kEof) return Status::Ok();
    if (ev == XmlReader::Event::kStart) {
      XmlElement e;
      e.name = reader.name();
      e.local = reader.local_name();
      e.ns = reader.ns();
      e.attributes = reader.attributes();
      e.line = reader.line();
      e.parent = open.empty() ? -1 : open.back();
      int index = static_cast<int>(out->size());
      if (e.parent >= 0) (*out)[e.parent].children.push_back(index);
      out->push_back(std::move(e));
      open.push_back(index);
    } else if (ev == XmlReader::Event::kEnd) {
      open.pop_back();
    } else if (!open.empty()) {
      (*out)[open.back()].text += reader.text();
    }
  }
}

std::string_view XmlLocalName(std::string_view name) {
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

namespace {

struct SchemaErrors {
  std::string first;
};

void SchemaError(void* arg, xmlErrorPtr e) {
  auto* errors = static_cast<SchemaErrors*>(arg);
  if (e == nullptr || e->level < XML_ERR_ERROR || !errors->first.empty()) return;
  errors->first = fmt::format("line {}: {}", e->line, Trimmed(e->message));
}

}  // namespace

Status ValidateXmlSchema(std::string_view document, std::string_view schema, const std::string& schema_name) {
  InitLibxml();
  SchemaErrors errors;
  xmlSchemaParserCtxtPtr pctx = xmlSchemaNewMemParserCtxt(schema.data(), static_cast<int>(schema.size()));
  if (pctx == nullptr) return Status::Internal(schema_name + ": cannot read the schema");
  xmlSchemaSetParserStructuredErrors(pctx, SchemaError, &errors);
  xmlSchemaPtr s = xmlSchemaParse(pctx);
  xmlSchemaFreeParserCtxt(pctx);
  if (s == nullptr) return Status::Internal(fmt::format("{}: the schema does not parse: {}", schema_name, errors.first));
  xmlDocPtr doc = xmlReadMemory(document.data(), static_cast<int>(document.size()), nullptr, nullptr,
                                kParseOptions | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  Status st;
  if (doc == nullptr) {
    st = Status::Corruption("the document is not well-formed XML");
  } else {
    xmlSchemaValidCtxtPtr vctx = xmlSchemaNewValidCtxt(s);
    xmlSchemaSetValidStructuredErrors(vctx, SchemaError, &errors);
    int rc = xmlSchemaValidateDoc(vctx, doc);
    xmlSchemaFreeValidCtxt(vctx);
    xmlFreeDoc(doc);
    if (rc != 0) {
      st = Status::Corruption(fmt::format("not valid against {}: {}", schema_name,
                                          errors.first.empty() ? std::string("validation failed") : errors.first));
    }
  }
  xmlSchemaFree(s);
  return st;
}

}  // namespace decree::io
