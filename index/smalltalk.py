"""Small talk is not a search: greetings, thanks and "who are you" are told apart from questions.

A line is small talk only when all of it is: `你好` is a greeting, `你好，长治召开了几次常委会
会议？` is a question. A line with nothing to search for (punctuation, emoji, laughter, a bare
small number) is "noise". The words are matched on folded text, so traditional forms count the
same.
"""

from __future__ import annotations

import re
import unicodedata

from index.tokenize import fold

GREETING, THANKS, IDENTITY, ABILITIES, GOODBYE, ACKNOWLEDGED, NOISE = (
    "greeting",
    "thanks",
    "identity",
    "abilities",
    "goodbye",
    "acknowledged",
    "noise",
)

_PARTS = {
    GREETING: (
        r"你好|您好|你们好|大家好|哈喽|哈啰|嗨|喂|在吗|在不在|早上好|上午好|中午好|下午好|晚上好|早安|"
        r"晚安|早|hi|hello|hey|hallo|good (?:morning|afternoon|evening)|greetings"
    ),
    THANKS: r"谢谢你?|谢谢您|多谢|感谢|谢了|谢啦|辛苦了|thanks?(?: you)?|thx|ty|many thanks",
    IDENTITY: (
        r"你是谁|您是谁|你是什么|你叫什么(?:名字)?|你是机器人吗|你是人吗|你是谁啊|"
        r"who are you|what are you|what is your name|what'?s your name|are you a bot"
    ),
    ABILITIES: (
        r"你能做什么|你会做什么|你会什么|你能干什么|你可以做什么|你有什么用|你能帮我做什么|"
        r"怎么用|如何使用|怎么使用|帮助|what can you do|how do(?:es)? (?:this|it|you) work|help"
    ),
    GOODBYE: r"再见|拜拜|回头见|bye|goodbye|see you",
    ACKNOWLEDGED: (
        r"好的|好|嗯嗯?|哦|噢|收到|明白了?|知道了|了解|行|可以|ok|okay|cool|got it|great|nice"
    ),
}
_ORDER = (IDENTITY, ABILITIES, THANKS, GOODBYE, GREETING, ACKNOWLEDGED)
_PART = {kind: re.compile(pattern) for kind, pattern in _PARTS.items()}
_WHOLE = re.compile(
    r"(?:(?:" + "|".join(_PARTS.values()) + r")"
    r"(?:\s?(?:啊|呀|哈|啦|哦|呢|吧|嘛|哟|~|there|bot|qabot|机器人|大家|everyone|all))?\s*)+"
)
_LAUGHTER = re.compile(r"(?:哈|呵|嘿|嘻|233+|lol|haha|hehe|xd|lmao)+")
# A number of up to three digits alone (1, 11, 666) names nothing to look for: every count in
# the documents would match. A year or a code (2025, 030600) is searched.
_BARE_NUMBER = re.compile(r"[0-9]{1,3}")


def _stripped(text: str) -> str:
    """Folded, without punctuation, symbols (emoji among them) or spaces at the edges."""
    kept = "".join(
        " " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in fold(text)
    ).strip()
    return re.sub(r"\s+", " ", kept)


def small_talk(text: str) -> str | None:
    """The kind of small talk a line is, or None for anything that might be a question."""
    core = _stripped(text)
    bare = core.replace(" ", "")
    if not core or _LAUGHTER.fullmatch(bare) or _BARE_NUMBER.fullmatch(bare):
        return NOISE
    if len(core) > 40 or not _WHOLE.fullmatch(core):
        return None
    return next(kind for kind in _ORDER if _PART[kind].search(core))
