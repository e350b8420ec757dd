"""Tests for crawler.dates: table-driven cases from cases/dates.yaml plus round-trip properties."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dates import normalize_digits, parse_date, to_aware
from crawler.errors import DateParseError, SourceError

CASES: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).parent / "cases" / "dates.yaml").read_text(encoding="utf-8")
)
OPTION_KEYS = ("timezone", "languages", "date_order")
ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _options(case: dict[str, Any]) -> dict[str, Any]:
    return {key: case[key] for key in OPTION_KEYS if key in case}


def _expected(text: Any) -> date | datetime:
    """A 10-character ISO string is a date; anything longer is a datetime with offset."""
    assert isinstance(text, str), f"quote expected values in dates.yaml: {text!r}"
    if len(text) == 10:
        return date.fromisoformat(text)
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, f"expected datetime needs an offset: {text}"
    return value


def _case_id(case: dict[str, Any]) -> str:
    return repr(case["input"])


def test_case_table_is_complete() -> None:
    assert len(CASES["accepted"]) >= 45
    assert len(CASES["rejected"]) >= 15
    for case in CASES["accepted"] + CASES["rejected"]:
        assert isinstance(case["input"], str), case


@pytest.mark.parametrize("case", CASES["accepted"], ids=_case_id)
def test_accepted(case: dict[str, Any]) -> None:
    expected = _expected(case["expected"])
    result = parse_date(case["input"], **_options(case))
    assert type(result) is type(expected)
    assert result == expected
    if isinstance(expected, datetime):
        assert isinstance(result, datetime)
        assert result.tzinfo is not None
        assert result.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("case", CASES["rejected"], ids=_case_id)
def test_rejected(case: dict[str, Any]) -> None:
    with pytest.raises(DateParseError) as info:
        parse_date(case["input"], **_options(case))
    message = str(info.value)
    assert case["reason_contains"] in message
    assert repr(case["input"]) in message
    assert info.value.raw == case["input"]


def test_error_names_source_and_url() -> None:
    with pytest.raises(SourceError) as info:
        parse_date("2026-02-30", source_id="jp-mof", url="https://www.mof.go.jp/news")
    assert isinstance(info.value, DateParseError)
    assert info.value.source_id == "jp-mof"
    assert info.value.url == "https://www.mof.go.jp/news"
    assert str(info.value).startswith("jp-mof: https://www.mof.go.jp/news: ")


def test_naive_time_uses_source_zone_not_utc() -> None:
    tokyo = parse_date("2026-03-10 09:30", timezone="Asia/Tokyo")
    utc = parse_date("2026-03-10 09:30")
    assert isinstance(tokyo, datetime)
    assert isinstance(utc, datetime)
    assert utc - tokyo == timedelta(hours=9)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "unknown IANA time zone"),
        ({"date_order": "DYM"}, "date_order must be one of"),
    ],
)
def test_bad_configuration_is_value_error(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_date("2026-03-10", **kwargs)


def test_normalize_digits() -> None:
    assert normalize_digits("２０２６年３月１０日（火）") == "2026年3月10日(火)"
    assert normalize_digits("２０２６．０３．１０") == "2026.03.10"
    assert normalize_digits("March 10, 2026") == "March 10, 2026"


def test_to_aware_date_becomes_local_midnight() -> None:
    result = to_aware(date(2026, 3, 10), "Asia/Tokyo")
    assert result == datetime(2026, 3, 10, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert result.utcoffset() == timedelta(hours=9)


def test_to_aware_keeps_aware_and_fills_naive() -> None:
    aware = datetime(2026, 3, 10, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert to_aware(aware, "Asia/Tokyo") is aware
    naive = datetime(2026, 7, 1, 9, 30)  # noqa: DTZ001 - a naive value is the input under test
    filled = to_aware(naive, "Europe/Berlin")
    assert filled.tzinfo is not None
    assert filled.astimezone(UTC) == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)


def _era(day: date) -> str:
    name, offset = ("令和", 2018) if day >= date(2019, 5, 1) else ("平成", 1988)
    year = day.year - offset
    return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"


FORMATS: dict[str, Callable[[date], str]] = {
    "iso": date.isoformat,
    "cjk": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "cjk-full-width": lambda d: f"{d.year}年{d.month}月{d.day}日".translate(FULL_WIDTH),
    "era": _era,
    "korean": lambda d: f"{d.year}. {d.month}. {d.day}.",
    "german": lambda d: f"{d.day}.{d.month}.{d.year}",
    "english": lambda d: f"{ENGLISH_MONTHS[d.month - 1]} {d.day}, {d.year}",
}


@pytest.mark.parametrize("name", sorted(FORMATS))
@settings(database=None, max_examples=150)
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_round_trip(name: str, day: date) -> None:
    text = FORMATS[name](day)
    result = parse_date(text)
    assert type(result) is date, text
    assert result == day, text
