#include "diag/diagnostic.h"

#include <gtest/gtest.h>

namespace decree {
namespace {

TEST(Diagnostics, CaretsAlignUnderWideCharacters) {
  SourceManager sm;
  int f = sm.Add("x.decree", "rule 现金 \"第五条\" bad\n");
  DiagnosticEngine d(&sm);
  SourceRange r;
  r.file = f;
  r.line = r.end_line = 1;
  r.col = 15;  // `bad`, after two wide characters and a quoted three-character citation
  r.end_col = 18;
  d.Error("E0101", r, "unexpected `bad`");
  std::string text = d.RenderText(d.Sorted()[0], false);
  // "rule " (5) + 现金 (2 x 2) + " " + "第五条" quoted (2 + 6) + " " = 19 columns before `bad`.
  EXPECT_NE(text.find("\n  | " + std::string(19, ' ') + "^^^\n"), std::string::npos) << text;
  EXPECT_NE(text.find("--> x.decree:1:15"), std::string::npos);
}

TEST(Diagnostics, SortedAndDeduplicated) {
  SourceManager sm;
  int f = sm.Add("a.decree", "x\ny\n");
  DiagnosticEngine d(&sm);
  auto at = [&](int line) {
    SourceRange r;
    r.file = f;
    r.line = r.end_line = line;
    r.col = 1;
    r.end_col = 2;
    return r;
  };
  d.Error("E0201", at(2), "second");
  d.Error("E0201", at(1), "first");
  d.Error("E0201", at(1), "first");
  auto all = d.Sorted();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].message, "first");
  EXPECT_NE(d.RenderJson(all[0]).find("\"line\":1"), std::string::npos);
}

TEST(Diagnostics, ErrorCapIsReported) {
  SourceManager sm;
  DiagnosticEngine d(&sm, 3);
  for (int i = 0; i < 10; ++i) d.Error("E0101", SourceRange(), "e");
  EXPECT_EQ(d.error_count(), 10u);
  auto all = d.Sorted();
  EXPECT_EQ(all.back().code, "E0106");
}

}  // namespace
}  // namespace decree
