// decree-engine-bench: B5's in-process measurement.  Decides every record of a JSON Lines
// batch through decree::Engine on N threads (records partitioned by customer_id, each
// customer's records in batch order on one thread), and reports decisions per second, the
// per-decision latency percentiles, the peak RSS and the page faults while deciding.
//
//   decree-engine-bench LIB BATCH.jsonl --threads 2 [--table NAME=FILE]... [--list FILE]...
//                       [--late-after-days N] [--batch N] [--expect ANSWERS] [--answers OUT]
//
// --expect ANSWERS: every answer is compared, as it is given, with the same line of ANSWERS
// (`decree stream`'s over the same records); a difference fails the run.  The answers are not
// kept, as a server does not keep them once sent.  --answers OUT keeps them and writes them
// (one line each, in batch order) after the run.
//
// --batch N: each thread hands its records to Engine::DecideBatch N at a time (in its order);
// a record's latency is then its batch's.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <malloc.h>
#include <string>
#include <thread>
#include <vector>

#include "decree/engine.h"
#include "decree/library.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: decree-engine-bench LIB BATCH.jsonl [--threads N] [--table NAME=FILE]... [--list FILE]... "
                         "[--late-after-days N] [--batch N] [--expect ANSWERS] [--answers OUT]\n");
    return 2;
  }
  decree::EngineOptions options;
  int threads = 2;
  size_t batch = 0;
  std::string answers_path, expect_path;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--threads") threads = std::max(1, std::atoi(v.c_str()));
    else if (a == "--table") options.tables[v.substr(0, v.find('='))] = v.substr(v.find('=') + 1);
    else if (a == "--list") options.watch_lists.push_back(v);
    else if (a == "--late-after-days") options.late_after_us = std::atoll(v.c_str()) * 86400LL * 1000000;
    else if (a == "--answers") answers_path = v;
    else if (a == "--expect") expect_path = v;
    else if (a == "--batch") batch = static_cast<size_t>(std::max(0, std::atoi(v.c_str())));
    else {
      std::fprintf(stderr, "decree-engine-bench: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  mallopt(M_MMAP_THRESHOLD, 64 << 20);  // as decree serve and decree stream do
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
  std::unique_ptr<decree::Library> lib;
  decree::Status st = decree::Library::Open(argv[1], &lib);
  std::unique_ptr<decree::Engine> engine;
  if (st.ok()) st = decree::Engine::Open(std::shared_ptr<const decree::Library>(std::move(lib)), options, &engine);
  if (!st.ok()) {
    std::fprintf(stderr, "decree-engine-bench: %s\n", st.message().c_str());
    return 1;
  }
  std::vector<std::string> records;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) records.push_back(std::move(line));
  }
  std::vector<std::string> expected;
  if (!expect_path.empty()) {
    std::ifstream want(expect_path);
    for (std::string line; std::getline(want, line);) expected.push_back(std::move(line));
    if (expected.size() != records.size()) {
      std::fprintf(stderr, "decree-engine-bench: %s has %zu answers for %zu records\n", expect_path.c_str(), expected.size(),
                   records.size());
      return 1;
    }
  }
  // One customer's records on one thread, in batch order.
  std::vector<std::vector<size_t>> work(threads);
  for (size_t i = 0; i < records.size(); ++i) {
    size_t at = records[i].find("\"customer_id\":\"");
    std::string customer = at == std::string::npos ? "" : records[i].substr(at + 15, records[i].find('"', at + 15) - at - 15);
    work[std::hash<std::string>()(customer) % threads].push_back(i);
  }
  const bool keep = !answers_path.empty();
  std::vector<std::string> answers(keep ? records.size() : 0);
  std::vector<double> latency(records.size());
  std::vector<int> failures(threads, 0), differ(threads, 0);
  // Checks (against --expect) and keeps (for --answers) record i's answer.
  auto take = [&](int t, size_t i, std::string&& json) {
    if (!expected.empty() && json != expected[i]) ++differ[t];
    if (keep) answers[i] = std::move(json);
  };
  struct rusage before;  // the page faults of the decisions alone
  getrusage(RUSAGE_SELF, &before);
  auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const std::vector<size_t>& mine = work[t];
      std::vector<std::string_view> views;
      std::vector<decree::EngineAnswer> got;
      for (size_t from = 0; batch > 0 && from < mine.size(); from += batch) {
        size_t to = std::min(mine.size(), from + batch);
        views.clear();
        for (size_t k = from; k < to; ++k) views.push_back(records[mine[k]]);
        auto s = std::chrono::steady_clock::now();
        engine->DecideBatch(views, &got);
        double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count();
        for (size_t k = from; k < to; ++k) {
          latency[mine[k]] = took;
          if (got[k - from].status != 200) ++failures[t];
          take(t, mine[k], std::move(got[k - from].json));
        }
      }
      for (size_t k = 0; batch == 0 && k < mine.size(); ++k) {
        size_t i = mine[k];
        auto s = std::chrono::steady_clock::now();
        decree::EngineAnswer a = engine->Decide(records[i]);
        latency[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count();
        if (a.status != 200) ++failures[t];
        take(t, i, std::move(a.json));
      }
    });
  }
  for (auto& p : pool) p.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::sort(latency.begin(), latency.end());
  auto pct = [&](double q) { return latency.empty() ? 0.0 : latency[std::min(latency.size() - 1, size_t(q * latency.size()))]; };
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  int failed = 0, differed = 0;
  for (int f : failures) failed += f;
  for (int d : differ) differed += d;
  decree::EngineStats s = engine->stats();
  fmt::print("decisions {} threads {} batch {} seconds {:.3f} per_second {:.0f} p50_us {:.1f} p99_us {:.1f} max_us {:.1f} "
             "peak_rss_mb {:.0f} faults {} held {} keys {} refused {} checked {} differ {}\n",
             records.size(), threads, batch, seconds, records.size() / seconds, pct(0.5) * 1e6, pct(0.99) * 1e6,
             latency.empty() ? 0.0 : latency.back() * 1e6, ru.ru_maxrss / 1024.0, ru.ru_minflt - before.ru_minflt, s.records_held, s.partitions, failed,
             expected.empty() ? 0 : records.size(), differed);
  if (!answers_path.empty()) {
    std::ofstream out(answers_path);
    for (const std::string& a : answers) out << a << '\n';
  }
  return failed == 0 && differed == 0 ? 0 : 1;
}
