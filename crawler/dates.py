"""Read publication dates from the pages and feeds of government sites, without guessing.

Government sites write dates in many local forms: Japanese era years (令和8年3月10日) and
full-width digits, Chinese and Korean year-month-day forms, German ``10.03.2026`` and
``10. März 2026``, English prose, ISO 8601 and RFC 822 feed dates. The explicit forms are
recognised first by strict patterns (eras and CJK forms are converted before any generic parser
sees the text, because generic parsers misread them); only then does ``dateparser`` get the
text, with the caller's languages and settings that forbid filling in missing parts. A date
that is empty, relative ("yesterday", "3日前"), ambiguous (``03/04/2026``, two-digit years)
or impossible (``2026-02-30``, ``令和元年4月1日``) raises :class:`DateParseError` with a reason
a person can act on: a wrong publication date silently stored is worse than a visible error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from datetime import timezone as FixedOffset
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser
from dateparser.timezone_parser import pop_tz_offset_from_string

from crawler.errors import DateParseError

__all__ = ["DATE_ORDERS", "day_if_local_midnight", "normalize_digits", "parse_date", "to_aware"]

DATE_ORDERS = frozenset({"DMY", "MDY", "YMD"})
"""Values accepted for ``date_order``: how a site writes all-numeric dates."""

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_LATIN_WEEKDAYS: dict[str, int] = {
    **{name.lower(): i for i, name in enumerate(_WEEKDAY_NAMES)},
    **dict.fromkeys(("mon",), 0),
    **dict.fromkeys(("tue", "tues"), 1),
    **dict.fromkeys(("wed",), 2),
    **dict.fromkeys(("thu", "thur", "thurs"), 3),
    **dict.fromkeys(("fri",), 4),
    **dict.fromkeys(("sat",), 5),
    **dict.fromkeys(("sun",), 6),
    **{w: i for i, w in enumerate(("montag", "dienstag", "mittwoch", "donnerstag", "freitag"))},
    **dict.fromkeys(("samstag", "sonnabend"), 5),
    "sonntag": 6,
    **{w: i for i, w in enumerate(("mo", "di", "mi", "do", "fr", "sa", "so"))},
}

_CJK_WEEKDAYS: dict[str, int] = {
    **{c: i for i, c in enumerate("月火水木金土日")},
    **{c: i for i, c in enumerate("월화수목금토일")},
}

_MONTHS: dict[str, int] = {
    # English, full names and abbreviations
    **{m: i for i, m in enumerate(("january", "february", "march", "april", "may"), 1)},
    **{m: i for i, m in enumerate(("june", "july", "august", "september"), 6)},
    **{m: i for i, m in enumerate(("october", "november", "december"), 10)},
    **{m: i for i, m in enumerate(("jan", "feb", "mar", "apr"), 1)},
    **{m: i for i, m in enumerate(("jun", "jul", "aug", "sep"), 6)},
    **{"sept": 9, "oct": 10, "nov": 11, "dec": 12},
    # German (and Austrian) names and the abbreviations used on official sites
    **{"januar": 1, "jänner": 1, "jän": 1, "februar": 2, "feber": 2},
    **{"märz": 3, "maerz": 3, "mär": 3, "mrz": 3, "mai": 5, "juni": 6, "juli": 7},
    **{"oktober": 10, "okt": 10, "dezember": 12, "dez": 12},
}


def _alternation(words: Sequence[str]) -> str:
    """Regex alternation, longest first so that ``march`` wins over ``mar``."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_MONTH_RE = _alternation(list(_MONTHS))
_LATIN_WEEKDAY = re.compile(rf"^(?P<wd>{_alternation(list(_LATIN_WEEKDAYS))})\b\.?,?\s*", re.I)
_CJK_WEEKDAY = re.compile(r"\(\s*(?P<wd>[月火水木金土日월화수목금토일])\s*(?:曜日|曜|요일)?\s*\)")
_BRACKETS = "[](){}<>【】「」『』〔〕〈〉《》 "

