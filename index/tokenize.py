"""Search tokens for documents and questions, folded so that width, case and script don't matter."""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import jieba
import opencc

from index.config import TokenizerConfig

# Function words and question words: they match everywhere and decide nothing.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "而",
        "被",
        "把",
        "对",
        "从",
        "向",
        "以",
        "为",
        "于",
        "之",
        "其",
        "这",
        "那",
        "这个",
        "那个",
        "这些",
        "那些",
        "着",
        "过",
        "得",
        "地",
        "所",
        "等",
        "并",
        "又",
        "还",
        "则",
        "即",
        "及其",
        "以及",
        "由",
        "让",
        "给",
        "将",
        "已",
        "已经",
        "个",
        "各",
        "该",
        "此",
        "中",
        "上",
        "下",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "嘛",
        "哦",
        "哪",
        "哪个",
        "哪些",
        "哪里",
        "哪儿",
        "哪年",
        "哪天",
        "哪位",
        "哪家",
        "哪部",
        "哪种",
        # Question phrases jieba keeps whole: they ask, and say nothing of the topic.
        "哪些地方",
        "哪些方面",
        "哪一年",
        "哪一天",
        "多长时间",
        "多长",
        "多久",
        "什么",
        "什么样",
        "啥",
        "谁",
        "几",
        "多少",
        "怎么",
        "怎么样",
        "怎样",
        "如何",
        "为何",
        "为什么",
        "是否",
        "是不是",
        "有没有",
        "请问",
        "一下",
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "at",
        "is",
        "are",
        "was",
        "were",
        "be",
        "by",
        "for",
        "with",
        "and",
        "or",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "does",
        "do",
        "did",
    ]
)

# The question word with what it counts, which jieba keeps whole in any combination (几个,
# 哪几个, 哪一部, 多少倍, 几届): asked, never written, so a word no passage holds that would
# weigh most of all. Only with a measure word after it: 哪吒 and 几何 are words.
_MEASURE_WORDS = (
    "[个條条部种種位年天日月次件名人届屆枚层層张張轮輪期号號项項座路类類场場代批级級辆輛班度岁歲站"
    "分只隻倍句篇家所本首支队隊国國省市县縣区區些样樣处處颗顆块塊份台间間门門艘架株头頭匹]"
)
QUESTION_PHRASE = re.compile(rf"^(?:哪|几|多少)[一几]?{_MEASURE_WORDS}?$")
_ASKING = frozenset(["哪", "哪一"])
# What 哪 leaves behind (哪/座, 哪/一座, 哪/两国, 哪/两/国), a date's unit aside: 哪/年 asks for 年.
_MEASURE = re.compile(rf"^[一二两三四五六七八九十]?(?![年月日天号號]){_MEASURE_WORDS}$")
_NUMERAL_CHAR = re.compile(r"^[一二两三四五六七八九十]$")  # 哪/两/国: a measure may follow
# The rest of a question phrase that jieba cuts off its question word, which no answer writes:
# 哪/天 is answered by 1月7日, 什么/时候 by a year, 多少/钱 by 60元 (the answer-type tokens
# #日, #年 and #钱 stand for them).
_ASKED_WITH = {"哪": "天", "哪一": "天", "什么": "时候", "多少": "钱"}


def _measures_dropped(pieces: list[str]) -> list[str]:
    """The measure word jieba cut off 哪 (哪/座/山, 哪/本/法典, 哪/两/国) left out as the question
    phrase 哪个 is: no passage writes it, and it is no part of a name (座山, 两国). A date's unit
    stays (哪/年 meets the 年 of 1977年), and so does the measure after 几 and 多少 (多少/件
    meets the 件 of 5件). The rest of a phrase in _ASKED_WITH is left out too."""
    out: list[str] = []
    asking = False
    previous = ""
    for piece in pieces:
        numeral = _NUMERAL_CHAR.match(piece) is not None
        if (asking and (numeral or _MEASURE.match(piece))) or _ASKED_WITH.get(previous) == piece:
            out.append("")
            asking = numeral
            previous = ""
            continue
        out.append(piece)
        asking = piece in _ASKING
        previous = piece
    return out


jieba.setLogLevel(logging.WARNING)

