"""Follow-up questions: a question that leans on the one before it, read with it.

People in a chat do not repeat themselves: after `长治市人大常委会2025年召开了几次常委会会议？`
they ask `主任会议呢？`, `晋中呢？`, `他拟提名为什么人选？` or `制定了几件地方性法规？`. Each is
rewritten into the question it stands for, from the last question as understood (its "topic"):

- an elliptical `X呢？` puts X in place of its counterpart: a place for a place, a person for a
  person, a body for a body, else the phrase with the same head word (`主任会议` for
  `常委会会议`); `X的呢？` with no counterpart says which of the asked things (`重点督办的呢？`
  after `…收到了多少件代表建议？` asks `多少件重点督办的代表建议`), and an `X呢？` with none,
  after a question whose subject is named, is the other thing asked about (`鱼塘呢？` after
  `下武村建了多少栋蔬菜大棚？` asks `下武村建了多少鱼塘`);
- a pronoun (`他`, `她`) becomes the last person named, and a demonstrative (`这部条例`) the last
  phrase with the same head word (`《…条例》`);
- `其中…` narrows the last question, and is read after it;
- a question with no subject of its own (it opens with a verb, a preposition or a question word,
  and names no place, person or body) takes the last question's subject.

Anything else stands on its own and is searched as it is. A named place, person or body always
replaces its counterpart, and never joins it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from types import MappingProxyType

import jieba

from index.cache import Budgeted, one
from index.features import ASKED, is_person
from index.search import Answer, Searcher
from index.smalltalk import small_talk
from index.tokenize import QUESTION_PHRASE, Tokenizer, fold

_END = re.compile(r"[\s?？!！。.,，;；:：~～…]+$")
_ELLIPTICAL = re.compile(r"(?:那么|那|还有|那个)?(.+?)(的)?呢")
_MEASURE_AFTER = re.compile(r"[\u4e00-\u9fff]")  # the 件 of 多少/件: one character
_TIME = re.compile(r"(?:\d{4}|[今去前明本当])年(?:度|上半年|下半年)?|[上下]半年")
_WHO = dict(ASKED)["person"]
_GIVEN_NAME = re.compile(r"[\u4e00-\u9fff]{1,2}")
_NAMED = ("PLACE", "PERSON", "BODY")  # the kinds of word that name what a question is about
_NARROWING = ("其中", "这其中", "那其中", "当中")
_PERSON_PRONOUNS = ("他们", "她们", "他", "她")
_DEMONSTRATIVES = ("这部", "这个", "这项", "这次", "这些", "这位", "这条", "这份", "该", "此", "本")
# The parts of speech that cannot open a subject: verbs, prepositions, adverbs, pronouns and
# question words, conjunctions, particles (jieba's dictionary tags).
_NOT_SUBJECT = ("v", "p", "d", "r", "c", "u", "y")
_PLACE_SUFFIXES = ("省", "市", "县", "区", "镇", "乡", "村", "州", "盟", "旗")
_BODY_SUFFIXES = (
    "常委会",
    "委员会",
    "人大",
    "政府",
    "法院",
    "检察院",
    "政协",
    "公安局",
    "局",
    "厅",
    "委",
    "部",
    "办",
)


@dataclass(frozen=True)
class Topic:
    """What a conversation is about: the last question as understood, and the sentence that
    answered it (where a pronoun may find the person it stands for)."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Understood:
    """A follow-up question as it is meant, and the names it was given from the conversation,
    which the documents quoted must mention."""

    text: str
    focus: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Word:
    text: str  # as the user wrote it
    folded: str
    kind: str  # PLACE, PERSON, BODY, HEAD (a noun or unknown), or jieba's part of speech


@lru_cache(maxsize=1)
def _grammar() -> Mapping[str, str]:
    """jieba's part of speech of the words that cannot open a subject (39k words, read once)."""
    kept: dict[str, str] = {}
    with jieba.get_dict_file() as lines:
        for raw in lines:
            parts = raw.decode("utf-8").split()
            if len(parts) == 3 and parts[2].startswith(_NOT_SUBJECT) and parts[2] != "vn":
                kept[parts[0]] = parts[2]
    return MappingProxyType(kept)


