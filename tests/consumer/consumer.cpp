// An embedder's program through the installed C++ headers: evaluates a library over a batch
// and prints the findings as JSON Lines (what `decree run … -o -` writes).
//   consumer LIBRARY BATCH [TABLE=FILE ...]
#include <decree/library.h>
#include <decree/run.h>

#include <cstdio>
#include <memory>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: consumer LIBRARY BATCH [TABLE=FILE ...]\n");
    return 2;
  }
  std::unique_ptr<decree::Library> lib;
  if (decree::Status s = decree::Library::Open(argv[1], &lib); !s.ok()) {
    std::fprintf(stderr, "consumer: %s\n", s.ToString().c_str());
    return 1;
  }
  decree::RunOptions options;
  for (int i = 3; i < argc; ++i) {
    std::string b = argv[i];
    size_t eq = b.find('=');
    if (eq != std::string::npos) options.tables[b.substr(0, eq)] = b.substr(eq + 1);
  }
  decree::RunResult result;
  if (decree::Status s = decree::Run(lib->program(), {argv[2]}, options, &result); !s.ok()) {
    std::fprintf(stderr, "consumer: %s\n", s.ToString().c_str());
    return 1;
  }
  std::fputs(decree::FindingsToJsonl(result.findings).c_str(), stdout);
  return 0;
}
