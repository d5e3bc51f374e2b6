"""The scoring of `qabot eval` on hand-made answers, so the quality floors can fail."""

from __future__ import annotations

import json
from pathlib import Path

from index.evaluate import GoldQuestion, Metrics, evaluate, in_traditional, load_gold
from index.search import Answer, Result


def _result(doc: str, quote: str, highlight: str = "") -> Result:
    return Result(doc, "", quote, highlight or quote, 1.0, 1, 0, 0, 0, 0)


def _scored(gold: list[GoldQuestion], answers: dict[str, list[Result]]):
    return evaluate(gold, lambda q: Answer(q, answers[q]))


Q = GoldQuestion("1", "长治召开了几次常委会会议？", ("7次",), "a.txt")


def test_the_right_quote_from_the_right_document_is_a_hit() -> None:
    m = _scored([Q], {Q.question: [_result("a.txt", "召开常委会会议7次。")]})
    assert (m.aiq1, m.aiq3, m.mrr10, m.hl1) == (1.0, 1.0, 1.0, 1.0)


def test_the_right_document_with_the_wrong_quote_is_a_miss() -> None:
    m = _scored([Q], {Q.question: [_result("a.txt", "召开主任会议15次。")]})
    assert (m.aiq1, m.aiq3, m.mrr10, m.hl1) == (0.0, 0.0, 0.0, 0.0)


def test_the_right_quote_from_the_wrong_document_is_a_miss() -> None:
    m = _scored([Q], {Q.question: [_result("b.txt", "召开常委会会议7次。")]})
    assert (m.aiq1, m.aiq3, m.mrr10, m.hl1) == (0.0, 0.0, 0.0, 0.0)


def test_a_hit_at_rank_two_counts_for_aiq3_and_half_for_mrr() -> None:
    results = [_result("a.txt", "召开主任会议15次。"), _result("a.txt", "常委会会议 7 次")]
    m = _scored([Q], {Q.question: results})
    assert (m.aiq1, m.aiq3, m.mrr10, m.hl1) == (0.0, 1.0, 0.5, 0.0)


def test_a_highlight_that_misses_the_answer_loses_only_hl1() -> None:
    result = _result("a.txt", "长治市人大常委会。召开常委会会议7次。", "长治市人大常委会。")
    m = _scored([Q], {Q.question: [result]})
    assert (m.aiq1, m.hl1) == (1.0, 0.0)


def test_traditional_quotes_match_simplified_answers() -> None:
    m = _scored([Q], {Q.question: [_result("a.txt", "召開常委會會議7次。")]})
    assert m.aiq1 == 1.0


