"""Web figures (issue 5): record page, search page and catalogue list under 32 concurrent clients.

    python benchmarks/bench_web.py [--records 100000] [--clients 32] [--seconds 30] [--think 0] [--home DIR]

Loads the records (as bench_projections does), starts the real `archive serve`, logs 32 browsers in as a reader with
内部 clearance (so every page is clearance-filtered), and has each fetch pages: a record page (which also writes its
RecordViewed event), a search (which writes its Searched event), a catalogue page. Without --think the clients send
the next request the moment an answer arrives (a closed loop, the load generator on the same cores as the server);
with --think T each pauses 0.5–1.5 T seconds between pages, as people reading them do. Prints p50 / p95 per page
type, the throughput, and the server's CPU time per request (master and workers, read from /proc): on this shared
machine, whose speed varies from one minute to the next, that last figure moves least between runs. With --home
the loaded archive is kept and reused by the next run.

    --load wrk   the requests come from wrk (Debian package `wrk`, C, one connection per thread) instead of Python
                 threads: a Python load generator on the same 2 cores takes CPU from the server and, with 32 threads
                 behind one GIL, adds its own waiting to every figure it measures. The browsers are still logged in
                 by Python; a Lua script gives each wrk connection one reader's cookie and times each request
                 (LuaJIT ffi clock_gettime) by page type.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from application.authorisation import SYSTEM  # noqa: E402
from application.bootstrap import Services, initialise  # noqa: E402
from benchmarks.bench_core import make_settings  # noqa: E402
from benchmarks.bench_projections import fill  # noqa: E402
from benchmarks.synthetic import Vocabulary  # noqa: E402
from domain.users import Role  # noqa: E402
from domain.values import SecurityLevel  # noqa: E402

PASSWORD = "benchmark password"
PAGE_TYPES = ("record page", "search page", "catalogue list")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("archive_session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, text

    def login(self, username: str) -> None:
        _, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token})
        status, _ = self.request("POST", "/login", body)
        assert status == 302, status


def load(settings, records: int, clients: int) -> list[str]:
    """Fill the archive once; a later run with the same --home reuses it (the marker lists the visible records)."""
    marker = settings.home / "bench-web-visible.txt"
    if marker.exists():
        return marker.read_text().split()
    initialise(settings)
    services = Services(settings)
    fill(services, records)
    services.ledger.catch_up(batch_size=5000)
    services.projections.run(limit=5000)
    password_hash = services.accounts.hash_new_password(PASSWORD)
    for n in range(clients):  # one person per browser: each has their own activity log
        services.archive.register_user(
            SYSTEM, username=f"reader{n}", roles=[Role.READER], clearance=SecurityLevel.INTERNAL, password_hash=password_hash
        )
    services.catalogue.refresh()
    visible = [
        row["record_id"]
        for row in services.catalogue.browse(
            services.accounts.login("reader0", PASSWORD, "bench"), services.catalogue_filter(), limit=5000
        )[1]
    ]
    services.close()
    marker.write_text("\n".join(visible))
    return visible


WRK_SCRIPT = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local now = ffi.new("bench_timespec")
local function ms() ffi.C.clock_gettime(1, now); return tonumber(now.tv_sec) * 1000 + tonumber(now.tv_nsec) / 1e6 end

local cookies, records, words = COOKIES, RECORDS, WORDS
-- wrk copies a thread's globals to the main state only as flat tables (a nested one crashes it): one list a kind
local kinds = {"record_page", "search_page", "catalogue_list"}
local threads = {}

function setup(thread)  -- in the main state: one reader per connection (one connection per thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function init(args)
  math.randomseed(id)
  cookie = cookies[(id - 1) % #cookies + 1]
  record_page, search_page, catalogue_list, failures = {}, {}, {}, 0
end

function request()
  kind = kinds[math.random(3)]
  local path
  if kind == "record_page" then path = "/records/" .. records[math.random(#records)]
  elseif kind == "search_page" then path = "/search?q=" .. words[math.random(#words)]
  else path = "/browse?page=" .. math.random(200) end
  started = ms()
  return wrk.format("GET", path, {["Cookie"] = cookie})
end

function response(status, headers, body)
  if status == 200 then local s = _G[kind]; s[#s + 1] = ms() - started else failures = failures + 1 end
end

function done(summary, latency, requests)  -- one JSON line: every sample by page type
  local merged, failed = {record_page = {}, search_page = {}, catalogue_list = {}}, 0
  for _, thread in ipairs(threads) do
    for _, kind in ipairs(kinds) do
      for _, v in ipairs(thread:get(kind)) do merged[kind][#merged[kind] + 1] = string.format("%.3f", v) end
    end
    failed = failed + thread:get("failures")
  end
  local parts = {}
  for kind, list in pairs(merged) do parts[#parts + 1] = string.format('"%s": [%s]', kind, table.concat(list, ",")) end
  io.write(string.format('WRK-SAMPLES {"failures": %d, %s}\\n', failed + summary.errors.timeout, table.concat(parts, ", ")))
end
"""