_ERA_KANJI = re.compile(
    r"^(?P<era>令和|平成|昭和|大正)\s*(?P<n>元|\d{1,2})\s*年\s*(?P<m>\d{1,2})\s*月"
    r"\s*(?P<d>\d{1,2})\s*日"
)
_ERA_LETTER = re.compile(
    r"^(?P<era>[RHST])\s*(?P<n>元|\d{1,2})\s*(?P<sep>[./])\s*(?P<m>\d{1,2})\s*(?P=sep)"
    r"\s*(?P<d>\d{1,2})(?!\d)",
    re.I,
)
_CJK_YMD = re.compile(
    r"^(?P<y>\d{4})\s*[年년]\s*(?P<m>\d{1,2})\s*[月월]\s*(?P<d>\d{1,2})\s*[日일号號]"
)
_YMD = re.compile(
    r"^(?P<y>\d{4})\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})(?!\d)\.?"
)
_GERMAN_DOTTED = re.compile(r"^(?P<d>\d{1,2})\.\s*(?P<m>\d{1,2})\.\s*(?P<y>\d{4})(?!\d)")
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})\s*(?P<sep>[-/.])\s*(?P<b>\d{1,2})\s*(?P=sep)\s*(?P<c>\d{4}|\d{2})(?!\d)"
)
_PROSE_MDY = re.compile(
    rf"^(?P<mon>{_MONTH_RE})\b\.?\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d),?\s*"
    r"(?P<y>\d{4})(?!\d)",
    re.I,
)
_PROSE_DMY = re.compile(
    rf"^(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?P<mon>{_MONTH_RE})\b\.?,?\s*"
    r"(?P<y>\d{4})(?!\d)",
    re.I,
)
_RFC822 = re.compile(
    r"^\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) \d{4} "
    r"\d{1,2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|ut|utc|gmt|z|[ecmp][sd]t)$",
    re.I,
)
_TIME_TAIL = re.compile(
    r"""^(?:T|\s*,\s*|\s+)(?:(?:at|um|à)\s+)?
    (?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d{1,6})\d*)?)?
    \s*(?P<ampm>[ap]\.?\s?m\.?)?
    (?:\s*uhr)?
    \s*(?P<tz>z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?\s*$""",
    re.I | re.X,
)
_CJK_TIME_TAIL = re.compile(
    r"^\s*(?P<h>\d{1,2})\s*[時时시]\s*(?:(?P<mi>\d{1,2})\s*[分분]\s*(?:(?P<s>\d{1,2})\s*[秒초])?)?\s*$"
)
_TRAILING_ZONE = re.compile(r"\s*(?P<tz>\bz|\butc|\bgmt|[+-]\d{2}:?\d{2})\s*$", re.I)
_RELATIVE = re.compile(
    r"\b(?:ago|yesterday|today|tomorrow|gestern|vorgestern|heute|morgen|vor\s+\d+"
    r"|demain|aujourd'hui|il\s+y\s+a|ayer|hoy|hace)\b"
    r"|(?<!午)[前後后]|昨日|今日|本日|明日|昨天|今天|明天|어제|오늘|내일|전(?![가-힣])",
    re.I,
)
_NUMERIC_TRIPLE = re.compile(r"(?<!\d)\d{1,2}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{2,4}(?!\d)")
_FOUR_DIGIT_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_CLOCK_HINT = re.compile(r"\d\s*(?::|h|時|时|시)\s*\d|\d\s*[ap]\.?m\b", re.I)

# Two fixed "now"s: a text whose reading depends on "now" is relative, whatever its language.
_RELATIVE_BASES = (
    datetime.combine(date(2001, 2, 3), time(4, 5)),
    datetime.combine(date(2011, 7, 19), time(13, 37)),
)


@dataclass(frozen=True)
class _Era:
    """A Japanese era: gregorian year = offset + era year, valid from start to end."""

    name: str
    offset: int
    start: date
    end: date | None


_ERAS: dict[str, _Era] = {
    "令和": _Era("令和", 2018, date(2019, 5, 1), None),
    "平成": _Era("平成", 1988, date(1989, 1, 8), date(2019, 4, 30)),
    "昭和": _Era("昭和", 1925, date(1926, 12, 25), date(1989, 1, 7)),
    "大正": _Era("大正", 1911, date(1912, 7, 30), date(1926, 12, 24)),
}
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正"}


