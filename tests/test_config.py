"""Loading config/sources.yaml: the shipped file is valid; a bad file names file, line,
source id and field, and the CLI turns it into one message and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crawler import app_config, config_loader
from crawler.alerts import routing_config
from crawler.app_config import hold_app_config, load_app_config, read_app_config
from crawler.config_loader import load_sources, parse_sources
from crawler.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
GOOD = """\
jp_mext_news:
  name: MEXT
  kind: feed
  urls: [https://www.mext.go.jp/b_menu/news/index.rdf]
  publisher: MEXT
  country: JP
  language: ja
  timezone: Asia/Tokyo
  schedule: {every: 30m, jitter: 5m}
"""


def test_shipped_sources_file_is_valid() -> None:
    sources = load_sources(ROOT / "config" / "sources.yaml")
    assert {
        "us_whitehouse",
        "eu_commission_press",
        "jp_mext_news",
        "jp_mext_news_list",
        "cn_beijing_policy",
        "us_nsf_news",
        "us_nsf_news_list",
    } <= set(sources)
    for source_id, source in sources.items():
        assert source.id == source_id
        assert source.allowed_domains, source_id


def test_good_source_reads_every_field() -> None:
    source = parse_sources(GOOD, Path("s.yaml"))["jp_mext_news"]
    assert source.schedule.every is not None
    assert source.schedule.every.total_seconds() == 1800
    assert source.schedule.jitter.total_seconds() == 300
    assert source.allowed_domains == ["www.mext.go.jp"]
    assert source.spider_name == "feed"


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_sources(text, Path("config/sources.yaml"))
    return str(caught.value)


def test_misspelt_field_names_file_line_source_field_and_suggestion() -> None:
    message = _error(GOOD.replace("  schedule:", "  shedule:"))
    assert message == (
        'config/sources.yaml:9 jp_mext_news.shedule: unknown field (did you mean "schedule"?)'
    )


def test_misspelt_nested_field_is_suggested_from_the_nested_model() -> None:
    message = _error(GOOD.replace("{every: 30m, jitter: 5m}", "{every: 30m, jiter: 5m}"))
    assert 'jp_mext_news.schedule.jiter: unknown field (did you mean "jitter"?)' in message
    assert message.startswith("config/sources.yaml:9 ")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("feed", "website"), "jp_mext_news.kind: Input should be"),
        (("https://www.mext.go.jp/b_menu/news/index.rdf", "not a url"), "jp_mext_news.urls.0:"),
        (("Asia/Tokyo", "Asia/Atlantis"), "'Asia/Atlantis' is not an IANA time zone"),
        (("every: 30m", "every: 30 minutes"), "is not a duration; write e.g. 30s"),
        (("country: JP", "country: japan"), "jp_mext_news.country:"),
    ],
)
def test_bad_values_name_the_field(edit: tuple[str, str], expected: str) -> None:
    assert expected in _error(GOOD.replace(*edit))


def test_missing_required_field() -> None:
    message = _error(GOOD.replace("  publisher: MEXT\n", ""))
    assert "config/sources.yaml:1 jp_mext_news.publisher: required field is missing" in message


def test_list_page_needs_selectors() -> None:
    message = _error(GOOD.replace("kind: feed", "kind: list_page"))
    assert "kind list_page needs a 'list' section" in message


def test_duplicate_source_is_reported() -> None:
    message = _error(GOOD + GOOD)
    assert "config/sources.yaml:10 jp_mext_news: defined twice" in message


def test_bad_source_id() -> None:
    assert "Japan-MEXT.id: String should match pattern" in _error(
        GOOD.replace("jp_mext_news:", "Japan-MEXT:")
    )


def test_yaml_syntax_error_has_a_line() -> None:
    message = _error(GOOD.replace("  kind: feed", "  kind: [feed"))
    assert message.startswith("config/sources.yaml:")
    assert "not valid YAML" in message


def test_every_problem_is_reported_at_once() -> None:
    broken = GOOD.replace("  shedule", "  schedule").replace("country: JP", "country: jp")
    broken += GOOD.replace("jp_mext_news:", "jp_mext_other:").replace("kind: feed", "kind: x")
    message = _error(broken)
    assert "jp_mext_news.country" in message
    assert "jp_mext_other.kind" in message


def test_cli_reports_bad_config_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text(GOOD.replace("  schedule:", "  shedule:"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "--config", str(bad), "sources"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert f"{bad}:9 jp_mext_news.shedule: unknown field" in result.stderr
    assert "Traceback" not in result.stderr


# One parse with libyaml (docs/performance.md, "Start-up: what lazy imports bought"): the
# lines of the keys are looked up only when something is wrong, and must still be right.


def test_sources_are_parsed_by_libyaml_where_pyyaml_has_it() -> None:
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("this PyYAML was built without libyaml; the pure-Python loader is used")
    assert issubclass(config_loader._Loader, yaml.CSafeLoader)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("  kind: feed", "  kind: [feed"), "config/sources.yaml:4: not valid YAML: "),
        (("  country: JP", "\tcountry: JP"), "config/sources.yaml:6: not valid YAML: "),
        (("  country: JP", "   country: JP"), "config/sources.yaml:6: not valid YAML: "),
    ],
    ids=["unclosed list", "tab", "indentation"],
)
def test_yaml_syntax_error_names_the_file_and_the_line(
    edit: tuple[str, str], expected: str
) -> None:
    message = _error(GOOD.replace(*edit))
    assert message.startswith(expected), message
    assert "\n" not in message  # one line a person can act on
    assert "Traceback" not in message
    assert "Mark" not in message


def test_field_defined_twice_is_reported_with_its_line() -> None:
    message = _error(GOOD.replace("  country: JP\n", "  country: JP\n  country: KR\n"))
    assert message == "config/sources.yaml:7 jp_mext_news.country: defined twice"


def test_errors_after_a_valid_source_keep_their_lines() -> None:
    """The lines come from a second look at the file, made only on error: a problem in
    the second source must still point at the second source's lines."""
    second = GOOD.replace("jp_mext_news:", "jp_mext_other:").replace("  shedule", "  schedule")
    message = _error(GOOD + second.replace("  schedule:", "  shedule:"))
    assert message == (
        'config/sources.yaml:18 jp_mext_other.shedule: unknown field (did you mean "schedule"?)'
    )


def test_merge_keys_override_without_reading_as_defined_twice() -> None:
    """``<<: *anchor`` then a key of its own is YAML's way to share fields, not a mistake."""
    shared = GOOD.replace("jp_mext_news:", "jp_mext_news: &mext")
    text = shared + "jp_mext_news_two:\n  <<: *mext\n  name: MEXT two\n"
    sources = parse_sources(text, Path("s.yaml"))
    assert sources["jp_mext_news_two"].name == "MEXT two"
    assert sources["jp_mext_news_two"].publisher == "MEXT"
    broken = text + "  country: japan\n"
    assert "s.yaml:13 jp_mext_news_two.country:" in _error_at(broken, Path("s.yaml"))


def _error_at(text: str, path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_sources(text, path)
    return str(caught.value)


def test_an_accepted_govwatch_yaml_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon reads govwatch.yaml at start and on reload, not per crawl: once a
    configuration is held, asking for it does not touch the file (here: deleted)."""
    # What this process holds is put back after the test (routing rules included).
    monkeypatch.setattr(app_config, "_held", {})
    monkeypatch.setattr(routing_config, "_held", {})
    path = tmp_path / "govwatch.yaml"
    path.write_text("log_level: DEBUG\n", encoding="utf-8")
    accepted = read_app_config(path)
    hold_app_config(path, accepted)
    path.unlink()  # a read now would be "no such file"
    assert load_app_config(path) is accepted
    assert load_app_config(path).log_level == "DEBUG"
