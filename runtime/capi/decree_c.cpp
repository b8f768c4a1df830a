// The C API (decree/decree.h) over decree::Library, decree::Run and decree::Engine.
#include "decree/decree.h"

#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decree/engine.h"
#include "decree/library.h"
#include "decree/run.h"
#include "exec/rejects.h"
#include "io/source.h"
#include "ir/library_format.h"

struct decree_library {
  std::shared_ptr<decree::Library> lib;  // shared with the engines opened on it
};

struct decree_engine {
  decree::EngineOptions options;
  std::shared_ptr<const decree::Library> lib;
  std::unique_ptr<decree::Engine> engine;
};

// The last answer handed out on this thread (decree_engine_decide is thread-safe), and the
// last batch's.
thread_local std::string engine_answer;
thread_local std::vector<decree::EngineAnswer> engine_answers;

struct decree_run {
  const decree::Library* lib = nullptr;
  decree::RunOptions options;
  decree::InputFormat format = decree::InputFormat::kAuto;
  decree::RunResult result;
  std::string error;
  std::string line;      // the last string handed out
  std::string streamed;  // the line a finding callback is given
};

namespace {

thread_local std::string last_error;

decree_status ToC(const decree::Status& s) {
  using C = decree::Status::Code;
  switch (s.code()) {
    case C::kOk: return DECREE_OK;
    case C::kInvalidArgument: return DECREE_INVALID_ARGUMENT;
    case C::kNotFound: return DECREE_NOT_FOUND;
    case C::kIoError: return DECREE_IO_ERROR;
    case C::kCorruption: return DECREE_CORRUPTION;
    case C::kNotSupported: return DECREE_NOT_SUPPORTED;
    case C::kResourceExhausted: return DECREE_RESOURCE_EXHAUSTED;
    case C::kInternal: return DECREE_INTERNAL;
    case C::kMissingInput: return DECREE_MISSING_INPUT;
  }
  return DECREE_INTERNAL;
}

decree_status RunInput(decree_run* run, const std::string& path) {
  decree::InputSpec input;
  input.path = path;
  input.format = run->format;
  run->result = decree::RunResult();
  run->error.clear();
  decree::Status s = decree::Run(run->lib->program(), input, run->options, &run->result);
  if (!s.ok()) run->error = s.message();
  return ToC(s);
}

}  // namespace

