"""Find the spider class of a source by name, from the classes that registered themselves.

Every :class:`~spiders.base.SourceSpider` subclass that sets its own ``name`` registers
itself (``SourceSpider.kinds``) when its module is imported: the generic kinds (``feed``,
``list_page``, ``json_api``) and the spiders of quirky sources (``kind: spider``). A source
names its spider with ``spider:`` in sources.yaml (default: its id), so a family of similar
sites is one spider with parameters in YAML (e.g. ``spider: korea_kr_press_feed``).
"""

from __future__ import annotations

import importlib
import pkgutil

import spiders
from crawler.errors import ConfigError
from spiders.base import SourceSpider


def spider_class(name: str) -> type[SourceSpider]:
    """The registered spider called ``name``, importing ``spiders/`` modules as needed.

    ``spiders/<name>.py`` is tried first (the usual place); only a name found there by no
    class makes the other modules load, so a crawl imports just the spiders it runs.
    """
    if name not in SourceSpider.kinds:
        try:
            importlib.import_module(f"spiders.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"spiders.{name}":
                raise
    if name not in SourceSpider.kinds:
        _import_every_spider_module()
    try:
        return SourceSpider.kinds[name]
    except KeyError:
        raise ConfigError(
            f"kind spider needs a spider named {name!r}: a module spiders/{name}.py, or "
            "`spider:` naming one of spiders/"
        ) from None


def _import_every_spider_module() -> None:
    for module in pkgutil.iter_modules(spiders.__path__):
        importlib.import_module(f"spiders.{module.name}")
