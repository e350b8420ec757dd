"""Search and list latency of ``govwatch web`` on SQLite with many publications.

    .venv/bin/python benchmarks/web_search.py --publications 100000

Seeds a temporary SQLite file through the project's own ``store_publication`` (so the FTS5
triggers of migration 0006 index every row as a crawl would) with titles and summaries in
Japanese, Chinese, Korean, English and German, then serves the real app with uvicorn on
127.0.0.1 and times, over HTTP, the first page of the list and searches of every kind: one- and
two-character CJK words that are common (LIKE scan), rare or absent (the index's
vocabulary), longer CJK words and English/German words (the trigram index), two-word
queries and words found nowhere. ``--database FILE`` keeps the file / reuses it.

Prints p50 / p95 / max per kind; figures go to docs/performance.md with this command.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.items import PublicationItem as Item  # noqa: E402 - after the path set-up
from crawler.pipelines.store import store_publication_item  # noqa: E402
from crawler.web.app import create_app  # noqa: E402
from crawler.web.settings import WebSettings  # noqa: E402
from storage.db import make_engine, transaction, upgrade  # noqa: E402
from storage.sources import sync_sources  # noqa: E402
from tests.web.conftest import serve  # noqa: E402

WORDS = {
    "ja": ["半導体", "電池", "規制", "経済", "産業", "政策", "安全保障", "輸出", "改正", "人工知能",
           "通商", "基準", "支援", "脱炭素", "供給網", "公表", "検討会", "報告書"],
    "zh": ["人工智能", "半导体", "电池", "监管", "经济", "产业", "政策", "出口", "指导意见",
           "数据", "安全", "发展", "制造业", "通知", "标准", "改革"],
    "ko": ["반도체", "배터리", "규제", "경제", "산업", "정책", "수출", "인공지능", "발표", "방안",
           "강화", "지원", "공급망", "보고서"],
    "en": ["semiconductor", "battery", "regulation", "economy", "industry", "policy", "export",
           "artificial", "intelligence", "guidance", "data", "security", "report", "consultation",
           "trade", "standard", "rule", "announces"],
    "de": ["Halbleiter", "Batterie", "Regulierung", "Wirtschaft", "Industrie", "Förderung",
           "Export", "Künstliche", "Intelligenz", "Bericht", "Sicherheit", "Verordnung",
           "Handel", "Klimaschutz", "Lieferkette", "Mittelstand"],
}  # fmt: skip
RARE = ["猫舌", "雪国", "桜", "鯨", "熊猫", "고래", "눈"]  # one publication in 97 has one
ABSENT = ["犬", "蛇", "곰", "龍", "虎穴"]
JOIN = {"ja": "", "zh": "", "ko": " ", "en": " ", "de": " "}
COUNTRY = {"ja": "JP", "zh": "CN", "ko": "KR", "en": "US", "de": "DE"}


def text(rng: random.Random, language: str, count: int) -> str:
    return JOIN[language].join(rng.choice(WORDS[language]) for _ in range(count))


def rare(n: int) -> str:
    return f" {RARE[n // 97 % len(RARE)]}" if n % 97 == 0 else ""


def seed(url: str, count: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(13)  # noqa: S311 - test data, not secrets
    sources = [(f"{COUNTRY[lang].lower()}_source_{n}", lang) for lang in WORDS for n in range(4)]
    with transaction(engine) as session:
        sync_sources(session, [(sid, sid) for sid, _ in sources])
    start = time.perf_counter()
    done = 0
    while done < count:
        with transaction(engine) as session:
            for _ in range(min(2000, count - done)):
                source_id, language = sources[done % len(sources)]
                item = Item(
                    source_id=source_id,
                    url=f"https://example.org/{source_id}/{done}",
                    title=text(rng, language, 5) + f" {done}" + rare(done),
                    summary=text(rng, language, 18),
                    published=date(2026, 11, 30) - timedelta(days=rng.randrange(3000)),
                    language=language,
                    country=COUNTRY[language],
                    publisher=f"Ministry {source_id}",
                    doc_type=rng.choice(["press_release", "notice", "report"]),
                    topics=rng.sample(["AI", "semiconductors", "trade", "energy"], 2),
                )
                store_publication_item(session, item, run_id=None, destinations=[])
                done += 1
    print(f"seeded {count} publications in {time.perf_counter() - start:.0f} s", flush=True)
    engine.dispose()


def timed(base: str, path: str, headers: dict[str, str] | None = None) -> float:
    request = urllib.request.Request(base + path, headers=headers or {})  # noqa: S310
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - our own http URL
        answer.read()
    return (time.perf_counter() - start) * 1000


def queries(rng: random.Random) -> dict[str, list[str]]:
    common_short = [w[:2] for lang in ("ja", "zh") for w in WORDS[lang]] + ["規", "智", "체"]
    long_cjk = [w for lang in ("ja", "zh", "ko") for w in WORDS[lang] if len(w) >= 3]
    latin = [w.lower() for lang in ("en", "de") for w in WORDS[lang]]
    two_words = [
        f"{rng.choice(WORDS[lang])} {rng.choice(WORDS[lang])}" for lang in WORDS for _ in range(8)
    ]
    rare = ["zzqx", "該当なし", "没有结果", "없는말"]
    return {
        "1-2 char CJK, common": common_short,
        "1-2 char CJK, rare": [word for word in RARE if len(word) <= 2],
        "1-2 char CJK, absent": [word for word in ABSENT if len(word) <= 2],
        "3+ char CJK": long_cjk,
        "English / German": latin,
        "two words": two_words,
        "no match": rare,
    }


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"{name:28} n={len(times):4}  p50 {statistics.median(times):7.1f} ms"
        f"  p95 {p95:7.1f} ms  max {times[-1]:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publications", type=int, default=100_000)
    parser.add_argument("--database", type=Path, help="SQLite file to create or reuse")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    path = args.database or Path(folder.name) / "bench.sqlite3"
    url = f"sqlite:///{path}"
    if not path.exists():
        seed(url, args.publications)
    engine = make_engine(url)
    app = create_app(engine, dict, WebSettings())
    rng = random.Random(7)  # noqa: S311
    with serve(app) as base:
        cold = timed(base, "/")
        print(f"first page, cold (filter choices read once a minute): {cold:.1f} ms")
        report("first page of the list", [timed(base, "/") for _ in range(50)])
        partial = {"HX-Request": "true"}
        report("first page, htmx partial", [timed(base, "/", partial) for _ in range(50)])
        report("page 100 of the list", [timed(base, "/?page=100") for _ in range(20)])
        everything: list[float] = []
        for name, words in queries(rng).items():
            times = [timed(base, "/?q=" + urllib.parse.quote(word)) for word in words]
            everything.extend(times)
            report(f"search: {name}", times)
        report("search: all kinds", everything)
    engine.dispose()
    folder.cleanup()


if __name__ == "__main__":
    main()
