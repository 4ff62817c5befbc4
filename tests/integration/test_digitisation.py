"""Digitisation end to end through the real stores, OpenCV and the blob store: intake checks, processing, automatic
QC with its reasons, rework that replaces only the failed pages, overrides, and the manifest import."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from uuid import UUID

import numpy as np
import pytest
from PIL import Image

from application.authorisation import SYSTEM
from application.bootstrap import Services
from application.digitisation import Upload
from domain.errors import DomainError, InvalidValue
from domain.records import Record, RecordState
from domain.users import Role
from domain.values import Retention, SecurityLevel
from tests import pages
from tests.integration import scenario
from tests.integration.clirunner import archive

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def text_page() -> np.ndarray:
    return pages.render_page(pages.LINES * 2)


@pytest.fixture
def digitiser(services: Services) -> scenario.Actor:
    return scenario.staff(services, "zhao.digitiser", Role.DIGITISER)


@pytest.fixture
def record_id(services: Services) -> UUID:
    story = scenario.build(services, records=1)
    return story.records[0]


def png(image: np.ndarray, dpi: int | None = 300) -> Upload:
    return Upload("page.png", pages.encode(image, "png", dpi=dpi))


def scanned_and_checked(services: Services, actor, record_id: UUID, uploads: list[Upload]) -> dict[str, list[str]]:
    services.digitisation.scan(actor, record_id, uploads)
    services.digitisation.process(actor, record_id)
    return services.digitisation.check(record_id)


def checks(failures: dict[str, list[str]]) -> dict[str, set[str]]:
    return {no: {reason.split(":")[0] for reason in reasons} for no, reasons in failures.items()}


def test_good_pages_pass_and_every_step_is_recorded_with_its_parameters(services, digitiser, record_id, text_page) -> None:
    skewed = pages.dark_border(pages.rotate(text_page, 2.5))
    failures = scanned_and_checked(services, digitiser, record_id, [png(text_page), png(skewed)])
    assert failures == {}
    record = services.archive.load(Record, record_id)
    assert record.state is RecordState.QC_PASSED and record.qc["by"] == "system:qc"
    second = record.pages["2"]
    assert abs(second["skew_degrees"] - 2.5) <= 0.1 and second["crop_box"][0] > 0
    for key in ("web_sha256", "thumbnail_sha256", "source_sha256"):
        assert services.blobs.verify(second[key])
    assert second["source_sha256"] == second["sha256"]  # the original is kept as it came; derivatives name it
    assert services.blobs.get(record.processing["access_pdf_sha256"]).startswith(b"%PDF")
    assert record.qc["metrics"]["2"]["clarity"] > 100


def test_each_defect_fails_with_its_own_reason(services, digitiser, record_id, text_page) -> None:
    cut_off = pages.render_page([line * 3 for line in pages.LINES], margin=120)  # lines run off the right edge
    uploads = [
        png(text_page),  # 1: good
        png(pages.blur(text_page, 3.0)),  # 2: blurred
        png(pages.blank_page()),  # 3: blank
        png(pages.rotate(text_page, 9.0)),  # 4: beyond what deskew corrects
        png(cut_off),  # 5: content cut at the edge
        png(text_page, dpi=150),  # 6: resolution too low
        png(text_page),  # 7: the same image as page 1
    ]
    found = checks(scanned_and_checked(services, digitiser, record_id, uploads))
    assert "1" not in found
    assert "blurred" in found["2"]
    assert found["3"] == {"blank"}
    assert "skewed" in found["4"]
    assert "cropped_content" in found["5"]
    assert "resolution" in found["6"]
    assert found["7"] == {"duplicate"}
    record = services.archive.load(Record, record_id)
    assert record.state is RecordState.QC_FAILED and set(record.qc_failures) == set(found)


def test_bitonal_scans_fail_unless_the_scheme_allows_them(services, digitiser, record_id, text_page) -> None:
    bitonal = Image.fromarray(text_page).point(lambda v: 255 if v > 128 else 0).convert("1")
    data = io.BytesIO()
    bitonal.save(data, format="TIFF", compression="group4", dpi=(300, 300))
    found = checks(scanned_and_checked(services, digitiser, record_id, [Upload("p.tif", data.getvalue())]))
    assert found == {"1": {"colour_mode"}}


def test_the_page_count_is_checked_against_the_declared_count(services, digitiser, record_id, text_page) -> None:
    services.archive.annotate(SYSTEM, record_id, {"page_count": "3"})
    found = checks(scanned_and_checked(services, digitiser, record_id, [png(text_page)]))
    assert found == {"record": {"page_count"}}


def test_rework_replaces_only_the_failed_pages(services, digitiser, record_id, text_page) -> None:
    other = pages.render_page(list(reversed(pages.LINES)) * 2)
    failures = scanned_and_checked(services, digitiser, record_id, [png(text_page), png(pages.blur(other, 3.0))])
    assert set(failures) == {"2"}
    before = services.archive.load(Record, record_id).pages["1"]
    reviewer = scenario.staff(services, "qian.archivist", Role.ARCHIVIST)
    assert services.digitisation.rework(reviewer, record_id) == [2]
    with pytest.raises(InvalidValue, match="deliver 1 page"):
        services.digitisation.scan(digitiser, record_id, [png(other), png(other)])
    assert scanned_and_checked(services, digitiser, record_id, [png(other)]) == {}
    record = services.archive.load(Record, record_id)
    assert record.pages["1"] == before  # untouched: same original, same derivatives
    assert record.pages["2"]["sha256"] != before["sha256"]


def test_a_person_may_override_a_failed_check_but_not_the_one_who_scanned(services, digitiser, record_id, text_page) -> None:
    scanned_and_checked(services, digitiser, record_id, [png(pages.blur(text_page, 3.0))])
    with pytest.raises(DomainError, match="scanned"):
        services.digitisation.override(digitiser, record_id, "字迹本身模糊，原件如此")
    reviewer = scenario.staff(services, "qian.archivist", Role.ARCHIVIST)
    services.digitisation.override(reviewer, record_id, "字迹本身模糊，原件如此")
    record = services.archive.load(Record, record_id)
    assert record.state is RecordState.QC_PASSED and record.qc["override_reason"] == "字迹本身模糊，原件如此"
    assert "1" in record.qc["overridden"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.png", b"%PDF-1.4 not really", "PDF"),
        ("page.png", b"just some text, renamed", "not a TIFF, PNG or JPEG"),
        ("page.png", pages.encode(pages.render_page(["截断"], size=(600, 800)), "png")[:3000], "truncated or corrupt"),
        ("../../etc/passwd.jpg", b"\xff\xd8\xff\xe0garbage", "passwd.jpg: the image is truncated or corrupt"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_stored(services, digitiser, record_id, name, data, message) -> None:
    with pytest.raises(InvalidValue, match=message):
        services.digitisation.scan(digitiser, record_id, [Upload(name, data)])
    assert services.archive.load(Record, record_id).state is RecordState.APPRAISED
    assert not services.settings.blobs_dir.exists() or not any(p.is_file() for p in services.settings.blobs_dir.rglob("*"))


def test_a_decompression_bomb_is_refused_before_it_is_decoded(services, digitiser, record_id) -> None:
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000), 1).save(bomb, format="PNG")  # 144 MP that compress to a few kB
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(InvalidValue, match="too many pixels"):
        services.digitisation.scan(digitiser, record_id, [Upload("bomb.png", bomb.getvalue())])


def test_a_multi_page_tiff_becomes_pages_in_order(services, digitiser, record_id, text_page) -> None:
    second = pages.render_page(list(reversed(pages.LINES)) * 2)
    tiff = Upload("batch.tif", pages.encode(text_page, "tiff", pages=[text_page, second]))
    assert scanned_and_checked(services, digitiser, record_id, [tiff]) == {}
    record = services.archive.load(Record, record_id)
    assert [p["frame"] for p in record.pages.values()] == [0, 1]
    assert record.pages["1"]["sha256"] == record.pages["2"]["sha256"]  # one original file, two frames


# -- the manifest import, through the command line -----------------------------------------------------------------


def write_manifest(folder: Path, rows: list[dict[str, str]]) -> Path:
    path = folder / "manifest.csv"
    columns = ["title", "category", "fonds", "year", "org", "retention", "security", "date", "pages", "doc_number"]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def row(title: str, files: str, **extra: str) -> dict[str, str]:
    return {
        "title": title,
        "category": "WS",
        "fonds": "Z109",
        "year": "2011",
        "org": "BGS",
        "retention": "D30",
        "security": "内部",
        "date": "2011-03-05",
        "pages": files,
        **extra,
    }


def test_archive_import_reports_each_row_skips_bad_ones_and_resumes(services, tmp_path, text_page) -> None:
    services.archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    folder = tmp_path / "delivery"
    (folder / "box1").mkdir(parents=True)
    (folder / "box1" / "p1.png").write_bytes(pages.encode(text_page, "png"))
    (folder / "box1" / "p2.jpg").write_bytes(pages.encode(pages.render_page(list(reversed(pages.LINES)) * 2), "jpeg"))
    (folder / "blurred.png").write_bytes(pages.encode(pages.blur(text_page, 3.0), "png"))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    manifest = write_manifest(
        folder,
        [
            row("关于档案工作的通知", "box1/p1.png;box1/p2.jpg", doc_number="沪府办〔2011〕15号"),
            row("模糊的扫描件", "blurred.png"),
            row("损坏的文件", "box1/p1.png;broken.png"),
            row("越界的路径", "../outside.png"),
            row("未知门类", "box1/p1.png", category="ZZ"),
        ],
    )
    first = archive("import", str(folder), "--manifest", str(manifest), "--json")
    assert first.code == 1  # some rows failed
    outcomes = [json.loads(line) for line in first.out.splitlines()]
    assert [o["row"] for o in outcomes] == [1, 2, 3, 4, 5]
    assert (
        outcomes[0]["outcome"] == "imported"
        and outcomes[0]["qc"] == "passed"
        and outcomes[0]["code"].startswith("Z109-WS·2011-D30-BGS-")
    )
    assert outcomes[1]["outcome"] == "imported" and outcomes[1]["qc"] == "failed" and "blurred" in outcomes[1]["failures"]["1"][0]
    assert [o["outcome"] for o in outcomes[2:]] == ["error", "error", "error"]
    assert "broken.png" in outcomes[2]["error"] and "outside" in outcomes[3]["error"] and "ZZ" in outcomes[4]["error"]
    assert all("record_id" not in o for o in outcomes[2:])  # nothing was half-imported

    shown = archive("show", outcomes[0]["record_id"], "--json").json()
    assert shown["state"] == "qc_passed" and shown["pages"]["1"]["skew_degrees"] == pytest.approx(0, abs=0.1)
    assert shown["pages"]["2"]["processed"]["clarity"] > 100 and shown["qc"]["verdict"] == "passed"
    assert shown["processing"]["web_long_side"] == 2000

    again = archive("import", str(folder), "--manifest", str(manifest), "--json")
    repeated = [json.loads(line) for line in again.out.splitlines()]
    assert [o["outcome"] for o in repeated[:2]] == ["already imported", "already imported"]
    assert [o["record_id"] for o in repeated[:2]] == [o["record_id"] for o in outcomes[:2]]
    services.catalogue.refresh()
    assert len(services.catalogue.everything(SYSTEM)) == 2


def test_a_manifest_without_the_required_columns_is_refused(services, tmp_path) -> None:
    (tmp_path / "m.csv").write_text("title,pages\n文件,a.png\n", encoding="utf-8")
    outcome = archive("import", str(tmp_path), "--manifest", str(tmp_path / "m.csv"))
    assert outcome.code == 1 and "category" in outcome.err and "Traceback" not in outcome.err


def test_recognised_text_is_stored_and_found_by_search(services, digitiser, record_id) -> None:
    page = pages.render_page(pages.LINES)
    assert scanned_and_checked(services, digitiser, record_id, [png(page)]) == {}
    text = services.digitisation.recognise(digitiser, record_id)
    assert "电子化归档" in text
    record = services.archive.load(Record, record_id)
    assert services.blobs.get(record.text_sha256).decode() == text and record.state is RecordState.TEXT_RECOGNISED
    services.catalogue.refresh()
    from application.search import SearchQuery

    hits = services.search.search(SYSTEM, SearchQuery(text="贯彻执行")).hits
    assert [hit.record_id for hit in hits] == [str(record_id)] and "<mark>贯彻执行</mark>" in hits[0].snippet_html


def test_records_above_the_digitisers_clearance_cannot_be_scanned(services, text_page) -> None:
    story = scenario.build(services, records=0)
    secret = services.archive.collect(story.archivist, title="机密文件", source="办公室")
    services.archive.catalogue(
        story.archivist,
        secret,
        fonds="Z109",
        category="WS",
        year=2011,
        org="BGS",
        classification="办公室",
        retention=Retention("Y"),
    )
    services.archive.review(story.archivist, secret, passed=True)
    services.archive.appraise(
        scenario.staff(services, "top", Role.APPRAISER, SecurityLevel.TOP_SECRET),
        secret,
        retention=Retention("Y"),
        security=SecurityLevel.CONFIDENTIAL,
    )
    low = scenario.staff(services, "low.digitiser", Role.DIGITISER, SecurityLevel.INTERNAL)
    from application.archive import NotFound

    with pytest.raises(NotFound):
        services.digitisation.scan(low, secret, [png(text_page)])


def test_a_real_photographed_page_is_processed_and_failed_for_its_resolution(services, digitiser, record_id) -> None:
    """skimage.data.page(): a real, tiny (191×384) page with uneven lighting."""
    from skimage import data

    real = Upload("page.png", pages.encode(data.page(), "png", dpi=None))
    found = checks(scanned_and_checked(services, digitiser, record_id, [real]))
    assert "resolution" in found["1"]
    page = services.archive.load(Record, record_id).pages["1"]
    assert page["width"] == 384 and services.blobs.verify(page["web_sha256"])
