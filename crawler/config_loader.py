"""Read ``config/sources.yaml`` into validated :class:`SourceConfig` objects.

A bad file must give one message a person can act on: the file, the line (where the YAML
parser knows it), the source id and the field, e.g.
``config/sources.yaml:41 jp_mext_news.shedule: unknown field (did you mean "schedule"?)``.
So the YAML is composed into nodes first (which carry line numbers), then validated by
pydantic, and each pydantic error is mapped back to the node it came from.
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from crawler.errors import ConfigError
from crawler.sources import SourceConfig


def _bundled_config_dir() -> Path:
    """``config/`` of a checkout (or editable install), else the copy a wheel installs under
    ``<prefix>/share/govwatch/config`` (pyproject's data-files)."""
    checkout = Path(__file__).resolve().parent.parent / "config"
    installed = Path(sys.prefix) / "share" / "govwatch" / "config"
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


DEFAULT_CONFIG_DIR = _bundled_config_dir()
Lines = dict[tuple[str, ...], int]
M = TypeVar("M", bound=BaseModel)


def default_sources_path() -> Path:
    """``$GOVWATCH_SOURCES``, else ``./config/sources.yaml``, else the bundled file."""
    if env := os.environ.get("GOVWATCH_SOURCES"):
        return Path(env)
    local = Path.cwd() / "config" / "sources.yaml"
    return local if local.is_file() else DEFAULT_CONFIG_DIR / "sources.yaml"


def load_sources(path: Path | None = None) -> dict[str, SourceConfig]:
    """Load and validate every source; raise :class:`ConfigError` listing all problems."""
    path = path or default_sources_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the sources file ({exc.strerror})") from exc
    return parse_sources(text, path)


def parse_sources(text: str, path: Path) -> dict[str, SourceConfig]:
    """Validate YAML text; every error names ``file:line source_id.field``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: not valid YAML: {problem}") from exc
    if root is None:
        raise ConfigError(f"{path}: the file is empty; declare at least one source")
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path}:{root.start_mark.line + 1}: expected a mapping of source ids")
    lines: Lines = {}
    problems: list[str] = []
    index_lines(root, (), lines, problems, path)
    data = yaml.safe_load(text)
    sources: dict[str, SourceConfig] = {}
    for source_id, body in data.items():
        line = lines.get((str(source_id),), 0)
        if not isinstance(body, dict):
            problems.append(f"{path}:{line} {source_id}: expected a mapping of fields")
            continue  # the next source is still checked, so all problems are reported at once
        try:
            sources[str(source_id)] = SourceConfig.model_validate({"id": source_id, **body})
        except ValidationError as exc:
            problems.extend(_describe(exc, str(source_id), lines, path))
    if problems:
        raise ConfigError("\n".join(problems))
    return sources


def index_lines(
    node: yaml.Node, prefix: tuple[str, ...], lines: Lines, problems: list[str], path: Path
) -> None:
    """Record the 1-based line of every mapping key; report duplicate keys (YAML hides them)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            here = (*prefix, key)
            if key in seen:
                dotted = ".".join(here)
                problems.append(f"{path}:{key_node.start_mark.line + 1} {dotted}: defined twice")
            seen.add(key)
            lines[here] = key_node.start_mark.line + 1
            index_lines(value_node, here, lines, problems, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*prefix, str(index))] = item.start_mark.line + 1
            index_lines(item, (*prefix, str(index)), lines, problems, path)


def _describe(exc: ValidationError, source_id: str, lines: Lines, path: Path) -> list[str]:
    messages = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"] if not str(part).startswith("function-"))
        field = ".".join(loc) or "(source)"
        line = nearest_line(lines, (source_id, *loc))
        if error["type"] == "extra_forbidden":
            reason = "unknown field" + _suggestion(loc, SourceConfig)
        elif error["type"] == "missing":
            reason = "required field is missing"
            line = lines.get((source_id,), line)
        else:
            reason = str(error["msg"]).removeprefix("Value error, ")
        messages.append(f"{path}:{line} {source_id}.{field}: {reason}")
    return messages


def nearest_line(lines: Lines, key: tuple[str, ...]) -> int:
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return 0


def _suggestion(loc: tuple[str, ...], model: Any) -> str:
    """``(did you mean "schedule"?)`` for a misspelt key, looking inside nested models."""
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        annotation = getattr(field, "annotation", None)
        nested = [arg for arg in getattr(annotation, "__args__", (annotation,)) if arg]
        models = [arg for arg in nested if hasattr(arg, "model_fields")]
        if not models:
            return ""
        model = models[0]
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def load_yaml_model(path: Path, model: type[M]) -> tuple[M, Lines]:
    """Validate a whole YAML file as ``model``; errors read ``file:line dotted.field: reason``.

    Returns the model and the line of every key, for checks the model cannot make itself.
    """
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    lines: Lines = {}
    problems: list[str] = []
    if root is not None:
        index_lines(root, (), lines, problems, path)
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(str(part) for part in error["loc"] if not str(part).startswith("function"))
            reason = "unknown field" if error["type"] == "extra_forbidden" else str(error["msg"])
            reason = reason.removeprefix("Value error, ")
            problems.append(f"{path}:{nearest_line(lines, loc)} {'.'.join(loc)}: {reason}")
        raise ConfigError("\n".join(problems)) from exc
    if problems:
        raise ConfigError("\n".join(problems))
    return validated, lines