class _Reject(Exception):
    """Raised deep inside the parsers; :func:`parse_date` adds source, URL and raw text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Found:
    """A valid calendar day read by an explicit form, and the text that followed it."""

    day: date
    tail: str


def normalize_digits(text: str) -> str:
    """Fold full-width digits, letters and punctuation to ASCII (NFKC).

    Japanese and Chinese pages often write ``２０２６年３月１０日`` or ``（火）``; after NFKC the
    same patterns read them as ASCII. NFKC also expands era ligatures such as ``㍻`` to ``平成``.
    """
    return unicodedata.normalize("NFKC", text)


def day_if_local_midnight(value: date | datetime, timezone: str) -> date | datetime:
    """A feed time that is exactly midnight in the source's zone stands for a day only.

    Some sites publish day-only dates as ``22:00Z`` / ``23:00Z`` (midnight in Paris or
    Brussels); read as UTC they would land on the previous day.
    """
    if isinstance(value, datetime):
        local = value.astimezone(_zone(timezone))
        return local.date() if local.time() == time(0) else local
    return value


def to_aware(value: date | datetime, timezone: str) -> datetime:
    """Return an aware datetime so that dates and datetimes can be compared and sorted.

    A plain date becomes midnight in ``timezone``; a naive datetime is taken to be local time
    in ``timezone``; an aware datetime is returned unchanged.
    """
    zone = _zone(timezone)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(0), tzinfo=zone)


def parse_date(
    text: str,
    *,
    timezone: str = "UTC",
    languages: Sequence[str] | None = None,
    date_order: str | None = None,
    source_id: str = "-",
    url: str | None = None,
) -> date | datetime:
    """Read one absolute publication date, or raise :class:`DateParseError` saying why not.

    Returns a ``date`` when the text has no time of day, else an aware ``datetime`` (offset
    from the text, or ``timezone`` for naive times). ``languages`` are hints for the generic
    fallback only; ``date_order`` ("DMY", "MDY", "YMD") is how the source writes numeric dates
    and is the only way ambiguous ones such as ``03/04/2026`` are accepted.
    Raises ``ValueError`` for an unknown ``timezone`` or ``date_order`` (a configuration bug).
    """
    zone = _zone(timezone)
    if date_order is not None and date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {sorted(DATE_ORDERS)}, not {date_order!r}")
    try:
        return _parse(text, zone, languages, date_order)
    except _Reject as exc:
        raise DateParseError(source_id, url, text, exc.reason) from None


def _zone(name: str) -> ZoneInfo:
    """Load an IANA zone; an unknown name is a configuration error, not a date error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def _parse(
    text: str, zone: ZoneInfo, languages: Sequence[str] | None, order: str | None
) -> date | datetime:
    """Try the explicit forms, then the generic fallback; check any weekday given."""
    if not text or not text.strip():
        raise _Reject("the text is empty")
    cleaned, weekday = _clean(text)
    value = _parse_explicit(cleaned, zone, order)
    if value is None:
        value = _parse_fallback(cleaned, zone, languages, order)
    if weekday is not None and value.weekday() != weekday:
        raise _Reject(
            f"weekday {_WEEKDAY_NAMES[weekday]} does not match {value.strftime('%Y-%m-%d')}, "
            f"which is a {_WEEKDAY_NAMES[value.weekday()]}"
        )
    return value


def _clean(text: str) -> tuple[str, int | None]:
    """Normalise digits, drop surrounding brackets and take out a weekday to check later."""
    s = normalize_digits(text)
    weekday: int | None = None
    match = _CJK_WEEKDAY.search(s)
    if match:
        weekday = _CJK_WEEKDAYS[match["wd"]]
        s = f"{s[: match.start()]} {s[match.end() :]}"
    s = re.sub(r"\s+", " ", s).strip(_BRACKETS)
    match = _LATIN_WEEKDAY.match(s)
    if match and match.end() < len(s):
        weekday = _LATIN_WEEKDAYS[match["wd"].lower()]
        s = s[match.end() :]
    return s, weekday


def _parse_explicit(s: str, zone: ZoneInfo, order: str | None) -> date | datetime | None:
    """Return the value of the first explicit form that matches, or None if none does."""
    if _RFC822.match(s):
        return _parse_rfc822(s)
    for form in _FORMS:
        found = form(s, order)
        if found is not None:
            return _attach_time(found, zone)
    return None


def _parse_rfc822(s: str) -> datetime:
    """Feed dates: email.utils knows RFC 822 zone names such as EST and GMT."""
    try:
        value = parsedate_to_datetime(s)
    except (ValueError, TypeError) as exc:
        raise _Reject(f"impossible date or time: {exc}") from None
    # "-0000" means "UTC, local zone unknown" (RFC 5322 3.3); email.utils returns it naive.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _make_date(year: int, month: int, day: int) -> date:
    """Build a date, turning an impossible one into a rejection that shows it."""
    try:
        return date(year, month, day)
    except ValueError:
        raise _Reject(f"impossible date: {year:04d}-{month:02d}-{day:02d} does not exist") from None


