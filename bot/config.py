"""The bot's settings: the answer engine's sections plus [telegram], from one read of the file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.i18n import LANGUAGES, SIMPLIFIED
from index.config import Config, ConfigError, parse_config, read_section, read_toml

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    # Long polling by default; "webhook" listens for Telegram's requests instead.
    mode: str = "polling"
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    webhook_url: str = ""
    webhook_secret: str = ""
    # Empty lists mean everyone may ask; admins may use /stats and /reload.
    allowed_users: tuple[int, ...] = ()
    allowed_chats: tuple[int, ...] = ()
    admins: tuple[int, ...] = ()
    questions_per_minute: int = 20
    search_threads: int = 2
    request_timeout: float = 20.0
    # Telegram refuses more than about 30 messages a second from one bot; 0 lifts the limit
    # (a self-hosted Bot API server, or paid broadcasts).
    messages_per_second: float = 30.0
    # Tries of each request that fails on the way (5xx, timeout, reset) before a reply is
    # left for the journal to try again later.
    send_attempts: int = 5
    # Where updates wait until they are answered, so a killed bot loses none ("" = the
    # default, in the user's state folder).
    journal: Path | None = None
    # The interface's language for a user whose own Telegram does not say and whose message
    # does not tell: zh-hans, zh-hant or en.
    language: str = SIMPLIFIED


@dataclass(frozen=True)
class ChatConfig:
    # A question that leans on the one before it (`主任会议呢？`) is read with it if it comes
    # within this many minutes; 0 reads every question alone.
    followup_minutes: float = 10.0


@dataclass(frozen=True)
class Settings:
    engine: Config = field(default_factory=Config)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    chat: ChatConfig = field(default_factory=ChatConfig)

    def token(self) -> str:
        """The environment wins over the file, so the file need not hold a secret."""
        return os.environ.get(TOKEN_ENV) or self.telegram.token


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    data = read_toml(path)
    base = path.resolve().parent
    engine = replace(parse_config(data, base, ignore=("telegram", "chat")), source=path)
    telegram = read_section(
        TelegramConfig,
        "telegram",
        data.get("telegram", {}),
        base,
        {"mode": {"polling", "webhook"}, "language": set(LANGUAGES)},
    )
    if telegram.mode == "webhook" and not telegram.webhook_url:
        raise ConfigError("[telegram] webhook_url is needed when mode is webhook")
    chat = read_section(ChatConfig, "chat", data.get("chat", {}), base)
    if chat.followup_minutes < 0:
        raise ConfigError("[chat] followup_minutes cannot be negative")
    return Settings(engine, telegram, chat)
