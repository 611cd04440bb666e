#!/usr/bin/env python3
"""Roster's benchmark suite: wrk scenarios against the real server on loopback, with nginx and
a durable-insert program as references measured in the same run.

Run from the repository root: `bash bench/run.sh [--quick] [--engine sqlite|postgresql|both]
[--scale]`. Prints a Markdown table and writes it, with the raw JSON, to bench/results/.
"""

import argparse
import base64
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LUA = REPO / "bench" / "lua"
BUILD = Path(os.environ.get("BENCH_BUILD_DIR", REPO / "build-bench"))
LISTEN = re.compile(r"listening on http://([0-9.]+):(\d+)")


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


class Server:
    """A `roster serve` process on a free loopback port."""

    def __init__(self, db, workdir, threads=None, wrapper=()):
        self.log_path = Path(workdir) / f"server-{time.monotonic_ns()}.log"
        args = [*wrapper, str(BUILD / "roster"), "--db", db, "serve", "--listen", "127.0.0.1:0"]
        if threads:
            args += ["--threads", str(threads)]
        self.started = time.monotonic()
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = self._wait()
        self.startup_seconds = time.monotonic() - self.started

    def _wait(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = LISTEN.search(self.log_path.read_text())
            if match:
                base = f"http://{match.group(1)}:{match.group(2)}"
                urllib.request.urlopen(base + "/healthz", timeout=10).read()
                return base
            if self.process.poll() is not None:
                raise RuntimeError("roster exited: " + self.log_path.read_text())
            time.sleep(0.005)
        raise RuntimeError("roster did not start")

    def reset_peak_rss(self):
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def peak_rss_mib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def load(db, out, groups, users, per_user, big_group=0):
    started = time.monotonic()
    run([str(BUILD / "roster_bench_loader"), "--db", db, "--workspace", "bench", "--groups",
         str(groups), "--users", str(users), "--memberships-per-user", str(per_user),
         "--big-group-members", str(big_group), "--out", str(out)])
    credentials = json.loads((Path(out) / "credentials.json").read_text())
    basic = base64.b64encode(f"{credentials['token']}:{credentials['secret']}".encode()).decode()
    return {"auth": "Basic " + basic, "seconds": time.monotonic() - started}


def wrk(base, script, connections, seconds, env, path="/"):
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
            "-s", str(LUA / f"{script}.lua"), base + path]
    result = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **env},
                            timeout=seconds + 60)
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    raise RuntimeError(f"wrk printed no result: {result.stdout} {result.stderr}")


def fetch(base, path, auth):
    request = urllib.request.Request(base + path, headers={"Authorization": auth})
    return urllib.request.urlopen(request, timeout=30).read()


class Nginx:
    """nginx serving fixed bytes from a cached file with 200: the HTTP limit of this machine."""

    def __init__(self, workdir, bodies):
        self.dir = Path(workdir) / "nginx"
        self.dir.mkdir(exist_ok=True)
        locations = []
        for name, body in bodies.items():
            (self.dir / f"{name}.json").write_bytes(body)
            # A file, because nginx limits a `return` string to 4 KiB; open_file_cache keeps
            # it in memory as `return` would.
            locations.append(f"location = /{name} {{ default_type application/hal+json; "
                             f"alias {self.dir}/{name}.json; }}")
        self.port = 18000 + os.getpid() % 1000
        conf = f"""
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {self.dir};
  keepalive_requests 1000000;
  open_file_cache max=16 inactive=60s;
  sendfile on;
  server {{ listen 127.0.0.1:{self.port}; {' '.join(locations)} }}
}}
"""
        (self.dir / "nginx.conf").write_text(conf)
        run(["nginx", "-c", str(self.dir / "nginx.conf"), "-p", str(self.dir)])
        self.base = f"http://127.0.0.1:{self.port}"
        time.sleep(0.3)

    def stop(self):
        subprocess.run(["nginx", "-c", str(self.dir / "nginx.conf"), "-p", str(self.dir), "-s",
                        "stop"], capture_output=True)


def durable_insert_reference(workdir, seconds):
    db = Path(workdir) / "reference.db"
    out = run([str(BUILD / "roster_durable_insert"), str(db), str(seconds), "100000000"])
    return json.loads(out.stdout)


def callgrind_instructions_per_request(db, workdir, path, auth, requests=200):
    """Counts the server's instructions for `requests` GETs on one keep-alive connection,
    minus a run with none, so start-up and shutdown cancel out."""
    if not shutil.which("valgrind"):
        return None
    totals = []
    for count in (0, requests):
        out = Path(workdir) / f"callgrind.{count}.out"
        server = Server(db, workdir, threads=1,
                        wrapper=["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"])
        import http.client
        host, port = server.base.replace("http://", "").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        for _ in range(count):
            connection.request("GET", path, headers={"Authorization": auth})
            connection.getresponse().read()
        connection.close()
        server.stop()
        summary = [line for line in out.read_text(errors="replace").splitlines()
                   if line.startswith("summary:") or line.startswith("totals:")]
        totals.append(int(summary[-1].split()[1]))
    return (totals[1] - totals[0]) / requests