def _era_date(era_name: str, era_year: str, month: str, day: str) -> date:
    """Convert an era date, rejecting one that falls outside the era (令和元年4月1日)."""
    era = _ERAS[era_name]
    number = 1 if era_year == "元" else int(era_year)
    if number < 1:
        raise _Reject(f"impossible date: era year {era.name}{number}年 does not exist")
    value = _make_date(era.offset + number, int(month), int(day))
    if value < era.start or (era.end is not None and value > era.end):
        span = f"began on {era.start}" if era.end is None else f"ran {era.start} to {era.end}"
        raise _Reject(f"{value} is outside the {era.name} era, which {span}")
    return value


def _era_kanji_form(s: str, order: str | None) -> _Found | None:
    """令和8年3月10日, 平成元年1月8日."""
    m = _ERA_KANJI.match(s)
    if m is None:
        return None
    return _Found(_era_date(m["era"], m["n"], m["m"], m["d"]), s[m.end() :])


def _era_letter_form(s: str, order: str | None) -> _Found | None:
    """R8.3.10, H31.4.30: the short era form used in Japanese official documents."""
    m = _ERA_LETTER.match(s)
    if m is None:
        return None
    era = _ERA_LETTERS[m["era"].upper()]
    return _Found(_era_date(era, m["n"], m["m"], m["d"]), s[m.end() :])


def _cjk_form(s: str, order: str | None) -> _Found | None:
    """2026年3月10日 (Japanese, Chinese) and 2026년 3월 10일 (Korean)."""
    m = _CJK_YMD.match(s)
    if m is None:
        return None
    return _Found(_make_date(int(m["y"]), int(m["m"]), int(m["d"])), s[m.end() :])


def _ymd_form(s: str, order: str | None) -> _Found | None:
    """Four-digit year first: ISO 2026-03-10, 2026/03/10, 2026.03.10, Korean 2026. 3. 10."""
    m = _YMD.match(s)
    if m is None:
        return None
    return _Found(_make_date(int(m["y"]), int(m["m"]), int(m["d"])), s[m.end() :])


def _german_dotted_form(s: str, order: str | None) -> _Found | None:
    """D.M.YYYY is always day first: the German convention, whatever date_order says."""
    m = _GERMAN_DOTTED.match(s)
    if m is None:
        return None
    return _Found(_make_date(int(m["y"]), int(m["m"]), int(m["d"])), s[m.end() :])


def _numeric_form(s: str, order: str | None) -> _Found | None:
    """03/04/2026, 10-03-2026, 04.03.26: accepted only when day and month cannot swap."""
    m = _NUMERIC.match(s)
    if m is None:
        return None
    year, month, day = _resolve_numeric(int(m["a"]), int(m["b"]), m["c"], order)
    return _Found(_make_date(year, month, day), s[m.end() :])


def _resolve_numeric(a: int, b: int, c: str, order: str | None) -> tuple[int, int, int]:
    """Decide which number is day, month and year, or reject rather than guess."""
    if len(c) == 2:
        if order is None:
            raise _Reject("ambiguous two-digit year; configure date_order for this source")
        if order == "YMD":
            return _expand_year(a), b, int(c)
        year = _expand_year(int(c))
    elif order == "YMD":
        raise _Reject("date_order YMD does not fit a date whose four-digit year comes last")
    else:
        year = int(c)
    if order == "DMY":
        return year, b, a
    if order == "MDY" or a == b or b > 12:
        return year, a, b
    if a > 12:
        return year, b, a
    raise _Reject(
        f"ambiguous day/month order: {a}/{b} could be day {a} of month {b} or month {a} "
        f"day {b}; configure date_order for this source"
    )


def _expand_year(two_digits: int) -> int:
    """POSIX strptime %y pivot: 69-99 are 1969-1999, 00-68 are 2000-2068."""
    return two_digits + (1900 if two_digits >= 69 else 2000)


def _prose_form(s: str, order: str | None) -> _Found | None:
    """English and German month names: March 10, 2026 / 10 Mar 2026 / 10. März 2026."""
    m = _PROSE_MDY.match(s) or _PROSE_DMY.match(s)
    if m is None:
        return None
    month = _MONTHS[m["mon"].lower()]
    return _Found(_make_date(int(m["y"]), month, int(m["d"])), s[m.end() :])


_FORMS: tuple[Callable[[str, str | None], _Found | None], ...] = (
    _era_kanji_form,
    _era_letter_form,
    _cjk_form,
    _ymd_form,
    _german_dotted_form,
    _numeric_form,
    _prose_form,
)


