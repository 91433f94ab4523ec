"""The marketers' page end to end: the real ``bentoml serve`` in a subprocess, driven by a headless Chromium
(Debian's, through Playwright). Each test signs in as a marketer would; screenshots of the main views land in
docs/screenshots/ for the README."""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from features.consent_gate import PROFILING
from features.online_store.factory import open_store
from features.reports import AUDIENCE_FRAME, reports_dir
from features.retarget.decide import CONVERSION
from features.retarget.plan import Capacity, call_list_path, plan_calls, read_call_list
from tests.serving.conftest import Served
from tests.serving.page_home import EARLIER_DAYS, SAVED_AUDIENCE, prepare_page_home
from tests.serving.test_real_server import (
    REPO,
    Server,
    _profiled_customer,
    private_home,
    start_server,
)

SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SEGMENT = "champions"
VIEWS = {
    "segments": "Segments",
    "audiences": "Audience builder",
    "downloads": "Downloads",
    "kpis": "KPIs by channel",
    "customer": "Customer card",
    "calls": "Advisers' call list",
}


@pytest.fixture(scope="module")
def page_server(
    served_home: Served, small_synthetic, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("page")
    settings = private_home(served_home, folder)
    prepare_page_home(settings, small_synthetic, served_home.as_of)
    server = start_server(settings, folder)
    try:
        server.live.wait_ready()
        yield server
    finally:
        server.live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    fresh = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield fresh
    fresh.close()


def sign_in(context: BrowserContext, server: Server, key: str) -> Page:
    page = context.new_page()
    page.goto(f"{server.url}/")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def api(server: Server, served: Served, scope: str = "crm") -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=served.headers(scope), timeout=20)


