/* Decree's C API (C99): open a rule library, bind its tables and watch lists, evaluate a batch
 * (a file, or bytes in memory), read the findings as JSON Lines.
 *
 *   decree_library* lib = NULL;
 *   if (decree_library_open("lvtr.dlib", &lib) != DECREE_OK) { puts(decree_last_error()); ... }
 *   decree_run* run = decree_run_new(lib);
 *   decree_run_set_table(run, "usd_rate", "rates.csv");
 *   if (decree_run_file(run, "transactions.csv") != DECREE_OK) { puts(decree_run_error(run)); ... }
 *   for (size_t i = 0; i < decree_run_finding_count(run); ++i) puts(decree_run_finding_json(run, i));
 *   (or decree_run_set_finding_callback before the run, to stream them without keeping them)
 *   decree_run_free(run);
 *   decree_library_free(lib);
 *
 * Findings are the findings.jsonl lines of data-layouts.md, sorted as `decree run` writes them:
 * the same library and records give the same lines.  Every input row is evaluated or rejected:
 * rows_read = rows_evaluated + rows_rejected.
 *
 * Thread safety: a decree_library is immutable once open and may be shared by any number of
 * threads, each with its own decree_run; one decree_run is used by one thread at a time.
 * Strings returned stay valid until the next call on the same object, or its free.
 * decree_last_error() is per thread. */
#ifndef DECREE_DECREE_H_
#define DECREE_DECREE_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes; the same classes as decree::Status::Code. */
typedef enum {
  DECREE_OK = 0,
  DECREE_INVALID_ARGUMENT = 1, /* a bad option or argument */
  DECREE_NOT_FOUND = 2,        /* a file that does not exist */
  DECREE_IO_ERROR = 3,
  DECREE_CORRUPTION = 4,       /* a corrupt or modified library, an unreadable input */
  DECREE_NOT_SUPPORTED = 5,
  DECREE_RESOURCE_EXHAUSTED = 6,
  DECREE_INTERNAL = 7,
  DECREE_MISSING_INPUT = 8     /* a table or watch list the rules need was not given */
} decree_status;

typedef struct decree_library decree_library;
typedef struct decree_run decree_run;
typedef struct decree_engine decree_engine;

/* "0.1.0 (library format 3)". */
const char* decree_version(void);

/* The message of the last failed decree_library_open on this thread ("" if none). */
const char* decree_last_error(void);

/* Opens a compiled rule library (.dlib), verifying its format and content hash. */
decree_status decree_library_open(const char* path, decree_library** out);
/* SHA-256 of the library's content (hex). */
const char* decree_library_hash(const decree_library* lib);
void decree_library_free(decree_library* lib);

/* A run over one library: options, then decree_run_file or decree_run_buffer, then results.
 * A run may be run again (new input); its results are replaced. */
decree_run* decree_run_new(const decree_library* lib);
void decree_run_free(decree_run* run);

/* Binds table `name` (short or qualified) to a file (CSV, JSON Lines or SQLite). */
decree_status decree_run_set_table(decree_run* run, const char* name, const char* path);
/* Adds a watch-list file (UN XML, OFAC sdn.csv, watchlist.csv) for the rules' screen() calls. */
decree_status decree_run_add_watch_list(decree_run* run, const char* path);
/* Threads to evaluate with (0: one per core, the default). */
void decree_run_set_threads(decree_run* run, int threads);
/* "auto" (default), "csv", "jsonl", "sqlite" or "xml". */
decree_status decree_run_set_input_format(decree_run* run, const char* format);

/* Called with each finding as its findings.jsonl line (`json`, `size` bytes, NUL-terminated,
 * no newline; valid during the call only), in the sorted output order, on the thread that
 * called decree_run_file or decree_run_buffer, as soon as its rule is finalized. */
