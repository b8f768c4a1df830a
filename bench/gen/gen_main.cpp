// decree-gen: writes a deterministic transaction batch and its rates table, or (B4) a
// generated rule library with its expected analysis findings.
//
//   decree-gen --rows 1000000 --seed 7 --out data/tx-1m.csv --rates data/rates.csv
//   decree-gen --rules 1000 --out data/lib-1000     (lib*.decree, expected-findings.txt, edit.txt)
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "gen/generator.h"
#include "gen/rulegen.h"

namespace {

bool WriteFile(const std::filesystem::path& p, const std::string& text, std::string* error) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    *error = "cannot write " + p.string();
    return false;
  }
  return true;
}

// The library's files, `expected-findings.txt` (one "<kind> <rule> <other>" a line, sorted) and
// `edit.txt` (file, rule, then the text to replace and its replacement, NUL-separated).
int WriteRuleLibrary(int rules, const std::string& dir) {
  decree::bench::RuleLibrary lib = decree::bench::GenerateRuleLibrary(rules);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string error;
  bool ok = true;
  for (const auto& [name, text] : lib.files) ok = ok && WriteFile(std::filesystem::path(dir) / name, text, &error);
  std::string expected;
  for (const std::string& e : lib.expected) expected += e + "\n";
  ok = ok && WriteFile(std::filesystem::path(dir) / "expected-findings.txt", expected, &error);
  std::string edit = lib.edit_file + '\0' + lib.edit_rule + '\0' + lib.edit_from + '\0' + lib.edit_to;
  ok = ok && WriteFile(std::filesystem::path(dir) / "edit.txt", edit, &error);
  if (!ok) {
    fmt::print(stderr, "decree-gen: {}\n", error);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  decree::bench::GenOptions o;
  std::string out, rates, last_activity;
  bool jsonl = false;
  int rules = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "decree-gen: {} needs a value\n", a);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--rows") {
      o.rows = std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--seed") {
      o.seed = std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--customers") {
      o.customers = std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--days") {
      o.days = std::atoi(value().c_str());
    } else if (a == "--out") {
      out = value();
    } else if (a == "--rates") {
      rates = value();
    } else if (a == "--last-activity") {
      last_activity = value();
    } else if (a == "--jsonl") {
      jsonl = true;
    } else if (a == "--rules") {
      rules = std::atoi(value().c_str());
    } else if (a == "--flows") {
      o.flow_permille = std::atoi(value().c_str());
      if (o.flow_permille < 0 || o.flow_permille > 1000) {
        fmt::print(stderr, "decree-gen: --flows is a per mille from 0 to 1000\n");
        return 2;
      }
    } else if (a == "--transfers") {
      o.transfers_only = true;
    } else if (a == "--no-aml-patterns") {
      o.aml_patterns = false;
    } else if (a == "--mix") {
      const std::string m = value();
      if (m != "dense" && m != "retail" && m != "heavy") {
        fmt::print(stderr, "decree-gen: --mix is dense, retail or heavy, not '{}'\n", m);
        return 2;
      }
      o.mix = m == "retail" ? decree::bench::Mix::kRetail : m == "heavy" ? decree::bench::Mix::kHeavy : decree::bench::Mix::kDense;
    } else {
      fmt::print(stderr,
                 "usage: decree-gen --rows N [--seed S] [--mix dense|retail|heavy] [--customers N] [--days N] [--jsonl] [--no-aml-patterns] [--flows PERMILLE] [--transfers] "
                 "--out FILE [--rates FILE] [--last-activity FILE]\n"
                 "       decree-gen --rules N --out DIR\n");
      return a == "--help" ? 0 : 2;
    }
  }
  if (out.empty()) {
    fmt::print(stderr, "decree-gen: --out is required\n");
    return 2;
  }
  if (rules > 0) return WriteRuleLibrary(rules, out);
  std::string error;
  if (!decree::bench::WriteBatch(o, out, jsonl, &error) || (!rates.empty() && !decree::bench::WriteRates(o, rates, &error)) ||
      (!last_activity.empty() && !decree::bench::WriteLastActivity(o, last_activity, &error))) {
    fmt::print(stderr, "decree-gen: {}\n", error);
    return 1;
  }
  return 0;
}
