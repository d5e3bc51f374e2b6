"""Settings, read once from a TOML file into frozen dataclasses and passed down."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"


class ConfigError(ValueError):
    """A setting is missing, misspelt or of the wrong type."""


def default_index_dir() -> Path:
    return Path(user_data_dir("qabot")) / "index"


@dataclass(frozen=True)
class IndexConfig:
    path: Path = field(default_factory=default_index_dir)
    user_dict: Path | None = None


@dataclass(frozen=True)
class ChunkConfig:
    target_chars: int = 200
    max_chars: int = 300


@dataclass(frozen=True)
class TokenizerConfig:
    mode: str = "search"
    stopwords: bool = True
    bigrams: bool = False
    numbers: bool = True
    cues: bool = True


@dataclass(frozen=True)
class RankingConfig:
    variant: str = "plus"
    k1: float = 0.9
    b: float = 0.4
    headline: bool = True
    context_weight: float = 0.2
    min_coverage: float = 0.2


@dataclass(frozen=True)
class AnswerConfig:
    top_k: int = 3
    quote_chars: int = 300


@dataclass(frozen=True)
class Config:
    index: IndexConfig = field(default_factory=IndexConfig)
    chunking: ChunkConfig = field(default_factory=ChunkConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    ranking: RankingConfig = field(default_factory=RankingConfig)
    answers: AnswerConfig = field(default_factory=AnswerConfig)
    source: Path | None = None

    def with_index_path(self, path: Path) -> Config:
        return replace(self, index=replace(self.index, path=path))


_SECTIONS: dict[str, type] = {
    "index": IndexConfig,
    "chunking": ChunkConfig,
    "tokenizer": TokenizerConfig,
    "ranking": RankingConfig,
    "answers": AnswerConfig,
}

_CHOICES = {
    ("tokenizer", "mode"): {"default", "search"},
    ("ranking", "variant"): {"okapi", "plus", "l"},
}


def _coerce(section: str, name: str, value: Any, default: Any, base: Path) -> Any:
    where = f"[{section}] {name}"
    if name in ("path", "user_dict"):
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string path")
        if not value:
            return None if name == "user_dict" else default
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base / path)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{where} must be a positive whole number")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{where} must be a number ≥ 0")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string")
    choices = _CHOICES.get((section, name))
    if choices and value not in choices:
        raise ConfigError(f"{where} must be one of {', '.join(sorted(choices))}")
    return value


def parse_config(data: dict[str, Any], base: Path) -> Config:
    """Build a Config from parsed TOML; relative paths are taken from `base`."""
    sections: dict[str, Any] = {}
    for key, table in data.items():
        cls = _SECTIONS.get(key)
        if cls is None:
            raise ConfigError(f"unknown section [{key}]")
        if not isinstance(table, dict):
            raise ConfigError(f"[{key}] must be a table")
        defaults = cls()
        known = {f.name for f in fields(cls)}
        values = {}
        for name, value in table.items():
            if name not in known:
                raise ConfigError(f"unknown setting [{key}] {name}")
            values[name] = _coerce(key, name, value, getattr(defaults, name), base)
        sections[key] = replace(defaults, **values)
    config = Config(**sections)
    if config.chunking.max_chars < config.chunking.target_chars:
        raise ConfigError("[chunking] max_chars must be at least target_chars")
    return config


def load_config(path: Path | None) -> Config:
    """Read the config file, or return the defaults when there is none."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return replace(parse_config(data, path.resolve().parent), source=path)
