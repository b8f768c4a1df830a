#!/usr/bin/env python3
"""Evaluates a rule library over a batch through Decree's C API (ctypes, standard library only)
and prints the findings as JSON Lines, exactly as `decree run LIB -i BATCH -t NAME=FILE -o -`.

  DECREE_LIB=/usr/lib/x86_64-linux-gnu/libdecree.so.0 \\
    python3 findings.py lvtr.dlib transactions.csv usd_rate=rates.csv
  python3 findings.py --memory lvtr.dlib transactions.csv usd_rate=rates.csv   (batch from memory)
"""
import ctypes
import ctypes.util
import os
import sys


def load():
    path = os.environ.get("DECREE_LIB") or ctypes.util.find_library("decree")
    if not path:
        sys.exit("findings.py: libdecree not found (set DECREE_LIB to its path)")
    lib = ctypes.CDLL(path)
    c_str, c_size, c_u64, c_int, c_void = ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64, ctypes.c_int, ctypes.c_void_p
    for name, res, args in [
        ("decree_version", c_str, []),
        ("decree_last_error", c_str, []),
        ("decree_library_open", c_int, [c_str, ctypes.POINTER(c_void)]),
        ("decree_library_free", None, [c_void]),
        ("decree_run_new", c_void, [c_void]),
        ("decree_run_free", None, [c_void]),
        ("decree_run_set_table", c_int, [c_void, c_str, c_str]),
        ("decree_run_file", c_int, [c_void, c_str]),
        ("decree_run_buffer", c_int, [c_void, c_str, c_size]),
        ("decree_run_error", c_str, [c_void]),
        ("decree_run_rows_read", c_u64, [c_void]),
        ("decree_run_rows_rejected", c_u64, [c_void]),
        ("decree_run_finding_count", c_size, [c_void]),
        ("decree_run_finding_json", c_str, [c_void, c_size]),
    ]:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


def main(argv):
    memory = len(argv) > 1 and argv[1] == "--memory"
    args = argv[1 + memory:]
    if len(args) < 2:
        print(f"usage: {argv[0]} [--memory] LIBRARY BATCH [TABLE=FILE ...]", file=sys.stderr)
        return 2
    d = load()
    lib = ctypes.c_void_p()
    if d.decree_library_open(args[0].encode(), ctypes.byref(lib)) != 0:
        print("findings.py: " + d.decree_last_error().decode(), file=sys.stderr)
        return 1
    run = d.decree_run_new(lib)
    try:
        for binding in args[2:]:
            name, _, path = binding.partition("=")
            d.decree_run_set_table(run, name.encode(), path.encode())
        if memory:
            data = open(args[1], "rb").read()
            status = d.decree_run_buffer(run, data, len(data))
        else:
            status = d.decree_run_file(run, args[1].encode())
        if status != 0:
            print("findings.py: " + d.decree_run_error(run).decode(), file=sys.stderr)
            return 1
        out = sys.stdout.buffer
        for i in range(d.decree_run_finding_count(run)):
            out.write(d.decree_run_finding_json(run, i) + b"\n")
        print(f"findings.py: {d.decree_run_rows_read(run)} rows, {d.decree_run_rows_rejected(run)} rejected, "
              f"{d.decree_run_finding_count(run)} findings (decree {d.decree_version().decode()})", file=sys.stderr)
    finally:
        d.decree_run_free(run)
        d.decree_library_free(lib)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
