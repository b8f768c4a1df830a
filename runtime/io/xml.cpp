#include "io/xml.h"

#include <fmt/format.h>

#include "common/utf8.h"

namespace decree::io {
namespace {

bool IsNameStart(unsigned char c) {
  unsigned lower = c | 0x20u;
  return c == '_' || c == ':' || (lower >= 'a' && lower <= 'z') || c >= 0x80;
}
bool IsNameChar(unsigned char c) { return IsNameStart(c) || c == '-' || c == '.' || (c >= '0' && c <= '9'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

Status XmlReader::Fail(const std::string& what) {
  error_ = Status::Corruption(fmt::format("line {}: {}", line_, what));
  return error_;
}

void XmlReader::Advance(size_t n) {
  for (size_t i = 0; i < n && pos_ < text_.size(); ++i, ++pos_) {
    if (text_[pos_] == '\n') ++line_;
  }
}

bool XmlReader::Skip(std::string_view until) {
  size_t at = text_.find(until, pos_);
  if (at == std::string_view::npos) return false;
  Advance(at + until.size() - pos_);
  return true;
}

bool XmlReader::ReadName(std::string* out) {
  size_t start = pos_;
  if (pos_ >= text_.size() || !IsNameStart(static_cast<unsigned char>(text_[pos_]))) return false;
  while (pos_ < text_.size() && IsNameChar(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  out->assign(text_.substr(start, pos_ - start));
  return true;
}

Status XmlReader::DecodeReference(std::string* out) {
  size_t semi = text_.find(';', pos_);
  if (semi == std::string_view::npos || semi - pos_ > 12) return Fail("'&' that starts no character reference (write &amp;)");
  std::string_view ref = text_.substr(pos_ + 1, semi - pos_ - 1);
  if (ref == "amp") out->push_back('&');
  else if (ref == "lt") out->push_back('<');
  else if (ref == "gt") out->push_back('>');
  else if (ref == "quot") out->push_back('"');
  else if (ref == "apos") out->push_back('\'');
  else if (ref.size() >= 2 && ref[0] == '#') {
    bool hex = ref[1] == 'x';
    std::string_view digits = ref.substr(hex ? 2 : 1);
    if (digits.empty()) return Fail(fmt::format("malformed character reference '&{};'", ref));
    uint32_t cp = 0;
    for (char c : digits) {
      int d = c >= '0' && c <= '9' ? c - '0' : hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
      if (d < 0) return Fail(fmt::format("malformed character reference '&{};'", ref));
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      if (cp > 0x10FFFF) return Fail(fmt::format("character reference '&{};' beyond U+10FFFF", ref));
    }
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return Fail(fmt::format("character reference '&{};' is not a character", ref));
    AppendUtf8(cp, out);
  } else {
    return Fail(fmt::format("unknown entity '&{};' (DTD entities are not supported)", ref));
  }
  pos_ = semi + 1;
  return Status::Ok();
}

Status XmlReader::ParseStartTag(Event* event) {
  ++pos_;  // '<'
  if (!ReadName(&name_)) return Fail("'<' not followed by an element name");
  attributes_.clear();
  for (;;) {
    size_t before = pos_;
    while (pos_ < text_.size() && IsSpace(text_[pos_])) Advance(1);
    if (pos_ >= text_.size()) return Fail(fmt::format("start tag <{}> not closed", name_));
    char c = text_[pos_];
    if (c == '>' || c == '/') {
      if (c == '/') {
        if (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '>') return Fail(fmt::format("'/' inside start tag <{}>", name_));
        pending_end_ = true;
        ++pos_;
      }
      ++pos_;
      break;
    }
    if (pos_ == before) return Fail(fmt::format("attributes of <{}> need a space before them", name_));
    std::string attr;
    if (!ReadName(&attr)) return Fail(fmt::format("unexpected '{}' in start tag <{}>", c, name_));
    while (pos_ < text_.size() && IsSpace(text_[pos_])) Advance(1);
    if (pos_ >= text_.size() || text_[pos_] != '=') return Fail(fmt::format("attribute '{}' of <{}> has no value", attr, name_));
    ++pos_;
    while (pos_ < text_.size() && IsSpace(text_[pos_])) Advance(1);
    if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) return Fail(fmt::format("value of attribute '{}' is not quoted", attr));
    char quote = text_[pos_++];
    std::string value;
    for (;;) {
      if (pos_ >= text_.size()) return Fail(fmt::format("value of attribute '{}' not terminated", attr));
      char v = text_[pos_];
      if (v == quote) { ++pos_; break; }
      if (v == '<') return Fail(fmt::format("'<' in the value of attribute '{}'", attr));
      if (v == '&') {
        Status s = DecodeReference(&value);
        if (!s.ok()) return s;
        continue;
      }
      value.push_back(v);
      Advance(1);
    }
    attributes_.emplace_back(std::move(attr), std::move(value));
  }
  if (open_.empty()) {
    if (root_seen_) return Fail(fmt::format("second root element <{}>", name_));
    root_seen_ = true;
  }
  if (!pending_end_) open_.push_back(name_);
  *event = Event::kStart;
  return Status::Ok();
}

Status XmlReader::ParseEndTag(Event* event) {
  pos_ += 2;  // "</"
  std::string name;
  if (!ReadName(&name)) return Fail("'</' not followed by an element name");
  while (pos_ < text_.size() && IsSpace(text_[pos_])) Advance(1);
  if (pos_ >= text_.size() || text_[pos_] != '>') return Fail(fmt::format("end tag </{}> not closed", name));
  ++pos_;
  if (open_.empty()) return Fail(fmt::format("end tag </{}> without a start tag", name));
  if (open_.back() != name) return Fail(fmt::format("end tag </{}> does not match <{}>", name, open_.back()));
  open_.pop_back();
  name_ = std::move(name);
  *event = Event::kEnd;
  return Status::Ok();
}

Status XmlReader::ParseText(Event* event) {
  text_out_.clear();
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == '<') {
      if (text_.substr(pos_, 9) == "<![CDATA[") {
        size_t end = text_.find("]]>", pos_ + 9);
        if (end == std::string_view::npos) return Fail("CDATA section not terminated");
        text_out_.append(text_.substr(pos_ + 9, end - pos_ - 9));
        Advance(end + 3 - pos_);
        continue;
      }
      break;
    }
    if (c == '&') {
      Status s = DecodeReference(&text_out_);
      if (!s.ok()) return s;
      continue;
    }
    text_out_.push_back(c);
    Advance(1);
  }
  if (open_.empty()) {
    for (char c : text_out_) {
      if (!IsSpace(c)) return Fail(root_seen_ ? "text after the root element" : "text before the root element");
    }
    return Next(event);
  }
  *event = Event::kText;
  return Status::Ok();
}

Status XmlReader::Next(Event* event) {
  if (!error_.ok()) return error_;
  if (pending_end_) {
    pending_end_ = false;
    *event = Event::kEnd;
    return Status::Ok();
  }
  for (;;) {
    event_line_ = line_;
    if (pos_ >= text_.size()) {
      if (!open_.empty()) return Fail(fmt::format("end of file inside <{}>", open_.back()));
      if (!root_seen_) return Fail("no root element");
      *event = Event::kEof;
      return Status::Ok();
    }
    if (text_[pos_] != '<') return ParseText(event);
    std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("<?")) {
      if (!Skip("?>")) return Fail("processing instruction not terminated");
    } else if (rest.starts_with("<!--")) {
      if (!Skip("-->")) return Fail("comment not terminated");
    } else if (rest.starts_with("<![CDATA[")) {
      return ParseText(event);
    } else if (rest.starts_with("<!")) {
      return Fail("DOCTYPE and other declarations are not supported");
    } else if (rest.starts_with("</")) {
      return ParseEndTag(event);
    } else {
      return ParseStartTag(event);
    }
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
    if (ev == XmlReader::Event::kEof) break;
    if (ev == XmlReader::Event::kStart) {
      XmlElement e;
      e.name = reader.name();
      e.attributes = reader.attributes();
      e.line = reader.line();
      e.parent = open.empty() ? -1 : open.back();
      int id = static_cast<int>(out->size());
      if (e.parent >= 0) (*out)[e.parent].children.push_back(id);
      out->push_back(std::move(e));
      open.push_back(id);
    } else if (ev == XmlReader::Event::kEnd) {
      open.pop_back();
    } else if (!open.empty()) {
      (*out)[open.back()].text += reader.text();
    }
  }
  return Status::Ok();
}

void AppendXmlEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '<': *out += "&lt;"; break;
      case '>': *out += "&gt;"; break;
      case '&': *out += "&amp;"; break;
      case '"': *out += "&quot;"; break;
      case '\t':
      case '\n':
      case '\r': out->push_back(c); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          *out += "\xEF\xBF\xBD";
        } else {
          out->push_back(c);
        }
    }
  }
}

std::string XmlEscaped(std::string_view s) {
  std::string out;
  AppendXmlEscaped(&out, s);
  return out;
}

std::string_view XmlLocalName(std::string_view name) {
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

}  // namespace decree::io
