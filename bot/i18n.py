"""The interface in the reader's language: gettext catalogs, and who reads which.

Texts are written in English in the code and translated by the catalogs in `bot/locale`
(`make messages` extracts, updates and compiles them). Quotes are never translated: they stay
in the document's own script.
"""

from __future__ import annotations

import gettext
import re
from functools import lru_cache
from pathlib import Path

from index.cache import Budgeted, one
from index.tokenize import simplified

DOMAIN = "qabot"
LOCALE_DIR = Path(__file__).parent / "locale"
SIMPLIFIED, TRADITIONAL, ENGLISH = "zh-hans", "zh-hant", "en"
LANGUAGES = (SIMPLIFIED, TRADITIONAL, ENGLISH)
# The catalogs' folder names, in gettext's form of each language.
CATALOGS = {SIMPLIFIED: "zh_Hans", TRADITIONAL: "zh_Hant"}

_TRADITIONAL_CODES = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


class Texts:
    """One language's texts: `_` for a message, `ngettext` for one that counts something."""

    def __init__(self, language: str) -> None:
        self.language = language
        folder = CATALOGS.get(language)
        self._catalog = (
            gettext.translation(DOMAIN, LOCALE_DIR, languages=[folder])
            if folder
            else gettext.NullTranslations()
        )

    def _(self, message: str) -> str:
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog.ngettext(singular, plural, n)


@lru_cache(maxsize=len(LANGUAGES))
def texts(language: str) -> Texts:
    return Texts(language)


def from_code(code: str | None) -> str | None:
    """The language of a Telegram `language_code` (an IETF tag), or None for one we lack."""
    tag = (code or "").strip().lower().replace("_", "-")
    if tag.startswith(_TRADITIONAL_CODES):
        return TRADITIONAL
    if tag == "zh" or tag.startswith("zh-"):
        return SIMPLIFIED
    if tag == "en" or tag.startswith("en-"):
        return ENGLISH
    return None


def from_locale(value: str | None) -> str | None:
    """The language of a POSIX locale such as `LANG=zh_TW.UTF-8`; None for C, POSIX or others."""
    return from_code((value or "").split(".")[0].split("@")[0])


def of_text(text: str) -> str | None:
    """The language a message is written in: Chinese in its script, English in Latin letters;
    None when it does not tell (digits, emoji, a short mixed line)."""
    han = _HAN.findall(text)
    if han:
        chinese = "".join(han)
        return TRADITIONAL if simplified(chinese) != chinese else SIMPLIFIED
    return ENGLISH if _LATIN.search(text) else None


def choose(code: str | None, text: str | None, default: str) -> str:
    """Telegram's language code first; then the script of what the user wrote; then the default."""
    return from_code(code) or (of_text(text) if text else None) or default


class Remembered:
    """Each user's language as last seen, for replies to what carries no text (a button)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._items: Budgeted[int, str] = Budgeted(capacity, one)

    def note(self, user_id: int, language: str) -> None:
        self._items.put(user_id, language)

    def get(self, user_id: int) -> str | None:
        return self._items.get(user_id)
