"""The interface in three languages: every text translated, and each reader given theirs."""

from __future__ import annotations

import gettext
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import (
    CATALOGS,
    DOMAIN,
    ENGLISH,
    LOCALE_DIR,
    SIMPLIFIED,
    TRADITIONAL,
    choose,
    from_code,
    from_locale,
    of_text,
)
from index.tokenize import traditional_converter

REPO = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "ngettext": (1, 2), "UnreadableFile": None, "Reason": None}


def _in_code() -> set[str | tuple[str, str]]:
    """Every text the code marks for translation, as `make messages` extracts it."""
    found: set[str | tuple[str, str]] = set()
    for folder in ("bot", "index"):
        for _, _, message, _, _ in extract_from_dir(REPO / folder, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", [SIMPLIFIED, TRADITIONAL])
def test_every_text_of_the_code_is_translated(language: str) -> None:
    folder = LOCALE_DIR / CATALOGS[language] / "LC_MESSAGES"
    with (folder / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po)
    compiled = gettext.translation(DOMAIN, LOCALE_DIR, languages=[CATALOGS[language]])
    wanted = _in_code()
    assert len(wanted) > 60
    for message in wanted:
        key = message if isinstance(message, str) else message[0]
        entry = catalog.get(key)
        assert entry is not None and entry.string, f"{language} lacks {message!r}"
        assert not entry.fuzzy, f"{language}: {message!r} is only a guess"
        translations = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        sources = [message] if isinstance(message, str) else list(message)
        for text in translations:
            # A translation that loses or invents a {field} would fail when it is shown.
            assert _fields(text) == _fields(sources[-1]), (language, message, text)
        # The compiled catalog, which the bot reads, says the same as the .po file.
        if isinstance(message, str):
            assert compiled.gettext(message) == entry.string
        else:
            assert compiled.ngettext(*message, 2) == translations[-1]


def test_traditional_texts_are_not_the_simplified_ones() -> None:
    """Wherever a text has traditional forms, the traditional catalog uses them."""
    catalogs = {}
    for language in (SIMPLIFIED, TRADITIONAL):
        with (LOCALE_DIR / CATALOGS[language] / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
            catalogs[language] = {m.id: m.string for m in read_po(po) if m.id}
    to_traditional = traditional_converter().convert
    differ = 0
    for key, hans in catalogs[SIMPLIFIED].items():
        hant = catalogs[TRADITIONAL][key]
        for one, other in zip(
            [hans] if isinstance(hans, str) else hans,
            [hant] if isinstance(hant, str) else hant,
            strict=True,
        ):
            if to_traditional(one) != one:
                assert other != one and of_text(other) == TRADITIONAL, (key, other)
                differ += 1
    assert differ > 50


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("zh-hans", SIMPLIFIED),
        ("zh-CN", SIMPLIFIED),
        ("zh-sg", SIMPLIFIED),
        ("zh", SIMPLIFIED),
        ("zh-hant", TRADITIONAL),
        ("zh-TW", TRADITIONAL),
        ("zh-hk", TRADITIONAL),
        ("zh-mo", TRADITIONAL),
        ("en", ENGLISH),
        ("en-GB", ENGLISH),
        ("de", None),
        ("", None),
        (None, None),
    ],
)
def test_telegram_language_codes(code: str | None, language: str | None) -> None:
    assert from_code(code) == language


def test_the_script_of_the_question_decides_when_telegram_does_not() -> None:
    assert of_text("長治市人大常委會召開了幾次會議？") == TRADITIONAL
    assert of_text("长治市人大常委会召开了几次会议？") == SIMPLIFIED
    assert of_text("How many meetings?") == ENGLISH
    assert of_text("👍 123") is None
    assert choose(None, "謝謝", SIMPLIFIED) == TRADITIONAL
    assert choose("en", "謝謝", SIMPLIFIED) == ENGLISH  # the user's own setting first
    assert choose(None, "2025", TRADITIONAL) == TRADITIONAL  # then the configured one
    assert choose("fr", None, ENGLISH) == ENGLISH


def test_console_locales() -> None:
    assert from_locale("zh_CN.UTF-8") == SIMPLIFIED
    assert from_locale("zh_TW.UTF-8") == TRADITIONAL
    assert from_locale("zh_HK.Big5") == TRADITIONAL
    assert from_locale("en_US.UTF-8") == ENGLISH
    assert from_locale("C.UTF-8") is None
    assert from_locale("POSIX") is None
