"""An agent's plan is kept by an imported bank file, seen in headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from hub.cases.priority import client_today
from hub.settings import PROJECT_ROOT
from tests.browser import LiveServer
from tests.test_browser_call_queue import case_url, signed_in_page

pytestmark = pytest.mark.browser

BANK_MAPPING = PROJECT_ROOT / "examples" / "mappings" / "payments-bank.toml"
# The console script installed beside this interpreter. It runs in its own process, because the
# browser's event loop owns this thread.
HUB_COMMAND = str(Path(sys.executable).with_name("hub"))
BANK_HEADER = '"Volgnr";"Datum";"Bedrag";"Munt";"Betalingskenmerk"'


def write_bank_file(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """Write a bank export the way the Dutch bank mapping reads it: semicolons, dd-mm-yyyy, decimal commas."""
    lines = [BANK_HEADER]
    for number, day, amount, invoice in rows:
        lines.append(f'"{number}";"{day}";"{amount}";"EUR";"{invoice}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def test_plan_kept_by_imported_payment(
    live_server: LiveServer, browser: Browser, hub_env: dict[str, str], tmp_path: Path
) -> None:
    page = signed_in_page(browser, live_server)
    page.goto(case_url(live_server, "D-300"))
    today = client_today(live_server.world.client)

    # C-1 is the case's one invoice: 75.00 open. A plan of three weekly instalments of 25.00 starting today.
    page.keyboard.press("p")
    expect(page.locator("#promise-amount")).to_be_focused()
    page.keyboard.type("75,00")
    page.fill("#promise-first-due-on", today.isoformat())
    page.fill("#promise-instalments", "3")
    page.select_option("#promise-frequency", "weekly")
    page.click("#promise-form button[type=submit]")

    panel = page.locator("#promises-panel")
    rows = panel.locator("table.instalments tbody tr")
    expect(rows).to_have_count(3)
    for row in rows.all():
        expect(row).to_contain_text("Open")

    bank_file = write_bank_file(
        tmp_path / "transactions.csv", [("000000000000007001", f"{today:%d-%m-%Y}", "+25,00", "C-1")]
    )
    result = subprocess.run(
        [HUB_COMMAND, "import", "payments", str(bank_file), "--client", "acme", "--mapping", str(BANK_MAPPING)],
        env={**os.environ, **hub_env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    page.reload()
    first, second, third = panel.locator("table.instalments tbody tr").all()
    expect(first).to_contain_text("Kept")
    expect(second).to_contain_text("Open")
    expect(second).to_contain_text((today + timedelta(days=7)).isoformat())
    expect(third).to_contain_text("Open")
    expect(page.locator("#case-balance")).to_contain_text("collectible €50.00")
    expect(page.locator("#timeline")).to_contain_text("Payment of €25.00 received")