def lua_list(values: list[str]) -> str:
    return "{" + ",".join(json.dumps(v) for v in values) + "}"


def wrk_load(port: int, cookies: list[str], visible: list[str], words: list[str], args: argparse.Namespace, cpu: list[float]):
    """Warm up, then measure, with wrk: returns (samples by page type, failures); `cpu` gets the server's CPU
    seconds at the start and the end of the measured part."""
    if not shutil.which("wrk"):
        sys.exit("bench_web: --load wrk needs the wrk program (Debian package wrk)")
    script = Path(tempfile.mkdtemp(prefix="bench-wrk-")) / "pages.lua"
    quoted = [urllib.parse.quote(w) for w in words]
    script.write_text(
        WRK_SCRIPT.replace("COOKIES", lua_list(cookies))
        .replace("RECORDS", lua_list(visible[:5000]))
        .replace("WORDS", lua_list(quoted))
    )
    url = f"http://127.0.0.1:{port}"
    base = ["wrk", "-t", str(args.clients), "-c", str(args.clients), "--timeout", "60s", "-s", str(script)]
    if args.warmup:
        subprocess.run([*base, "-d", f"{args.warmup:g}s", url], check=True, capture_output=True)
    cpu.append(server_cpu_seconds(args.server_pid))
    out = subprocess.run([*base, "-d", f"{args.seconds:g}s", url], check=True, capture_output=True, text=True).stdout
    cpu.append(server_cpu_seconds(args.server_pid))
    found = json.loads(next(line for line in out.splitlines() if line.startswith("WRK-SAMPLES ")).split(" ", 1)[1])
    failures = found.pop("failures")
    return {kind: [float(v) for v in found[kind.replace(" ", "_")]] for kind in PAGE_TYPES}, failures


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server: the gunicorn master and its workers. Divided by the
    requests served, it is steadier than latency on this shared machine, whose speed varies minute to minute."""
    ticks, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            todo += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def reference_loop() -> float:
    """Seconds for a fixed pure-Python loop (best of 3): this shared machine's speed varies up to 2× from one
    minute to the next, so each run says how fast the machine was while it ran."""
    best = float("inf")
    for _ in range(3):
        start, total = time.perf_counter(), 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best


def server_options(args: argparse.Namespace) -> list[str]:
    chosen = {"--threads": args.threads, "--workers": args.workers}
    return [str(part) for option, value in chosen.items() if value for part in (option, value)]


def python_load(port: int, visible: list[str], words: list[str], args: argparse.Namespace, cpu: list[float]):
    """One Python thread per client, each logged in as its own reader: returns (samples by page type, failures);
    `cpu` gets the server's CPU seconds at the start and the end of the measured part."""
    timings: dict[str, list[float]] = {kind: [] for kind in PAGE_TYPES}
    errors: list[int] = []
    lock = threading.Lock()
    begin = time.monotonic() + args.warmup  # caches filled, the follower caught up: not counted
    deadline = begin + args.seconds

    def browse(seed: int) -> None:
        rng, client = random.Random(seed), Client(port)
        client.login(f"reader{seed}")
        while time.monotonic() < deadline:
            if args.think:  # a person reading the page before the next click
                time.sleep(rng.uniform(0.5, 1.5) * args.think)
            kind = rng.choice(PAGE_TYPES)
            path = {
                "record page": lambda: f"/records/{rng.choice(visible)}",
                "search page": lambda: "/search?q=" + urllib.parse.quote(rng.choice(words)),
                "catalogue list": lambda: f"/browse?page={rng.randint(1, 200)}",
            }[kind]()
            start = time.perf_counter()
            status, _ = client.request("GET", path)
            elapsed = (time.perf_counter() - start) * 1000
            if time.monotonic() < begin:
                continue
            with lock:
                (timings[kind] if status == 200 else errors).append(elapsed if status == 200 else status)

    def meter() -> None:
        for moment in (begin, deadline):
            time.sleep(max(0.0, moment - time.monotonic()))
            cpu.append(server_cpu_seconds(args.server_pid))

    threads = [threading.Thread(target=browse, args=(n,)) for n in range(args.clients)] + [threading.Thread(target=meter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, len(errors)


def logged_in_cookies(port: int, clients: int) -> list[str]:
    cookies = []
    for n in range(clients):
        client = Client(port)
        client.login(f"reader{n}")
        cookies.append(client.cookie)
    return cookies


def start_server(settings, args: argparse.Namespace) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "ARCHIVE_HOME": str(settings.home)}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("archive")), "serve", "--port", str(port), *server_options(args)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    return server, port


