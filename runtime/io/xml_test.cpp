// The XML reader: events, and XML 1.0 / Namespaces conformance with line and column.
#include "io/xml.h"

#include <gtest/gtest.h>

#include <string>

namespace decree::io {
namespace {

std::string Events(std::string_view xml, Status* status) {
  XmlReader r(xml);
  std::string out;
  for (;;) {
    XmlReader::Event ev;
    *status = r.Next(&ev);
    if (!status->ok() || ev == XmlReader::Event::kEof) return out;
    if (ev == XmlReader::Event::kStart) out += "<" + r.name() + ">";
    if (ev == XmlReader::Event::kEnd) out += "</" + r.name() + ">";
    if (ev == XmlReader::Event::kText) out += "[" + r.text() + "]";
  }
}

TEST(Xml, ReadsElementsTextAndReferences) {
  Status st;
  EXPECT_EQ(Events("<?xml version=\"1.0\"?><!-- c --><a x='1'><b>A&amp;B &#x5F20;&#30922;</b><c/><![CDATA[<raw>]]></a>\n", &st),
            "<a><b>[A&B 张磊]</b><c></c>[<raw>]</a>");
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(Xml, AByteOrderMarkAndADeclaredEncodingAreRead) {
  Status st;
  EXPECT_EQ(Events("\xEF\xBB\xBF<a>x</a>", &st), "<a>[x]</a>");
  EXPECT_TRUE(st.ok()) << st.message();
  // ISO-8859-1 declared: the byte 0xE9 is é, delivered as UTF-8.
  EXPECT_EQ(Events("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xE9</a>", &st), "<a>[caf\xC3\xA9]</a>");
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(Xml, ErrorsNameTheLineAndColumn) {
  Status st;
  Events("<a>\n<b>\n</c></a>", &st);
  EXPECT_EQ(st.message(), "line 3, column 5: Opening and ending tag mismatch: b line 2 and c");
  Events("<a>\n<b>text", &st);
  EXPECT_EQ(st.message().substr(0, 7), "line 2,") << st.message();
  Events("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", &st);
  EXPECT_NE(st.message().find("DOCTYPE"), std::string::npos) << st.message();
  Events("<a/>\n<b/>", &st);
  EXPECT_EQ(st.message(), "line 2, column 1: Extra content at the end of the document");
  Events("<a>&bogus;</a>", &st);
  EXPECT_NE(st.message().find("'bogus' not defined"), std::string::npos) << st.message();
  Events("<a>&#xD800;</a>", &st);
  EXPECT_FALSE(st.ok());
  Events("", &st);
  EXPECT_FALSE(st.ok());
}

TEST(Xml, WellFormednessAsXml10Says) {
  Status st;
  Events("<a x=\"1\" x=\"2\"/>", &st);
  EXPECT_NE(st.message().find("Attribute x redefined"), std::string::npos) << st.message();
  Events("<a>\n<ext:b>1</ext:b></a>", &st);
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("ext"), std::string::npos) << st.message();
  Events("<a>x\x01y</a>", &st);
  EXPECT_NE(st.message().find("invalid"), std::string::npos) << st.message();
  Events("<a>x ]]> y</a>", &st);
  EXPECT_NE(st.message().find("]]>"), std::string::npos) << st.message();
  Events("<a xmlns:p=\"urn:x\" p:y=\"1\" xmlns:q=\"urn:x\" q:y=\"2\"/>", &st);  // the same expanded name twice
  EXPECT_FALSE(st.ok());
}

TEST(Xml, ElementsCarryTheirNamespace) {
  std::vector<XmlElement> doc;
  ASSERT_TRUE(ParseXmlDocument("<r xmlns=\"urn:f\" xmlns:ext=\"urn:x\"><ext:amount>1</ext:amount><amount a=\"1\" ext:b=\"2\">5</amount></r>", &doc).ok());
  ASSERT_EQ(doc.size(), 3u);
  EXPECT_EQ(doc[1].local, "amount");
  EXPECT_EQ(doc[1].ns, "urn:x");
  EXPECT_EQ(doc[2].ns, "urn:f");
  ASSERT_EQ(doc[2].attributes.size(), 2u);
  EXPECT_EQ(doc[2].attributes[0].ns, "");
  EXPECT_EQ(doc[2].attributes[1].ns, "urn:x");
}

TEST(Xml, EscapingNeverWritesWhatXmlCannotCarry) {
  EXPECT_EQ(XmlEscaped("a<b>&\"c\x01\xff\xc3\xa9"), "a&lt;b&gt;&amp;&quot;c\xEF\xBF\xBD\xEF\xBF\xBD\xC3\xA9");
}

TEST(Xml, SchemaValidation) {
  const char* xsd = R"(<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a" type="xs:integer"/></xs:schema>)";
  EXPECT_TRUE(ValidateXmlSchema("<a>12</a>", xsd, "t.xsd").ok());
  Status st = ValidateXmlSchema("<a>x</a>", xsd, "t.xsd");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("t.xsd"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace decree::io
