"""The long-running service: daemon, scheduler, lease, health endpoint, reactor set-up, outages;
and its distributed mode (``govwatch run --role scheduler`` enqueues, ``govwatch worker``
crawls: queue.py, workers.py, cluster_schedule.py).

It sits between the CLI (above) and the crawl engine (below); see docs/architecture.md. In
the distributed mode PostgreSQL is the arbiter (docs/scaling.md): the job queue is
Procrastinate's tables, the scheduler's lease, the run locks and the host slots are advisory
locks, and the document-key and outbox claims keep items and alerts exactly once whichever
worker stores or sends them.
"""
