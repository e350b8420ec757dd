"""``govwatch check --save`` and ``--suggest``, run as a user runs them (a real process)."""

from __future__ import annotations

from pathlib import Path

import yaml
from parsel.csstranslator import css2xpath

from storage.db import make_engine, upgrade
from tests.crawling import crawl
from tests.fidelity.mutations import redesign
from tests.fidelity.redesign import sidebar_for
from tests.servers.pages import PageServer, Route
from tests.sourcepack import fixture_bytes, serve_source
from tests.test_cli import govwatch

BEIJING = "cn_beijing_policy"


def test_save_writes_responses_the_fixture_server_serves_again(
    pages: PageServer, tmp_path: Path
) -> None:
    served = serve_source(pages, "us_nsf_news_list")
    url = str(served.source.urls[0])
    saved = tmp_path / "capture"
    result = govwatch("check", "us_nsf_news_list", "--url", url, "--save", str(saved), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load((saved / "serve.yaml").read_text(encoding="utf-8"))
    [page] = manifest["pages"]
    assert (page["path"], page["status"], page["start"]) == ("/news/releases", 200, True)
    assert page["content_type"] == "text/html; charset=UTF-8"
    assert page["headers"]["Content-Type"] == "text/html; charset=UTF-8"
    assert (saved / page["file"]).read_bytes() == fixture_bytes("us_nsf_news_list", "page0.html")
    provenance = (saved / "SOURCE.md").read_text(encoding="utf-8")
    assert "**Provenance:** real capture, 20" in provenance
    # The saved folder is served the way tests/fixtures/<id>/ is, and reads the same.
    with PageServer() as again:
        for entry in manifest["pages"]:
            body = (saved / entry["file"]).read_bytes()
            again.route(entry["path"], Route(body, content_type=entry["content_type"]))
        replayed = crawl(served.source.with_urls([again.url("/news/releases")]), None)[0]
    assert (replayed.outcome, replayed.items_parsed) == ("ok", 10)


def test_suggest_prints_selectors_that_read_the_redesigned_page(
    pages: PageServer, tmp_path: Path
) -> None:
    served = serve_source(pages, BEIJING)
    history = make_engine(f"sqlite:///{tmp_path / 'gw.sqlite3'}")  # the CLI's database
    upgrade(history)
    original = crawl(served.source, history)[0]  # the baseline: known items
    assert original.outcome == "ok"
    expected = crawl(served.source, None)[0].items
    rows = [css2xpath(template.item) for template in served.source.list_templates]
    served.replace(
        "index.html", redesign(fixture_bytes(BEIJING, "index.html"), rows, sidebar_for(expected))
    )
    url = str(served.source.urls[0])
    result = govwatch("check", BEIJING, "--url", url, "--suggest", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "govwatch check: degraded:" in result.stderr
    comment, _, pasted = result.stdout.partition("\nlist:\n")
    assert "verified)" in comment
    assert "not verified" not in comment
    selectors = yaml.safe_load("list:\n" + pasted)["list"]
    assert set(selectors) >= {"item", "title", "link", "date"}
    fixed = served.source.model_copy(update={"list_selectors": None})
    fixed = type(fixed).model_validate({**fixed.model_dump(by_alias=True), "list": selectors})
    summary = crawl(fixed, None)[0]
    assert summary.outcome == "ok"
    got = [(item.url, item.title, item.published) for item in summary.items]
    assert got == [(item.url, item.title, item.published) for item in expected]
    history.dispose()
