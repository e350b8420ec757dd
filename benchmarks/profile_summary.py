"""Summarise a py-spy profile (``--format raw``, collapsed stacks) into "where the time goes".

    .venv/bin/py-spy record -f raw -r 200 -o var/bench/crawl.txt -- .venv/bin/govwatch crawl --all
    .venv/bin/python benchmarks/profile_summary.py var/bench/crawl.txt

Prints the share of samples spent inside (inclusive) each of a few named areas of govwatch
and its stack, then the files with the most samples of their own (exclusive).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# area -> a pattern matched against each frame "function (file:line)"
AREAS: dict[str, str] = {
    "imports (module loading)": r"^_find_and_load ",
    "YAML (sources.yaml, govwatch.yaml)": r"\(yaml/",
    "pydantic validation": r"\(pydantic",
    "SQLAlchemy (all database work)": r"\(sqlalchemy/",
    "runner: open runs (_open_runs)": r"^_open_runs ",
    "  of which sync_sources": r"^sync_sources ",
    "runner: finish_run / record_health": r"^(finish_run|record_health|_record_run) ",
    "alembic (schema check)": r"\(alembic/",
    "Scrapy crawler set-up (crawl, engine open)": (
        r"^(\w+\.)?(crawl|_crawl|_create_crawler|_apply_settings|open_spider) \(scrapy/"
    ),
    "Scrapy Settings copy/freeze": r"^(\w+\.)?(copy|frozencopy|copy_to_dict) \(scrapy/settings",
    "robots.txt middleware": r"robots",
    "Scrapy engine, scraper and downloader (request path)": r"\(scrapy/core/",
    "Twisted thread pool hand-offs (DNS, deferToThread)": r"\(twisted/_threads/",
    "logging": r"\(logging/",
    "spiders: parsing pages and feeds": r"\(spiders/",
    "pipelines (normalize, validate, topics, store)": r"\(crawler/pipelines/",
    "Slack SDK": r"\(slack_sdk/",
    "dateparser": r"\(dateparser/",
}


# a thread waiting (thread-pool workers, the event loop's select) is not work
IDLE = re.compile(
    r"^(Condition\.wait|\w*Selector\.select|select|poll|_wait_for_tstate_lock|sleep) \("
    r"|^_worker \(concurrent/futures/thread\.py"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--callers",
        default=r"\(sqlalchemy/",
        help="break down stacks matching this by "
        "the innermost govwatch frame calling into it (default: SQLAlchemy)",
    )
    args = parser.parse_args()
    stacks: list[tuple[list[str], int]] = []
    for line in args.profile.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    everything = sum(count for _, count in stacks) or 1
    stacks = [(frames, count) for frames, count in stacks if not IDLE.search(frames[-1])]
    total = sum(count for _, count in stacks) or 1
    print(f"{everything} samples, {total} busy (idle waits left out); shares of busy samples:")
    for area, pattern in AREAS.items():
        rx = re.compile(pattern)
        inside = sum(count for frames, count in stacks if any(rx.search(f) for f in frames))
        print(f"{100 * inside / total:5.1f} %  {area}")
    rx = re.compile(args.callers)
    callers: Counter[str] = Counter()
    for frames, count in stacks:
        first = next((i for i, f in enumerate(frames) if rx.search(f)), None)
        if first is None:
            continue
        ours = [f for f in frames[:first] if re.search(r"\((crawler|storage|spiders)/", f)]
        callers[ours[-1].split(" (")[0] if ours else "(outside govwatch)"] += count
    print(f"stacks matching {args.callers}, by the govwatch function calling in:")
    for name, count in callers.most_common(args.top):
        print(f"{100 * count / total:5.1f} %  {name}")
    imported: Counter[str] = Counter()
    for frames, count in stacks:
        packages = {_package(f) for f in frames[1:] if f.startswith("<module> (")}
        imported.update(dict.fromkeys(packages - {""}, count))
    print("imports by package (inclusive: a package importing another counts both):")
    for name, count in imported.most_common(args.top):
        print(f"{100 * count / total:5.1f} %  {name}")
    own: Counter[str] = Counter()
    for frames, count in stacks:
        match = re.search(r"\((.*?)(?::\d+)?\)$", frames[-1])
        own[_short(match.group(1) if match else frames[-1])] += count
    print("own samples by file:")
    for name, count in own.most_common(args.top):
        print(f"{100 * count / total:5.1f} %  {name}")


def _package(frame: str) -> str:
    """``scrapy`` for a frame in scrapy/…, ``crawler/cli`` for one of govwatch's modules."""
    match = re.search(r"\(([^:)]*)", frame)
    parts = (match.group(1) if match else "").split("/")
    if len(parts) < 2:
        return ""  # the standard library or the entry script
    if parts[0] in {"crawler", "storage", "spiders"}:
        return "/".join(parts[:2]).removesuffix(".py")
    return parts[0]


def _short(path: str) -> str:
    return re.sub(r"^.*/(site-packages|perf17|lib/python3\.\d+)/", "", path)


if __name__ == "__main__":
    main()
