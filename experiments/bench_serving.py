"""How fast the service answers: p50/p99 at a fixed 200 requests/s and saturated requests/s, per endpoint.

Needs a trained Cible home (champions in MLflow and a materialised online store): ``make run`` or
``make materialize`` builds the default one (``.cible``); any other with ``--home DIR``.

One run starts, with one worker each:
  * the Cible service (``bentoml serve serving.service:Cible``) on a *copy* of the home's SQLite online store
    (the benchmark posts events: the home's store is left untouched) with a temporary ``site`` API key;
  * a trivial ``async def`` BentoML endpoint (``experiments/trivial_service.py``), the framework's ceiling;
and drives both from separate load generators (a Python client is too slow on 2 cores to load a server):
  * ``hey -z 10s -q 200 -c 1``: one body at exactly 200 requests/s, for p50/p99 latency;
  * ``wrk -t1 -c16 -d5s`` with a Lua script that varies the body per request (random customer ids, visitor
    contexts, unique event ids), for saturated throughput.
``hey`` repeats one body, so in the latency run the /events batch is stored once and then ignored as
duplicates (validation and the store's transaction still run); the saturation run stores unique events.
Each endpoint's throughput is measured in three back-to-back pairs with the trivial endpoint's, which one
goes first alternating, and the median ratio is reported: the other load on a shared machine moves the
ceiling by a third within a minute.

Targets (issue 7): p99 <= 15 ms at 200 requests/s, saturated throughput >= 0.5x the trivial endpoint's.

    .venv/bin/python experiments/bench_serving.py --home .cible      # or: make bench-serving
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features import clock, vocab  # noqa: E402
from serving.auth import create_key  # noqa: E402

RESULTS = ROOT / "experiments" / "RESULTS_serving.md"
P99_TARGET_MS = 15.0
RATIO_TARGET = 0.5
NOTES = "## Notes"


@dataclass
class Row:
    endpoint: str
    p50_ms: float
    p99_ms: float
    saturated_rps: float
    errors: int
    ratio: float | None = (
        None  # median over the rounds of saturated_rps / ceiling_rps, each pair back to back
    )
    ceiling_rps: float | None = None  # the trivial endpoint, median of the rounds interleaved with this row's
    ratio_range: tuple[float, float] | None = None  # lowest and highest round


@dataclass
class Case:
    """One endpoint and body family: a fixed body for hey, a Lua script that varies it for wrk."""

    name: str
    path: str
    body: dict
    lua_request: str  # Lua code of ``request()``, returning wrk.format(...)


# -- the home ----------------------------------------------------------------------------------------------
def check_home(home: Path) -> Path:
    store = home / "online_store.db"
    missing = [p for p in (home / "mlflow.db", store) if not p.exists()]
    if missing:
        sys.exit(
            f"{home} is not a trained Cible home (missing {', '.join(str(p) for p in missing)}).\n"
            "Make one with `make run` (or `make materialize`), or point --home at another one, e.g.\n"
            "  CIBLE_HOME=/tmp/h cible data synth --out /tmp/h/data/synthetic --customers 5000 --months 12\n"
            "  CIBLE_HOME=/tmp/h cible train all --data /tmp/h/data/synthetic\n"
            "  CIBLE_HOME=/tmp/h cible materialize --data /tmp/h/data/synthetic"
        )
    return store


def copy_store(store: Path, into: Path) -> Path:
    """A consistent copy (SQLite backup API: safe while another process uses the store)."""
    target = into / "online_store.db"
    with sqlite3.connect(store) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def samples(store: Path, n: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """Profiled customer ids, anonymous visitor ids and catalogue skus to put in the bodies."""
    rng = random.Random(seed)
    with sqlite3.connect(store) as db:
        customers, skus = [], set()
        for cid, text in db.execute("SELECT customer_id, record FROM customers"):
            history = json.loads(text).get("history")
            if history:
                customers.append(cid)
                skus.update(history.get("items") or [])
        visitors = [
            v
            for (v,) in db.execute(
                "SELECT DISTINCT visitor_id FROM events WHERE customer_id IS NULL LIMIT ?", (n * 4,)
            )
        ]
    if not customers or not skus:
        sys.exit(f"{store}: no profiled customer with a history: materialise the home again")
    visitors = visitors or [f"bench-visitor-{i}" for i in range(n)]
    pick = lambda xs: rng.sample(sorted(xs), min(n, len(xs)))  # noqa: E731
    return pick(customers), pick(visitors), pick(skus)


# -- the bodies --------------------------------------------------------------------------------------------
def lua_list(values: list[str]) -> str:
    return "{" + ",".join(json.dumps(v) for v in values) + "}"


def lua_script(case: Case, headers: dict[str, str]) -> str:
    headers = {"Content-Type": "application/json", **headers}
    head = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    return f"""wrk.method = "POST"
