#!/usr/bin/env python3
"""decree serve end to end: every endpoint and error status, reloads, and the kill test.

  tests/serve_test.py DECREE DECREE_GEN SOURCE_DIR

1. Endpoints: /healthz, /v1/decide (200, a replay byte for byte, 409, 400 with the reader's
   reason, 413, 422), /v1/decide/batch, /metrics, 404 and 405; the transport's own answers (400
   for bad HTTP, 431 for oversized headers), keep-alive, pipelining, 100-continue and HEAD; reload
   by POST and SIGHUP, a library that fails to load leaving the old one serving; SIGTERM stops
   with status 0.
2. The kill test: four clients post distinct transactions (each its own customers, in batch
   order) to a server with --state; the server is killed with SIGKILL at random moments and
   restarted; clients re-post what was not acknowledged.  Every acknowledged answer must equal
   the answer `decree stream` gives the same records, and after the last restart the state must
   hold each transaction exactly once.
"""
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

DECREE, GEN, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
WORK = tempfile.mkdtemp(prefix="decree-serve-")
SERVERS = []  # every server started, killed at exit whatever happens


def fail(msg):
    print(f"serve_test: FAIL: {msg}")
    sys.exit(1)


# Path rules are decided in batch only; the served library leaves them out.
SKIP = ["--skip-rule", "aml.layering_chain", "--skip-rule", "aml.round_trip"]


def start(lib, *extra):
    """Starts decree serve on a free port; returns (process, port)."""
    err = open(os.path.join(WORK, "serve.err"), "ab")
    args = [DECREE, "serve", lib, "--listen", "127.0.0.1:0", "-t", f"usd_rate={WORK}/rates.csv",
            "-t", f"last_activity={SRC}/examples/last_activity.csv", "--late-after", "60d", *SKIP, *extra]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    SERVERS.append(p)
    line = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        line = p.stderr.readline()
        err.write(line)
        m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [err.write(l) for l in p.stderr], daemon=True).start()
            return p, int(m.group(1))
        if not line and p.poll() is not None:
            break
    fail(f"the server did not start: {line!r}")


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=headers or {})
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    return r.status, data, dict(r.getheaders())


def check(cond, msg):
    if not cond:
        fail(msg)


def endpoints(lib, records):
    p, port = start(lib)
    st, body, _ = request(port, "GET", "/healthz")
    check(st == 200 and body == "ok\n", f"/healthz: {st} {body!r}")
    first = records[0]
    st, body, _ = request(port, "POST", "/v1/decide", first)
    ans = json.loads(body)
    check(st == 200 and ans["decision"] in ("allow", "review", "block") and len(ans["library"]) == 64, f"decide: {st} {body}")
    st2, body2, h2 = request(port, "POST", "/v1/decide", first)
    check(st2 == 200 and body2 == body and h2.get("X-Decree-Replayed") == "true", "a replay is not the first answer")
    changed = json.loads(first)
    changed["amount"] = "1.00"
    st, body, _ = request(port, "POST", "/v1/decide", json.dumps(changed))
    check(st == 409 and "other content" in body, f"conflict: {st} {body}")
    bad = json.loads(records[1])
    bad["amount"] = "12,00"
    st, body, _ = request(port, "POST", "/v1/decide", json.dumps(bad))
    check(st == 400 and "amount" in body, f"bad record: {st} {body}")
    st, body, _ = request(port, "POST", "/v1/decide", "{not json")
    check(st == 400 and "JSON" in body, f"bad JSON: {st} {body}")
    st, body, _ = request(port, "POST", "/v1/decide", "x" * (2 << 20))
    check(st == 413, f"a body over the limit: {st}")
    late = json.loads(records[2])
    late["txn_id"] = "LATE1"
    late["booked_at"] = "2025-01-01T00:00:00Z"
    st, body, _ = request(port, "POST", "/v1/decide", json.dumps(late))
    check(st == 422 and "too late" in body, f"late: {st} {body}")
    batch = "\n".join(records[1:6]) + "\n"
    st, body, _ = request(port, "POST", "/v1/decide/batch", batch)
    lines = body.splitlines()
    check(st == 200 and [json.loads(l)["txn_id"] for l in lines] == [json.loads(r)["txn_id"] for r in records[1:6]],
          f"batch: {st} {body[:200]}")
    st, _, _ = request(port, "GET", "/v1/decide")
    check(st == 405, f"GET /v1/decide: {st}")
    st, _, _ = request(port, "GET", "/nowhere")
    check(st == 404, f"/nowhere: {st}")
    st, body, _ = request(port, "GET", "/metrics")
    check(st == 200 and "decree_decisions_total{decision=" in body and "decree_decision_seconds_bucket" in body
          and f'sha256="{ans["library"]}"' in body and 'decree_refusals_total{reason="conflict"} 1' in body
          and 'decree_refusals_total{reason="too_large"} 1' in body, f"metrics:\n{body}")
    transport(port, records)
    st, body, _ = request(port, "POST", "/v1/library/reload")
    check(st == 200 and ans["library"] in body, f"reload: {st} {body}")
    os.kill(p.pid, signal.SIGHUP)
    time.sleep(0.5)
    check(request(port, "GET", "/healthz")[0] == 200, "not healthy after SIGHUP")
    # A library that fails to load leaves the old one serving.
    saved = lib + ".good"
    shutil.copy(lib, saved)
    with open(lib, "wb") as f:
        f.write(b"not a library")
    st, body, _ = request(port, "POST", "/v1/library/reload")
    check(st == 500 and "still serving" in body, f"a broken reload: {st} {body}")
    shutil.copy(saved, lib)
    st, body, _ = request(port, "POST", "/v1/decide", records[7])
    check(st == 200 and json.loads(body)["library"] == ans["library"], "the old library did not keep serving")
    p.send_signal(signal.SIGTERM)
    check(p.wait(timeout=30) == 0, "SIGTERM did not stop the server with status 0")
    print("serve_test: endpoints, statuses, replay, reloads and SIGTERM as documented")