def measure_http(engine, server, nginx_wanted, group, loaded, env, seconds, connections,
                 workdir, results):
    """Runs every wrk scenario against the server, and the nginx references beside them."""
    bodies = {"group": fetch(server.base, f"/api/bench/groups/{group}", loaded["auth"]),
              "page": fetch(server.base, "/api/bench/groups?page=1&per_page=100",
                            loaded["auth"])}
    nginx = Nginx(workdir, bodies) if nginx_wanted and shutil.which("nginx") else None
    scenarios = [("get_group", "GET one group"), ("list_page", "GET a page of 100"),
                 ("create", "POST create"), ("rename", "PATCH rename"),
                 ("member_add", "POST membership add"), ("mix", "90 % GET, 10 % POST")]
    try:
        for c in connections:
            for script, label in scenarios:
                server.reset_peak_rss()
                # A prefix per scenario and connection count keeps created names unique.
                scenario_env = {**env, "ROSTER_RUN": f"{env['ROSTER_RUN']}-{script}-c{c}"}
                result = wrk(server.base, script, c, seconds, scenario_env)
                result.update(engine=engine, scenario=label, connections=c,
                              peak_rss_mib=round(server.peak_rss_mib(), 1))
                results.append(result)
                log(f"{engine} {label} c={c}: {result['rps']:.0f} req/s "
                    f"p99 {result['p99_ms']} ms non-200 {result['non_200']}")
            if nginx:
                for name, label in (("group", "nginx: GET one group bytes"),
                                    ("page", "nginx: page of 100 bytes")):
                    result = wrk(nginx.base, "common", c, seconds, env, path=f"/{name}")
                    result.update(engine="nginx", scenario=label, connections=c,
                                  peak_rss_mib=None)
                    results.append(result)
    finally:
        if nginx:
            nginx.stop()


def run_engine(engine, db, args, workdir, results):
    seconds = 2 if args.quick else args.seconds
    connections = [32] if args.quick else [32, 128]
    data = Path(workdir) / f"data-{engine}"
    loaded = load(db, data, groups=1000, users=2000, per_user=5)
    env = {"ROSTER_AUTH": loaded["auth"], "ROSTER_WORKSPACE": "bench",
           "ROSTER_TOKENS": str(data / "groups.txt"), "ROSTER_USERS": str(data / "users.txt"),
           "ROSTER_BENCH_LUA": str(LUA), "ROSTER_RUN": f"r{int(time.time())}"}
    server = Server(db, workdir)
    try:
        group = (data / "groups.txt").read_text().split()[0]
        measure_http(engine, server, nginx_wanted=engine == "sqlite", group=group,
                     loaded=loaded, env=env, seconds=seconds, connections=connections,
                     workdir=workdir, results=results)
    finally:
        server.stop()
    if engine == "sqlite":
        reference = durable_insert_reference(workdir, seconds)
        results.append({"engine": "sqlite C program", "scenario": "durable insert, 1 row/txn",
                        "connections": 1, "rps": reference["inserts_per_second"],
                        "p50_ms": None, "p99_ms": None, "non_200": 0, "peak_rss_mib": None})
        if not args.quick:
            per_request = callgrind_instructions_per_request(
                db, workdir, f"/api/bench/groups/{group}", loaded["auth"])
            results.append({"engine": engine, "scenario": "instructions per GET one group "
                            "(callgrind)", "value": per_request})


