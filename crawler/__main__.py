"""``python -m crawler`` is ``govwatch``."""

from crawler.cli import main

main()