def raw(port, data, shut=True):
    """Sends `data` on a new connection (then closes its sending side) and returns all it gets back."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
        c.sendall(data)
        if shut:
            c.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := c.recv(65536):
            got += chunk
        return got


def transport(port, records):
    """What the HTTP layer answers itself, and keep-alive, pipelining, 100-continue and HEAD."""
    got = raw(port, b"NOT HTTP AT ALL\r\n\r\n")
    check(got.startswith(b"HTTP/1.1 400") and b'"status":400' in got, f"garbage request: {got[:200]!r}")
    got = raw(port, b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * (100 << 10) + b"\r\n\r\n")
    check(got.startswith(b"HTTP/1.1 431"), f"oversized headers: {got[:200]!r}")
    # Two requests written at once on one connection: two answers, in order.
    one, two = records[8].encode(), records[9].encode()
    pipelined = (b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(one), one) +
                 b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(two), two))
    got = raw(port, pipelined, shut=False).decode()
    ids = re.findall(r'"txn_id":"([^"]+)"', got)
    check(got.count("HTTP/1.1 200") == 2 and ids == [json.loads(records[8])["txn_id"], json.loads(records[9])["txn_id"]],
          f"pipelined requests: {got[:300]!r}")
    body = records[10].encode()
    got = raw(port, b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n"
                    b"Connection: close\r\n\r\n%s" % (len(body), body), shut=False)
    check(got.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200"), f"100-continue: {got[:200]!r}")
    got = raw(port, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", shut=False)
    check(got.startswith(b"HTTP/1.1 200") and got.endswith(b"\r\n\r\n") and b"Content-Length: 3" in got, f"HEAD: {got!r}")
    # Malformed traffic: cut, corrupted and random requests; each is answered 400 or closed,
    # and the server keeps answering.
    rng = random.Random(7)
    good = b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(one), one)
    for i in range(150):
        data = bytearray(good)
        kind = i % 3
        if kind == 0:
            data = data[:rng.randrange(len(data))]
        elif kind == 1:
            for _ in range(rng.randrange(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            data = bytearray(rng.randbytes(rng.randrange(1, 400)))
        got = raw(port, bytes(data))
        check(got == b"" or got.startswith(b"HTTP/1.1 "), f"malformed request {i}: {got[:120]!r}")
    check(request(port, "GET", "/healthz")[0] == 200, "not healthy after malformed requests")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(3):  # one keep-alive connection, three requests
        c.request("GET", "/healthz")
        r = c.getresponse()
        check(r.status == 200 and r.read() == b"ok\n", f"keep-alive request {i}: {r.status}")
    c.close()


def kill_test(lib, records, reference):
    state = os.path.join(WORK, "state")
    by_customer = {}
    for r in records:
        by_customer.setdefault(json.loads(r)["customer_id"], []).append(r)
    customers = sorted(by_customer)
    queues = [[r for c in customers[k::4] for r in by_customer[c]] for k in range(4)]
    for q in queues:  # each client keeps batch order within its customers
        q.sort(key=lambda r: records.index(r))
    acked = {}
    errors = []
    lock = threading.Lock()
    server = {"port": None}
    stop = threading.Event()

    def client(q):
        i = 0
        conn = None
        while i < len(q) and not stop.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=10)
                conn.request("POST", "/v1/decide", q[i].encode())
                r = conn.getresponse()
                body = r.read().decode().rstrip("\n")
                if r.status != 200:
                    errors.append(f"status {r.status}: {body}")
                    return
                with lock:
                    tid = json.loads(q[i])["txn_id"]
                    if tid in acked and acked[tid] != body:
                        errors.append(f"{tid} answered twice, differently")
                    acked[tid] = body
                i += 1
            except (ConnectionError, http.client.HTTPException, OSError):
                conn = None  # the server is down: retry the same record once it is back
                time.sleep(0.05)

    p, server["port"] = start(lib, "--state", state)
    threads = [threading.Thread(target=client, args=(q,)) for q in queues]
    for t in threads:
        t.start()
    rng = random.Random(7)
    kills = 0
    while any(t.is_alive() for t in threads) and kills < 8:
        time.sleep(rng.uniform(0.2, 0.8))
        p.kill()
        p.wait()
        kills += 1
        p, server["port"] = start(lib, "--state", state)
    for t in threads:
        t.join()
    check(not errors, "; ".join(errors[:3]))
    check(len(acked) == len(records), f"{len(acked)} of {len(records)} acknowledged")
    for tid, body in acked.items():
        check(body == reference[tid], f"{tid}: the answer differs from decree stream:\n{body}\n{reference[tid]}")
    # Re-posting an acknowledged record after the restarts answers it from the log.
    tid0 = json.loads(records[0])["txn_id"]
    st, body, _ = request(server["port"], "POST", "/v1/decide", records[0])
    check(st == 200 and body.rstrip("\n") == reference[tid0], "an acknowledged answer was lost by a restart")
    st, metrics, _ = request(server["port"], "GET", "/metrics")
    held = int(re.search(r"^decree_state_transactions (\d+)$", metrics, re.M).group(1))
    check(held == len(records), f"the state holds {held} transactions for {len(records)} distinct ones")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    print(f"serve_test: kill test: {kills} SIGKILLs under load from 4 clients, {len(records)} answers identical to "
          f"decree stream, each transaction held once")


def main():
    lib = os.path.join(WORK, "lib.dlib")
    subprocess.run([DECREE, "build", f"{SRC}/rulesets/cn-pboc-lvtr", f"{SRC}/rulesets/aml-typologies", "-o", lib],
                   check=True, stdout=subprocess.DEVNULL)
    batch = os.path.join(WORK, "batch.jsonl")
    subprocess.run([GEN, "--rows", "1500", "--seed", "5", "--customers", "24", "--days", "10", "--jsonl", "--out", batch,
                    "--rates", f"{WORK}/rates.csv"], check=True, stdout=subprocess.DEVNULL)
    records = [l.rstrip("\n") for l in open(batch, encoding="utf-8") if l.strip()]
    ref = subprocess.run([DECREE, "stream", lib, "-t", f"usd_rate={WORK}/rates.csv", "-t",
                          f"last_activity={SRC}/examples/last_activity.csv", "--late-after", "60d", "-q", *SKIP],
                         input="\n".join(records) + "\n", capture_output=True, text=True, check=True).stdout
    reference = {json.loads(l)["txn_id"]: l for l in ref.splitlines()}
    check(sum('"decision":"review"' in l for l in reference.values()) > 0, "the reference has nothing to review")
    endpoints(lib, records)
    kill_test(lib, records, reference)


try:
    main()
finally:
    for server in SERVERS:
        if server.poll() is None:
            server.kill()
    shutil.rmtree(WORK, ignore_errors=True)
