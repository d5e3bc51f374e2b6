"""Search tokens for documents and questions, folded so that width, case and script don't matter."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba
import opencc

# Function words and question words: they match everywhere and decide nothing.
STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 也 都 就 而 被 把 对 从 向 以 为 于 之 其 这 那 这个 那个 这些 那些
    着 过 得 地 所 等 并 又 还 则 即 及其 以及 由 让 给 将 已 已经 个 各 该 此 中 上 下
    吗 呢 吧 啊 呀 么 嘛 哦 哪 哪个 哪些 哪里 哪儿 哪年 哪天 哪位 哪家 哪部 哪种 什么 什么样 啥
    谁 几 多少 怎么 怎么样 怎样 如何 为何 为什么 是否 是不是 有没有 请问 一下
    the a an of to in on at is are was were be by for with and or what which who whom
    when where why how does do did
    """.split()
)

_WORD = re.compile(r"[\w\u3400-\u9fff\uf900-\ufaff]", re.UNICODE)


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return _converter().convert(text)


def fold(text: str) -> str:
    """Full-width to half-width, traditional to simplified, lower case: one form for matching."""
    return _converter().convert(unicodedata.normalize("NFKC", text)).lower()


class Tokenizer:
    """jieba over folded text; one instance per process, since jieba's dictionary is global."""

    _lock = threading.Lock()

    def __init__(
        self, mode: str = "search", stopwords: bool = True, user_dict: Path | None = None
    ) -> None:
        self.mode = mode
        self.stopwords = stopwords
        self.user_dict = user_dict
        self._jieba = jieba.Tokenizer()
        with self._lock:
            self._jieba.initialize()
            if user_dict is not None:
                self._jieba.load_userdict(str(user_dict))

    @property
    def signature(self) -> str:
        """Changes whenever stored tokens would come out differently."""
        user = ""
        if self.user_dict is not None:
            stat = self.user_dict.stat()
            user = f"{self.user_dict}:{stat.st_size}:{stat.st_mtime_ns}"
        return f"v1|{self.mode}|stop={self.stopwords}|{user}"

    def tokens(self, text: str) -> list[str]:
        folded = fold(text)
        if self.mode == "search":
            words = self._jieba.cut_for_search(folded)
        else:
            words = self._jieba.cut(folded)
        out = []
        for word in words:
            word = word.strip()
            if not word or not _WORD.search(word):
                continue
            if self.stopwords and word in STOPWORDS:
                continue
            out.append(word)
        return out
