"""Settings: the example file documents every one, and mistakes are named."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from bot.config import ChatConfig, TelegramConfig, load_settings
from index.config import Config, ConfigError, load_config, parse_config

from .conftest import REPO


def test_example_file_names_every_setting_with_its_default() -> None:
    example = REPO / "config.example.toml"
    text = example.read_text(encoding="utf-8")
    config = load_settings(example).engine
    defaults = Config()
    for section in ("index", "chunking", "tokenizer", "ranking", "search", "answers"):
        for f in fields(getattr(defaults, section)):
            assert f"{f.name} =" in text, f"[{section}] {f.name} is not documented"
    for f in fields(TelegramConfig):
        assert f"{f.name} =" in text, f"[telegram] {f.name} is not documented"
    for f in fields(ChatConfig):
        assert f"{f.name} =" in text, f"[chat] {f.name} is not documented"
    for section in ("chunking", "tokenizer", "ranking", "search", "answers"):
        assert getattr(config, section) == getattr(defaults, section)
    assert config.index.user_dict is None
    assert load_settings(example).telegram == TelegramConfig()
    assert load_settings(example).chat == ChatConfig()
    assert set(tomllib.loads(text)) == {
        "index", "chunking", "tokenizer", "ranking", "search", "answers", "telegram", "chat"
    }  # fmt: skip


def test_relative_paths_are_taken_from_the_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "qabot.toml"
    path.write_text('[index]\npath = "data/idx"\nuser_dict = "words.txt"\n', encoding="utf-8")
    config = load_config(path)
    assert config.index.path == tmp_path / "data" / "idx"
    assert config.index.user_dict == tmp_path / "words.txt"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ranking": {"k1": "high"}}, r"\[ranking\] k1"),
        ({"ranking": {"variant": "bm42"}}, "one of l, okapi, plus"),
        ({"answers": {"top_k": 0}}, "positive"),
        ({"answers": {"top_k": True}}, "positive"),
        ({"tokenizer": {"stopwords": "yes"}}, "true or false"),
        ({"chunking": {"target_chars": 400, "max_chars": 300}}, "at least"),
        ({"rankng": {}}, r"unknown section \[rankng\]"),
        ({"ranking": {"k": 1}}, "unknown setting"),
    ],
)
def test_mistakes_are_named(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(data, Path("."))


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[ranking\nk1 = ", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_config(path)


def test_telegram_settings_and_token_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "qabot.toml"
    path.write_text(
        '[telegram]\ntoken = "111:file"\nadmins = [42]\nquestions_per_minute = 3\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    settings = load_settings(path)
    assert settings.telegram.admins == (42,) and settings.telegram.questions_per_minute == 3
    assert settings.token() == "111:file"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "222:env")
    assert settings.token() == "222:env"
    path.write_text('[telegram]\nmode = "webhook"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="webhook_url"):
        load_settings(path)
    path.write_text('[telegram]\nadmins = ["me"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="list of whole numbers"):
        load_settings(path)