def _attach_time(found: _Found, zone: ZoneInfo) -> date | datetime:
    """Combine the day with a time of day from the tail; any other trailing text rejects."""
    tail = found.tail
    if not tail.strip(" ,"):
        return found.day
    match = _TIME_TAIL.match(tail) or _CJK_TIME_TAIL.match(tail)
    if match is None:
        raise _Reject(f"unexpected text after the date: {tail.strip()!r}")
    clock = _clock(match.groupdict())
    naive = datetime.combine(found.day, clock)
    offset = _offset(match.groupdict().get("tz"))
    return naive.replace(tzinfo=offset) if offset is not None else _localize(naive, zone)


def _clock(groups: dict[str, Any]) -> time:
    """Build the time of day, with a.m./p.m. when given, rejecting 25:00 and the like."""
    hour, minute, second = int(groups["h"]), int(groups.get("mi") or 0), int(groups.get("s") or 0)
    micro = int((groups.get("frac") or "0").ljust(6, "0"))
    ampm = groups.get("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise _Reject(f"impossible time of day: {hour} {ampm}")
        hour = hour % 12 + (12 if ampm[0].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _Reject(f"impossible time of day: {hour:02d}:{minute:02d}:{second:02d}")
    return time(hour, minute, second, micro)


def _offset(text: str | None) -> tzinfo | None:
    """Turn ``Z``, ``GMT``, ``+0900``, ``-05:00`` or ``+09`` into a fixed offset."""
    if not text:
        return None
    if text.upper() in {"Z", "UTC", "GMT"}:
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise _Reject(f"impossible UTC offset {text}")
    sign = -1 if text[0] == "-" else 1
    return FixedOffset(sign * timedelta(hours=hours, minutes=minutes))


def _localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Give a naive time the source's zone, rejecting times a clock change skips or repeats."""
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise _Reject(f"{naive} does not exist in {zone.key} (clock change)")
    if naive.replace(tzinfo=zone, fold=1).utcoffset() != aware.utcoffset():
        raise _Reject(f"{naive} happens twice in {zone.key} (clock change); give an offset")
    return aware


def _parse_fallback(
    s: str, zone: ZoneInfo, languages: Sequence[str] | None, order: str | None
) -> date | datetime:
    """Hand text no explicit form knows to dateparser, after the checks it does not make."""
    _reject_unreadable(s, order)
    body, offset = _split_zone(s)
    value = _dateparser(body, languages, order)
    if value.tzinfo is not None:
        return value
    if value.time() == time(0) and not _CLOCK_HINT.search(body):
        return value.date()
    return value.replace(tzinfo=offset) if offset is not None else _localize(value, zone)


def _reject_unreadable(s: str, order: str | None) -> None:
    """Reject relative, date-less and ambiguous texts before dateparser could accept them."""
    relative = _RELATIVE.search(s)
    if relative:
        raise _Reject(f"relative date ({relative.group()!r}); a publication date must be absolute")
    if not re.search(r"\d", s):
        raise _Reject("no date found in the text")
    if order is None and _NUMERIC_TRIPLE.search(s):
        raise _Reject("ambiguous day/month order; configure date_order for this source")
    if not _FOUR_DIGIT_YEAR.search(s):
        raise _Reject("no four-digit year; the date is incomplete or ambiguous")


def _split_zone(s: str) -> tuple[str, tzinfo | None]:
    """Take a trailing UTC offset off; refuse zone abbreviations, which are ambiguous (IST)."""
    match = _TRAILING_ZONE.search(s)
    offset = _offset(match["tz"]) if match else None
    body = s[: match.start()] if match else s
    _, named = pop_tz_offset_from_string(body)
    if named is not None:
        raise _Reject(f"time-zone name {named.tzname(None)} is ambiguous; give a UTC offset")
    return body, offset


def _dateparser(body: str, languages: Sequence[str] | None, order: str | None) -> datetime:
    """Run dateparser twice with different "now"s: a relative text reads differently."""
    settings: dict[str, Any] = {
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "STRICT_PARSING": True,
        "REQUIRE_PARTS": ["day", "month", "year"],
    }
    if order is not None:
        settings["DATE_ORDER"] = order
    langs = list(languages or ["en"])
    first, second = (
        dateparser.parse(body, languages=langs, settings={**settings, "RELATIVE_BASE": base})
        for base in _RELATIVE_BASES
    )
    if first is None:
        raise _Reject("unrecognised date format")
    if first != second:
        raise _Reject("relative date; a publication date must be absolute")
    result: datetime = first
    return result
