/* jemalloc's built-in options for the programs that link it (CMakeLists.txt,
 * decree_allocator): its heap in transparent huge pages, where the kernel allows them
 * (/sys/kernel/mm/transparent_hugepage/enabled "madvise" or "always").  The online engine's
 * state grows by a few kilobytes a decision, and on a virtual machine each fresh 4 KiB page
 * faulted in cost it as much as a decision's evaluation (B5, docs/benchmarks.md).  MALLOC_CONF
 * in the environment still overrides these. */
const char* malloc_conf = "thp:always,metadata_thp:always";
