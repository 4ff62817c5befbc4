"""Full-text search: Chinese words inside long sentences, codes and numbers, clearance inside the query, and the log."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from application.authorisation import Actor
from application.bootstrap import Services
from application.search import SearchQuery
from domain.records import RetentionDecision
from domain.users import Role
from domain.values import Retention, SecurityLevel
from tests.integration import scenario

LONG_SENTENCE = (
    "为进一步加强全市机关档案管理工作，规范文件材料的收集、整理与归档，根据有关法律法规，结合本市实际情况，"
    "现就做好二〇一一年度文书档案电子化归档工作的有关事项通知如下，请各单位认真贯彻执行。"
)


def find(services: Services, actor: Actor, text: str = "", **filters: Any) -> Any:
    services.catalogue.refresh()
    return services.search.search(actor, SearchQuery(text=text, **filters))


def ids(result: Any) -> set[str]:
    return {hit.record_id for hit in result.hits}


@pytest.fixture
def story(services: Services) -> scenario.Scenario:
    return scenario.build(services, records=0)


@pytest.fixture
def library(services: Services, story: scenario.Scenario) -> dict[str, UUID]:
    """A few records whose text exercises the tokeniser."""
    return {
        "notice": scenario.appraised(
            services, story, "关于做好档案工作的通知", metadata={"abstract": LONG_SENTENCE, "date": "2011-03-05"}
        ),
        "document": scenario.appraised(
            services,
            story,
            "市政府批复",
            metadata={
                "doc_number": "沪〔2001〕01号",
                "responsible": "上海市人民政府办公厅",
                "date": "2001-01-15",
                "keywords": "OCR digitization 扫描",
                "abstract": "Approval of the 2001 budget for digitisation，预算批复。",
            },
        ),
        "plan": scenario.appraised(
            services, story, "年度预算编制方案", year=2012, category="KU", metadata={"date": "2012-07-01"}
        ),
    }


def test_a_two_character_word_inside_a_long_sentence_is_found(
    services: Services, story: scenario.Scenario, library: dict[str, UUID]
) -> None:
    for word in ("收集", "归档", "法规", "贯彻执行", "电子化归档"):
        assert ids(find(services, story.archivist, word)) == {str(library["notice"])}, word


def test_doc_numbers_codes_english_and_single_characters_are_found(
    services: Services, story: scenario.Scenario, library: dict[str, UUID]
) -> None:
    document = {str(library["document"])}
    for text in ("沪〔2001〕01号", "〔2001〕", "2001", "digitization", "Digitisation", "OCR", "办公厅", "budget 预算"):
        assert document <= ids(find(services, story.archivist, text)), text
    assert ids(find(services, story.archivist, "Z109-WS·2011-D30-BGS-0001")) == {str(library["notice"])}
    assert ids(find(services, story.archivist, "沪")) == document
    assert ids(find(services, story.archivist, "预算")) == {str(library["document"]), str(library["plan"])}
    assert find(services, story.archivist, "火星探测").total == 0


def test_snippets_mark_the_match_and_escape_everything_else(services: Services, story: scenario.Scenario) -> None:
    scenario.appraised(
        services, story, "网页归档", metadata={"abstract": "页面含有 <script>alert(1)</script> 代码，已按规定归档保存。"}
    )
    [hit] = find(services, story.archivist, "归档保存").hits
    assert "<mark>归档保存</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html and "&lt;/script&gt;" in hit.snippet_html


def test_facets_dates_and_sorting(services: Services, story: scenario.Scenario, library: dict[str, UUID]) -> None:
    everything = find(services, story.archivist)
    assert everything.total == 3
    assert everything.facets["year"] == {"2011": 2, "2012": 1}
    assert everything.facets["category"] == {"WS": 2, "KU": 1}
    assert [hit.date for hit in everything.hits] == ["2012-07-01", "2011-03-05", "2001-01-15"]  # no text: newest first
    assert ids(find(services, story.archivist, category="KU")) == {str(library["plan"])}
    assert ids(find(services, story.archivist, year=2011, date_from=date(2010, 1, 1))) == {str(library["notice"])}
    assert ids(find(services, story.archivist, "预算", date_to=date(2005, 12, 31))) == {str(library["document"])}
    by_date = find(services, story.archivist, "预算", sort="date")
    assert [hit.record_id for hit in by_date.hits] == [str(library["plan"]), str(library["document"])]


def test_results_counts_and_facets_never_include_a_record_above_clearance(services: Services, story: scenario.Scenario) -> None:
    graded = {
        level: scenario.appraised(services, story, f"{level.chinese}级 会议纪要", security=level) for level in SecurityLevel
    }
    reader = scenario.staff(services, "reader", Role.READER, SecurityLevel.SECRET)
    archivist = scenario.staff(services, "archivist.c", Role.ARCHIVIST, SecurityLevel.CONFIDENTIAL)
    for actor, levels in ((reader, [0, 1]), (archivist, [0, 1, 2, 3])):
        result = find(services, actor, "会议纪要")
        assert result.total == len(result.hits) == len(levels), actor.username
        assert sorted(hit.security for hit in result.hits) == levels
        assert result.facets["security"] == {str(level): 1 for level in levels}
        assert sum(result.facets["year"].values()) == len(levels)
        assert find(services, actor, "会议纪要", security=int(SecurityLevel.TOP_SECRET)).total == 0
    secret = str(graded[SecurityLevel.SECRET])
    approved = services.search.search(
        reader, SearchQuery(text="会议纪要"), approved=frozenset({secret, str(graded[SecurityLevel.TOP_SECRET])})
    )
    assert sorted(hit.security for hit in approved.hits) == [0, 1, 2]  # an approved request never lifts clearance


def test_every_search_is_recorded_in_the_search_log(
    services: Services, story: scenario.Scenario, library: dict[str, UUID]
) -> None:
    reader = scenario.staff(services, "reader", Role.READER, SecurityLevel.INTERNAL)
    find(services, reader, "预算", year=2012)
    services.catalogue.refresh()
    compliance = scenario.staff(services, "compliance", Role.COMPLIANCE)
    [entry] = [row for row in services.catalogue.search_log(compliance) if row["user_id"] == reader.id]
    assert entry["query"] == "预算" and entry["hits"] == 1 and entry["filters"]["year"] == 2012
    assert entry["user_group"] == "reader"


def test_corrections_reach_the_index_and_destroyed_records_leave_it(services: Services, story: scenario.Scenario) -> None:
    archive = services.archive
    record_id = archive.collect(
        story.archivist,
        title="电子公文原件",
        source="办公室",
        medium="digital",
        originals=[{"name": "a.pdf", "sha256": hashlib.sha256(b"a").hexdigest(), "size": 1}],
    )
    archive.catalogue(
        story.archivist,
        record_id,
        fonds="Z109",
        category="WS",
        year=2011,
        org="BGS",
        classification="办公室",
        retention=Retention("D10"),
    )
    archive.review(story.archivist, record_id, passed=True)
    archive.appraise(story.appraiser, record_id, retention=Retention("D10"), security=SecurityLevel.PUBLIC)
    assert find(services, story.archivist, "公文原件").total == 1
    archive.correct(story.archivist, record_id, {"title": "电子会计凭证"}, reason="题名有误")
    assert find(services, story.archivist, "公文原件").total == 0
    assert find(services, story.archivist, "会计凭证").total == 1
    archive.ingest(story.archivist, record_id, package="aip-1", locations=["primary"])
    archive.review_retention(story.appraiser, record_id, decision=RetentionDecision.DISPOSE, reason="保管期限已满")
    archive.approve_disposal(story.archivist, record_id, reason="鉴定委员会同意")
    archive.destroy(story.archivist, record_id, reason="按销毁清单销毁")
    assert find(services, story.archivist, "会计凭证").total == 0


def test_rebuilding_the_index_gives_the_same_answers(
    services: Services, story: scenario.Scenario, library: dict[str, UUID]
) -> None:
    queries = ["预算", "归档", "2001", ""]
    before = [(r.total, ids(r), r.facets) for r in (find(services, story.archivist, q) for q in queries)]
    services.projections.rebuild(["search"])
    after = [(r.total, ids(r), r.facets) for r in (find(services, story.archivist, q) for q in queries)]
    assert after == before


def test_absurd_paging_and_years_are_refused_before_they_reach_the_index(services: Services, story: scenario.Scenario) -> None:
    from domain.errors import InvalidValue

    with pytest.raises(InvalidValue, match="paged up to"):
        services.search.search(story.archivist, SearchQuery(text="档案", offset=2**62))
    with pytest.raises(InvalidValue, match="not a year"):
        services.search.search(story.archivist, SearchQuery(year=10**15))


def test_an_index_of_an_older_schema_is_cleared_and_refilled_from_the_event_store(
    services: Services, story: scenario.Scenario, library: dict[str, UUID]
) -> None:
    import tantivy

    from infrastructure.search.tantivy_index import REPLAY_NEEDED

    queries = ["预算", "沪", "归档", ""]
    before = [(r.total, ids(r), r.facets) for r in (find(services, story.archivist, q) for q in queries)]
    folder = services.settings.search_dir
    services.close()
    shutil.rmtree(folder)  # as an older version left it: another schema, documents in it, the projection at the tail
    folder.mkdir()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("record_id", stored=True, tokenizer_name="raw")
    old = tantivy.Index(builder.build(), path=str(folder))
    writer = old.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(record_id="stale"))
    writer.commit()
    writer.wait_merging_threads()
    del writer, old
    restarted = Services(services.settings)  # a server starting on it: opens, does not crash
    try:
        assert restarted.search_index.count() == 0 and (folder / REPLAY_NEEDED).exists()
        restarted.projections.follow()  # the serving process's follower, one turn
        assert not (folder / REPLAY_NEEDED).exists()
        after = [(r.total, ids(r), r.facets) for r in (find(restarted, story.archivist, q) for q in queries)]
        assert after == before
    finally:
        restarted.close()
