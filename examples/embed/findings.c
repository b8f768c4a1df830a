/* Evaluates a rule library over a batch through Decree's C API and prints the findings as
 * JSON Lines, exactly as `decree run LIB -i BATCH -t NAME=FILE -o -` writes them.
 *
 *   cc findings.c $(pkg-config --cflags --libs decree) -o findings
 *   ./findings lvtr.dlib transactions.csv usd_rate=rates.csv
 *   ./findings --memory lvtr.dlib transactions.csv usd_rate=rates.csv   (the batch from memory)
 *   ./findings --stream lvtr.dlib transactions.csv usd_rate=rates.csv   (findings streamed to a
 *                                                                       callback, not kept) */
#include <decree/decree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char* slurp(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 1 << 16, n = 0, r;
  char* buf = malloc(cap);
  while (buf != NULL && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *size = n;
  return buf;
}

/* The finding callback of --stream: each line as it comes. */
static void print_finding(const char* json, size_t size, void* user) {
  fwrite(json, 1, size, (FILE*)user);
  fputc('\n', (FILE*)user);
}

int main(int argc, char** argv) {
  int memory = argc > 1 && strcmp(argv[1], "--memory") == 0;
  int stream = !memory && argc > 1 && strcmp(argv[1], "--stream") == 0;
  memory += stream; /* one option word either way */
  if (argc - memory < 3) {
    fprintf(stderr, "usage: %s [--memory | --stream] LIBRARY BATCH [TABLE=FILE ...]\n", argv[0]);
    return 2;
  }
  char** arg = argv + 1 + memory;
  decree_library* lib = NULL;
  if (decree_library_open(arg[0], &lib) != DECREE_OK) {
    fprintf(stderr, "findings: %s\n", decree_last_error());
    return 1;
  }
  decree_run* run = decree_run_new(lib);
  for (int i = 2; i < argc - 1 - memory; ++i) {
    char* eq = strchr(arg[i], '=');
    if (eq == NULL) {
      fprintf(stderr, "findings: '%s' is not TABLE=FILE\n", arg[i]);
      return 2;
    }
    *eq = '\0';
    decree_run_set_table(run, arg[i], eq + 1);
  }
  if (stream) decree_run_set_finding_callback(run, print_finding, stdout);
  decree_status st;
  if (memory && !stream) {
    size_t size = 0;
    char* data = slurp(arg[1], &size);
    if (data == NULL) {
      fprintf(stderr, "findings: cannot read %s\n", arg[1]);
      return 1;
    }
    st = decree_run_buffer(run, data, size);
    free(data);
  } else {
    st = decree_run_file(run, arg[1]);
  }
  if (st != DECREE_OK) {
    fprintf(stderr, "findings: %s\n", decree_run_error(run));
    return 1;
  }
  if (!stream) {
    for (size_t i = 0; i < decree_run_finding_count(run); ++i) puts(decree_run_finding_json(run, i));
  }
  fprintf(stderr, "findings: %llu rows = %llu evaluated + %llu rejected; %zu findings (decree %s)\n",
          (unsigned long long)decree_run_rows_read(run), (unsigned long long)decree_run_rows_evaluated(run),
          (unsigned long long)decree_run_rows_rejected(run), decree_run_finding_count(run), decree_version());
  decree_run_free(run);
  decree_library_free(lib);
  return 0;
}
