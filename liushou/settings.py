"""All settings of a run, declared once and loaded from ``--config`` (YAML or TOML)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from liushou.errors import ConfigError
from liushou.expectations.config import ExpectationsConfig
from liushou.flows.config import RunnerConfig
from liushou.matching.config import MatchingConfig
from liushou.publish.config import PublishConfig
from liushou.rules.config import RulesConfig
from liushou.sources.config import SourcesConfig


class Settings(BaseModel):
    """One section per stage; a file need only name what it changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: SourcesConfig = SourcesConfig()
    matching: MatchingConfig = MatchingConfig()
    rules: RulesConfig = RulesConfig()
    expectations: ExpectationsConfig = ExpectationsConfig()
    publish: PublishConfig = PublishConfig()
    runner: RunnerConfig = RunnerConfig()


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration: {exc.strerror}", file=str(path)) from exc
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(
                "the configuration must be a .yaml, .yml or .toml file", file=str(path)
            )
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"the configuration is not valid: {exc}", file=str(path)) from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"{first['msg']} ({exc.error_count()} problem(s))", file=str(path), field=where
        ) from exc
