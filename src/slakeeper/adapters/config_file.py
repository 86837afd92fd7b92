"""Reading an SLA configuration file (YAML or JSON) into a validated :class:`SlaConfig`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from slakeeper.domain.config import SlaConfig, parse_config
from slakeeper.domain.errors import ConfigError, Issue


def parse_document(text: str, source: str) -> object:
    """YAML (a superset of JSON) or JSON text -> a plain document; errors name the line."""
    if source.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                [Issue(f"line {exc.lineno}", f"not valid JSON: {exc.msg}")], source
            ) from None
        except RecursionError:
            raise ConfigError([Issue("", _TOO_DEEP)], source) from None
    try:
        return yaml.load(text, Loader=_Loader)
    except _Expands:
        raise ConfigError([Issue("", _TOO_BIG)], source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([Issue(where, f"not valid YAML: {problem}")], source) from None
    except RecursionError:
        raise ConfigError([Issue("", _TOO_DEEP)], source) from None


_TOO_DEEP = "nested too deeply to be a configuration"
MAX_VALUES = 100_000  # values of a YAML document once its aliases are expanded
_TOO_BIG = f"more than {MAX_VALUES} values once its aliases are expanded, or an alias to itself"


class _Expands(Exception):
    pass


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing documents that aliases blow up ("a billion laughs")."""

    def construct_document(self, node: yaml.Node) -> Any:
        _count(node, {}, set())
        return super().construct_document(node)


def _count(node: yaml.Node, counted: dict[int, int], open_: set[int]) -> int:
    """The values under ``node`` with aliases expanded; raises _Expands past MAX_VALUES."""
    key = id(node)
    if key in counted:
        return counted[key]
    if key in open_:
        raise _Expands  # an alias inside its own anchor: endless once expanded
    open_.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = []
    for child in children:
        total += _count(child, counted, open_)
        if total > MAX_VALUES:
            raise _Expands
    open_.discard(key)
    counted[key] = total
    return total


def load_config_text(text: str, source: str = "<config>") -> SlaConfig:
    document = parse_document(text, source)
    try:
        return parse_config(document)
    except ConfigError as exc:
        raise ConfigError(exc.issues, source) from None


def load_config(path: str | Path) -> SlaConfig:
    """Read and validate a configuration file; every error names the file and the place."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [Issue("", f"cannot read the file: {exc.strerror or exc}")], source
        ) from None
    except UnicodeDecodeError:
        raise ConfigError([Issue("", "the file is not UTF-8 text")], source) from None
    return load_config_text(text, source)