class Reader:
    """Reads a question with the topic of the conversation; one per process, like the tokenizer."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def understand(self, question: str, topic: Topic | None) -> Understood | None:
        """The question as it is meant, or None when it stands on its own."""
        core = _END.sub("", question.strip())
        if topic is None or not core:
            return None
        before = _END.sub("", topic.question.strip())
        if core.startswith(_NARROWING):
            return Understood(f"{before}，{core}")
        ellipsis = _ELLIPTICAL.fullmatch(core)
        if ellipsis:
            return self._put_in_place(before, ellipsis.group(1), bool(ellipsis.group(2)))
        words = self.words(core)
        if not words:
            return None
        resolved = self._resolve_pronouns(words, before, topic.answer)
        if resolved is not None:
            return resolved
        if _names(words) or words[0].kind not in _NOT_SUBJECT:
            return None
        subject = self.subject(before)
        return Understood(f"{subject}{core}") if subject else None

    def words(self, text: str) -> list[_Word]:
        """jieba's words of a text, each as written and with its kind."""
        folded = fold(text)
        # Folding keeps one character for one almost always; where it does not, the folded
        # text is what is shown.
        source = text if len(folded) == len(text) else folded
        out: list[_Word] = []
        at = 0
        for piece in self.tokenizer.segments(folded):
            out.append(_Word(source[at : at + len(piece)], piece, self._kind(piece)))
            at += len(piece)
        return [w for w in out if w.folded.strip()]

    def _kind(self, word: str) -> str:
        tags = self.tokenizer.tags
        tag = tags.get(word, "")
        if tag.startswith("ns") or tags.get(word + "市", "").startswith("ns"):
            return "PLACE"
        grammar = _grammar().get(word)
        if grammar is not None:
            return grammar
        if len(word) >= 3 and word.endswith(_PLACE_SUFFIXES):
            return "PLACE"
        if any(word.endswith(end) and len(word) > max(len(end), 2) for end in _BODY_SUFFIXES):
            return "BODY"
        # The ranking's test, so that a follow-up reads as a person whom the answer's bold
        # sentence would count as one (not 养老, which jieba tags as a name).
        if is_person(word, tag):
            return "PERSON"
        return "HEAD"

    def subject(self, question: str) -> str:
        """The words a question opens with, up to its first verb, preposition or question word:
        what it is about."""
        return "".join(w.text for w in _opening(self.words(question)))

    def _put_in_place(self, before: str, fragment: str, attributive: bool = False) -> Understood:
        """`X呢`: the last question with X in place of its counterpart. `X的呢` with nothing
        of X in the last question says which of the asked things: 重点督办的呢 after
        收到了多少件代表建议 asks 多少件重点督办的代表建议."""
        old = self.words(before)
        new = self.words(fragment)
        if not new:
            return Understood(before)
        folded = fold(before)
        then = _TIME.search(folded)
        if _TIME.fullmatch(fold(fragment)) and then and len(folded) == len(before):
            return Understood(before[: then.start()] + fragment + before[then.end() :])
        kinds = {w.kind for w in new} & set(_NAMED)
        for kind in ("PERSON", "PLACE", "BODY"):
            if kind in kinds:
                at = next((k for k, w in enumerate(old) if w.kind == kind), None)
                if at is not None:
                    return Understood(_joined(old[:at], fragment, old[at + 1 :]), (fragment,))
        head = new[-1].folded
        at = next((k for k in range(len(old) - 1, -1, -1) if old[k].folded == head), None)
        if at is not None:
            start = max(0, at - len(new) + 1)
            while start < at and old[start].kind.startswith(_NOT_SUBJECT):
                start += 1
            return Understood(_joined(old[:start], fragment, old[at + 1 :]))
        opening = _opening(old)
        subject_named = _names(opening)
        asked = _asked_thing(old)
        if asked is not None:
            after, thing = asked
            if attributive:
                return Understood(_joined(old[:thing], f"{fragment}的", old[thing:]))
            if subject_named:
                # The last question's subject is named, and X is no name: X is the other thing
                # asked about there (鱼塘呢 after 下武村建了多少栋蔬菜大棚 asks 多少鱼塘).
                return Understood(_joined(old[:after], fragment, []))
        if kinds and not subject_named:
            # X is a name and the last question names none: X is its subject (晋中呢 after
            # 审查了多少件规范性文件 asks 晋中审查了多少件规范性文件).
            return Understood(f"{fragment}{before}", (fragment,))
        subject = "".join(w.text for w in opening)
        if subject:
            return Understood(f"{fragment}{before[len(subject) :]}")
        return Understood(f"{before}，{fragment}")

    def _resolve_pronouns(self, words: list[_Word], before: str, answer: str) -> Understood | None:
        """The question with `他` as the last person named and `这部条例` as the last 条例."""
        for k, word in enumerate(words):
            pronoun = _pronoun(word.folded)
            if pronoun and (pronoun == word.folded or not self.tokenizer.knows(word.folded)):
                # `他拟` comes out of jieba as one word it does not know: the pronoun and a verb.
                after = word.text[len(pronoun) :]
                person = (
                    self._answered(before, answer)
                    or self._last_person(before)
                    or self._last_person(answer)
                )
                if person:
                    return Understood(_joined(words[:k], person + after, words[k + 1 :]), (person,))
                subject = self.subject(before)
                if not subject:
                    return None
                return Understood(_joined(words[:k], subject + after, words[k + 1 :]))
            if word.folded.startswith(_DEMONSTRATIVES):
                head = word.folded[2:] if word.folded.startswith("这") else word.folded[1:]
                rest = words[k + 1 :]
                if not head and rest:
                    head, rest = rest[0].folded, rest[1:]
                if not head:
                    continue
                named = _title_ending(before, head) or _title_ending(answer, head)
                if named:
                    return Understood(_joined(words[:k], named, rest))
                subject = self.subject(before)
                phrase = self._phrase_ending(before, head) or head
                if not subject and phrase == head:
                    return None
                return Understood(_joined(words[:k], subject + phrase, rest))
        return None

    def _phrase_ending(self, text: str, head: str) -> str:
        """The last noun phrase of a text that ends with a head word (`地方性法规` for 法规)."""
        words = self.words(text)
        ends = [k for k, w in enumerate(words) if w.folded.endswith(head) and w.kind == "HEAD"]
        if not ends:
            return ""
        start = ends[-1]
        while start > 0 and words[start - 1].kind == "HEAD":
            start -= 1
        return "".join(w.text for w in words[start : ends[-1] + 1])

    def _answered(self, before: str, answer: str) -> str:
        """The person the last answer names, when the last question asked who: 她 after
        王维水墨小镇谁去调研了 is 梁艳萍 of the answer, not 王维 of the question."""
        folded = fold(before)
        if not _WHO.search(folded):
            return ""
        return next((name for name in self._people(answer) if fold(name) not in folded), "")

    def _people(self, text: str) -> list[str]:
        """The people a text names, in order."""
        words = self.words(text)
        people = []
        for k, word in enumerate(words):
            after = words[k + 1] if k + 1 < len(words) else None
            if word.kind != "PERSON" or (after and after.folded.endswith(_PLACE_SUFFIXES)):
                continue  # 刘家 of 刘家堡村 is the first half of a place's name
            name = word.text
            if len(word.folded) == 1 and after and _GIVEN_NAME.fullmatch(after.folded):
                name += after.text  # jieba cuts a name it does not know after the surname
            people.append(name)
        return people

    def _last_person(self, text: str) -> str:
        people = self._people(text)
        return people[-1] if people else ""


