// Text for XML documents (reports, JUnit files): escaping that always gives well-formed XML.
#pragma once

#include <string>
#include <string_view>

namespace decree {

// Appends `s` escaped for XML text and attribute values (&, <, >, ").  Characters XML 1.0
// cannot carry (control characters but tab, LF and CR; invalid UTF-8) become U+FFFD.
void AppendXmlEscaped(std::string* out, std::string_view s);
std::string XmlEscaped(std::string_view s);

}  // namespace decree
