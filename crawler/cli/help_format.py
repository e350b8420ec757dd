"""Help screens without type noise: no ``--help <bool>``, no ``SOURCE... <list[str]>``.

Typer's rich help prints a type column for every parameter, flags included, which reads
as if ``--json`` took a value. Flags and counters take none, and arguments already show
their metavar, so for those the column stays empty. The adjustment is applied only when
Typer still has the method it replaces; on another Typer the help is merely noisier.
"""

from __future__ import annotations

from typing import Any

import typer.core


def quiet_flag_types() -> None:
    for cls in (typer.core.TyperOption, typer.core.TyperArgument):
        original = getattr(cls, "display_type_rich", None)
        if original is None or getattr(original, "_govwatch", False):
            continue
        cls.display_type_rich = _without_flag_types(original)  # type: ignore[method-assign]


def _without_flag_types(original: Any) -> Any:
    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return None
        if isinstance(self, typer.core.TyperArgument) and self.metavar is not None:
            return None
        result: str | None = original(self, ctx)
        return result

    display_type_rich._govwatch = True  # type: ignore[attr-defined]
    return display_type_rich