def _names(words: list[_Word]) -> bool:
    """Whether any of the words names a place, a person or a body."""
    return any(w.kind in _NAMED for w in words)


def _opening(words: list[_Word]) -> list[_Word]:
    """The words a question opens with, up to its first verb, preposition or question word."""
    taken: list[_Word] = []
    for word in words:
        if word.kind.startswith(_NOT_SUBJECT) and word.folded != "的":
            break
        if not re.search(r"\w", word.folded):
            break
        taken.append(word)
    while taken and taken[-1].folded == "的":
        taken.pop()
    return taken


def _asked_thing(words: list[_Word]) -> tuple[int, int] | None:
    """Where the question word ends, and where the thing it asks the number or kind of begins
    (代表建议 of 多少件代表建议, its measure word passed); None when no question word has a
    noun after it."""
    for k in range(len(words) - 1, -1, -1):
        if QUESTION_PHRASE.match(words[k].folded) or words[k].folded == "什么":
            start = k + 1
            if start < len(words) and _MEASURE_AFTER.fullmatch(words[start].folded):
                start += 1
            if start < len(words) and all(w.kind == "HEAD" for w in words[start:]):
                return k + 1, start
            return None
    return None


def _joined(head: list[_Word], middle: str, tail: list[_Word]) -> str:
    return "".join(w.text for w in head) + middle + "".join(w.text for w in tail)