def audit_entries(server: Server, action: str) -> list[dict]:
    lines = server.settings.audit_log.read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["action"] == action]


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.mark.slow
def test_sign_in_every_view_and_sign_out(
    page_server: Server, served_home: Served, context: BrowserContext
) -> None:
    page = context.new_page()
    page.goto(f"{page_server.url}/")
    expect(page).to_have_url(f"{page_server.url}/page/signin")  # no session: the sign-in form
    shoot(page, "signin")
    page.fill("#api_key", served_home.keys["crm"])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{page_server.url}/page/segments")
    session = next(c for c in context.cookies() if c["name"] == "cible_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert time.time() < session["expires"] < time.time() + 9 * 3600  # expires within a working day
    assert served_home.keys["crm"] not in session["value"]

    visited = []
    page.on("request", lambda request: visited.append(request.url))
    for view, heading in VIEWS.items():
        answer = page.goto(f"{page_server.url}/page/{view}")
        assert answer is not None and answer.status == 200, view
        expect(page.locator("h1")).to_have_text(heading)
        assert answer.headers["cache-control"] == "no-store"
        assert "default-src 'self'" in answer.headers["content-security-policy"]
    # every segment the API lists is on the page, with its size, and the saved audience
    with api(page_server, served_home) as http:
        summaries = http.get("/segments").json()
    page.goto(f"{page_server.url}/page/segments")
    rows = page.locator("#segments tbody tr")
    shown = {
        rows.nth(i).locator("td").nth(1).inner_text(): rows.nth(i).locator("td").nth(2).inner_text()
        for i in range(rows.count())
    }
    for summary in summaries:
        assert shown[summary["name"]] == f"{summary['members']:,}"
    assert SAVED_AUDIENCE["name"] in shown
    assert page.locator("svg.chart").count() >= 2  # the RFM heat map and the cluster profiles, inline
    shoot(page, "segments")
    page.evaluate("document.getElementById('charts').scrollIntoView()")
    shoot(page, "segments_charts")
    # nothing personal nor any key in a URL the browser asked for
    for url in visited:
        assert served_home.keys["crm"] not in url and "C0" not in url

    page.click("text=Sign out")
    expect(page).to_have_url(f"{page_server.url}/page/signin")
    assert not [c for c in context.cookies() if c["name"] == "cible_session"]
    page.goto(f"{page_server.url}/page/segments")
    expect(page).to_have_url(f"{page_server.url}/page/signin")


@pytest.mark.slow
def test_who_entered_and_left_matches_the_api(
    page_server: Server, served_home: Served, context: BrowserContext
) -> None:
    page = sign_in(context, page_server, served_home.keys["crm"])
    since = str((served_home.as_of - pd.Timedelta(days=EARLIER_DAYS)).date())
    page.select_option("select[name=segment]", SEGMENT)
    page.fill("input[name=since]", since)
    page.click("form.inline button[type=submit]")
    with api(page_server, served_home) as http:
        changes = http.get(f"/segments/{SEGMENT}/changes", params={"since": since}).json()
    assert changes["entered"] or changes["exited"]  # two months apart, someone moved
    expect(page.locator("#changes-summary")).to_contain_text(
        f"{len(changes['entered'])} entered, {len(changes['exited'])} left"
    )
    first = (changes["entered"] or changes["exited"])[0]
    assert (
        f"{first['customer_id']}\t{first['reason']}"
        in page.locator("table.moves").all_inner_texts()[0 if changes["entered"] else 1]
    )
    assert audit_entries(page_server, "read_segment_changes")[-1]["actor"] == "api:crm"


@pytest.mark.slow
def test_audience_builder_counts_before_saving(
    page_server: Server, served_home: Served, context: BrowserContext
) -> None:
    page = sign_in(context, page_server, served_home.keys["crm"])
    page.goto(f"{page_server.url}/page/audiences")
    page.fill("#rule", "n_orderz >= 4")
    expect(page.locator("#rule-error")).to_contain_text("unknown field 'n_orderz'")
    expect(page.locator("#rule")).to_have_attribute("aria-invalid", "true")

    # worked out apart from the page: the audience frame and the consent the online store holds now
    frame = pd.read_parquet(reports_dir(page_server.settings) / AUDIENCE_FRAME)
    store = open_store(page_server.settings)
    try:
        consent = {cid: r["consent"] for cid, r in store.get_many(frame["customer_id"].tolist()).items()}
    finally:
        store.close()
    email = np.array([consent[cid].get("email_marketing", False) for cid in frame["customer_id"]])
    profiled = np.array([consent[cid].get(PROFILING, False) for cid in frame["customer_id"]])
    picked = (frame["n_orders"].to_numpy() >= 4) & email
    page.fill("#rule", "n_orders >= 4 and consent.email_marketing")
    expect(page.locator("#preview-count")).to_have_text(f"{picked.sum():,}")
    expect(page.locator("#reach-email")).to_have_text(f"{(picked & profiled).sum():,}")
    expect(page.locator("#rule-error")).to_have_text("")
    shoot(page, "audiences")

    page.fill("#name", "Bad Name")
    page.click("#audience-form button[type=submit]")  # the browser refuses the pattern: nothing sent
    expect(page).to_have_url(f"{page_server.url}/page/audiences")
    page.fill("#name", "four_orders_email")
    page.fill("#description", "four orders or more, e-mail allowed")
    page.click("#audience-form button[type=submit]")
    expect(page.locator("#saved")).to_contain_text("four_orders_email")
    assert audit_entries(page_server, "save_audience")[-1]["actor"] == "api:crm"
    page.goto(f"{page_server.url}/page/segments")
    row = page.locator("#segments tbody tr", has_text="four_orders_email")
    expect(row.locator("td").nth(2)).to_have_text(f"{picked.sum():,}")


def _download(page: Page) -> list[dict]:
    with page.expect_download() as info:
        page.click("#dl-button")
    return list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))