_WORD = re.compile(r"[\w\u3400-\u9fff\uf900-\ufaff]", re.UNICODE)


# Surnames that open a person's name: jieba's dictionary tags 养老, 小镇 and 平稳过渡 as names,
# and does not know 李新文 at all.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤康常乔赖施洪牛樊葛邢齐易伍庞颜倪庄聂章鲁岳翟殷詹申耿关兰焦俞左"
    "柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍喻祁蒲房滕屈饶"
    "牟艾尤穆卓缪简项褚娄窦戚岑景宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬卞姬栾隋商刁巫寇桑郎甄仲"
    "虞敖巩佘池查苑迟邝温"
)
DOUBLE_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "司徒",
        "东方",
        "夏侯",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "令狐",
    ]
)


@lru_cache(maxsize=1)
def _tags() -> Mapping[str, str]:
    """Places (ns…) and people (nr…) of jieba's dictionary, and its short words that open with
    a surname whatever they are (so that a name it does not know, 李新文, can be told from a
    word it does, 高质量), read once on first use (0.1 s).

    Only these are kept: the whole table of parts of speech would hold 60 MB for the life
    of the process."""
    kept: dict[str, str] = {}
    with jieba.get_dict_file() as lines:
        for raw in lines:
            parts = raw.decode("utf-8").split()
            if len(parts) != 3:
                continue
            word, tag = parts[0], parts[2]
            if tag.startswith(("ns", "nr")) or (
                len(word) <= 4 and (word[0] in SURNAMES or word[:2] in DOUBLE_SURNAMES)
            ):
                kept[word] = tag
    return MappingProxyType(kept)


@lru_cache(maxsize=1)
def traditional_converter() -> opencc.OpenCC:
    """Simplified to traditional, for making traditional test sets of simplified ones."""
    return opencc.OpenCC("s2t")


@lru_cache(maxsize=1)
def _converter() -> Callable[[str], str]:
    return opencc.OpenCC("t2s").convert


def simplified(text: str) -> str:
    return _converter()(text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def fold(text: str) -> str:
    """Full-width to half-width, traditional to simplified, lower case: one form for matching.

    A lone surrogate (a Python str can hold one; UTF-8 cannot) becomes U+FFFD, as OpenCC
    encodes the text to UTF-8."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return _converter()(unicodedata.normalize("NFKC", text)).lower()


class Tokenizer:
    """jieba over folded text; one instance per process, since jieba's dictionary is global."""

    _lock = threading.Lock()

    def __init__(self, config: TokenizerConfig, user_dict: Path | None = None) -> None:
        self.config = config
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
        c = self.config
        return (
            f"v2|{c.mode}|hmm={c.hmm}|stop={c.stopwords}|bigrams={c.bigrams}|numbers={c.numbers}"
            f"|names={c.names}"
            f"|{user}"
        )

    def tokens(self, text: str) -> list[str]:
        return self._folded_tokens(fold(text))

    def _folded_tokens(self, folded: str, asking: bool = False) -> list[str]:
        """`asking`: a question's, where a measure jieba cut off 哪 is left out with it."""
        if self.config.mode == "search":
            words = self._jieba.cut_for_search(folded, HMM=self.config.hmm)
        else:
            words = self._jieba.cut(folded, HMM=self.config.hmm)
        stop = STOPWORDS if self.config.stopwords else frozenset()
        pieces = [w.strip() for w in words]
        if asking and self.config.stopwords:
            pieces = _measures_dropped(pieces)
        out = [w for w in pieces if w and w not in stop and _WORD.search(w)]
        if self.config.stopwords:
            out = [w for w in out if not QUESTION_PHRASE.match(w)]
        if self.config.names:
            out.extend(_single_runs(pieces, asking))
        if self.config.bigrams:
            for run in _CJK_RUN.findall(folded):
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
        if self.config.numbers:
            out.extend(answer_type_tokens(folded))
        return out

    def specificity(self, word: str) -> float:
        """How rare a word is in Chinese at large (jieba's dictionary), whatever is indexed.

        A word jieba does not know (a number, a Latin name) counts as rare as the rarest."""
        freq = self._jieba.FREQ.get(word) or 1
        return math.log(self._jieba.total / freq)

    def segments(self, folded: str) -> list[str]:
        """Every word of a folded text in order, nothing dropped: a question's grammar."""
        return list(self._jieba.cut(folded, HMM=True))

    def knows(self, word: str) -> bool:
        """Whether jieba's dictionary holds the word (its prefixes are held with count 0)."""
        return bool(self._jieba.FREQ.get(word))

    @property
    def tags(self) -> Mapping[str, str]:
        """jieba's part of speech of the places (ns…) and people (nr…) it knows, and of its
        short words that open with a surname."""
        return _tags()

    def query(self, question: str) -> tuple[str, list[str], list[str]]:
        """A question folded, its own tokens, and (when enabled) the words its answer is likely
        to hold; folded once, since folding is most of the cost of a short text."""
        folded = fold(question)
        cues = question_cues(folded) if self.config.cues else []
        return folded, self._folded_tokens(folded, asking=True), cues


# A question that asks where. 在哪 does when a place follows it or nothing does: 在哪年,
# 在哪一场比赛 and 在哪次会议 ask other things.
WHERE = (
    r"哪里|哪儿|何处|何地|什么地方|哪个地方|哪些地方|在哪(?![\u4e00-\u9fff])|"
    r"在哪[个些一]?(?:地方|省|市|县|区|镇|乡|村|国|国家|城市|地区|区域|洲)"
)
# What an answer to each kind of question tends to say: "where" is answered by 位于…, "when" by a
# year, "also called" by 又称…. Added to questions only.
QUESTION_CUES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (
        re.compile(WHERE),
        ("位于", "地处", "分布", "坐落"),
    ),
    (re.compile(r"什么时候|何时|几时|哪一?年|何年|什么时间|哪个时间|哪个朝代"), ("#年",)),
    (
        re.compile(r"又叫|又称|别名|别称|也叫|还叫|简称|又名|也称|原名"),
        ("又称", "又名", "别名", "简称", "也称", "原名"),
    ),
)