wrk.path = {json.dumps(case.path)}
{head}
math.randomseed(42)
counter = 0
function pick(t) return t[math.random(#t)] end
{case.lua_request}
"""


def cases(customers: list[str], visitors: list[str], skus: list[str], run_id: str) -> list[Case]:
    now = clock.now_datetime().replace(microsecond=0).isoformat()  # the service's clock and zone
    tables = f"customers = {lua_list(customers)}\nvisitors = {lua_list(visitors)}\nskus = {lua_list(skus)}\n"
    kinds = lua_list(["product_view", "product_view", "add_to_cart", "page_view", "search"])
    devices = lua_list(list(vocab.DEVICES))
    event = {
        "event_id": "x",
        "occurred_at": now,
        "visitor_id": visitors[0],
        "session_id": "s1",
        "type": "product_view",
        "sku": skus[0],
        "device": "mobile",
    }
    batch = [dict(event, event_id=f"{run_id}-fixed-{i}", sku=skus[i % len(skus)]) for i in range(10)]
    return [
        Case(
            "/recommend (customer)",
            "/recommend",
            {"customer_id": customers[0], "k": 10},
            tables
            + """function request()
  return wrk.format(nil, nil, nil, '{"customer_id":"' .. pick(customers) .. '","k":10}')
end""",
        ),
        Case(
            "/recommend (visitor + context)",
            "/recommend",
            {"visitor_id": visitors[0], "context": {"viewing": skus[0], "cart": skus[1:3]}, "k": 10},
            tables
            + """function request()
  local body = '{"visitor_id":"' .. pick(visitors) .. '","context":{"viewing":"' .. pick(skus)
    .. '","cart":["' .. pick(skus) .. '","' .. pick(skus) .. '"]},"k":10}'
  return wrk.format(nil, nil, nil, body)
end""",
        ),
        Case(
            "/retargeting/score",
            "/retargeting/score",
            {"customer_id": customers[0], "k": 5},
            tables
            + """function request()
  return wrk.format(nil, nil, nil, '{"customer_id":"' .. pick(customers) .. '","k":5}')
end""",
        ),
        Case(
            "/events (10 events)",
            "/events",
            {"events": batch},
            tables
            + f"""kinds = {kinds}
devices = {devices}
function request()
  counter = counter + 1
  local visitor = pick(visitors)
  local parts = {{}}
  for i = 1, 10 do
    parts[i] = '{{"event_id":"{run_id}-' .. counter .. '-' .. i .. '","occurred_at":"{now}","visitor_id":"'
      .. visitor .. '","session_id":"s' .. counter .. '","type":"' .. pick(kinds) .. '","sku":"'
      .. pick(skus) .. '","device":"' .. pick(devices) .. '"}}'
  end
  return wrk.format(nil, nil, nil, '{{"events":[' .. table.concat(parts, ",") .. ']}}')
end""",
        ),
    ]


TRIVIAL = Case(
    "trivial async endpoint (ceiling)",
    "/ping",
    {"x": 1},
    """function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"x":' .. counter .. '}')
end""",
)


# -- servers -----------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(target: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    bentoml = str(Path(sys.executable).parent / "bentoml")
    args = [bentoml, "serve", target, "--port", str(port), "--host", "127.0.0.1"]
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180.0) -> None:
    deadline, last = time.time() + timeout, ""
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited ({proc.returncode}); its log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except urllib.error.HTTPError as exc:  # up but not ready: /readyz says which model is missing
            last = exc.read().decode(errors="replace")[:1000]
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"{url} not ready after {timeout:.0f}s: {last}\nlog:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# -- load generators ---------------------------------------------------------------------------------------
def hey(url: str, body: Path, headers: dict[str, str], seconds: int, rate: int) -> tuple[float, float, int]:
    """(p50 ms, p99 ms, non-2xx) from hey's CSV output: one row per request."""
    args = ["hey", "-z", f"{seconds}s", "-q", str(rate), "-c", "1", "-m", "POST", "-D", str(body)]
    args += ["-T", "application/json", "-o", "csv"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    lat, bad = [], 0
    for line in out.splitlines()[1:]:
        fields = line.split(",")
        if len(fields) < 8:
            continue
        lat.append(float(fields[0]) * 1000.0)
        bad += not fields[6].startswith("2")
    lat.sort()
    if not lat:
        raise RuntimeError(f"hey measured nothing: {out[:500]}")
    return lat[len(lat) // 2], lat[min(len(lat) - 1, int(0.99 * len(lat)))], bad


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, script: Path, seconds: int, connections: int) -> tuple[float, dict[str, float], int]:
    """(requests/s, latency percentiles in ms, non-2xx or socket errors)."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = {
        p: float(v) * _UNIT[u]
        for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\b", out, re.M)
    }
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return rps, pct, errors


def measure(case: Case, base: str, headers: dict[str, str], work: Path, seconds: int, rate: int) -> Row:
    body = work / "body.json"
    body.write_text(json.dumps(case.body))
    url = base + case.path
    # warm-up: first calls of an endpoint build pydantic validators, fill caches
    subprocess.run(
        ["hey", "-n", "200", "-c", "4", "-m", "POST", "-D", str(body), "-T", "application/json"]
        + [x for k, v in headers.items() for x in ("-H", f"{k}: {v}")]
        + [url],
        capture_output=True,
        check=True,
    )
    p50, p99, bad = hey(url, body, headers, seconds, rate)
    return Row(case.name, round(p50, 2), round(p99, 2), 0.0, bad)


def saturate(
    row: Row, url: str, script: Path, ceiling: tuple[str, Path], seconds: int, conns: int, rounds: int
) -> None:
    """Saturated requests/s of the endpoint and of the trivial one in back-to-back pairs, which goes first
    alternating: this machine's other load moves the ceiling by a third within a minute, so a ratio is
    only fair between neighbours, and the median of several pairs says more than one."""
    ratios, mine, theirs = [], [], []
    for r in range(rounds):
        first_mine = r % 2 == 1
        if first_mine:
            rps, _, bad = wrk(url, script, seconds, conns)
        top = wrk(ceiling[0], ceiling[1], seconds, conns)[0]
        if not first_mine:
            rps, _, bad = wrk(url, script, seconds, conns)
        row.errors += bad
        ratios.append(rps / top)
        mine.append(rps)
        theirs.append(top)
    row.saturated_rps = round(statistics.median(mine), 1)
    row.ceiling_rps = round(statistics.median(theirs), 1)
    row.ratio = round(statistics.median(ratios), 2)
    row.ratio_range = (round(min(ratios), 2), round(max(ratios), 2))


# -- report ------------------------------------------------------------------------------------------------
def table(rows: list[Row]) -> str:
    lines = [
        "| endpoint | p50 ms @200/s | p99 ms @200/s | saturated req/s "
        "| trivial req/s (interleaved) | x trivial (median) | rounds | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        spread = f"{r.ratio_range[0]:.2f}–{r.ratio_range[1]:.2f}" if r.ratio_range else ""
        lines.append(
            f"| {r.endpoint} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.saturated_rps:.0f} "
            f"| {r.ceiling_rps or 0:.0f} | {ratio} | {spread} "
            f"| {r.errors} |"
        )
    return "\n".join(lines)


def write_results(rows: list[Row], meta: dict, path: Path) -> None:
    verdict = [
        f"- {r.endpoint}: p99 {r.p99_ms:.1f} ms {'<=' if r.p99_ms <= P99_TARGET_MS else '>'} "
        f"{P99_TARGET_MS:.0f}, throughput {r.ratio:.2f}x {'>=' if r.ratio >= RATIO_TARGET else '<'} "
        f"{RATIO_TARGET}x trivial"
        for r in rows
        if r.ratio is not None and not r.endpoint.startswith("trivial")
    ]
    text = (
        "# Service speed (experiments/bench_serving.py)\n\n"
        f"`{meta['command']}` on {meta['date']}: {meta['machine']}; one BentoML worker per service; "
        f"home {meta['home']} ({meta['customers']} profiled customers sampled).\n"
        f"Latency: `hey -z {meta['seconds']}s -q {meta['rate']} -c 1` (one body, repeated). Saturation: "
        f"`wrk -t1 -c{meta['connections']} -d{meta['wrk_seconds']}s`, a different body per request, in "
        f"{meta['rounds']} back-to-back pairs with the trivial endpoint (median ratio; the rounds' lowest "
        "and highest beside it). BentoML access log "
        f"{'on' if meta['access_log'] else 'off'}.\n\n"
        + table(rows)
        + "\n\nTargets: p99 <= 15 ms at 200 requests/s, saturated throughput >= 0.5x the trivial "
        "endpoint.\n\n"
        + "\n".join(verdict)
        + "\n\n```json\n"
        + json.dumps({"meta": meta, "rows": [asdict(r) for r in rows]}, indent=2)
        + "\n```\n"
    )
    # hand-written analysis below the measured part survives a rerun
    old = path.read_text() if path.exists() else ""
    notes = old[old.index(NOTES) :] if NOTES in old else ""
    path.write_text(text + ("\n" + notes if notes else ""))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--home", type=Path, default=Path(".cible"), help="trained Cible home (default .cible)"
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200, help="fixed request rate for the latency runs")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for saturation")
    parser.add_argument("--rounds", type=int, default=3, help="saturation pairs (endpoint, trivial) each")
    parser.add_argument("--wrk-seconds", type=int, default=5, help="length of each saturation run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--no-access-log", action="store_true", help="turn BentoML's access log off in both services"
    )
    parser.add_argument("--only", default="", help="run only the endpoints whose name contains this")
    args = parser.parse_args()
    for tool in ("hey", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install -y hey wrk")
    home = args.home.resolve()
    store = check_home(home)
    run_id = f"bench{int(time.time())}"
    with tempfile.TemporaryDirectory(prefix="cible-bench-") as tmp:
        work = Path(tmp)
        copy = copy_store(store, work)
        customers, visitors, skus = samples(copy, 500, seed=7)
        keys = work / "api_keys.yaml"
        key = create_key(keys, "bench", ["site"])
        headers = {"X-API-Key": key}
        env = dict(
            os.environ,
            CIBLE_HOME=str(home),
            CIBLE_ONLINE_STORE=f"sqlite:///{copy}",
            CIBLE_API_KEYS=str(keys),
            CIBLE_RELOAD_SECONDS="86400",
            BENTOML_DO_NOT_TRACK="true",
        )
        if args.no_access_log:  # BentoML's own configuration, the same for both services
            env["BENTOML_CONFIG_OVERRIDES"] = json.dumps(
                {"services": {"logging": {"access": {"enabled": False}}}}
            )
        cible_port, trivial_port = free_port(), free_port()
        servers = [
            (start("serving.service:Cible", cible_port, env, work / "cible.log"), work / "cible.log"),
            (
                start("experiments.trivial_service:Trivial", trivial_port, env, work / "trivial.log"),
                work / "trivial.log",
            ),
        ]
        try:
            wait_ready(f"http://127.0.0.1:{trivial_port}/readyz", servers[1][0], servers[1][1])
            wait_ready(f"http://127.0.0.1:{cible_port}/readyz", servers[0][0], servers[0][1])
            rows = []
            todo = [(TRIVIAL, f"http://127.0.0.1:{trivial_port}", {})]
            todo += [
                (c, f"http://127.0.0.1:{cible_port}", headers)
                for c in cases(customers, visitors, skus, run_id)
            ]
            ceiling_script = work / "ceiling.lua"
            ceiling_script.write_text(lua_script(TRIVIAL, {}))
            ceiling = (f"http://127.0.0.1:{trivial_port}{TRIVIAL.path}", ceiling_script)
            for case, base, head in todo:
                if args.only and args.only not in case.name and case is not TRIVIAL:
                    continue
                row = measure(case, base, head, work, args.seconds, args.rate)
                script = work / "varied.lua"
                script.write_text(lua_script(case, head))
                saturate(
                    row, base + case.path, script, ceiling, args.wrk_seconds, args.connections, args.rounds
                )
                rows.append(row)
                low, high = row.ratio_range or (0.0, 0.0)
                print(
                    f"{row.endpoint}: p50 {row.p50_ms} ms, p99 {row.p99_ms} ms, "
                    f"{row.saturated_rps} req/s ({row.ratio}x the ceiling's "
                    f"{row.ceiling_rps}; rounds {low}-{high}x), errors {row.errors}",
                    flush=True,
                )
        finally:
            for proc, _ in servers:
                stop(proc)
    meta = {
        "command": "python experiments/bench_serving.py " + " ".join(sys.argv[1:]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "home": str(home),
        "customers": len(customers),
        "seconds": args.seconds,
        "wrk_seconds": args.wrk_seconds,
        "rounds": args.rounds,
        "rate": args.rate,
        "connections": args.connections,
        "access_log": not args.no_access_log,
    }
    print()
    print(table(rows))
    if any(r.errors for r in rows):
        print("\nWARNING: some requests failed (non-2xx or socket errors): the numbers are not comparable")
    write_results(rows, meta, args.out)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
