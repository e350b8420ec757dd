"""The distributed mode: ``govwatch run --role scheduler`` enqueues, ``govwatch worker`` crawls.

PostgreSQL is the arbiter (docs/scaling.md): the job queue is Procrastinate's tables, the
scheduler's lease, the run locks and the host slots are advisory locks, and the document-key
and outbox claims keep items and alerts exactly once whichever worker stores or sends them.
"""
