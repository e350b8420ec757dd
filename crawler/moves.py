"""Settle a run's move candidates: a site that moved its documents is not news.

During a run the store pipeline holds back each "new" item whose title and day match a
stored publication of the same source at another address (:class:`MoveCandidate`). When the
run ends:

- if most of the run's new items are such candidates, and their old addresses were not
  seen in this run, the site moved: each stored publication takes its new URL and identity,
  the items count as duplicates, ops get ONE notice, analysts get nothing;
- otherwise each candidate is stored as the new publication it appears to be (two items of
  one day with one title, a republished document …), alerted as usual.
"""

from __future__ import annotations

import logging

from crawler.pipelines.store import new_publication, store_item
from crawler.runs import MoveCandidate, RunState
from storage.db import transaction
from storage.outbox import enqueue_ops_alert
from storage.publications import record_move

logger = logging.getLogger(__name__)


def is_a_move(run: RunState, moving: list[MoveCandidate], staying: int) -> bool:
    """Most of the run's new items are known documents at new addresses."""
    new_items = run.items_new + len(moving) + staying
    return bool(moving) and len(moving) * 2 > new_items


def settle_moves(run: RunState, ops_destination: str) -> None:
    """Record the run's candidates as moved or as new (see the module docstring).

    A candidate leaves ``run.move_candidates`` only once it is counted, so if this raises,
    the list holds exactly the candidates still uncounted (the runner counts them invalid).
    """
    candidates = run.move_candidates
    if not candidates or run.engine is None:
        return
    moving = [c for c in candidates if c.known_key not in run.seen_doc_keys]
    staying = [c for c in candidates if c.known_key in run.seen_doc_keys]
    if not is_a_move(run, moving, len(staying)):
        _store_as_new(run)
        return
    with transaction(run.engine) as session:
        for candidate in moving:
            record_move(session, candidate.known_id, new_publication(candidate.item))
        example = moving[0]
        enqueue_ops_alert(
            session,
            text=(
                f"{run.source.id}: {len(moving)} known publications now appear at new "
                f"addresses (e.g. {example.known_url} → {example.item.url}); they were "
                "recorded as moved and not alerted to analysts. If the site moved, update "
                "the source's urls in sources.yaml."
            ),
            source_id=run.source.id,
            state="moved",
            destination=ops_destination,
        )
    run.items_duplicate += len(moving)
    run.items_moved += len(moving)
    run.move_candidates = staying
    logger.warning(
        "Source %s: %d publications moved to new addresses",
        run.source.id,
        len(moving),
        extra={"source_id": run.source.id, "run_id": run.run_id, "moved": len(moving)},
    )
    _store_as_new(run)


def _store_as_new(run: RunState) -> None:
    """Store each remaining candidate as a new publication, dropping it once counted."""
    while run.move_candidates:
        candidate = run.move_candidates[0]
        store_item(run, candidate.item, candidate.destinations)
        run.move_candidates.pop(0)
