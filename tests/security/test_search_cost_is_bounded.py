"""Issue 11, finding 9: no search may cost much more than a normal one. One-character terms are term queries on the
unigram field (no regex over the bigram dictionary), a query has at most MAX_TERMS different terms and no more
phrase work than MAX_PHRASE_WORK postings a record, and single characters still find exactly the records that
contain them. The figures are in benchmarks/README.md."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import application.search
from application.bootstrap import Services
from application.search import MAX_TERMS, SearchQuery, refuse_costly
from application.visibility import Visibility
from domain.errors import InvalidValue
from domain.users import Role
from infrastructure.search.bigrams import folded
from infrastructure.search.tantivy_index import TEXT_FIELDS, TantivySearchIndex
from tests.integration import scenario
from tests.integration.webclient import Browser, make_user
from web.app import create_app

EVERYONE = Visibility(clearance=4, open_upto=4)
# Chinese, Latin in both cases, digits, full-width forms and regex metacharacters: what a regex once had to escape.
ALPHABET = "档案文件归沪〔〕号aAbBzZ09０９Ａｂ.*+?()[]|^$-\\·"


def generated(count: int, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)

    def text() -> str:
        return "".join(rng.choice(ALPHABET + "  ") for _ in range(rng.randint(0, 12)))

    return [{"record_id": f"{n:04d}", "security": 0, **{name: text() for name in TEXT_FIELDS}} for n in range(count)]


def containing(records: list[dict], char: str) -> set[str]:
    """The truth, by brute force: the records where any searched field holds the character (folded as typed)."""
    wanted = folded(char)
    return {r["record_id"] for r in records if any(wanted in folded(r[name]) for name in TEXT_FIELDS)}


@pytest.fixture
def index(tmp_path: Path) -> TantivySearchIndex:
    return TantivySearchIndex(tmp_path / "index")


def test_a_single_character_is_one_term_query_not_a_regex(index: TantivySearchIndex) -> None:
    built = repr(index._text_query(index.terms("档")))
    assert built.count("TermQuery") == 1 and "Regex" not in built
    assert "Regex" not in repr(index._text_query(index.terms(" ".join("档案文件归沪.*+?()"))))


def test_single_characters_find_exactly_the_records_that_contain_them(index: TantivySearchIndex) -> None:
    records = generated(150)
    index.upsert(records)
    for char in sorted(set(ALPHABET)):
        found = index.search(SearchQuery(text=char, visibility=EVERYONE, limit=200))
        assert found.total == len(found.hits), char
        assert {hit.record_id for hit in found.hits} == containing(records, char), char


def test_repeated_and_differently_typed_terms_count_once(index: TantivySearchIndex) -> None:
    assert index.terms("档 档 A a Ａ 档案 档案") == ["档", "a", "档案"]


def test_a_query_of_too_many_different_terms_is_refused_with_the_reason(services: Services) -> None:
    story = scenario.build(services, records=0)
    words = [chr(0x4E00 + n) for n in range(MAX_TERMS + 1)]
    assert services.search.search(story.archivist, SearchQuery(text=" ".join(words[:MAX_TERMS] * 3))).total == 0
    with pytest.raises(InvalidValue, match=f"up to {MAX_TERMS} different words; this one has {MAX_TERMS + 1}"):
        services.search.search(story.archivist, SearchQuery(text=" ".join(words)))
    with pytest.raises(InvalidValue, match="different words"):  # the attack of the finding: 100 single characters
        services.search.search(story.archivist, SearchQuery(text=" ".join(chr(0x4E00 + n) for n in range(100))))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_search_page_says_why_beside_the_search_box(services: Services) -> None:
    make_user(services, "wang", [Role.READER])
    browser = Browser(create_app(services))
    browser.login("wang")
    query = " ".join(chr(0x4E00 + n) for n in range(MAX_TERMS + 1))
    page = browser.get(f"/search?q={query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="search-error"' in html and f"up to {MAX_TERMS} different words" in html
    assert f'value="{query}"' in html  # what was typed stays in the box, to be shortened


def test_phrases_found_in_nearly_every_record_are_refused_before_they_run(
    index: TantivySearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(application.search, "_PHRASE_WORK_FROM", 0)  # the floor that spares small archives, off
    index.upsert([{"record_id": f"{n:04d}", "title": f"关于第{n}号的通知", "code": f"Z109-WS-{n:04d}"} for n in range(200)])
    refuse_costly(index, "的通知 关于 z")  # one phrase everywhere (and term queries) is a normal search
    assert index.phrase_work(index.terms("的通知")) == 2 * 200  # two bigrams checked in each of 200 records
    with pytest.raises(InvalidValue, match="in nearly every record"):
        refuse_costly(index, "的通知 z109- 109- ws-")
