"""The web UI and JSON API through Flask's test client and the real stores: logins, sessions, CSRF, the workflow
forms, the API with tokens, and the access-control matrix (no record above a user's clearance shows anywhere)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from uuid import UUID

import pytest

from application.authorisation import SYSTEM
from application.bootstrap import Services
from domain.records import Record, RecordState
from domain.users import Role
from domain.values import SecurityLevel
from tests import pages
from tests.integration import scenario
from tests.integration.webclient import PASSWORD, Browser, csrf, make_user
from web.app import create_app

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    return create_app(services)


def test_pages_need_a_login_and_a_wrong_password_is_refused_without_saying_which_part(services, app) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    browser = Browser(app)
    assert browser.get("/search").status_code == 302
    wrong = browser.login("wang", "not the password")
    unknown = browser.login("nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "wrong user name or password" in wrong.get_data(as_text=True)
    assert browser.login("wang").status_code == 302
    assert browser.get("/search").status_code == 200


def test_repeated_failures_are_slowed_down_with_a_clear_message(services, app) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    browser = Browser(app)
    for _ in range(5):
        assert browser.login("wang", "guess").status_code == 401
    locked = browser.login("wang")  # even the right password waits now
    assert locked.status_code == 429 and "try again in" in locked.get_data(as_text=True)


def test_forms_without_the_csrf_token_are_refused(services, app) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    browser = Browser(app)
    browser.login("wang")
    forged = browser.client.post("/records/new", data={"title": "伪造"})
    assert forged.status_code == 400 and "reload the page" in forged.get_data(as_text=True)
    make_user(services, "li", [Role.ARCHIVIST])
    other = Browser(app)
    other.login("li")
    borrowed = csrf(other.get("/").get_data(as_text=True))  # a valid token, of another session
    refused = browser.client.post("/records/new", data={"title": "伪造", "csrf_token": borrowed})
    assert refused.status_code == 400
    assert browser.client.post("/login", data={"username": "wang", "password": PASSWORD}).status_code == 400


def test_a_session_signs_its_csrf_token_once_and_the_reused_token_is_accepted(services, app, monkeypatch) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    browser = Browser(app)
    browser.login("wang")
    first = csrf(browser.get("/").get_data(as_text=True))
    # An hour later a freshly signed token would carry another timestamp, and so other bytes.
    from itsdangerous.timed import TimestampSigner

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(datetime.now(UTC).timestamp()) + 3600)
    assert csrf(browser.get("/search").get_data(as_text=True)) == first
    registered = browser.client.post("/records/new", data={"title": "一份登记", "csrf_token": first})
    assert registered.status_code == 302


def test_a_login_starts_a_new_session_and_a_logout_ends_it(services, app) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    browser = Browser(app)
    browser.get("/login")
    before = browser.client.get_cookie("archive_session")
    browser.login("wang")
    after = browser.client.get_cookie("archive_session")
    assert before is None or before.value != after.value
    stolen = after.value
    browser.submit("/", "/logout", {})
    thief = Browser(app)
    thief.client.set_cookie("archive_session", stolen)
    assert thief.get("/search").status_code == 302  # the copied cookie no longer opens a session


def test_reading_pages_keeps_the_session_cookie_and_no_page_a_user_sees_is_cached(services, app) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    browser = Browser(app)
    browser.login("wang")  # its cookie already holds the session's CSRF secret
    for path in ("/", "/browse", "/search?q=档案"):
        page = browser.get(path)
        assert page.status_code == 200
        assert "Set-Cookie" not in page.headers  # nothing changed: the cookie is not signed and sent again
        assert page.headers["Cache-Control"] == "no-store"  # clearance-graded content stays out of caches
    assert "no-store" not in (browser.get("/static/app.css").headers.get("Cache-Control") or "")
    anonymous = Browser(app)
    login_page = anonymous.get("/login")  # starts a session (its CSRF secret) and sends the cookie
    assert "Set-Cookie" in login_page.headers and login_page.headers["Cache-Control"] == "no-store"
    assert "no-store" not in (anonymous.get("/status").headers.get("Cache-Control") or "")  # public, no cookie


def record_through_the_forms(services: Services, app) -> UUID:  # type: ignore[no-untyped-def]
    services.archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    make_user(services, "wang", [Role.ARCHIVIST], SecurityLevel.SECRET)
    make_user(services, "li", [Role.APPRAISER], SecurityLevel.SECRET)
    make_user(services, "zhao", [Role.DIGITISER], SecurityLevel.SECRET)
    archivist = Browser(app)
    archivist.login("wang")
    created = archivist.submit(
        "/records/new",
        "/records/new",
        {"title": "关于档案数字化工作的通知", "source": "办公室", "doc_number": "沪府办〔2011〕15号", "date": "2011-03-05"},
    )
    assert created.status_code == 302
    record_id = UUID(created.headers["Location"].rsplit("/", 1)[-1])
    page = f"/records/{record_id}"
    bad = archivist.submit(
        page, f"{page}/catalogue", {"fonds": "Z109", "category": "ZZ", "year": "2011", "org": "BGS", "retention": "D30"}
    )
    assert bad.status_code == 422 and "has no category ZZ" in bad.get_data(as_text=True)  # the message in place
    assert (
        archivist.submit(
            page, f"{page}/catalogue", {"fonds": "Z109", "category": "WS", "year": "2011", "org": "BGS", "retention": "D30"}
        ).status_code
        == 302
    )
    assert archivist.submit(page, f"{page}/review", {"passed": "yes"}).status_code == 302
    appraiser = Browser(app)
    appraiser.login("li")
    assert appraiser.submit(page, f"{page}/appraise", {"retention": "D30", "security": "1"}).status_code == 302
    digitiser = Browser(app)
    digitiser.login("zhao")
    upload = {"pages": [(io.BytesIO(pages.encode(pages.render_page(pages.LINES * 2), "png")), "p1.png")]}
    assert digitiser.submit(page, f"{page}/scan", upload, content_type="multipart/form-data").status_code == 302
    shown = archivist.get(page).get_data(as_text=True)
    assert "Z109-WS·2011-D30-BGS-0001" in shown and 'id="qc-verdict"' in shown
    return record_id


def test_a_record_goes_through_the_forms_and_its_page_shows_the_history(services, app) -> None:
    record_id = record_through_the_forms(services, app)
    archivist = Browser(app)
    archivist.login("wang")
    services.ledger.catch_up()  # what the serving process's scheduler does every two seconds
    page = archivist.get(f"/records/{record_id}").get_data(as_text=True)
    assert page.count("签名有效") >= 6 and "已封存于 #" in page  # Chinese by default
    assert archivist.get(f"/records/{record_id}/pages/1/thumbnail.jpg").mimetype == "image/jpeg"
    english = archivist.get(f"/records/{record_id}?lang=en").get_data(as_text=True)
    assert "History" in english and 'lang="en"' in english
    assert archivist.get(f"/records/{record_id}/versions/2").status_code == 200


def test_the_api_writes_with_a_token_and_answers_errors_as_json(services, app) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    services.archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    _token_id, token = services.accounts.issue_token(SYSTEM, "wang", "scanner station")
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/records", json={"title": "接口登记的文件", "source": "办公室"}, headers=bearer)
    assert created.status_code == 201
    record_id = created.get_json()["record_id"]
    wrong = client.post(
        f"/api/v1/records/{record_id}/catalogue", json={"fonds": "Z109", "category": "WS", "year": "twenty"}, headers=bearer
    )
    assert wrong.status_code == 422 and wrong.get_json()["error"]["message"] == "year must be a whole number"
    assert client.get("/api/v1/records/not-a-uuid", headers=bearer).status_code == 422
    assert client.get("/api/v1/ledger/entries", headers=bearer).get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/ledger/checkpoint").status_code in (200, 404)  # public
    browser = Browser(app)
    browser.login("wang")
    assert browser.client.post("/api/v1/records", json={"title": "x"}).status_code == 403  # cookies cannot write here
    services.accounts.revoke_token(SYSTEM, _token_id)
    assert client.get("/api/v1/queues", headers=bearer).status_code == 401
    assert "paths" in client.get("/api/v1/openapi.json").get_json()


# -- who sees what ----------------------------------------------------------------------------------------------------


@pytest.fixture
def graded(services: Services) -> dict[SecurityLevel, UUID]:
    """One appraised record per security level, all with the word 会议纪要 in the title."""
    ids = scenario.graded_records(services, scenario.build(services, records=0), title=" 会议纪要")
    services.catalogue.refresh()  # what the serving process's follower does within a second
    return ids


ROLES = [Role.READER, Role.ARCHIVIST, Role.APPRAISER, Role.DIGITISER, Role.COMPLIANCE, Role.AUDITOR, Role.ADMIN]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("clearance", [SecurityLevel.PUBLIC, SecurityLevel.INTERNAL, SecurityLevel.CONFIDENTIAL])
def test_access_matrix_no_record_above_clearance_anywhere(services, app, graded, role, clearance) -> None:
    make_user(services, "user", [role], clearance)
    _, token = services.accounts.issue_token(SYSTEM, "user", "matrix")
    browser, api = Browser(app), app.test_client()
    browser.login("user")
    bearer = {"Authorization": f"Bearer {token}"}
    reads = role in (Role.READER, Role.ARCHIVIST, Role.APPRAISER, Role.DIGITISER, Role.COMPLIANCE)
    # Readers see 公开/内部 only; staff see up to their clearance (DESIGN §6).
    limit = min(int(clearance), 1) if role is Role.READER else int(clearance)
    visible = {level for level in graded if reads and int(level) <= limit}
    for level, record_id in graded.items():
        page, api_record = browser.get(f"/records/{record_id}"), api.get(f"/api/v1/records/{record_id}", headers=bearer)
        history = api.get(f"/api/v1/records/{record_id}/history", headers=bearer)
        if level in visible:
            assert page.status_code == api_record.status_code == 200, (role, clearance, level)
        else:
            assert page.status_code in (403, 404) and api_record.status_code in (403, 404), (role, clearance, level)
            assert "会议纪要" not in page.get_data(as_text=True) + api_record.get_data(as_text=True)
            assert history.status_code in (403, 404) and "会议纪要" not in history.get_data(as_text=True)
    found = api.get("/api/v1/search?q=会议纪要", headers=bearer)
    html = browser.get("/search?q=会议纪要").get_data(as_text=True)
    if reads:
        body = found.get_json()
        assert body["total"] == len(visible) and sum(body["facets"]["security"].values()) == len(visible)
        assert {h["security"] for h in body["hits"]} == {int(level) for level in visible}
        for level in set(graded) - visible:
            assert f"{level.chinese}级" not in html
    else:
        assert found.status_code == 403
    queues = api.get("/api/v1/queues", headers=bearer)
    if reads:
        assert sum(queues.get_json().values()) == len(visible)


def test_a_facet_link_on_the_search_page_narrows_the_search_to_its_value(services, app, graded) -> None:
    make_user(services, "wang", [Role.ARCHIVIST], SecurityLevel.CONFIDENTIAL)
    browser = Browser(app)
    browser.login("wang")
    html = browser.get("/search?q=会议纪要&page=2").get_data(as_text=True)
    links = {label: (href, int(count)) for href, label, count in re.findall(r'<a href="([^"]+)">([^<]+)</a> \((\d+)\)', html)}
    href, count = links["秘密"]
    assert count == 1 and "page=" not in href  # a narrower search starts at its first page
    narrowed = browser.get("/search" + href.replace("&amp;", "&")).get_data(as_text=True)
    assert "找到 1 份档案" in narrowed
    assert f"{SecurityLevel.SECRET.chinese}级 会议纪要" in narrowed
    assert f"{SecurityLevel.INTERNAL.chinese}级 会议纪要" not in narrowed


def test_an_auditor_downloads_the_signed_trail_and_it_verifies_offline_a_reader_may_not(services, app, graded, tmp_path) -> None:
    make_user(services, "audit", [Role.AUDITOR], SecurityLevel.PUBLIC)
    make_user(services, "reader", [Role.READER])
    auditor, reader = Browser(app), Browser(app)
    auditor.login("audit")
    reader.login("reader")
    assert reader.get("/ledger/export.zip").status_code == 403
    bundle = auditor.get("/ledger/export.zip")
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"
    zipfile.ZipFile(io.BytesIO(bundle.data)).extractall(tmp_path / "export")
    report = Services.verify_export(tmp_path / "export")
    assert report.ok and report.entries == services.ledger.size()


def test_the_catalogue_as_of_a_moment_streams_its_progress_then_shows_what_it_said_then(services, app) -> None:
    story = scenario.build(services, records=1)
    services.archive.annotate(story.archivist, story.records[0], {"responsible": "市政府办公室"})
    before = datetime.now(UTC)
    services.archive.collect(story.archivist, title="后来收集的文件", source="办公室")
    services.catalogue.refresh()
    make_user(services, "officer", [Role.COMPLIANCE], SecurityLevel.SECRET)
    officer = Browser(app)
    officer.login("officer")
    page = officer.get("/compliance", query_string={"as_of": before.isoformat()})
    assert page.status_code == 200 and page.is_streamed
    html = page.get_data(as_text=True)
    assert 'class="progress-feed"' in html and 'class="finished"' in html
    assert "当时共 1 份档案" in html
    shown = html[html.index('id="as-of-result"') :]
    assert "关于2011年档案工作的通知（0）" in shown and "后来收集的文件" not in shown
    bad = officer.get("/compliance?as_of=last+Tuesday")
    assert bad.status_code == 422 and "not an ISO 8601 time" in bad.get_data(as_text=True)
    reader = Browser(app)
    make_user(services, "reader", [Role.READER])
    reader.login("reader")
    assert reader.get(f"/compliance?as_of={before.date()}").status_code == 403


def test_verifying_the_ledger_from_the_page_shows_its_progress_and_its_verdict(services, app) -> None:
    scenario.build(services, records=2)
    make_user(services, "audit", [Role.AUDITOR], SecurityLevel.PUBLIC)
    auditor = Browser(app)
    auditor.login("audit")
    html = auditor.submit("/ledger", "/ledger", {"action": "verify"}).get_data(as_text=True)
    assert 'class="progress-feed"' in html and 'id="verify-result" class="ok"' in html


def test_denials_are_recorded_for_compliance(services, app, graded) -> None:
    make_user(services, "reader", [Role.READER], SecurityLevel.INTERNAL)
    browser = Browser(app)
    browser.login("reader")
    assert browser.get(f"/records/{graded[SecurityLevel.SECRET]}").status_code == 404
    assert browser.get("/ledger").status_code == 403
    services.catalogue.refresh()
    log = services.catalogue.access_log(SYSTEM)
    denied = {(row["action"], row["record_id"]) for row in log if row["action"] == "denied"}
    assert ("denied", str(graded[SecurityLevel.SECRET])) in denied
    assert len([row for row in log if row["action"] == "denied"]) >= 2


def test_pages_are_uploaded_and_checked_through_the_api(services, app) -> None:
    story = scenario.build(services, records=1)
    make_user(services, "zhao", [Role.DIGITISER], SecurityLevel.SECRET)
    make_user(services, "qian", [Role.ARCHIVIST], SecurityLevel.SECRET)
    client = app.test_client()
    scanner = {"Authorization": f"Bearer {services.accounts.issue_token(SYSTEM, 'zhao', 'scanner')[1]}"}
    checker = {"Authorization": f"Bearer {services.accounts.issue_token(SYSTEM, 'qian', 'qc desk')[1]}"}
    blurred = pages.encode(pages.blur(pages.render_page(pages.LINES * 2), 3.0), "png")
    path = f"/api/v1/records/{story.records[0]}"
    answer = client.post(
        f"{path}/pages", data={"pages": [(io.BytesIO(blurred), "p1.png")]}, headers=scanner, content_type="multipart/form-data"
    )
    assert answer.status_code == 200 and answer.get_json()["qc"] == "failed"
    assert "blurred" in answer.get_json()["failures"]["1"][0]
    assert client.post(f"{path}/qc", json={"decision": "maybe"}, headers=checker).status_code == 422
    assert client.post(f"{path}/qc", json={"decision": "override", "reason": "原件字迹模糊"}, headers=scanner).status_code == 422
    assert client.post(f"{path}/qc", json={"decision": "override", "reason": "原件字迹模糊"}, headers=checker).get_json() == {
        "qc": "passed"
    }
    package = client.post(f"{path}/ingest", headers=checker)
    assert package.status_code == 200 and services.blobs.verify(package.get_json()["package"])


def test_the_qc_desk_shows_failed_pages_before_and_after_processing(services, app) -> None:
    story = scenario.build(services, records=1)
    digitiser = make_user(services, "zhao", [Role.DIGITISER], SecurityLevel.SECRET)
    make_user(services, "qian", [Role.ARCHIVIST], SecurityLevel.SECRET)
    make_user(services, "reader", [Role.READER], SecurityLevel.SECRET)
    tiff = pages.encode(pages.blur(pages.render_page(pages.LINES * 2), 3.0), "tiff")
    from application.digitisation import Upload

    services.digitisation.scan(digitiser, story.records[0], [Upload("p1.tif", tiff)])
    services.digitisation.process(digitiser, story.records[0])
    services.digitisation.check(story.records[0])
    services.catalogue.refresh()
    desk = Browser(app)
    desk.login("qian")
    page = desk.get("/qc").get_data(as_text=True)
    assert f"/records/{story.records[0]}/pages/1/original.jpg" in page and "blurred" in page
    original = desk.get(f"/records/{story.records[0]}/pages/1/original.jpg")
    assert original.status_code == 200 and original.data[:3] == b"\xff\xd8\xff"  # a TIFF master, shown as JPEG
    outsider = Browser(app)
    outsider.login("reader")
    assert outsider.get("/qc").status_code == 403
    rework = desk.submit("/qc", f"/records/{story.records[0]}/qc", {"decision": "rework", "reason": "重扫"})
    assert rework.status_code == 302
    assert services.archive.load(Record, story.records[0]).state is RecordState.REWORK


def test_a_departments_hand_over_is_registered_received_and_checked(services, app) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    browser = Browser(app)
    browser.login("wang")
    created = browser.submit(
        "/transfers", "/transfers", {"department": "财务处", "expected": "A-1,凭证一\nA-2,凭证二\nA-3,凭证三"}
    )
    assert created.status_code == 302
    page = created.headers["Location"]
    assert browser.submit(page, page, {"action": "receive", "received": "A-1,凭证一\nA-3,凭证三"}).status_code == 200
    wrong = browser.submit(page, page, {"action": "receive", "received": "B-9,不在清单上"})
    assert wrong.status_code == 422 and "not on the transfer list" in wrong.get_data(as_text=True)
    checked = browser.submit(page, page, {"action": "check"}).get_data(as_text=True)
    assert 'id="receipt-result"' in checked and "A-2" in checked
    services.catalogue.refresh()
    assert {row["title"] for row in services.catalogue.everything(SYSTEM)} == {"凭证一", "凭证三"}


def test_the_scheme_editor_defines_a_fonds_and_sets_its_qc_profile(services, app) -> None:
    make_user(services, "boss", [Role.ADMIN])
    browser = Browser(app)
    browser.login("boss")
    assert (
        browser.submit(
            "/admin/scheme", "/admin/scheme", {"action": "define", "fonds": "z200", "fonds_name": "测试全宗"}
        ).status_code
        == 200
    )
    page = "/admin/scheme?fonds=Z200"
    assert browser.submit(page, page, {"action": "category", "fonds": "Z200", "code": "SX", "name": "声像"}).status_code == 200
    bad = browser.submit(page, page, {"action": "qc", "fonds": "Z200", "min_dpi": "lots"})
    assert bad.status_code == 422 and "min_dpi" in bad.get_data(as_text=True)
    assert browser.submit(page, page, {"action": "qc", "fonds": "Z200", "min_dpi": "200", "binarise": "on"}).status_code == 200
    scheme = services.archive.scheme_for("Z200")
    assert scheme.categories["SX"] == "声像" and scheme.qc_profile["min_dpi"] == 200 and scheme.qc_profile["binarise"] is True
    make_user(services, "reader", [Role.READER])
    outsider = Browser(app)
    outsider.login("reader")
    assert outsider.get("/admin/scheme").status_code == 403


def test_the_security_officer_changes_roles_and_clearance_and_the_administrator_disabling_ends_the_session(services, app) -> None:
    make_user(services, "boss", [Role.ADMIN])
    make_user(services, "sec", [Role.SECURITY_OFFICER])
    make_user(services, "wang", [Role.READER], SecurityLevel.PUBLIC)
    admin, officer, wang = Browser(app), Browser(app), Browser(app)
    admin.login("boss")
    officer.login("sec")
    wang.login("wang")
    assert wang.get("/transfers").status_code == 403
    page = "/admin/users?username=wang"
    assert officer.submit(page, "/admin/users", {"username": "wang", "action": "grant", "role": "archivist"}).status_code == 200
    assert (
        officer.submit(
            page, "/admin/users", {"username": "wang", "action": "clearance", "clearance": "2", "reason": "调岗"}
        ).status_code
        == 200
    )
    assert wang.get("/transfers").status_code == 200  # the next request already acts with the new role
    user = services.archive.find_user("wang")
    assert Role.ARCHIVIST in user.roles and user.clearance is SecurityLevel.SECRET
    # 三员分立: roles are not the system administrator's to give, accounts not the security officer's to disable.
    assert admin.submit(page, "/admin/users", {"username": "wang", "action": "grant", "role": "appraiser"}).status_code == 403
    assert officer.submit(page, "/admin/users", {"username": "wang", "action": "disable"}).status_code == 403
    assert admin.submit(page, "/admin/users", {"username": "wang", "action": "disable", "reason": "离职"}).status_code == 200
    assert wang.get("/transfers").status_code == 302  # logged out at once
    assert wang.login("wang").status_code == 401
    myself = admin.submit("/admin/users", "/admin/users", {"username": "boss", "action": "disable"})
    assert myself.status_code == 403 and "your own account" in myself.get_data(as_text=True)


def test_a_batch_import_from_the_browser_reports_each_row(services, app) -> None:
    services.archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    make_user(services, "vendor", [Role.ARCHIVIST, Role.APPRAISER, Role.DIGITISER], SecurityLevel.SECRET)
    make_user(services, "wang", [Role.ARCHIVIST], SecurityLevel.SECRET)
    manifest = (
        "title,category,fonds,year,org,retention,security,date,pages\n"
        "数字化样例,WS,Z109,2011,BGS,D30,内部,2011-03-05,box1/p1.png\n"
        "缺页的行,WS,Z109,2011,BGS,D30,内部,2011-03-05,box1/p9.png\n"
    ).encode()
    image = pages.encode(pages.render_page(pages.LINES * 2), "png")
    vendor = Browser(app)
    vendor.login("vendor")
    answer = vendor.submit(
        "/import",
        "/import",
        {"manifest": (io.BytesIO(manifest), "m.csv"), "pages": [(io.BytesIO(image), "p1.png")]},
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Z109-WS·2011-D30-BGS-0001" in html and "p9.png" in html
    archivist = Browser(app)
    archivist.login("wang")
    refused = archivist.submit(
        "/import", "/import", {"manifest": (io.BytesIO(manifest), "m.csv")}, content_type="multipart/form-data"
    )
    assert refused.status_code == 403 and "may not import" in refused.get_data(as_text=True)


def test_each_role_sees_the_queues_of_its_own_work(services, app) -> None:
    scenario.build(services, records=2)  # two records waiting to be scanned
    make_user(services, "zhao", [Role.DIGITISER], SecurityLevel.SECRET)
    make_user(services, "li", [Role.APPRAISER], SecurityLevel.SECRET)
    digitiser, appraiser = Browser(app), Browser(app)
    digitiser.login("zhao")
    appraiser.login("li")
    services.catalogue.refresh()
    mine = digitiser.get("/").get_data(as_text=True)
    theirs = appraiser.get("/").get_data(as_text=True)
    assert "待扫描" in mine and "待鉴定" not in mine
    assert "待鉴定" in theirs and "待扫描" not in theirs
