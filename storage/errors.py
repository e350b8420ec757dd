"""The errors storage raises, and the root of every error govwatch raises on purpose.

The root (:class:`GovwatchError`) sits here, on the lowest floor that raises one, so that
storage needs nothing from ``crawler/`` (tests/test_architecture.py) and a
:class:`StorageError` is still a :class:`GovwatchError` the CLI prints as one line.
:mod:`crawler.errors` re-exports both and holds the rest of the tree.
"""

from __future__ import annotations


class GovwatchError(Exception):
    """Base of all errors govwatch raises deliberately."""


class StorageError(GovwatchError):
    """The database cannot be used as it is (unreachable, locked, schema out of date)."""


class DatabaseURLError(StorageError):
    """The database URL cannot be used at all (unreadable, or a kind of database govwatch
    does not support): a usage error (exit 2), unlike a database that does not answer."""