@pytest.mark.slow
def test_download_matches_the_api_and_a_withdrawal_shows_at_once(
    page_server: Server, served_home: Served, context: BrowserContext
) -> None:
    page = sign_in(context, page_server, served_home.keys["crm"])
    page.goto(f"{page_server.url}/page/downloads")
    page.select_option("#dl-segment", SEGMENT)
    page.select_option("#dl-channel", "email")
    page.fill("#dl-control", "10")
    page.click("form.inline button[type=submit]")
    with api(page_server, served_home) as http:
        listed = http.get(f"/segments/{SEGMENT}/members", params={"channel": "email", "page_size": 1}).json()
        api_csv = http.get(f"/segments/{SEGMENT}/members.csv", params={"channel": "email"}).text
    api_ids = {row["customer_id"] for row in csv.DictReader(io.StringIO(api_csv))}
    expect(page.locator("#dl-exported")).to_have_text(f"{listed['total']:,}")
    removed = page.locator("#dl-removed li").all_inner_texts()
    counts = [int(t.split()[1].rstrip(":").replace(",", "")) for t in removed if t.startswith("removed")]
    assert sum(counts) == listed["removed_for_consent"]
    shoot(page, "downloads")

    rows = _download(page)
    assert {r["customer_id"] for r in rows} == api_ids  # the same people as the API's list
    assert {r["channel"] for r in rows} == {"email"} and {r["segment"] for r in rows} == {SEGMENT}
    control = sum(r["control_group"] == "True" for r in rows)
    expect(page.locator("#dl-control-count")).to_have_text(f"{control:,}")
    export = audit_entries(page_server, "export_segment")[-1]
    assert export["actor"] == "api:crm" and export["rows"] == len(rows) and export["via"] == "page"
    # the pick is recorded for campaign measurement, as `cible segments export` records it
    ledger = list(
        (page_server.settings.home / "campaigns" / "assignments").glob(f"{SEGMENT}-email-*.parquet")
    )
    assert len(ledger) == 1 and rows[0]["campaign_id"] == ledger[0].stem
    picked = pd.read_parquet(ledger[0])
    assert sorted(picked["customer_id"]) == sorted(r["customer_id"] for r in rows)

    # a withdrawal through POST /consents: gone from the page's count and list at the next click
    leaver = rows[0]["customer_id"]
    change = {"customer_id": leaver, "purpose": "email_marketing", "granted": False, "source": "web_form"}
    with api(page_server, served_home, "site") as http:
        assert http.post("/consents", json={"changes": [change]}).json()["applied"] == 1
    page.click("form.inline button[type=submit]")
    expect(page.locator("#dl-exported")).to_have_text(f"{len(rows) - 1:,}")
    after = _download(page)
    assert leaver not in {r["customer_id"] for r in after} and len(after) == len(rows) - 1


@pytest.mark.slow
def test_a_key_without_the_crm_scope_sees_nothing(
    page_server: Server, served_home: Served, context: BrowserContext
) -> None:
    page = sign_in(context, page_server, served_home.keys["site"])
    expect(page.locator(".error")).to_contain_text("lacks the crm scope")
    assert not [c for c in context.cookies() if c["name"] == "cible_session"]
    for view in VIEWS:
        page.goto(f"{page_server.url}/page/{view}")
        expect(page).to_have_url(f"{page_server.url}/page/signin")
        assert SEGMENT not in page.content()
    # forged requests: no session, then a session without the CSRF token
    form = {"segment": SEGMENT, "channel": "email", "control": "0"}
    assert context.request.post(f"{page_server.url}/page/downloads/file", form=form).status == 401
    signed = sign_in(context, page_server, served_home.keys["crm"])
    assert signed.context.request.post(f"{page_server.url}/page/downloads/file", form=form).status == 403
    preview = signed.context.request.post(
        f"{page_server.url}/page/audiences/preview", data={"rule": "age > 1"}
    )
    assert preview.status == 403


@pytest.mark.slow
def test_customer_card_as_the_api_answers(
    page_server: Server, served_home: Served, context: BrowserContext
) -> None:
    page = sign_in(context, page_server, served_home.keys["crm"])
    cid = _profiled_customer(page_server.settings, served_home)
    page.goto(f"{page_server.url}/page/customer")
    page.fill("#customer-id", cid)
    page.click("form.inline button[type=submit]")
    expect(page).to_have_url(f"{page_server.url}/page/customer")  # the id went in the body, not the URL
    with api(page_server, served_home) as http:
        profile = http.get(f"/customers/{cid}").json()
    card = page.locator("#card")
    expect(card.locator("h2")).to_have_text(cid)
    expect(card).to_contain_text(str(profile["segments"]["rfm_segment"]))
    consent_rows = card.locator("#consent tbody tr")
    assert consent_rows.count() == len(profile["consent"])
    granted = card.locator("#consent tbody tr", has_text=PROFILING)
    expect(granted.locator("td").nth(1)).to_have_text("yes")
    assert granted.locator("td").nth(4).inner_text() != "–"  # the proof of the consent
    assert audit_entries(page_server, "read_customer")[-1]["target"] == cid
    shoot(page, "customer")

    store = open_store(page_server.settings)
    try:
        records = store.get_many(sorted(served_home.dataset.customers["customer_id"]))
    finally:
        store.close()
    refused = next(cid for cid, r in sorted(records.items()) if not r["consent"].get(PROFILING))
    page.fill("#customer-id", refused)
    page.click("form.inline button[type=submit]")
    with api(page_server, served_home) as http:
        assert http.get(f"/customers/{refused}").json()["profiled"] is False
    expect(page.locator("#no-profiling")).to_be_visible()
    assert "rfm_segment" not in page.locator("#card").inner_text()


