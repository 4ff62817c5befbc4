"""End to end in a real headless Chromium (Debian's, driven by Playwright; no browser is downloaded) against a real
`archive serve`: the whole life of a record across roles, then an auditor verifying the ledger.
Screenshots of the key pages go to test-artifacts/ (or $ARCHIVE_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pages

TEMPORARY, OWN = "a temporary pass phrase", "correct horse battery"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("ARCHIVE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
ARCHIVE = str(Path(sys.executable).with_name("archive"))
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    env = {**os.environ, "ARCHIVE_HOME": str(tmp_path / "home")}
    env.pop("ARCHIVE_DATABASE_URL", None)
    subprocess.run([ARCHIVE, "init"], env=env, check=True, capture_output=True)
    subprocess.run([ARCHIVE, "scheme", "define", "Z109", "示例市档案馆"], env=env, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([ARCHIVE, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    password = (tmp_path / "home" / "initial-admin-password").read_text().strip()
    try:
        yield url, password, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_record_from_registration_to_search_and_the_ledger_verified_by_an_auditor(server) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, admin_password, tmp_path = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    scan = tmp_path / "page-1.png"
    scan.write_bytes(pages.encode(pages.dark_border(pages.rotate(pages.render_page(pages.LINES * 2), 1.5)), "png"))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})

        def login(name: str, password: str) -> None:
            page.goto(url + "/login")
            page.fill("#username", name)
            page.fill("#password", password)
            page.click("#login")
            expect(page.locator("#logout")).to_be_visible()

        def logout() -> None:
            page.click("#logout")

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        def first_login(name: str) -> None:
            """An account's first login: the temporary password opens only the account page, where it is replaced."""
            login(name, TEMPORARY)
            expect(page).to_have_url(re.compile(r"/account$"))
            page.fill("#current-password", TEMPORARY)
            page.fill("#new-password", OWN)
            page.fill("#repeat-password", OWN)
            page.click("#change-password")
            expect(page.locator(".flash.ok")).to_be_visible()

        # 三员分立: the system administrator creates accounts and appoints the first security officer, who gives roles.
        login("admin", admin_password)
        for name in ("sec", "wang", "li", "zhao", "audit", "shen"):
            page.goto(url + "/admin/users")
            page.fill("#new-username", name)
            page.fill("#new-password", TEMPORARY)
            if name == "sec":
                page.check("#first-security-officer")
            page.click("#do-add-user")
            expect(page.locator("#user-error")).to_have_count(0)
        shot("users")
        logout()

        first_login("sec")
        for name, role, clearance in (
            ("wang", "archivist", "2"),
            ("li", "appraiser", "2"),
            ("zhao", "digitiser", "2"),
            ("audit", "auditor", "0"),
            ("shen", "security_auditor", "0"),
        ):
            page.goto(url + f"/admin/users?username={name}")
            page.select_option("#roles-form select[name=role]", role)
            page.click("#do-grant")
            expect(page.locator("#user-error")).to_have_count(0)
            page.select_option("#roles-form select[name=clearance]", clearance)
            page.click("#do-clearance")
            expect(page.locator("#user-error")).to_have_count(0)
        logout()

        first_login("wang")
        shot("dashboard")
        page.goto(url + "/records/new")
        page.fill("#title", "关于进一步加强机关档案管理工作的通知")
        page.fill("#source", "办公室")
        page.fill("#doc_number", "沪府办〔2011〕15号")
        page.fill("#date", "2011-03-05")
        page.click("#register")
        record_url = page.url
        page.fill("#fonds", "Z109")
        page.select_option("#category", "WS")
        page.fill("#year", "2011")
        page.fill("#org", "BGS")
        page.fill("#retention", "D30")
        page.click("#do-catalogue")
        expect(page.locator("#record-code")).to_have_text("Z109-WS·2011-D30-BGS-0001")
        page.click("#do-review")
        logout()

        first_login("li")
        page.goto(record_url)
        page.select_option("#security", "1")
        page.click("#do-appraise")
        shot("after-appraise")
        logout()

        first_login("zhao")
        page.goto(record_url)
        shot("before-scan")
        page.set_input_files("#pages", str(scan))
        page.click("#do-scan")
        expect(page.locator("#qc-verdict")).to_be_visible()
        page.click("#do-ocr")
        expect(page.locator("#ocr-text")).to_contain_text("档案")
        shot("record-after-qc-and-ocr")
        logout()

        login("wang", OWN)
        page.goto(record_url)
        page.click("#do-ingest")
        page.goto(url + "/search")
        page.fill("#q", "贯彻执行")
        page.click("#do-search")
        expect(page.locator("#hit-count")).to_contain_text("1")
        expect(page.locator(".snippet mark").first).to_have_text("贯彻执行")
        shot("search")
        page.click(".hit-title")
        expect(page.locator("#timeline li")).to_have_count(9)
        expect(page.locator("#record-state")).not_to_be_empty()
        shot("record-history")
        logout()

        first_login("shen")  # the security auditor reviews what both administrators did
        page.goto(url + "/admin/audit")
        expect(page.locator("#admin-log")).to_contain_text("shen")
        # The scheme, seven accounts, the appointment, five roles and five clearances given, five passwords replaced.
        assert page.locator("#admin-log tr").count() - 1 == 1 + 7 + 1 + 10 + 5
        shot("security-audit")
        logout()

        first_login("audit")
        page.goto(url + "/ledger")
        page.click("#do-verify")
        expect(page.locator("#verify-result")).to_have_class("ok")
        shot("ledger-verified")
        with page.expect_download() as download:  # the signed trail, taken away and checked offline
            page.click("#export")
        bundle = tmp_path / "ledger.zip"
        download.value.save_as(bundle)
        browser.close()
    unpacked = tmp_path / "ledger-export"
    zipfile.ZipFile(bundle).extractall(unpacked)
    checked = subprocess.run([ARCHIVE, "ledger", "verify", str(unpacked)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
