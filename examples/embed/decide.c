/* Decides transactions one at a time through Decree's C API (the online engine), reading one
 * JSON object per line on standard input and printing one answer per line, exactly as
 * `decree stream LIB -t NAME=FILE` does.
 *
 *   cc decide.c $(pkg-config --cflags --libs decree) -o decide
 *   ./decide lvtr.dlib usd_rate=rates.csv < transactions.jsonl
 *   ./decide --late-after 5184000 lvtr.dlib usd_rate=rates.csv < transactions.jsonl  (60 days) */
#include <decree/decree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  long long late_after = 0; /* seconds; 0: the engine's default */
  const char* skip[16];
  int skips = 0;
  for (;;) {
    if (argc > 2 && strcmp(argv[1], "--late-after") == 0) {
      late_after = atoll(argv[2]);
    } else if (argc > 2 && strcmp(argv[1], "--skip-rule") == 0 && skips < 16) {
      skip[skips++] = argv[2];
    } else {
      break;
    }
    argv += 2;
    argc -= 2;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: %s [--late-after SECONDS] [--skip-rule ID]... LIBRARY [TABLE=FILE ...] < records.jsonl\n", argv[0]);
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
  size_t cap = 0;
  char* line = NULL;
  ssize_t n;
  unsigned long decided = 0, refused = 0;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (strspn(line, " \t\r\n") == (size_t)n) continue; /* a blank line */
    const char* answer = NULL;
    int status = decree_engine_decide(engine, line, (size_t)n, &answer);
    printf("%s\n", answer);
    if (status == 200) ++decided; else ++refused;
  }
  free(line);
  decree_engine_close(engine);
  fprintf(stderr, "%lu decided, %lu refused\n", decided, refused);
  return 0;
}
