#include "decree/xml_escape.h"

#include "common/utf8.h"

namespace decree {

void AppendXmlEscaped(std::string* out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t start = i;
      uint32_t cp;
      if (DecodeUtf8(s, &i, &cp) && cp != 0xFFFE && cp != 0xFFFF) {
        out->append(s.substr(start, i - start));
      } else {
        *out += "\xEF\xBF\xBD";
        if (i == start) ++i;
      }
      continue;
    }
    switch (c) {
      case '<': *out += "&lt;"; break;
      case '>': *out += "&gt;"; break;
      case '&': *out += "&amp;"; break;
      case '"': *out += "&quot;"; break;
      case '\t':
      case '\n':
      case '\r': out->push_back(static_cast<char>(c)); break;
      default:
        if (c < 0x20 || c == 0x7F) {
          *out += "\xEF\xBF\xBD";
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

std::string XmlEscaped(std::string_view s) {
  std::string out;
  AppendXmlEscaped(&out, s);
  return out;
}

}  // namespace decree
