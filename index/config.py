"""Settings, read once from a TOML file into frozen dataclasses and passed down."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

from platformdirs import user_data_dir

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


class ConfigError(ValueError):
    """A setting is missing, misspelt or of the wrong type."""


def default_index_dir() -> Path:
    return Path(user_data_dir("qabot")) / "index"


@dataclass(frozen=True)
class IndexConfig:
    path: Path = field(default_factory=default_index_dir)
    user_dict: Path | None = None
    workers: int = 2
    engine: str = "auto"
    # Each change's documents kept aside, to make the index again from if its file is damaged.
    keep_copy: bool = True


@dataclass(frozen=True)
class ChunkConfig:
    target_chars: int = 200
    max_chars: int = 300


@dataclass(frozen=True)
class TokenizerConfig:
    mode: str = "search"
    hmm: bool = False
    stopwords: bool = True
    bigrams: bool = False
    numbers: bool = True
    cues: bool = True
    # A name jieba does not know comes out as single characters (李/新/文); the run is kept
    # as one more token too (李新文), so that the name is matched whole.
    names: bool = True


@dataclass(frozen=True)
class RankingConfig:
    variant: str = "plus"
    k1: float = 0.9
    b: float = 0.4
    headline: bool = True
    headline_weight: int = 2
    context_weight: float = 0.2
    min_coverage: float = 0.2


@dataclass(frozen=True)
class SearchConfig:
    # Below this confidence (the chance, calibrated on held-out data, that the first quote
    # holds the answer) the reply is "no relevant passage".
    min_confidence: float = 0.05
    # A weights file made by train/fit_ranker.py; empty: the one shipped with qabot.
    model: Path | None = None


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
    search: SearchConfig = field(default_factory=SearchConfig)
    source: Path | None = None

    def with_index_path(self, path: Path) -> Config:
        return replace(self, index=replace(self.index, path=path))


_SECTIONS: dict[str, type] = {
    "index": IndexConfig,
    "chunking": ChunkConfig,
    "tokenizer": TokenizerConfig,
    "ranking": RankingConfig,
    "answers": AnswerConfig,
    "search": SearchConfig,
}

_CHOICES = {
    ("index", "engine"): {"auto", "rank-bm25", "tantivy"},
    ("tokenizer", "mode"): {"default", "search"},
    ("ranking", "variant"): {"okapi", "plus", "l"},
}


def _coerce(where: str, kind: Any, value: Any, base: Path, choices: set[str] | None) -> Any:
    if kind in (Path, Path | None):
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string path")
        if not value:
            if kind is Path:
                raise ConfigError(f"{where} must not be empty")
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base / path)
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{where} must be a positive whole number")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{where} must be a number ≥ 0")
        return float(value)
    if kind == tuple[int, ...]:
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise ConfigError(f"{where} must be a list of whole numbers")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string")
    if choices and value not in choices:
        raise ConfigError(f"{where} must be one of {', '.join(sorted(choices))}")
    return value


def read_section(
    cls: type[T], section: str, table: Any, base: Path, choices: dict[str, set[str]] | None = None
) -> T:
    """One TOML table as a frozen dataclass: unknown names and wrong types are named."""
    if not isinstance(table, dict):
        raise ConfigError(f"[{section}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    values = {}
    for name, value in table.items():
        if name not in known:
            raise ConfigError(f"unknown setting [{section}] {name}")
        allowed = (choices or {}).get(name)
        values[name] = _coerce(f"[{section}] {name}", hints[name], value, base, allowed)
    return replace(cls(), **values)


def parse_config(data: dict[str, Any], base: Path, ignore: tuple[str, ...] = ()) -> Config:
    """Build a Config from parsed TOML; relative paths are taken from `base`.

    Sections named in `ignore` belong to another part of the program, which reads them itself.
    """
    sections: dict[str, Any] = {}
    for key, table in data.items():
        if key in ignore:
            continue
        cls = _SECTIONS.get(key)
        if cls is None:
            raise ConfigError(f"unknown section [{key}]")
        choices = {name: c for (sec, name), c in _CHOICES.items() if sec == key}
        sections[key] = read_section(cls, key, table, base, choices)
    config = Config(**sections)
    if config.chunking.max_chars < config.chunking.target_chars:
        raise ConfigError("[chunking] max_chars must be at least target_chars")
    if config.search.min_confidence > 1:
        raise ConfigError("[search] min_confidence must be between 0 and 1")
    return config


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_config(path: Path | None) -> Config:
    """Read the config file, or return the defaults when there is none."""
    if path is None:
        return Config()
    return replace(parse_config(read_toml(path), path.resolve().parent), source=path)