def question_cues(folded: str) -> list[str]:
    return [cue for pattern, cues in QUESTION_CUES if pattern.search(folded) for cue in cues]


_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# Words of a question that end or open a run of single characters that is no name: 前/肛/鳗/有
# (前肛鳗有), 有/多/大. Chosen on the trial set's questions: of its runs that held one of
# these, 5 were words of its pages and 64 were not (counted by character).
_NOT_IN_NAMES = frozenset("有做叫因多现能会")
_QUESTION_RUN_BREAKS = STOPWORDS | _NOT_IN_NAMES
_NUMERAL = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+)"
_NUMBER_PIECE = re.compile(rf"^{_NUMERAL}$")


def _single_runs(pieces: list[str], asking: bool = False) -> list[str]:
    """Runs of two to four single characters that are not stopwords (李/新/文 → 李新文): where
    jieba met a word it does not know, most often a name. In a question, its common verbs
    (`_NOT_IN_NAMES`) end a run too, and a date's unit after its number is none of one."""
    out: list[str] = []
    run: list[str] = []
    breaks = _QUESTION_RUN_BREAKS if asking else STOPWORDS
    previous = ""
    for piece in [*pieces, ""]:
        # 2025/年/开 makes no name 年开: a date's unit belongs to its number.
        dated = asking and piece in ("年", "月", "日") and _NUMBER_PIECE.match(previous) is not None
        previous = piece
        if len(piece) == 1 and _CJK_CHAR.match(piece) and piece not in breaks and not dated:
            run.append(piece)
            continue
        if 2 <= len(run) <= 4:
            out.append("".join(run))
        run = []
    return out


_COUNTED = re.compile(_NUMERAL + r"(?:余|多)?([\u4e00-\u9fff])")
_ASKED = re.compile(r"(?:几|多少)(?:余|多)?([\u4e00-\u9fff])|(?:哪|何)一?([年月天日])")


def answer_type_tokens(folded: str) -> list[str]:
    """`#次` for both `7次` and `几次`: a question asking how many of X meets a count of X."""
    out = [f"#{m.group(1)}" for m in _COUNTED.finditer(folded)]
    for m in _ASKED.finditer(folded):
        unit = m.group(1) or m.group(2)
        out.append("#日" if unit == "天" else f"#{unit}")
    return out