@pytest.mark.slow
def test_call_list_planner_and_download(
    page_server: Server, served_home: Served, context: BrowserContext
) -> None:
    page = sign_in(context, page_server, served_home.keys["crm"])
    calls = read_call_list(call_list_path(page_server.settings.home))
    capacity = Capacity(advisers=1, hours_per_day=0.05, days=1, minutes_per_call=2.0, pickup_rate=0.5)
    plan = plan_calls(calls[CONVERSION].to_numpy(), capacity, target=1.0)
    page.goto(f"{page_server.url}/page/kpis")
    expect(page.locator("svg.chart")).to_have_count(2)  # KPIs month by month, and the churn-risk bands
    expect(page.locator("#churn-risk svg")).to_contain_text("high")
    shoot(page, "kpis")
    page.goto(f"{page_server.url}/page/calls")
    for name, value in (("advisers", "1"), ("hours_per_day", "0.05"), ("days", "1"), ("pickup_rate", "0.5")):
        page.fill(f"#plan-form input[name={name}]", value)
    page.fill("#plan-form input[name=target]", "1")
    page.click("#plan-form button[type=submit]")
    expect(page.locator("#calls-made")).to_have_text(f"{plan.calls_made:,}")
    expect(page.locator("#expected")).to_have_text(f"{plan.expected_conversions:,.1f}")
    expect(page.locator("#list-size")).to_have_text(f"{len(calls):,}")
    shoot(page, "calls")
    with page.expect_download() as info:
        page.click("#calls-button")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    assert sorted(r["customer_id"] for r in rows) == sorted(calls["customer_id"])
    assert sum(r["planned"] == "True" for r in rows) == plan.calls_made
    assert audit_entries(page_server, "export_call_list")[-1]["actor"] == "api:crm"


def _campaign_results() -> pd.DataFrame:
    """Two campaigns in the shape campaign measurement writes (features/campaigns/results.py): one measured
    against its control group, one sent to everybody."""
    measured = {
        "campaign_id": "CAMP-A", "channel": "email", "offer_id": "WEB10", "window_start": "2026-09-01",
        "window_end": "2026-09-15", "has_control": True, "treated": 900, "control": 100,
        "treated_conversion_rate": 0.12, "control_conversion_rate": 0.08,
        "treated_revenue_per_customer": 9.5, "control_revenue_per_customer": 6.0,
        "treated_margin_per_customer": 3.8, "control_margin_per_customer": 2.4,
        "incremental_conversion_rate": 0.04, "incremental_conversion_rate_low": -0.017,
        "incremental_conversion_rate_high": 0.097, "incremental_margin_per_customer": 1.4,
        "incremental_margin_low": -0.6, "incremental_margin_high": 3.4, "offer_cost_per_customer": 0.5,
        "net_incremental_margin": 0.9, "balanced": True, "pre_period_spend_smd": 0.03, "note": "",
    }  # fmt: skip
    unmeasured = {
        **{k: np.nan for k in measured}, "campaign_id": "CAMP-B", "channel": "sms", "offer_id": None,
        "window_start": "2026-10-01", "window_end": "2026-10-15", "has_control": False, "treated": 500,
        "control": 0, "treated_conversion_rate": 0.05, "balanced": False, "note": "no control group",
    }  # fmt: skip
    frame = pd.DataFrame([measured, unmeasured])
    for column in ("window_start", "window_end"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


@pytest.mark.slow
def test_campaign_results_view(page_server: Server, served_home: Served, context: BrowserContext) -> None:
    page = sign_in(context, page_server, served_home.keys["crm"])
    path = reports_dir(page_server.settings) / "campaign_results.parquet"
    path.unlink(missing_ok=True)
    page.goto(f"{page_server.url}/page/campaigns")
    expect(page.locator("#no-results")).to_be_visible()
    _campaign_results().to_parquet(path, index=False)
    page.reload()
    rows = page.locator("#campaigns tbody tr")
    expect(rows).to_have_count(2)
    newest = rows.nth(0).locator("td")  # newest window first
    expect(newest.nth(0)).to_have_text("CAMP-B")
    expect(rows.nth(0)).to_contain_text("no control group: no incremental effect can be measured")
    measured = rows.nth(1).locator("td")
    expect(measured.nth(3)).to_have_text("2026-09-01 → 2026-09-15")
    expect(measured.nth(6)).to_have_text("12%")
    expect(measured.nth(7)).to_have_text("8%")
    expect(measured.nth(8)).to_have_text("0.040 (-0.017 to 0.097)")
    expect(measured.nth(10)).to_have_text("0.90")
    shoot(page, "campaigns")
