// Golden end-to-end cases: every folder under tests/cases/ with a `case.spec` runs the decree
// binary and checks its exit status, its diagnostics (matched by code and location, the
// message by regex) and, optionally, its exact output.
//
// case.spec, one directive per line (# starts a comment):
//   args: check input.decree --format json     arguments; several `args:` lines are steps run
//                                              in order, each but the last must exit 0;
//                                              `args: sh CMD` runs a shell command as a step
//   exit: 1                                    expected exit status of the last step
//   diag: E0303 input.decree:13:8 cannot add   a diagnostic that must be reported (from the
//                                              JSON on stdout); a regex may follow the location
//   stdout: expected.txt                       stdout must equal this file exactly
//   stderr: some text                          stderr must contain this text
//   file: findings.jsonl expected.jsonl        a file the steps wrote must equal this file
//   finding: D0401 input.decree:6:1 confirmed regex
//                                              an analysis finding (check --format json): id,
//                                              rule location, how its witness replayed
//                                              (confirmed, none, not-replayed, runtime-disagrees),
//                                              a regex on its message (+ " (suppressed: …)")
//   findings: none                             the analysis must report nothing
//   setup: ln -s t.csv link.csv                a shell command run first, in the scratch folder
//                                              (`decree` on PATH is the binary under test)
//   unchanged: t.csv                           after the steps, this file of the case is byte
//                                              for byte what it was (no output replaced it)
//   absent: out.jsonl                          after the steps, no such file exists
// When `diag:` lines are given, no other diagnostic may be reported; likewise `finding:`.  The steps run in a
// scratch copy of the case folder (so outputs never land in the source tree); `{root}` in
// arguments is the source root.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "decree/json.h"
#include "slurp.h"