typedef void (*decree_finding_fn)(const char* json, size_t size, void* user);
/* When `fn` is set, findings are handed to it instead of being kept: decree_run_finding_count
 * still counts them, decree_run_finding_json returns NULL.  NULL `fn`: keep them (default). */
void decree_run_set_finding_callback(decree_run* run, decree_finding_fn fn, void* user);

/* Evaluates every rule over the records of a file. */
decree_status decree_run_file(decree_run* run, const char* path);
/* Evaluates every rule over `size` bytes of records held in memory (CSV, JSON Lines or an XML
 * filing; the format as set, or sniffed from the bytes).  The bytes are copied. */
decree_status decree_run_buffer(decree_run* run, const void* data, size_t size);
/* The message of the run's last failure ("" if it succeeded). */
const char* decree_run_error(const decree_run* run);

uint64_t decree_run_rows_read(const decree_run* run);
uint64_t decree_run_rows_evaluated(const decree_run* run);
uint64_t decree_run_rows_rejected(const decree_run* run);
size_t decree_run_finding_count(const decree_run* run);
/* Finding `i` (0-based, < finding_count) as one findings.jsonl line without its newline. */
const char* decree_run_finding_json(decree_run* run, size_t i);
/* Rejected row `i` (< decree_run_reject_count) as {"position":…,"record_id":…,"reason":…}. */
size_t decree_run_reject_count(const decree_run* run);
const char* decree_run_reject_json(decree_run* run, size_t i);

/* Online decisions (decree/engine.h, docs/serve.md): each record decided as it arrives, over
 * every record accepted so far.
 *
 *   decree_engine* e = decree_engine_new(lib);
 *   decree_engine_set_table(e, "usd_rate", "rates.csv");
 *   if (decree_engine_open(e) != DECREE_OK) { puts(decree_last_error()); ... }
 *   const char* answer;
 *   int status = decree_engine_decide(e, json, strlen(json), &answer);  (200: decided)
 *   decree_engine_close(e);
 *
 * The engine keeps the library alive (it may be freed first).  decree_engine_decide is
 * thread-safe; the answer string stays valid until the calling thread's next
 * decree_engine_decide (or decree_engine_decide_batch). */
decree_engine* decree_engine_new(const decree_library* lib);
/* Before decree_engine_open: tables, watch lists, and a state directory (durable decisions). */
decree_status decree_engine_set_table(decree_engine* e, const char* name, const char* path);
decree_status decree_engine_add_watch_list(decree_engine* e, const char* path);
decree_status decree_engine_set_state_dir(decree_engine* e, const char* dir);
/* How far (seconds) behind the newest accepted event time a record may arrive (default 7 days). */
decree_status decree_engine_set_late_after(decree_engine* e, int64_t seconds);
/* Leaves a rule out of the decisions (EngineOptions::skip_rules); a library with a path rule
 * (fund flows) opens only with it left out. */
decree_status decree_engine_skip_rule(decree_engine* e, const char* rule_id);
/* Binds the tables and lists (and replays the state's log). */
decree_status decree_engine_open(decree_engine* e);
/* Decides one record (a JSON object of the layout's columns): returns the HTTP-like status
 * (200 decided, 400 rejected, 409 conflicting replay, 422 too late, 500 state log failure) and
 * sets *answer to the answer's JSON object. */
int decree_engine_decide(decree_engine* e, const char* json, size_t size, const char** answer);
/* Decides `n` records (jsons[i] of sizes[i] bytes) as decree_engine_decide would decide each in
 * turn: the same answers and the same state, cheaper per record (they are read and evaluated
 * together).  Sets statuses[i] and answers[i]; the answer strings stay valid until the calling
 * thread's next decree_engine_decide or decree_engine_decide_batch. */
void decree_engine_decide_batch(decree_engine* e, const char* const* jsons, const size_t* sizes, size_t n, int* statuses,
                                const char** answers);
void decree_engine_close(decree_engine* e);

#ifdef __cplusplus
}
#endif

#endif /* DECREE_DECREE_H_ */