def _pronoun(word: str) -> str:
    return next((p for p in _PERSON_PRONOUNS if word.startswith(p)), "")


def _title_ending(text: str, head: str) -> str:
    """The last book title in a text (`《…条例》`) that ends with a head word."""
    titles: list[str] = re.findall(r"《[^《》]{1,40}》", text)
    for title in reversed(titles):
        if fold(title).rstrip("》").endswith(head):
            return title
    return ""


@dataclass(frozen=True)
class Turn:
    """One question of a conversation answered: what was searched, and what it is about now."""

    answer: Answer
    understood: str | None  # the question as searched, when the topic was used
    topic: Topic | None  # what the next question may lean on
    small_talk: str | None = None  # the kind of small talk it was, which is never searched


def converse(
    searcher: Searcher, question: str, topic: Topic | None, limit: int | None = None
) -> Turn:
    """Answer a question of a conversation: small talk is not searched and leaves the topic
    as it was; a follow-up is searched as understood with the topic; each answer becomes the
    topic of the next."""
    talk = small_talk(question)
    if talk is not None:
        return Turn(Answer(question, []), None, topic, talk)
    meant = Reader(searcher.tokenizer).understand(question, topic)
    if meant is None:
        answer = searcher.search(question, limit)
        understood = None
    else:
        answer = replace(searcher.search(meant.text, limit, meant.focus), question=question)
        understood = meant.text
    answered = answer.results[0].highlight if answer.results else ""
    return Turn(answer, understood, Topic(understood or _END.sub("", question.strip()), answered))


class Conversations:
    """The topic of each conversation, by key (a chat and a user): forgotten after `expire_s`
    of silence, and the least recently used first beyond `capacity`."""

    def __init__(
        self,
        expire_s: float | None = None,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.expire_s = expire_s
        self.clock = clock
        self._topics: Budgeted[Hashable, tuple[float, Topic]] = Budgeted(capacity, one)

    def topic(self, key: Hashable) -> Topic | None:
        found = self._topics.get(key)
        if found is None:
            return None
        at, topic = found
        if self.expire_s is not None and self.clock() - at > self.expire_s:
            self._topics.discard(key)
            return None
        return topic

    def remember(self, key: Hashable, topic: Topic | None) -> None:
        if topic is None:
            self._topics.discard(key)
            return
        self._topics.put(key, (self.clock(), topic))

    def ask(
        self, searcher: Searcher, key: Hashable, question: str, limit: int | None = None
    ) -> Turn:
        turn = converse(searcher, question, self.topic(key), limit)
        if turn.small_talk is None:
            self.remember(key, turn.topic)
        return turn