def report(
    args: argparse.Namespace, timings: dict[str, list[float]], failures: int, speed: tuple[float, float], cpu: list[float]
) -> None:
    pause = f"{args.think:g} s think time (0.5–1.5×)" if args.think else "no think time (closed loop)"
    generator = "wrk" if args.load == "wrk" else "Python threads"
    print(
        f"\n## web figures ({args.records:,} records, {args.clients} concurrent clients, {pause}, load from "
        f"{generator}, {os.cpu_count()} cores, {args.seconds:.0f} s after {args.warmup:.0f} s warm-up)\n"
    )
    print("| page | requests | p50 (ms) | p95 (ms) |\n|---|---|---|---|")
    for kind, samples in timings.items():
        q = statistics.quantiles(samples, n=100)
        print(f"| {kind} | {len(samples):,} | {q[49]:.0f} | {q[94]:.0f} |")
    print(f"| errors | {failures} | | |")
    served = sum(len(v) for v in timings.values())
    print(f"\nthroughput: {served / args.seconds:.0f} requests/s")
    print(f"server CPU: {(cpu[1] - cpu[0]) * 1000 / max(served, 1):.2f} ms a request (master and workers, all cores)")
    print(f"reference loop (machine speed): {speed[0] * 1000:.0f} ms before, {speed[1] * 1000:.0f} ms after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before the measurement starts")
    parser.add_argument("--think", type=float, default=0, help="mean seconds a client pauses between pages")
    parser.add_argument("--load", choices=("python", "wrk"), default="python", help="what sends the requests")
    parser.add_argument("--threads", type=int, default=None, help="threads per server worker (archive serve --threads)")
    parser.add_argument("--workers", type=int, default=None, help="server worker processes (archive serve --workers)")
    parser.add_argument("--home", type=Path, help="keep the loaded archive here and reuse it on the next run")
    args = parser.parse_args()
    if args.load == "wrk" and args.think:
        parser.error("--think needs --load python (wrk sends the next request at once)")
    home = args.home or Path(tempfile.mkdtemp(prefix="archive-bench-web-")) / "home"
    settings = make_settings("sqlite", home)
    visible = load(settings, args.records, args.clients)
    words = Vocabulary.build().words[50:3000]
    server, port = start_server(settings, args)
    args.server_pid, cpu = server.pid, []
    try:
        speed_before = reference_loop()
        if args.load == "wrk":
            timings, failures = wrk_load(port, logged_in_cookies(port, args.clients), visible, words, args, cpu)
        else:
            timings, failures = python_load(port, visible, words, args, cpu)
        speed_after = reference_loop()
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(args, timings, failures, (speed_before, speed_after), cpu)


if __name__ == "__main__":
    main()
