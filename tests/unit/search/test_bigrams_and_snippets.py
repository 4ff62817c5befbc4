"""The tokeniser and the snippet maker, on their own."""

from infrastructure.search.bigrams import SEPARATOR, characters, grams, tokens
from infrastructure.search.snippets import snippet


def test_text_becomes_positioned_bigrams_with_runs_kept_apart() -> None:
    assert tokens("档案 OK").split() == ["档案", SEPARATOR, "ok", SEPARATOR]
    assert tokens("a  档").split() == ["a", SEPARATOR, "档", SEPARATOR]
    assert grams("沪〔2001〕") == ["沪〔", "〔2", "20", "00", "01", "1〕"]
    assert grams("档") == ["档"]


def test_full_width_and_case_fold_to_what_people_type() -> None:
    assert tokens("２００１ＡＢ") == tokens("2001ab")


def test_a_snippet_marks_every_match_and_escapes_the_rest() -> None:
    text = "前文<b>粗体</b>" + "很长的正文" * 40 + "再次提到档案与电子档案"
    out = snippet(text, ["档案"])
    assert out.count("<mark>档案</mark>") == 2 and out.startswith("…")
    assert snippet("<b>档案</b>", ["档案"]) == "&lt;b&gt;<mark>档案</mark>&lt;/b&gt;"
    assert snippet("没有匹配", ["档案"]) == ""


def test_long_and_short_texts_are_cut_the_same_way() -> None:
    text = "Hello  World 沪〔2001〕01号 a ok 档 " * 3
    assert len(text) >= 48
    short = [tokens(part) for part in text.split("  ")]
    assert tokens(text).split() == " ".join(short).split()


def test_the_snippet_window_is_where_the_matches_crowd() -> None:
    lone, crowd = "档案" + "无关的话" * 60, "档案馆藏档案，档案整理"
    out = snippet(lone + crowd + "无关的话" * 60, ["档案"])
    assert out.count("<mark>档案</mark>") == 3 and "馆藏" in out


def test_every_character_of_every_field_is_a_token_of_its_own_folded() -> None:
    assert characters(["档案 OK", "沪〔２００１〕"]).split() == list("档案ok沪〔2001〕")
