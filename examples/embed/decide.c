/* Decides transactions one at a time through Decree's C API (the online engine), reading one
 * JSON object per line on standard input and printing one answer per line, exactly as
 * `decree stream LIB -t NAME=FILE` does.
 *
 *   cc decide.c $(pkg-config --cflags --libs decree) -o decide
 *   ./decide lvtr.dlib usd_rate=rates.csv < transactions.jsonl
 *   ./decide --late-after 5184000 lvtr.dlib usd_rate=rates.csv < transactions.jsonl  (60 days)
 *   ./decide --batch 256 lvtr.dlib usd_rate=rates.csv < transactions.jsonl
 *
 * --batch N decides N lines at a time with decree_engine_decide_batch: the same answers,
 * cheaper per record; an answer is printed once its batch is decided. */
#include <decree/decree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  long long late_after = 0; /* seconds; 0: the engine's default */
  long batch = 1;             /* records per decree_engine_decide_batch call; 1: decree_engine_decide */
  const char* skip[16];
  int skips = 0;
  for (;;) {
    if (argc > 2 && strcmp(argv[1], "--late-after") == 0) {
      late_after = atoll(argv[2]);
    } else if (argc > 2 && strcmp(argv[1], "--batch") == 0) {
      batch = atol(argv[2]);
      if (batch < 1 || batch > 65536) {
        fprintf(stderr, "--batch takes 1 to 65536 records\n");
        return 2;
      }
    } else if (argc > 2 && strcmp(argv[1], "--skip-rule") == 0 && skips < 16) {
      skip[skips++] = argv[2];
    } else {
      break;
    }
    argv += 2;
    argc -= 2;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: %s [--late-after SECONDS] [--skip-rule ID]... [--batch N] LIBRARY [TABLE=FILE ...] < records.jsonl\n", argv[0]);
    return 2;
  }
  decree_library* lib = NULL;
  if (decree_library_open(argv[1], &lib) != DECREE_OK) {
    fprintf(stderr, "%s\n", decree_last_error());
    return 2;
  }
  decree_engine* engine = decree_engine_new(lib);
  decree_library_free(lib); /* the engine keeps it */
  for (int i = 2; i < argc; ++i) {
    char* eq = strchr(argv[i], '=');
    if (eq == NULL) {
      fprintf(stderr, "expected TABLE=FILE, not %s\n", argv[i]);
      return 2;
    }
    *eq = '\0';
    decree_engine_set_table(engine, argv[i], eq + 1);
  }
  for (int i = 0; i < skips; ++i) decree_engine_skip_rule(engine, skip[i]);
  if (late_after > 0 && decree_engine_set_late_after(engine, late_after) != DECREE_OK) {
    fprintf(stderr, "bad --late-after %lld\n", late_after);
    return 2;
  }
  if (decree_engine_open(engine) != DECREE_OK) {
    fprintf(stderr, "%s\n", decree_last_error());
    decree_engine_close(engine);
    return 2;
  }
  /* Up to `batch` lines, each in its own getline buffer. */
  char** lines = calloc((size_t)batch, sizeof(char*));
  size_t* caps = calloc((size_t)batch, sizeof(size_t));
  size_t* sizes = calloc((size_t)batch, sizeof(size_t));
  int* statuses = calloc((size_t)batch, sizeof(int));
  const char** answers = calloc((size_t)batch, sizeof(char*));
  if (lines == NULL || caps == NULL || sizes == NULL || statuses == NULL || answers == NULL) {
    fprintf(stderr, "out of memory\n");
    return 2;
  }
  unsigned long decided = 0, refused = 0;
  for (int done = 0; !done;) {
    long held = 0;
    while (held < batch) {
      ssize_t n = getline(&lines[held], &caps[held], stdin);
      if (n <= 0) {
        done = 1;
        break;
      }
      if (strspn(lines[held], " \t\r\n") == (size_t)n) continue; /* a blank line */
      sizes[held++] = (size_t)n;
    }
    if (held == 0) break;
    if (batch == 1) {
      statuses[0] = decree_engine_decide(engine, lines[0], sizes[0], &answers[0]);
    } else {
      decree_engine_decide_batch(engine, (const char* const*)lines, sizes, (size_t)held, statuses, answers);
    }
    for (long i = 0; i < held; ++i) {
      printf("%s\n", answers[i]);
      if (statuses[i] == 200) ++decided; else ++refused;
    }
  }
  for (long i = 0; i < batch; ++i) free(lines[i]);
  free(caps);
  free(sizes);
  free(statuses);
  free(answers);
  free(lines);
  decree_engine_close(engine);
  fprintf(stderr, "%lu decided, %lu refused\n", decided, refused);
  return 0;
}
