"""Building digests over two weeks of stored publications (SQLite file and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, update

from crawler.app_config import AppConfig
from crawler.digest.build import build_digest
from crawler.digest.period import Period, between, week
from crawler.digest.publish import approve, publish
from crawler.digest.service import build_and_announce
from storage import digests as store
from storage.db import transaction
from storage.models import AlertOutbox, Digest, Publication
from tests.digest.conftest import FIXTURES, XSS_TITLE, Stored, at, store_fixtures
from tests.digest.conftest import store as store_more


def titles(engine: Engine, digest_id: int) -> list[str]:
    with transaction(engine) as session:
        return [publication.title for _, publication in store.items(session, digest_id)]


def keys(stored: Stored, engine: Engine, digest_id: int) -> list[str]:
    names = {value: key for key, value in stored.ids.items()}
    with transaction(engine) as session:
        return [names[p.id] for _, p in store.items(session, digest_id)]


def publish_now(engine: Engine, digest_id: int, tmp_path: object) -> None:
    config = AppConfig.model_validate({"digest": {"output_dir": str(tmp_path)}})
    with transaction(engine) as session:
        digest = session.get_one(Digest, digest_id)
        approve(session, digest, "Editor")
    publish(engine, config, digest_id)


def test_a_week_holds_what_was_first_seen_in_it_by_country_topic_date(engine: Engine) -> None:
    stored = store_fixtures(engine)
    result = build_digest(engine, week("2026-W48"), now=at(30, 10))
    assert result.created
    assert result.digest_id is not None
    # first seen in W48: not the old-dated JP item of W47, not the W49 crawl of a W48 date,
    # not the cross-source duplicate; DE, JP (topic AI before none), KR, US.
    assert keys(stored, engine, result.digest_id) == [
        "de_w48", "jp_w48_ai", "jp_w48_battery", "kr_w48", "us_w48_xss",
    ]  # fmt: skip
    with transaction(engine) as session:
        digest = session.get_one(Digest, result.digest_id)
        assert (digest.label, digest.state) == ("2026-W48", "draft")
        first = store.items(session, result.digest_id)[0][0]
        assert first.key_points == "Das Ministerium fördert KI. Anträge ab sofort. Mehr im Januar."


def test_the_period_uses_first_seen_not_the_publication_date(engine: Engine) -> None:
    stored = store_fixtures(engine)
    result = build_digest(engine, week("2026-W47"), now=at(30, 10))
    assert result.digest_id is not None
    assert keys(stored, engine, result.digest_id) == ["jp_w47_old", "us_w47"]


def test_an_empty_period_makes_no_digest_and_no_announcement(engine: Engine) -> None:
    store_fixtures(engine)
    config = AppConfig.model_validate(
        {"digest": {"editors_channel": "#editors"}, "web": {"base_url": "https://gw.example"}}
    )
    result = build_and_announce(engine, config, {}, week("2026-W45"), now=at(30), fetch=False)
    assert result.digest_id is None
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Digest)) == 0
        kinds = set(session.scalars(select(AlertOutbox.kind)))
    assert kinds == set()
    # a week with items is announced once, with the review link
    result = build_and_announce(engine, config, {}, week("2026-W48"), now=at(30), fetch=False)
    build_and_announce(engine, config, {}, week("2026-W48"), now=at(30, 13), fetch=False)
    with transaction(engine) as session:
        rows = list(
            session.scalars(select(AlertOutbox).where(AlertOutbox.kind == "digest_announcement"))
        )
    assert len(rows) == 1
    assert f"https://gw.example/digests/{result.digest_id}" in str(rows[0].payload["blocks"])


def test_items_after_the_snapshot_wait_and_go_to_the_next_digest(
    engine: Engine, tmp_path: object
) -> None:
    stored = store_fixtures(engine)
    # built on Thursday noon: the US item seen on Friday arrives after the snapshot
    result = build_digest(engine, week("2026-W48"), now=at(26, 13))
    assert result.digest_id is not None
    assert "us_w48_xss" not in keys(stored, engine, result.digest_id)
    with transaction(engine) as session:
        digest = session.get_one(Digest, result.digest_id)
        from crawler.digest.build import pending

        assert [p.title for p in pending(session, digest)] == [XSS_TITLE]
    publish_now(engine, result.digest_id, tmp_path)
    following = build_digest(engine, week("2026-W49"), now=at(7, 10, month=12))
    assert following.digest_id is not None
    # topic order within the US: AI before budget
    assert keys(stored, engine, following.digest_id) == ["us_w49", "us_w48_xss"]


def test_what_an_earlier_published_digest_holds_never_repeats(
    engine: Engine, tmp_path: object
) -> None:
    stored = store_fixtures(engine)
    first = build_digest(engine, week("2026-W47"), now=at(23, 10))
    assert first.digest_id is not None
    publish_now(engine, first.digest_id, tmp_path)
    both = build_digest(engine, between("2026-11-16", "2026-11-29"), now=at(30, 10))
    assert both.digest_id is not None
    names = keys(stored, engine, both.digest_id)
    assert "us_w47" not in names
    assert "jp_w47_old" not in names
    assert len(names) == 5


def test_rebuilding_a_draft_keeps_every_edit(engine: Engine) -> None:
    stored = store_fixtures(engine)
    built = build_digest(engine, week("2026-W48"), now=at(26, 13))
    assert built.digest_id is not None
    with transaction(engine) as session:
        rows = {p.id: item for item, p in store.items(session, built.digest_id)}
        excluded = rows[stored.ids["kr_w48"]]
        excluded.included = False
        edited = rows[stored.ids["de_w48"]]
        edited.key_points, edited.key_points_edited, edited.lead = "Edited by hand.", True, True
        edited.position, excluded.position = 100, 101
    with transaction(engine) as session:  # the stored publication is not touched
        assert session.get_one(Publication, stored.ids["de_w48"]).summary.startswith(
            "Das Ministerium"
        )
    again = build_digest(engine, week("2026-W48"), now=at(30, 10))
    assert again.digest_id == built.digest_id
    assert (again.added, again.kept) == (1, 4)
    with transaction(engine) as session:
        rows = {p.id: item for item, p in store.items(session, built.digest_id)}
        assert rows[stored.ids["kr_w48"]].included is False
        kept = rows[stored.ids["de_w48"]]
        assert (kept.key_points, kept.lead, kept.position) == ("Edited by hand.", True, 100)
        assert rows[stored.ids["us_w48_xss"]].included is True


def test_an_approved_digest_is_not_rebuilt(engine: Engine) -> None:
    store_fixtures(engine)
    built = build_digest(engine, week("2026-W48"), now=at(26, 13))
    assert built.digest_id is not None
    with transaction(engine) as session:
        approve(session, session.get_one(Digest, built.digest_id), "Editor")
    again = build_digest(engine, week("2026-W48"), now=at(30, 10))
    assert again.added == 0
    assert "approved" in again.note
    assert len(titles(engine, built.digest_id)) == 4


def test_a_period_is_read_in_the_digest_time_zone(engine: Engine) -> None:
    stored = store_fixtures(engine)
    # 23 Nov 00:00 UTC is still Sunday 22 Nov in New York: W47 there, not W48
    more = store_more(
        engine,
        [
            (
                "ny",
                at(23, 2),
                {"source_id": "us_src", "title": "Late Sunday", "country": "US", "summary": None},
            )
        ],
    )
    stored.ids.update(more)
    result = build_digest(
        engine, Period(week("2026-W47").start, week("2026-W47").end, "America/New_York"), now=at(30)
    )
    assert result.digest_id is not None
    assert {"kr_w48", "ny"} <= set(keys(stored, engine, result.digest_id))
    assert len(FIXTURES) == 8


def test_a_silent_baseline_is_not_news_but_what_it_alerted_is(engine: Engine) -> None:
    """A source added this week brings its backlog in a silent baseline: none of it is the
    week's news. What a baseline did alert (``--backfill``) and what later runs found are."""
    from crawler.items import PublicationItem
    from crawler.pipelines.store import store_publication_item
    from storage.runs import start_run
    from storage.sources import sync_sources

    def item(key: str) -> PublicationItem:
        return PublicationItem(
            source_id="new_src", url=f"https://example.org/new/{key}", title=f"Item {key}",
            country="FR", summary="A summary that says rather more than the title does.",
        )  # fmt: skip

    with transaction(engine) as session:
        sync_sources(session, [("new_src", "new_src")])
        baseline = start_run(session, "new_src", is_baseline=True)
        later = start_run(session, "new_src", is_baseline=False)
        for key in ("backlog-1", "backlog-2"):
            store_publication_item(session, item(key), run_id=baseline, destinations=[])
        store_publication_item(
            session, item("backfilled"), run_id=baseline, destinations=["console"]
        )
        store_publication_item(session, item("found-later"), run_id=later, destinations=[])
        session.execute(
            update(Publication).values(first_seen_at=at(24))  # all first seen in W48
        )
    result = build_digest(engine, week("2026-W48"), now=at(30, 10))
    assert result.digest_id is not None
    assert sorted(titles(engine, result.digest_id)) == ["Item backfilled", "Item found-later"]
