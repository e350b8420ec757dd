"""Properties of crawler.dates: any text is a date or a DateParseError with a reason (never
another exception), dates written in the forms the sources use read back to the same day,
and the window check of the validate pipeline is total (years 1 to 9999)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crawler.dates import parse_date
from crawler.errors import DateParseError
from crawler.pipelines.validate import EARLIEST_PUBLICATION, FUTURE_TOLERANCE, date_problem
from tests.property.settings import property_settings

ZONES = st.sampled_from(["UTC", "Asia/Tokyo", "Asia/Shanghai", "Europe/Berlin", "America/New_York"])
ORDERS = st.sampled_from([None, "DMY", "MDY", "YMD"])
LANGUAGES = st.sampled_from([None, ["en"], ["ja"], ["zh"], ["ko"], ["de"], ["fr"]])
# Pieces real and broken date texts are made of; joined at random they make odd dates.
FRAGMENTS = st.sampled_from(
    [
        "Fri,",
        "31",
        "Dec",
        "9999",
        "23:00:00",
        "-0500",
        "+0900",
        "GMT",
        "Z",
        "0000",
        "00",
        "13",
        "40",
        "2026",
        "1979",
        "1990",
        "令和",
        "平成",
        "元年",
        "年",
        "月",
        "日",
        "(水)",
        "号",
        "년",
        "월",
        "일",
        "R8",
        "H31",
        ".",
        "/",
        "-",
        "T",
        "März",
        "février",
        "yesterday",
        "3 days ago",
        "am",
        "pm",
        "時",
        "分",
        "２０２６",
        "１０",
        "Ⅻ",
        "\u200b",
        "\ufeff",
        " ",
    ]
)
ODD_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(FRAGMENTS, max_size=10).map(" ".join),
    st.lists(FRAGMENTS, max_size=10).map("".join),
)


def accepted_days() -> st.SearchStrategy[date]:
    today = datetime.now(UTC).date()
    return st.dates(min_value=date(2019, 5, 1), max_value=today)


@property_settings(150)
@given(ODD_TEXT, ZONES, ORDERS, LANGUAGES)
def test_any_text_is_a_date_or_a_date_parse_error_with_a_reason(
    text: str, zone: str, order: str | None, languages: list[str] | None
) -> None:
    try:
        value = parse_date(text, timezone=zone, date_order=order, languages=languages)
    except DateParseError as exc:
        reason = str(exc)
    else:
        reason = None
    if reason is not None:
        assert reason.strip(), "a rejected date must say why"
        return
    assert isinstance(value, date)
    if isinstance(value, datetime):
        assert value.tzinfo is not None, f"{text!r} gave a naive datetime"


FORMS = {
    "rfc822": lambda d: d.strftime("%a, %d %b %Y 10:00:00 +0000"),
    "iso": lambda d: d.isoformat(),
    "iso_time": lambda d: f"{d.isoformat()}T09:30:00Z",
    "prose_mdy": lambda d: d.strftime("%B ") + f"{d.day}, {d.year}",
    "prose_dmy": lambda d: f"{d.day} " + d.strftime("%b %Y"),
    "kanji": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "reiwa": lambda d: f"令和{d.year - 2018}年{d.month}月{d.day}日",
    "korean": lambda d: f"{d.year}년 {d.month}월 {d.day}일",
    "dotted": lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
}


@property_settings(200)
@given(accepted_days(), st.sampled_from(sorted(FORMS)))
def test_a_day_written_in_a_source_form_reads_back_as_that_day(day: date, form: str) -> None:
    text = FORMS[form](day)
    value = parse_date(text, timezone="UTC")
    read = value.date() if isinstance(value, datetime) else value
    assert read == day, f"{text!r} read as {read}"


@property_settings(150)
@given(
    st.one_of(
        st.dates(),
        st.datetimes(timezones=st.sampled_from([UTC, None])),
    )
)
def test_the_window_check_is_total_and_exact(value: date) -> None:
    today = datetime.now(UTC).date()
    day = value.date() if isinstance(value, datetime) else value
    problem = date_problem(value, today=today)
    inside = EARLIEST_PUBLICATION <= day <= today + FUTURE_TOLERANCE
    assert (problem is None) == inside, (value, problem)


@property_settings(200)
@given(ODD_TEXT, ZONES)
def test_whatever_parse_date_returns_the_window_check_can_judge(text: str, zone: str) -> None:
    """Near year 1 or 9999 a time zone shift overflows; the judge must still answer."""
    try:
        value = parse_date(text, timezone=zone)
    except DateParseError:
        return
    problem = date_problem(value)
    day = value.date() if isinstance(value, datetime) else value
    if problem is None:
        assert EARLIEST_PUBLICATION <= day <= datetime.now(UTC).date() + timedelta(days=7)
