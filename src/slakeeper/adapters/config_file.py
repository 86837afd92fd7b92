"""Reading an SLA configuration file (YAML or JSON) into a validated :class:`SlaConfig`."""

from __future__ import annotations

import json
from pathlib import Path

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
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([Issue(where, f"not valid YAML: {problem}")], source) from None


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