namespace decree {
namespace {

namespace fs = std::filesystem;

using testing_support::Slurp;

std::vector<std::string> Cases() {
  std::vector<std::string> out;
  fs::path root = fs::path(DECREE_SOURCE_DIR) / "tests" / "cases";
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename() == "case.spec") out.push_back(fs::relative(e.path().parent_path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Spec {
  std::vector<std::string> steps;
  int exit = 0;
  struct Diag {
    std::string code, file;
    int line = 0, col = 0;
    std::string regex;
  };
  std::vector<Diag> diags;
  std::string stdout_file;
  std::vector<std::string> stderr_contains;
  std::vector<std::pair<std::string, std::string>> files;  // produced, expected
  struct Expected {
    std::string id, file, evaluation, regex;
    int line = 0, col = 0;
  };
  std::vector<Expected> findings;
  bool no_findings = false;
  std::vector<std::string> setup, unchanged, absent;
  // `expect: CODE ARGS`: a command run on its own (after setup) and the exit status it must give.
  std::vector<std::pair<int, std::string>> expects;
};

// "file:line:col" then the rest of the line (a regex, leading blanks dropped).
void ReadLocationAndRegex(const std::string& loc, std::istream& rest, std::string* file, int* line, int* col,
                          std::string* regex) {
  std::getline(rest, *regex);
  while (!regex->empty() && regex->front() == ' ') regex->erase(regex->begin());
  size_t c2 = loc.rfind(':');
  size_t c1 = loc.rfind(':', c2 - 1);
  *file = loc.substr(0, c1);
  *line = std::stoi(loc.substr(c1 + 1, c2 - c1 - 1));
  *col = std::stoi(loc.substr(c2 + 1));
}

Spec ReadSpec(const fs::path& dir) {
  Spec s;
  std::istringstream in(Slurp(dir / "case.spec"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      ADD_FAILURE() << (dir / "case.spec").string() << ": a line without a key: " << line;
      continue;
    }
    std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    if (key == "args") {
      for (size_t at; (at = value.find("{root}")) != std::string::npos;) value.replace(at, 6, DECREE_SOURCE_DIR);
      s.steps.push_back(value);
    } else if (key == "exit") {
      s.exit = std::stoi(value);
    } else if (key == "stdout") {
      s.stdout_file = value;
    } else if (key == "stderr") {
      s.stderr_contains.push_back(value);
    } else if (key == "findings") {
      s.no_findings = value == "none";
    } else if (key == "finding") {
      Spec::Expected f;
      std::istringstream v(value);
      std::string loc;
      v >> f.id >> loc >> f.evaluation;
      ReadLocationAndRegex(loc, v, &f.file, &f.line, &f.col, &f.regex);
      s.findings.push_back(f);
    } else if (key == "file") {
      std::istringstream v(value);
      std::string produced, expected;
      v >> produced >> expected;
      s.files.emplace_back(produced, expected);
    } else if (key == "setup") {
      for (size_t at; (at = value.find("{root}")) != std::string::npos;) value.replace(at, 6, DECREE_SOURCE_DIR);
      s.setup.push_back(value);
    } else if (key == "expect") {
      for (size_t at; (at = value.find("{root}")) != std::string::npos;) value.replace(at, 6, DECREE_SOURCE_DIR);
      size_t space = value.find(' ');
      s.expects.emplace_back(std::stoi(value.substr(0, space)), space == std::string::npos ? "" : value.substr(space + 1));
    } else if (key == "unchanged") {
      s.unchanged.push_back(value);
    } else if (key == "absent") {
      s.absent.push_back(value);
    } else if (key == "diag") {
      Spec::Diag d;
      std::istringstream v(value);
      std::string loc;
      v >> d.code >> loc;
      ReadLocationAndRegex(loc, v, &d.file, &d.line, &d.col, &d.regex);
      s.diags.push_back(d);
    } else {
      ADD_FAILURE() << (dir / "case.spec").string() << ": unknown key '" << key << "'";  // a misspelt check would check nothing
    }
  }
  return s;
}

class Golden : public testing::TestWithParam<std::string> {};

TEST_P(Golden, Case) {
  fs::path dir = fs::path(DECREE_SOURCE_DIR) / "tests" / "cases" / GetParam();
  Spec spec = ReadSpec(dir);
  ASSERT_FALSE(spec.steps.empty() && spec.expects.empty()) << "case.spec has no args: and no expect:";
  fs::path work = fs::temp_directory_path() / ("decree-golden-" + std::to_string(getpid()));
  fs::remove_all(work);
  fs::create_directories(work);
  fs::copy(dir, work / "case", fs::copy_options::recursive);
  fs::path out = work / "stdout", err = work / "stderr";
  int code = -1;
  std::string stdout_text, stderr_text;
  for (const std::string& cmd : spec.setup) {
    int status = std::system(("cd '" + (work / "case").string() + "' && PATH='" + fs::path(DECREE_BIN).parent_path().string() +
                              "':\"$PATH\" && " + cmd).c_str());
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "setup failed: " << cmd;
  }
  for (const auto& [want, args] : spec.expects) {
    std::string cmd = "cd '" + (work / "case").string() + "' && '" + DECREE_BIN + "' " + args + " >'" + out.string() + "' 2>'" +
                      err.string() + "'";
    int status = std::system(cmd.c_str());
    EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, want) << "decree " << args << "\nstderr:\n" << Slurp(err);
  }
  if (spec.steps.empty()) {
    fs::remove_all(work);
    return;
  }
  for (size_t i = 0; i < spec.steps.size(); ++i) {
    const std::string& step = spec.steps[i];
    std::string run = step.starts_with("sh ") ? "PATH='" + fs::path(DECREE_BIN).parent_path().string() + "':\"$PATH\"; " + step.substr(3)
                                              : "'" + std::string(DECREE_BIN) + "' " + step;
    std::string cmd = "cd '" + (work / "case").string() + "' && { " + run + " ; } >'" + out.string() + "' 2>'" + err.string() + "'";
    int status = std::system(cmd.c_str());
    code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    stdout_text = Slurp(out);
    stderr_text = Slurp(err);
    if (i + 1 < spec.steps.size()) ASSERT_EQ(code, 0) << "step " << spec.steps[i] << "\n" << stderr_text;
  }
  std::vector<std::pair<std::string, std::string>> produced;
  for (const auto& [file, expected] : spec.files) produced.emplace_back(Slurp(work / "case" / file), Slurp(dir / expected));
  for (const std::string& f : spec.unchanged) {
    EXPECT_TRUE(fs::exists(work / "case" / f)) << f << " is gone";
    EXPECT_EQ(Slurp(work / "case" / f), Slurp(dir / f)) << f << " was changed";
  }
  for (const std::string& f : spec.absent) EXPECT_FALSE(fs::exists(work / "case" / f)) << f << " exists";
  fs::remove_all(work);
  EXPECT_EQ(code, spec.exit) << "stderr:\n" << stderr_text << "\nstdout:\n" << stdout_text;
  for (size_t i = 0; i < produced.size(); ++i) {
    EXPECT_EQ(produced[i].first, produced[i].second) << spec.files[i].first << " differs from " << spec.files[i].second;
  }
  for (const std::string& s : spec.stderr_contains) {
    EXPECT_NE(stderr_text.find(s), std::string::npos) << "stderr lacks: " << s << "\n" << stderr_text;
  }
  if (!spec.stdout_file.empty()) EXPECT_EQ(stdout_text, Slurp(dir / spec.stdout_file));
  if (spec.diags.empty() && spec.findings.empty() && !spec.no_findings) return;
  JsonValue doc;
  size_t off;
  std::string jerr;
  ASSERT_TRUE(ParseJson(stdout_text, &doc, &off, &jerr)) << "stdout is not JSON (" << jerr << "):\n" << stdout_text;
  if (!spec.findings.empty() || spec.no_findings) {
    const JsonValue* analysis = doc.Get("analysis");
    ASSERT_NE(analysis, nullptr) << "no analysis in the output:\n" << stdout_text;
    const JsonValue* list = analysis->Get("findings");
    ASSERT_NE(list, nullptr);
    std::vector<bool> used(list->items.size(), false);
    for (const Spec::Expected& want : spec.findings) {
      bool found = false;
      for (size_t i = 0; i < list->items.size() && !found; ++i) {
        const JsonValue& f = list->items[i];
        auto text = [&](const char* k) { const JsonValue* v = f.Get(k); return v != nullptr ? v->text : std::string(); };
        if (used[i] || text("id") != want.id || fs::path(text("file")).filename() != fs::path(want.file).filename() ||
            text("line") != std::to_string(want.line) || text("column") != std::to_string(want.col) ||
            text("evaluation") != want.evaluation) {
          continue;
        }
        std::string message = text("message");
        if (const JsonValue* sup = f.Get("suppressed"); sup != nullptr && sup->b) message += " (suppressed: " + text("suppression_reason") + ")";
        if (!want.regex.empty() && !std::regex_search(message, std::regex(want.regex))) continue;
        used[i] = found = true;
      }
      EXPECT_TRUE(found) << "missing finding " << want.id << " " << want.file << ":" << want.line << ":" << want.col << " "
                         << want.evaluation << " /" << want.regex << "/\n" << stdout_text;
    }
    for (size_t i = 0; i < used.size(); ++i) {
      EXPECT_TRUE(used[i]) << "unexpected finding: " << list->items[i].Get("id")->text << " " << list->items[i].Get("message")->text;
    }
  }
  if (spec.diags.empty()) return;
  const JsonValue* list = doc.Get("diagnostics");
  ASSERT_NE(list, nullptr);
  std::vector<bool> used(list->items.size(), false);
  for (const Spec::Diag& want : spec.diags) {
    bool found = false;
    for (size_t i = 0; i < list->items.size() && !found; ++i) {
      const JsonValue& d = list->items[i];
      const JsonValue* code = d.Get("code");
      const JsonValue* file = d.Get("file");
      const JsonValue* line = d.Get("line");
      const JsonValue* col = d.Get("column");
      if (used[i] || code == nullptr || code->text != want.code || file == nullptr || line == nullptr || col == nullptr) continue;
      if (fs::path(file->text).filename() != fs::path(want.file).filename() || std::stoi(line->text) != want.line ||
          std::stoi(col->text) != want.col) {
        continue;
      }
      if (!want.regex.empty() && !std::regex_search(d.Get("message")->text, std::regex(want.regex))) continue;
      used[i] = found = true;
    }
    EXPECT_TRUE(found) << "missing diagnostic " << want.code << " " << want.file << ":" << want.line << ":" << want.col
                       << " /" << want.regex << "/\n" << stdout_text;
  }
  for (size_t i = 0; i < used.size(); ++i) {
    EXPECT_TRUE(used[i]) << "unexpected diagnostic: " << list->items[i].Get("code")->text << " "
                         << list->items[i].Get("message")->text;
  }
}

std::string CaseName(const testing::TestParamInfo<std::string>& info) {
  std::string n;
  for (char c : info.param) n.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return n;
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, testing::ValuesIn(Cases()), CaseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Golden);

}  // namespace
}  // namespace decree
