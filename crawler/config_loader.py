"""Read ``config/sources.yaml`` into validated :class:`SourceConfig` objects.

A bad file must give one message a person can act on: the file, the line (where the YAML
parser knows it), the source id and the field, e.g.
``config/sources.yaml:41 jp_mext_news.shedule: unknown field (did you mean "schedule"?)``.
So the YAML is composed into nodes first (which carry line numbers), then validated by
pydantic, and each pydantic error is mapped back to the node it came from.

Reading is paid on every command that names sources (``govwatch sources``, ``status``,
``crawl``), so the file is parsed once, by libyaml (``yaml.CSafeLoader``; the pure-Python
``SafeLoader`` only where PyYAML was built without it): the node tree and the plain data
come from that one parse. The line of every key is worked out from the nodes only when
there is a problem to report; a key defined twice (which YAML would silently let win) is
noticed while the data is built, and is such a problem.

The same goes for the file itself (:func:`read_config_text`, :func:`parse_yaml`, shared by
every configuration file): a file that was named but does not exist, bytes that are not
UTF-8, a YAML tag such as ``!!python/object/apply:…`` (only plain values are read, never
objects) each give one line naming the file, never a traceback.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from crawler.errors import ConfigError

# pydantic and the source models are imported where a file is validated, so that commands
# which only need a path from here (``govwatch --help``, ``docs``) do not load them.
if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from crawler.sources import SourceConfig


def _bundled_config_dir() -> Path:
    """``config/`` of a checkout (or editable install), else the copy a wheel installs under
    ``<prefix>/share/govwatch/config`` (pyproject's data-files)."""
    checkout = Path(__file__).resolve().parent.parent / "config"
    installed = Path(sys.prefix) / "share" / "govwatch" / "config"
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


DEFAULT_CONFIG_DIR = _bundled_config_dir()
Lines = dict[tuple[str, ...], int]
M = TypeVar("M", bound="BaseModel")
# The environment variables that name configuration files, for "named by …" in errors.
CONFIG_VARIABLES = ("GOVWATCH_SOURCES", "GOVWATCH_CONFIG", "GOVWATCH_ROUTING")
_TAG_PREFIX = "tag:yaml.org,2002:"
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """The safe loader (libyaml's where there is one) that notes a key defined twice in a
    mapping while it builds the data; the messages naming them come from the nodes."""

    duplicate_keys = False

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not self.duplicate_keys and isinstance(node, yaml.MappingNode):
            keys = [str(key_node.value) for key_node, _value in node.value]
            self.duplicate_keys = len(set(keys)) != len(keys)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def is_bundled_default(path: Path) -> bool:
    """The copy shipped with govwatch: the only configuration file that may be absent
    (its defaults apply). A file someone named must exist."""
    return path.resolve() == (DEFAULT_CONFIG_DIR / path.name).resolve()


def named_by(path: Path) -> str:
    """`` (named by $GOVWATCH_CONFIG)`` when an environment variable names this file."""
    for variable in CONFIG_VARIABLES:
        if os.environ.get(variable) and Path(os.environ[variable]) == path:
            option = " or --config" if variable == "GOVWATCH_SOURCES" else ""
            return f" (named by ${variable}{option})"
    return ""


def read_config_text(path: Path) -> str:
    """The file's text, or a :class:`ConfigError` of one line naming the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file{named_by(path)}") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (byte 0x{byte}); save the file as UTF-8"
        ) from exc


@dataclass(frozen=True)
class YamlDocument:
    """One parse of a YAML text: its root node, its plain data, whether some mapping
    defines a key twice and, when asked for (:func:`parse_yaml`), the line of every key
    and the messages naming each key defined twice."""

    root: yaml.Node | None
    data: Any
    duplicate_keys: bool
    lines: Lines = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)


def parse_yaml(text: str, path: Path, *, with_lines: bool = False) -> YamlDocument:
    """Parse a YAML text once (see :class:`YamlDocument`).

    ``with_lines`` indexes the line of every key from the nodes before the data is built
    (building merges ``<<:`` keys into the nodes, which would then read as defined twice).
    Only the safe loader is used; a tag it does not know (``!!python/…``) is refused.
    """
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        lines: Lines = {}
        duplicates: list[str] = []
        if with_lines and root is not None:
            index_lines(root, (), lines, duplicates, path)
        data = loader.construct_document(root) if root is not None else None
        return YamlDocument(root, data, loader.duplicate_keys, lines, duplicates)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        tag = re.search(r"constructor for the tag '([^']+)'", problem)
        if isinstance(exc, yaml.constructor.ConstructorError) and tag:
            shown = tag.group(1).replace(_TAG_PREFIX, "!!")
            raise ConfigError(
                f"{where}: the YAML tag {shown} is not allowed; configuration files hold "
                "plain values (text, numbers, lists, mappings)"
            ) from exc
        raise ConfigError(f"{where}: not valid YAML: {problem}") from exc
    finally:
        loader.dispose()


def default_sources_path() -> Path:
    """``$GOVWATCH_SOURCES``, else ``./config/sources.yaml``, else the bundled file."""
    if env := os.environ.get("GOVWATCH_SOURCES"):
        return Path(env)
    local = Path.cwd() / "config" / "sources.yaml"
    return local if local.is_file() else DEFAULT_CONFIG_DIR / "sources.yaml"


def load_sources(path: Path | None = None) -> dict[str, SourceConfig]:
    """Load and validate every source; raise :class:`ConfigError` listing all problems."""
    path = path or default_sources_path()
    return parse_sources(read_config_text(path), path)


def parse_sources(text: str, path: Path) -> dict[str, SourceConfig]:
    """Validate YAML text; every error names ``file:line source_id.field``.

    The lines of the keys are looked up only once something is wrong: a valid file (the
    usual case, read by every command) costs one parse and the validation.
    """
    from pydantic import ValidationError

    from crawler.sources import SourceConfig

    document = parse_yaml(text, path)
    root, data = document.root, document.data
    if root is None:
        raise ConfigError(f"{path}: the file is empty; declare at least one source")
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path}:{root.start_mark.line + 1}: expected a mapping of source ids")
    sources: dict[str, SourceConfig] = {}
    # Each source is checked, so all problems are reported at once: (id, None) for a body
    # that is no mapping, (id, the validation error) for fields that are wrong.
    failures: list[tuple[str, ValidationError | None]] = []
    for source_id, body in data.items():
        if not isinstance(body, dict):
            failures.append((str(source_id), None))
            continue
        try:
            sources[str(source_id)] = SourceConfig.model_validate({"id": source_id, **body})
        except ValidationError as exc:
            failures.append((str(source_id), exc))
    if failures or document.duplicate_keys:
        raise ConfigError("\n".join(_source_problems(text, path, failures)))
    return sources


def _source_problems(
    text: str, path: Path, failures: list[tuple[str, ValidationError | None]]
) -> list[str]:
    """The messages of a sources file that did not load: keys defined twice first, then each
    failing source in file order, each with its line. Only here are the lines needed, so
    only here is the text parsed a second time, with them."""
    document = parse_yaml(text, path, with_lines=True)
    lines, problems = document.lines, list(document.duplicates)
    for source_id, exc in failures:
        if exc is None:
            line = lines.get((source_id,), 0)
            problems.append(f"{path}:{line} {source_id}: expected a mapping of fields")
        else:
            problems.extend(_describe(exc, source_id, lines, path))
    return problems


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
    from crawler.sources import SourceConfig

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
    These files are short (govwatch.yaml, routing.yaml), so their lines are always indexed.
    """
    from pydantic import ValidationError

    document = parse_yaml(read_config_text(path), path, with_lines=True)
    root, data = document.root, document.data
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path}:{root.start_mark.line + 1}: expected a mapping of settings")
    data = data or {}
    lines, problems = document.lines, list(document.duplicates)
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