extern "C" {

const char* decree_version(void) {
  static const std::string v = std::string(DECREE_VERSION) + " (library format " +
                                std::to_string(decree::ir::kLibraryFormatVersion) + ")";
  return v.c_str();
}

const char* decree_last_error(void) { return last_error.c_str(); }

decree_status decree_library_open(const char* path, decree_library** out) {
  *out = nullptr;
  auto lib = std::make_unique<decree_library>();
  std::unique_ptr<decree::Library> opened;
  decree::Status s = decree::Library::Open(path == nullptr ? "" : path, &opened);
  lib->lib = std::move(opened);
  if (!s.ok()) {
    last_error = s.ToString();
    return ToC(s);
  }
  last_error.clear();
  *out = lib.release();
  return DECREE_OK;
}

const char* decree_library_hash(const decree_library* lib) { return lib->lib->content_hash().c_str(); }

void decree_library_free(decree_library* lib) { delete lib; }

decree_run* decree_run_new(const decree_library* lib) {
  auto* run = new decree_run;
  run->lib = lib->lib.get();
  return run;
}

void decree_run_free(decree_run* run) { delete run; }

decree_status decree_run_set_table(decree_run* run, const char* name, const char* path) {
  if (name == nullptr || path == nullptr || *name == '\0') return DECREE_INVALID_ARGUMENT;
  run->options.tables[name] = path;
  return DECREE_OK;
}

decree_status decree_run_add_watch_list(decree_run* run, const char* path) {
  if (path == nullptr || *path == '\0') return DECREE_INVALID_ARGUMENT;
  run->options.watch_lists.push_back(path);
  return DECREE_OK;
}

void decree_run_set_threads(decree_run* run, int threads) { run->options.threads = threads < 0 ? 0 : threads; }

decree_status decree_run_set_input_format(decree_run* run, const char* format) {
  decree::Status s = decree::ParseInputFormat(format == nullptr ? "" : format, &run->format);
  if (!s.ok()) run->error = s.message();
  return ToC(s);
}

void decree_run_set_finding_callback(decree_run* run, decree_finding_fn fn, void* user) {
  if (fn == nullptr) {
    run->options.on_finding = nullptr;
    return;
  }
  run->options.on_finding = [run, fn, user](decree::Finding&& f) {
    run->streamed = f.ToJson();
    fn(run->streamed.c_str(), run->streamed.size(), user);
  };
}

decree_status decree_run_file(decree_run* run, const char* path) {
  if (path == nullptr) return DECREE_INVALID_ARGUMENT;
  return RunInput(run, path);
}

// The bytes go into an anonymous in-memory file (memfd) that the readers open by its
// /proc/self/fd path, exactly as they open a file on disk.
decree_status decree_run_buffer(decree_run* run, const void* data, size_t size) {
  int fd = memfd_create("decree-input", MFD_CLOEXEC);
  if (fd < 0) {
    run->error = "cannot create an in-memory file for the input";
    return DECREE_IO_ERROR;
  }
  const char* p = static_cast<const char*>(data);
  for (size_t done = 0; done < size;) {
    ssize_t n = write(fd, p + done, size - done);
    if (n <= 0) {
      close(fd);
      run->error = "cannot copy the input into memory";
      return DECREE_IO_ERROR;
    }
    done += static_cast<size_t>(n);
  }
  decree_status st = RunInput(run, "/proc/self/fd/" + std::to_string(fd));
  close(fd);
  return st;
}

const char* decree_run_error(const decree_run* run) { return run->error.c_str(); }
uint64_t decree_run_rows_read(const decree_run* run) { return run->result.rows_read; }
uint64_t decree_run_rows_evaluated(const decree_run* run) { return run->result.rows_evaluated; }
uint64_t decree_run_rows_rejected(const decree_run* run) { return run->result.rows_rejected; }
size_t decree_run_finding_count(const decree_run* run) {
  return run->options.on_finding ? run->result.finding_count : run->result.findings.size();
}

const char* decree_run_finding_json(decree_run* run, size_t i) {
  if (i >= run->result.findings.size()) return nullptr;
  run->line = run->result.findings[i].ToJson();
  return run->line.c_str();
}

size_t decree_run_reject_count(const decree_run* run) { return run->result.rejects.size(); }

const char* decree_run_reject_json(decree_run* run, size_t i) {
  if (i >= run->result.rejects.size()) return nullptr;
  run->line.clear();
  decree::exec::AppendRejectJson(run->result.rejects[i], &run->line);
  return run->line.c_str();
}

decree_engine* decree_engine_new(const decree_library* lib) {
  auto e = std::make_unique<decree_engine>();
  e->lib = lib->lib;
  return e.release();
}

decree_status decree_engine_set_table(decree_engine* e, const char* name, const char* path) {
  if (e->engine || name == nullptr || path == nullptr || *name == '\0') return DECREE_INVALID_ARGUMENT;
  e->options.tables[name] = path;
  return DECREE_OK;
}

decree_status decree_engine_add_watch_list(decree_engine* e, const char* path) {
  if (e->engine || path == nullptr) return DECREE_INVALID_ARGUMENT;
  e->options.watch_lists.push_back(path);
  return DECREE_OK;
}

decree_status decree_engine_set_state_dir(decree_engine* e, const char* dir) {
  if (e->engine || dir == nullptr) return DECREE_INVALID_ARGUMENT;
  e->options.state_dir = dir;
  return DECREE_OK;
}

decree_status decree_engine_set_late_after(decree_engine* e, int64_t seconds) {
  if (e->engine || seconds <= 0 || seconds > INT64_MAX / 1000000) return DECREE_INVALID_ARGUMENT;
  e->options.late_after_us = seconds * 1000000;
  return DECREE_OK;
}

decree_status decree_engine_skip_rule(decree_engine* e, const char* rule_id) {
  if (e->engine || rule_id == nullptr) return DECREE_INVALID_ARGUMENT;
  e->options.skip_rules.emplace_back(rule_id);
  return DECREE_OK;
}

decree_status decree_engine_open(decree_engine* e) {
  if (e->engine) return DECREE_INVALID_ARGUMENT;
  decree::Status s = decree::Engine::Open(e->lib, e->options, &e->engine);
  if (!s.ok()) last_error = s.ToString();
  return ToC(s);
}

int decree_engine_decide(decree_engine* e, const char* json, size_t size, const char** answer) {
  if (!e->engine) {
    engine_answer = "{\"status\":500,\"error\":\"decree_engine_open was not called\"}";
    *answer = engine_answer.c_str();
    return 500;
  }
  decree::EngineAnswer a = e->engine->Decide(std::string_view(json == nullptr ? "" : json, json == nullptr ? 0 : size));
  engine_answer = std::move(a.json);
  *answer = engine_answer.c_str();
  return a.status;
}

void decree_engine_decide_batch(decree_engine* e, const char* const* jsons, const size_t* sizes, size_t n, int* statuses,
                                const char** answers) {
  engine_answers.clear();
  if (!e->engine) {
    engine_answer = "{\"status\":500,\"error\":\"decree_engine_open was not called\"}";
    for (size_t i = 0; i < n; ++i) statuses[i] = 500, answers[i] = engine_answer.c_str();
    return;
  }
  std::vector<std::string_view> records(n);
  for (size_t i = 0; i < n; ++i) records[i] = jsons[i] == nullptr ? std::string_view() : std::string_view(jsons[i], sizes[i]);
  e->engine->DecideBatch(records, &engine_answers);
  for (size_t i = 0; i < n; ++i) statuses[i] = engine_answers[i].status, answers[i] = engine_answers[i].json.c_str();
}

void decree_engine_close(decree_engine* e) { delete e; }

}  // extern "C"