def test_questions_without_answers_score_silence_apart(tmp_path: Path) -> None:
    lines = [
        {"id": "1", "question": Q.question, "answers": ["7次"], "doc": "a.txt"},
        {"id": "2", "question": "你好", "answers": [], "doc": ""},
        {"id": "3", "question": "今天天气怎么样", "answers": []},
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    gold = load_gold(path).questions
    answers = {
        Q.question: [_result("a.txt", "召开常委会会议7次。")],
        "你好": [],
        "今天天气怎么样": [_result("a.txt", "天气晴。")],
    }
    m = _scored(gold, answers)
    # The answerable figures are over the answerable question alone.
    assert (m.questions, m.aiq1, m.hl1) == (1, 1.0, 1.0)
    assert (m.unanswerable, m.spoke, m.silent) == (2, 1, 0.5)
    assert m.lines()[-2:] == ["unanswerable 2", "no-passage 0.500"]


def test_short_answers_are_counted_over_the_questions_that_ask_for_one() -> None:
    gold = [
        Q,
        GoldQuestion("2", "长治开了几次主任会议？", ("主任会议15次",), "a.txt"),
        GoldQuestion("3", "李新文现任什么职务？", ("党委书记",), "a.txt"),
    ]
    hit = [_result("a.txt", "召开常委会会议7次、主任会议15次。")]
    answers = {
        Q.question: Answer(Q.question, hit, short="7次"),
        gold[1].question: Answer(gold[1].question, hit, short="7次"),
        gold[2].question: Answer(gold[2].question, hit, short=None),
    }
    m = evaluate(gold, lambda q: answers[q])
    # Two questions ask for a count; both got one; "7次" is right only for the first.
    assert (m.short_asked, m.short_given, m.short_right) == (2, 2, 1)
    assert "short-precision 0.500" in m.lines() and "short-coverage 1.000" in m.lines()


def test_figures_are_averaged_over_the_questions_with_ranks_up_to_ten() -> None:
    """Hits at ranks 1, 3, 4 and 11 of four questions: each figure counts every question once."""
    miss = _result("a.txt", "召开主任会议15次。")
    hit = _result("a.txt", "召开常委会会议7次。")
    gold = [GoldQuestion(str(k), f"问题{k}", ("7次",), "a.txt") for k in range(4)]
    ranked = {
        "问题0": [hit],
        "问题1": [miss, miss, hit],
        "问题2": [miss, miss, miss, hit],
        "问题3": [miss] * 10 + [hit],  # past the tenth result: not found
        "你好": [],
    }
    m = _scored([*gold, GoldQuestion("5", "你好", (), "")], ranked)
    assert (m.questions, m.aiq1, m.aiq3, m.hl1) == (4, 0.25, 0.5, 0.25)
    assert m.mrr10 == (1 + 1 / 3 + 1 / 4) / 4
    assert (m.unanswerable, m.spoke) == (1, 0), "answered questions are not counted as spoken"


def test_a_short_answer_within_the_gold_answer_is_right() -> None:
    gold = [GoldQuestion("1", "长治召开了几次常委会会议？", ("常委会会议7次",), "a.txt")]
    hit = [_result("a.txt", "召开常委会会议7次。")]
    m = evaluate(gold, lambda q: Answer(q, hit, short="7次"))
    assert (m.short_asked, m.short_given, m.short_right) == (1, 1, 1)


def test_a_squad_file_gives_its_questions_and_the_paragraphs_to_index(tmp_path: Path) -> None:
    """CMRC and SQuAD files: each paragraph a document named by its id, answers deduplicated."""
    qa = {"id": "q1", "question": "开了几次会？", "answers": [{"text": "7次"}, {"text": "会议7次"}]}
    repeated = {"id": "q2", "question": "开会了吗？", "answers": [{"text": "7次"}, {"text": "7次"}]}
    data = {
        "data": [
            {
                "title": "长治",
                "paragraphs": [
                    {"id": "p1", "context": "召开常委会会议7次。", "qas": [qa, repeated]},
                    {"context": "无关。", "qas": []},
                ],
            },
            {"paragraphs": [{"id": "p3", "context": "没有标题。", "qas": []}]},
        ]
    }
    path = tmp_path / "gold.json"
    path.write_text("\ufeff" + json.dumps(data, ensure_ascii=False), encoding="utf-8")
    gold = load_gold(path)
    assert gold.questions == [
        GoldQuestion("q1", "开了几次会？", ("7次", "会议7次"), "p1.txt"),
        GoldQuestion("q2", "开会了吗？", ("7次",), "p1.txt"),
    ]
    first, second = "长治\n\n召开常委会会议7次。\n", "长治\n\n无关。\n"
    third = "\n\n没有标题。\n"
    assert gold.documents == [("p1.txt", first), ("长治_1.txt", second), ("p3.txt", third)]
    folder = tmp_path / "docs"
    assert gold.write_documents(folder) == len(first) + len(second) + len(third)
    assert (folder / "p1.txt").read_text(encoding="utf-8") == first
    traditional = in_traditional(gold)
    assert traditional.questions[0] == GoldQuestion(
        "q1", "開了幾次會？", ("7次", "會議7次"), "p1.txt"
    )
    assert traditional.documents is not None
    assert traditional.documents[0] == ("p1.txt", "長治\n\n召開常委會會議7次。\n")


def test_jsonl_lines_keep_their_id_or_are_named_by_their_line(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    lines = [{"id": "s01", "question": "你好", "answers": []}, {"question": "再见", "answers": []}]
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    path.write_text("\n" + text + "\n", encoding="utf-8")
    gold = load_gold(path)
    assert gold.questions == [
        GoldQuestion("s01", "你好", (), ""),
        GoldQuestion("3", "再见", (), ""),
    ]
    assert gold.documents is None and in_traditional(gold).documents is None


def test_the_figures_printed_hold_every_part() -> None:
    m = Metrics(2, 0.5, 1.0, 0.75, 0.5, unanswerable=4, spoke=1, short_asked=1)
    assert m.lines() == [
        "questions 2",
        "AIQ@1  0.500",
        "AIQ@3  1.000",
        "MRR@10 0.750",
        "HL@1   0.500",
        "short-asked 1",
        "short-coverage 0.000",
        "short-precision 0.000",
        "unanswerable 4",
        "no-passage 0.750",
    ]
