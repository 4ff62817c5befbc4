"""`archive serve` runs several worker processes over one archive: whichever worker a request lands on, it knows the
session, counts the failed logins, and records the page view; one worker at a time runs the background jobs.
Two Services over the same ARCHIVE_HOME stand for two workers (each has its own connections, caches and locks)."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from application.bootstrap import Services
from application.search import SearchQuery
from domain.activity import ActivityLog
from domain.users import Role
from domain.values import SecurityLevel
from infrastructure.config import Settings
from infrastructure.leadership import Leadership
from tests.integration import scenario
from tests.integration.webclient import Browser, make_user
from web.app import create_app
from web.server import ConnectionCounts


@pytest.fixture
def other_worker(services: Services, settings: Settings) -> Iterator[Services]:
    second = Services(settings)
    try:
        yield second
    finally:
        second.close()


def test_a_session_opened_in_one_worker_is_known_to_another_and_a_logout_there_ends_it(services, other_worker) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    first, second = create_app(services), create_app(other_worker)
    browser = Browser(first)
    assert browser.login("wang").status_code == 302
    cookie = browser.client.get_cookie("archive_session").value
    elsewhere = Browser(second)
    elsewhere.client.set_cookie("archive_session", cookie)
    assert elsewhere.get("/search").status_code == 200
    elsewhere.submit("/", "/logout", {})
    assert browser.get("/search").status_code == 302  # logged out everywhere, not only in the worker that did it


def test_failed_logins_are_counted_across_workers(services, other_worker) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    first, second = Browser(create_app(services)), Browser(create_app(other_worker))
    for attempt in range(5):
        assert (first if attempt % 2 else second).login("wang", "not the password").status_code == 401
    locked = first.login("wang")  # the right password, but the five failures were spread over both workers
    assert locked.status_code == 429 and "try again in" in locked.get_data(as_text=True)


def test_a_record_changed_in_one_worker_shows_changed_on_the_next_view_in_another(services, other_worker) -> None:
    story = scenario.build(services, records=0)
    record_id = scenario.appraised(services, story, "关于档案移交的通知")
    make_user(services, "reader", [Role.READER])
    elsewhere = Browser(create_app(other_worker))
    elsewhere.login("reader")
    assert "文号" not in elsewhere.get(f"/records/{record_id}").get_data(as_text=True)  # now in that worker's cache
    services.archive.annotate(story.archivist, record_id, {"doc_number": "办发〔2011〕7号"}, reason="补录文号")
    assert "办发〔2011〕7号" in elsewhere.get(f"/records/{record_id}").get_data(as_text=True)


def test_page_views_from_many_threads_in_two_workers_are_all_recorded_in_order(services, other_worker) -> None:
    reader = make_user(services, "reader", [Role.READER])
    per_thread, workers = 20, (services, other_worker)

    def view(worker: Services, n: int) -> None:
        for i in range(per_thread):
            worker.archive.record_activity(reader, ActivityLog.Searched, query=f"{n}/{i}", filters={}, hits=0)

    threads = [threading.Thread(target=view, args=(workers[n % 2], n)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log_id = ActivityLog.id_for(reader.id, datetime.now(UTC).date())
    stored = services.archive.recorder.select_events(log_id)
    assert [e.originator_version for e in stored] == list(range(1, 16 * per_thread + 2))  # Opened, then every search
    log = services.archive.load(ActivityLog, log_id)
    assert log.version == 16 * per_thread + 1


def test_one_worker_at_a_time_leads_the_background_jobs(tmp_path) -> None:
    lock = tmp_path / "background.lock"
    first, second = Leadership(lock), Leadership(lock)
    assert first.held() and first.held()  # asking again keeps the lead
    assert not second.held()
    first.release()  # a worker that stops (or dies: the system drops its lock) hands over
    assert second.held() and not first.held()
    second.release()


def test_a_malformed_activity_event_fails_its_own_request_and_no_other(services) -> None:
    reader = make_user(services, "reader", [Role.READER])
    with pytest.raises(TypeError):
        services.archive.record_activity(reader, ActivityLog.Searched, query="x", filters={}, hits=0, unknown_field=1)
    services.archive.record_activity(reader, ActivityLog.Searched, query="会议纪要", filters={}, hits=3)
    log = services.archive.load(ActivityLog, ActivityLog.id_for(reader.id, datetime.now(UTC).date()))
    assert log.version == 2  # opened, then the one good search: the refused event left no gap


def test_only_the_least_loaded_worker_accepts_connections_and_a_dead_workers_slot_is_taken_over() -> None:
    counts = ConnectionCounts()  # shared memory, as the serving master makes it before the fork
    first, second = counts.claim(os.getpid()), counts.claim(os.getppid())
    counts.held[first], counts.held[second] = 17, 15
    assert counts.least_loaded(second) and not counts.least_loaded(first)
    counts.held[second] = 17
    assert counts.least_loaded(first) and counts.least_loaded(second)  # a tie: both accept, nothing waits
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = counts.claim(gone.pid)
    counts.held[dead] = 0  # a worker that died holding nothing must not stop the others accepting for long:
    assert counts.claim(os.getpid()) == dead  # its replacement takes the slot over and starts from zero
    counts.release(dead)
    assert counts.least_loaded(first)
    counts.held[second] = 3
    assert not counts.least_loaded(first)
    counts.seen[second] -= 60  # its loop has not turned for a minute: stuck, it must not stop the others accepting
    assert counts.least_loaded(first)


def test_a_search_answered_from_memory_shows_a_record_indexed_by_another_worker_at_once(services, other_worker) -> None:
    story = scenario.build(services, records=0)
    scenario.appraised(services, story, "关于档案数字化的通知")
    services.catalogue.refresh()
    reader = make_user(services, "reader", [Role.READER])
    query = SearchQuery(text="档案数字化")
    assert other_worker.search.search(reader, query).total == 1
    assert other_worker.search.search(reader, query).total == 1  # the same question again: answered from memory
    scenario.appraised(services, story, "档案数字化工作方案")
    scenario.appraised(services, story, "档案数字化保密要求", security=SecurityLevel.SECRET)
    services.catalogue.refresh()  # this worker's projection commits the index; the other's memory is stale now
    assert other_worker.search.search(reader, query).total == 2  # the new record shows, the secret one does not
    assert other_worker.search.search(story.archivist, query).total == 3  # to one who may see it, it shows
