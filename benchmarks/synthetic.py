"""Synthetic but plausible records for benchmarks: Chinese titles and ~1 KB of body text drawn from a Zipf-weighted
vocabulary, with the catalogue fields spread like a municipal archive's (categories, years, offices, levels)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass

CHARACTERS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民"
    "得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义"
    "事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直"
    "题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西"
    "被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转"
    "更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段"
    "研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除"
    "消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该"
)
PUNCTUATION = "，，，。、；"
CATEGORIES = ("WS", "WS", "WS", "YW", "KJ", "KU")
ORGS = ("BGS", "RSC", "CWC", "JJC", "XCB", "ZZB")
RETENTIONS = ("Y", "D30", "D30", "D10")
LEVELS = (0, 0, 0, 1, 1, 1, 1, 2, 3, 4)  # mostly 公开 / 内部; a few 秘密, 机密, 绝密


@dataclass(frozen=True)
class Vocabulary:
    words: list[str]
    cumulative: list[float]

    @classmethod
    def build(cls, size: int = 20_000, seed: int = 7) -> Vocabulary:
        rng = random.Random(seed)
        words = sorted({"".join(rng.choices(CHARACTERS, k=rng.choice((2, 2, 2, 3, 4)))) for _ in range(size * 2)})[:size]
        rng.shuffle(words)
        weights = [1.0 / (rank + 10) for rank in range(len(words))]  # Zipf-like, flattened at the head
        return cls(words, list(itertools.accumulate(weights)))

    def sentence(self, rng: random.Random, words: int) -> str:
        return "".join(rng.choices(self.words, cum_weights=self.cumulative, k=words))

    def text(self, rng: random.Random, characters: int = 340) -> str:
        """About `characters` characters (~1 KB of UTF-8), in clauses separated by Chinese punctuation."""
        out, length = [], 0
        while length < characters:
            clause = self.sentence(rng, rng.randint(3, 8)) + rng.choice(PUNCTUATION)
            out.append(clause)
            length += len(clause)
        return "".join(out)


def search_document(n: int, rng: random.Random, vocabulary: Vocabulary) -> dict:
    """One record as the search projection would hand it to the index."""
    year = rng.randint(1980, 2024)
    category, org, retention = rng.choice(CATEGORIES), rng.choice(ORGS), rng.choice(RETENTIONS)
    return {
        "record_id": f"{n:012d}",
        "title": "关于" + vocabulary.sentence(rng, 4) + "的通知",
        "code": f"Z109-{category}·{year}-{retention}-{org}-{n % 10000:04d}",
        "doc_number": f"沪{org}〔{year}〕{n % 300:02d}号",
        "responsible": vocabulary.sentence(rng, 2) + "办公室",
        "keywords": " ".join(rng.choices(vocabulary.words[:2000], k=3)),
        "abstract": vocabulary.sentence(rng, 12),
        "fulltext": vocabulary.text(rng),
        "category": category,
        "fonds": rng.choice(("Z109", "Z110")),
        "year": year,
        "org": org,
        "retention": retention,
        "security": rng.choice(LEVELS),
        "date": dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
    }
