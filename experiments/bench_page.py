"""Page weight and time to first render of each view of the marketers' page, in headless Chromium.

Needs a trained and materialised Cible home (``make run`` builds the default one, 20,000 customers, with
``cible retarget lists`` run once for the call list); any other with ``--home DIR``. The service runs on that
home with a temporary crm key (in a temporary key file: the home's keys are left alone). Each view is loaded
``--repeat`` times in a fresh browser context (nothing cached), after one warm-up load; reported per view:
the median time to first contentful paint (FCP, from the start of navigation, so it includes the server's
work), the median server time (request start to response end), and the page weight (HTML + CSS + JS +
anything else the view loads, uncompressed). Baseline in the same run: the sign-in page (a form, the same
stylesheet and script), as ratios.

Targets (issue 15): each view's first render under 1 s and its weight under 1 MB at 20k customers.

    .venv/bin/python experiments/bench_page.py --home .cible
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.bench_serving import free_port, start, stop, wait_ready  # noqa: E402
from features import clock  # noqa: E402
from features.online_store.factory import open_store  # noqa: E402
from features.settings import Settings  # noqa: E402
from serving.auth import create_key  # noqa: E402

RESULTS = ROOT / "experiments" / "RESULTS_page.md"
FCP_TARGET_MS, WEIGHT_TARGET = 1000.0, 1_000_000
MEASURE = """async () => {
  const fcp = await new Promise((resolve) => {
    const seen = performance.getEntriesByName("first-contentful-paint")[0];
    if (seen) return resolve(seen.startTime);
    new PerformanceObserver((list) => {
      const entry = list.getEntriesByName("first-contentful-paint")[0];
      if (entry) resolve(entry.startTime);
    }).observe({ type: "paint", buffered: true });
    setTimeout(() => resolve(null), 5000);
  });
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  return {
    fcp: fcp,
    server: nav.responseEnd - nav.requestStart,
    bytes: nav.decodedBodySize + resources.reduce((sum, r) => sum + r.decodedBodySize, 0),
  };
}"""


@dataclass
class Row:
    view: str
    fcp_ms: float
    server_ms: float
    weight: int


def views(customer: str) -> dict[str, tuple[str, dict | None]]:
    """View name -> (path, form to post first or None)."""
    return {
        "segments": ("/page/segments", None),
        "audiences": ("/page/audiences", None),
        "downloads (champions, e-mail)": ("/page/downloads?segment=champions&channel=email&control=10", None),
        "KPIs": ("/page/kpis", None),
        "customer card": ("/page/customer", {"customer_id": customer}),
        "call list": ("/page/calls", None),
    }


def sign_in(browser, url: str, key: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/page/signin")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/page/segments")
    return context, page


def load(browser, url: str, key: str, path: str, form: dict | None) -> dict:
    context, page = sign_in(browser, url, key)  # a fresh context: nothing cached
    try:
        if form is None:
            page.goto(f"{url}{path}")
        else:  # the customer card is a POST (the id never goes in a URL): measure the answer to the form
            page.goto(f"{url}{path}")
            for name, value in form.items():
                page.fill(f"[name={name}]", value)
            with page.expect_navigation():
                page.click("form.inline button[type=submit]")
        page.wait_for_load_state("load")
        return page.evaluate(MEASURE)
    finally:
        context.close()


def baseline(browser, url: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/page/signin")
    page.wait_for_load_state("load")
    result = page.evaluate(MEASURE)
    context.close()
    return result


def measure(browser, url: str, key: str, name: str, path: str, form: dict | None, repeat: int) -> Row:
    load(browser, url, key, path, form)  # warm-up: the first read of each report file
    runs = [load(browser, url, key, path, form) for _ in range(repeat)]
    return Row(
        name,
        statistics.median(r["fcp"] for r in runs if r["fcp"] is not None),
        statistics.median(r["server"] for r in runs),
        int(statistics.median(r["bytes"] for r in runs)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=ROOT / ".cible")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    home = args.home.resolve()
    settings = Settings(home=home, tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    store = open_store(settings)
    customers = store.count()
    customer = next(iter(store.get_many([f"C{n:06d}" for n in range(1, 50)])))
    store.close()
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "keys.yaml"
        key = create_key(keys, "bench-page", ["crm"])
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
            "CIBLE_HOME": str(home),
            "CIBLE_API_KEYS": str(keys),
            "CIBLE_RELOAD_SECONDS": "0",
            "BENTOML_HOME": str(Path(tmp) / "bentoml"),
            "BENTOML_DO_NOT_TRACK": "True",
        }
        log = Path(tmp) / "server.log"
        proc = start("serving.service:Cible", port, env, log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{url}/readyz", proc, log)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium)
                base = [baseline(browser, url) for _ in range(args.repeat + 1)][1:]
                base_fcp = statistics.median(b["fcp"] for b in base)
                rows = [
                    measure(browser, url, key, name, path, form, args.repeat)
                    for name, (path, form) in views(customer).items()
                ]
                browser.close()
        finally:
            stop(proc)
    lines = [
        f"{customers:,} customers in the online store; median of {args.repeat} loads per view, "
        "each in a fresh browser context",
        "",
        "| view | first render (FCP) | x sign-in page | server time | page weight | targets (<1 s, <1 MB) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        ok = row.fcp_ms < FCP_TARGET_MS and row.weight < WEIGHT_TARGET
        lines.append(
            f"| {row.view} | {row.fcp_ms:.0f} ms | {row.fcp_ms / base_fcp:.1f}x | {row.server_ms:.0f} ms | "
            f"{row.weight / 1000:.0f} kB | {'met' if ok else 'MISSED'} |"
        )
    lines.append(
        f"| sign-in page (baseline) | {base_fcp:.0f} ms | 1.0x | | {base[0]['bytes'] / 1000:.0f} kB | |"
    )
    report = "\n".join(lines)
    print(report)
    if args.write:
        stamp = clock.now().strftime("%Y-%m-%d %H:%M")
        RESULTS.write_text(
            "# The marketers' page: weight and time to first render\n\n"
            f"`python experiments/bench_page.py --home HOME --write`, {stamp} (local time), "
            "on a shared 2-core machine.\n\n"
            f"{report}\n"
        )


if __name__ == "__main__":
    main()
