// decree-gen: writes a deterministic transaction batch and its rates table.
//
//   decree-gen --rows 1000000 --seed 7 --out data/tx-1m.csv --rates data/rates.csv
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "gen/generator.h"

int main(int argc, char** argv) {
  decree::bench::GenOptions o;
  std::string out, rates;
  bool jsonl = false;
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
    } else if (a == "--jsonl") {
      jsonl = true;
    } else if (a == "--no-aml-patterns") {
      o.aml_patterns = false;
    } else {
      fmt::print(stderr,
                 "usage: decree-gen --rows N [--seed S] [--customers N] [--days N] [--jsonl] [--no-aml-patterns] "
                 "--out FILE [--rates FILE]\n");
      return a == "--help" ? 0 : 2;
    }
  }
  if (out.empty()) {
    fmt::print(stderr, "decree-gen: --out is required\n");
    return 2;
  }
  std::string error;
  if (!decree::bench::WriteBatch(o, out, jsonl, &error) || (!rates.empty() && !decree::bench::WriteRates(o, rates, &error))) {
    fmt::print(stderr, "decree-gen: {}\n", error);
    return 1;
  }
  return 0;
}