def run_scale(db, args, workdir, results):
    """Loads and measures the scale set: 1,000,000 groups, 5,000,000 memberships and a group of
    100,000 members (smaller with --quick)."""
    groups = 20000 if args.quick else 1_000_000
    users = 10000 if args.quick else 1_000_000
    big = 5000 if args.quick else 100_000
    data = Path(workdir) / "data-scale"
    loaded = load(db, data, groups=groups, users=users, per_user=5, big_group=big)
    results.append({"engine": "scale", "scenario": f"load {groups} groups, {users * 5} "
                    "memberships", "value": round(loaded["seconds"], 1)})
    server = Server(db, workdir)
    try:
        results.append({"engine": "scale", "scenario": "start-up seconds",
                        "value": round(server.startup_seconds, 3)})
        env = {"ROSTER_AUTH": loaded["auth"], "ROSTER_WORKSPACE": "bench",
               "ROSTER_TOKENS": str(data / "groups.txt"), "ROSTER_USERS": str(data / "users.txt"),
               "ROSTER_BENCH_LUA": str(LUA), "ROSTER_RUN": f"s{int(time.time())}"}
        seconds = 2 if args.quick else args.seconds
        last_page = (groups + 99) // 100
        big_group = (data / "groups.txt").read_text().split()[0]
        (data / "big.txt").write_text(big_group + "\n")
        cases = [("get_group", "scale: GET one group", {}),
                 ("list_page", "scale: GET page 1 of 100", {"ROSTER_PAGE": "1"}),
                 ("list_page", f"scale: GET middle page ({last_page // 2})",
                  {"ROSTER_PAGE": str(last_page // 2)}),
                 ("list_page", f"scale: GET last page ({last_page})", {"ROSTER_PAGE": str(last_page)}),
                 ("member_add", f"scale: member add into a group of {big}",
                  {"ROSTER_TOKENS": str(data / "big.txt")}),
                 ("member_add", "scale: member add into small groups", {})]
        for script, label, extra in cases:
            server.reset_peak_rss()
            result = wrk(server.base, script, 32, seconds, {**env, **extra})
            result.update(engine="scale", scenario=label, connections=32,
                          peak_rss_mib=round(server.peak_rss_mib(), 1))
            results.append(result)
            log(f"{label}: {result['rps']:.0f} req/s p99 {result['p99_ms']} ms")
        server.reset_peak_rss()
        started = time.monotonic()
        request = urllib.request.Request(server.base + "/api/bench/groups",
                                         headers={"Authorization": loaded["auth"]})
        size = 0
        with urllib.request.urlopen(request, timeout=600) as response:
            while chunk := response.read(1 << 20):
                size += len(chunk)
        results.append({"engine": "scale", "scenario": "full list without paging parameters",
                        "value": f"{size / 1e6:.1f} MB in {time.monotonic() - started:.1f} s",
                        "peak_rss_mib": round(server.peak_rss_mib(), 1)})
    finally:
        server.stop()


def markdown(results):
    lines = ["| engine | scenario | conns | req/s | p50 ms | p99 ms | non-200 | peak RSS MiB |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "value" in r:
            lines.append(f"| {r['engine']} | {r['scenario']} | | {r['value']} | | | | "
                         f"{r.get('peak_rss_mib') or ''} |")
            continue
        def fmt(v):
            return "" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))
        lines.append(f"| {r['engine']} | {r['scenario']} | {r['connections']} | "
                     f"{r['rps']:.0f} | {fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} | "
                     f"{r['non_200']} | {fmt(r.get('peak_rss_mib'))} |")
    return "\n".join(lines)


def ratios(results):
    def rps(engine, scenario, c):
        for r in results:
            if r["engine"] == engine and r["scenario"] == scenario and r.get("connections") == c:
                return r["rps"]
        return None
    lines = []
    for c in (32, 128):
        get, nginx_get = rps("sqlite", "GET one group", c), rps("nginx", "nginx: GET one group bytes", c)
        page, nginx_page = rps("sqlite", "GET a page of 100", c), rps("nginx", "nginx: page of 100 bytes", c)
        create = rps("sqlite", "POST create", c)
        reference = rps("sqlite C program", "durable insert, 1 row/txn", 1)
        if get and nginx_get:
            lines.append(f"- c={c}: GET one group / nginx = {get / nginx_get:.2f}")
        if page and nginx_page:
            lines.append(f"- c={c}: GET page of 100 / nginx = {page / nginx_page:.2f}")
        if create and reference:
            lines.append(f"- c={c}: POST create / durable C inserts = {create / reference:.2f}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 s per scenario, 32 connections")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--scale", action="store_true", help="also run the scale set")
    parser.add_argument("--pg-admin-url", default=os.environ.get("ROSTER_TEST_PG_ADMIN_URL", ""))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="roster-bench-") as workdir:
        os.chmod(workdir, 0o755)  # nginx workers run as an unprivileged user
        engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
        for engine in engines:
            if engine == "sqlite":
                db = str(Path(workdir) / "bench.db")
            else:
                if not args.pg_admin_url:
                    sys.exit("--engine postgresql needs ROSTER_TEST_PG_ADMIN_URL or --pg-admin-url")
                name = f"roster_bench_{os.getpid()}"
                run(["psql", args.pg_admin_url, "-q", "-c", f"CREATE DATABASE {name}"])
                db = args.pg_admin_url.rsplit("/", 1)[0] + "/" + name
            run_engine(engine, db, args, workdir, results)
        if args.scale:
            run_scale(str(Path(workdir) / "scale.db"), args, workdir, results)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    header = (f"Run {stamp} on {platform.node()}: {os.cpu_count()} cores, "
              f"{platform.machine()}, command: bench/run.sh {' '.join(sys.argv[1:])}")
    table = f"{header}\n\n{markdown(results)}\n\nRatios:\n{ratios(results)}\n"
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{stamp}.md").write_text(table)
    (out_dir / f"{stamp}.json").write_text(json.dumps(results, indent=1))
    print(table)
    failed = [r for r in results if r.get("non_200") or r.get("socket_errors")]
    if failed:
        log(f"{len(failed)} scenarios had errors")
        sys.exit(1)


if __name__ == "__main__":
    main()
