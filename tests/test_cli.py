"""The `qabot` command as a user runs it: real processes, real files, no traceback ever."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from index.config import Config

from .conftest import CHANGZHI, JINZHONG, REPO, SEED_QA


def qabot(
    *args: str, home: Path, stdin: str | None = None, check: bool = True, lang: str = "C.UTF-8"
) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it; the locale is the one given (C: the configured language)."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")},
        "LANG": lang,
        "XDG_DATA_HOME": str(home / "data"),
        "PYTHONIOENCODING": "utf-8",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_first_use_builds_the_sample_index_and_answers(tmp_path: Path) -> None:
    out = qabot("ask", "长治市人大常委会2025年召开了几次常委会会议？", home=tmp_path)
    assert (tmp_path / "data" / "qabot" / "index" / "index.sqlite").exists()
    assert "常委会会议7次" in out.stdout
    assert f"{CHANGZHI} · 围绕中心依法履职 紧贴民心担当作为 · ¶2" in out.stdout
    assert "**" in out.stdout  # the answering sentence is marked bold


def test_batch_json_keeps_input_order_and_survives_odd_questions(tmp_path: Path) -> None:
    questions = [
        "李新文是哪年出生的？",
        "",
        "今天天气怎么样",
        "？？！！",
        "😀🎉",
        "长治" * 5000,
        "'; DROP TABLE chunks; --",
        "{0} %s .* [a-z]+",
        "晋中的基层代表培训覆盖了多少名基层代表？",
    ]
    out = qabot("ask", "--json", "--batch", "-", home=tmp_path, stdin="\n".join(questions) + "\n")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [item["question"] for item in lines] == [q[:10000] for q in questions]
    assert all(set(item) == {"question", "understood", "answer", "results"} for item in lines)
    first = lines[0]["results"][0]
    assert set(first) == {
        "doc",
        "title",
        "quote",
        "highlight",
        "score",
        "confidence",
        "paragraph",
        "page",
    }
    assert first["page"] is None  # a text file has no pages
    assert Config().search.min_confidence <= first["confidence"] <= 1
    assert first["doc"] == JINZHONG and "1977年8月" in first["highlight"]
    assert first["highlight"] in first["quote"] and isinstance(first["score"], float)
    assert [len(item["results"]) for item in lines[1:5]] == [0, 0, 0, 0]
    assert "203名" in lines[-1]["results"][0]["quote"]
    assert all(len(r["quote"]) <= 400 for item in lines for r in item["results"])


def test_batch_from_a_gbk_file(tmp_path: Path) -> None:
    batch = tmp_path / "questions.txt"
    batch.write_bytes("长治组织了多少次任前法律知识考试？\r\n".encode("gbk"))
    out = qabot("ask", "--json", "--batch", str(batch), home=tmp_path)
    (item,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert "16次" in item["results"][0]["quote"]


def test_index_update_sync_and_explicit_index_dir(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# 测试文档\n\n青蛙王子住在湖边的城堡里。\n", encoding="utf-8")
    (docs / "b.txt").write_bytes("晋中市的蓝色自行车共有三千辆。".encode("gb18030"))
    (docs / "junk.txt").write_bytes(b"\x00\x01\x02binary" * 50)
    index = tmp_path / "idx"
    en = "en_US.UTF-8"
    out = qabot("index", str(docs), "--index", str(index), "--quiet", home=tmp_path, lang=en)
    assert "2 added" in out.stdout and "1 skipped" in out.stdout
    assert "junk.txt: binary data" in out.stdout
    again = qabot("index", str(docs), "--index", str(index), "--quiet", home=tmp_path)
    assert "未变 2 个" in again.stdout  # the configured language, with no locale to say
    answer = qabot("ask", "--json", "--index", str(index), "青蛙王子住在哪里？", home=tmp_path)
    result = json.loads(answer.stdout)["results"][0]
    assert result["doc"] == "a.md" and result["title"] == "测试文档"
    (docs / "a.md").unlink()
    synced = qabot(
        "index", str(docs), "--index", str(index), "--sync", "--quiet", home=tmp_path, lang=en
    )
    assert "1 removed" in synced.stdout
    gone = qabot("ask", "--json", "--index", str(index), "青蛙王子住在哪里？", home=tmp_path)
    assert json.loads(gone.stdout)["results"] == []


def test_config_file_sets_index_and_top_k(tmp_path: Path) -> None:
    config = tmp_path / "qabot.toml"
    config.write_text('[index]\npath = "myindex"\n\n[answers]\ntop_k = 1\n', encoding="utf-8")
    qabot("index", str(REPO / "samples"), "--config", str(config), "--quiet", home=tmp_path)
    assert (tmp_path / "myindex" / "index.sqlite").exists()
    out = qabot("ask", "--json", "--config", str(config), "人大代表", home=tmp_path)
    assert len(json.loads(out.stdout)["results"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "nowhere"], "no such file or folder"),
        (["ask", "--index", "nowhere", "长治"], "no index at"),
        (["ask"], "give one question"),
        (["ask", "--batch", "missing.txt"], "cannot read missing.txt"),
        (["ask", "--config", "missing.toml", "长治"], "config file not found"),
        (["eval", "missing.jsonl"], "cannot read gold questions"),
    ],
)
def test_bad_input_gets_a_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    proc = qabot(*args, home=tmp_path, check=False, lang="en_US.UTF-8")
    assert proc.returncode == 2
    assert message in proc.stderr


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh_CN.UTF-8", "已跳过"),
        ("zh_TW.UTF-8", "已跳過"),
        ("en_US.UTF-8", "skipped"),
    ],
)
def test_the_index_summary_and_mistakes_are_said_in_the_locales_language(
    tmp_path: Path, lang: str, said: str
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("青蛙王子住在湖边的城堡里。", encoding="utf-8")
    (docs / "junk.txt").write_bytes(b"\x00\x01\x02binary" * 50)
    out = qabot("index", str(docs), "--index", "idx", "--quiet", home=tmp_path, lang=lang)
    skipped = next(line for line in out.stdout.splitlines() if "junk.txt" in line)
    assert skipped.startswith(said)
    wrong = qabot("index", "nowhere", home=tmp_path, check=False, lang=lang)
    assert wrong.returncode == 2
    assert ("no such file" in wrong.stderr) == (lang == "en_US.UTF-8")


def test_empty_folder_and_bad_config_leave_the_index_alone(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = qabot("index", str(tmp_path / "empty"), "--index", "idx", home=tmp_path, check=False)
    assert proc.returncode == 2 and "中没有文档（txt、md、pdf" in proc.stderr
    assert not (tmp_path / "idx").exists()
    config = tmp_path / "bad.toml"
    config.write_text("[ranking]\nk1 = -1\n", encoding="utf-8")
    proc = qabot("ask", "--config", str(config), "长治", home=tmp_path, check=False)
    assert proc.returncode == 2 and "[ranking] k1" in proc.stderr


def test_chat_answers_until_an_empty_line(tmp_path: Path) -> None:
    out = qabot("chat", home=tmp_path, stdin="宪法宣誓有多少人次？\nasdfgh\n\n")
    assert "38人次" in out.stdout
    # No locale: the configured language, Simplified Chinese by default.
    assert "没有找到相关的段落" in out.stdout and "No relevant passage" not in out.stdout


def test_chat_follows_the_conversation_in_the_language_of_the_locale(tmp_path: Path) -> None:
    talk = "长治市人大常委会2025年召开了几次常委会会议？\n主任会议呢？\n谢谢\n\n"
    out = qabot("chat", home=tmp_path, stdin=talk, lang="en_US.UTF-8").stdout
    first, followup, thanks = out.split("\n? ")[1:4]
    assert first.startswith("**7次**")
    assert followup.startswith("   (Read as “长治市人大常委会2025年召开了几次主任会议”)\n**15次**")
    assert thanks.startswith("You're welcome!") and "¶" not in thanks
    traditional = qabot("chat", home=tmp_path, stdin="謝謝\n", lang="zh_TW.UTF-8").stdout
    assert "不客氣" in traditional


def test_batch_lines_of_one_chat_are_one_conversation(tmp_path: Path) -> None:
    lines = [
        {"question": "李新文是哪年出生的？", "chat": "a"},
        {"question": "那孙雨呢？", "chat": "a"},
        {"question": "那孙雨呢？", "chat": "b"},
        {"question": "他拟提名为什么人选？", "chat": "a"},
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    out = qabot("ask", "--json", "--batch", "-", home=tmp_path, stdin=stdin)
    first, second, elsewhere, third = (json.loads(line) for line in out.stdout.splitlines())
    assert first["understood"] == "李新文是哪年出生的？" and first["answer"] == "1977年8月"
    assert second["question"] == "那孙雨呢？"
    assert second["understood"] == "孙雨是哪年出生的" and second["answer"] == "1980年3月"
    # Another chat has no topic to lean on: the question is searched as it is.
    assert elsewhere["understood"] == "那孙雨呢？"
    assert third["understood"] == "孙雨拟提名为什么人选"
    assert "副县(区、市)长人选" in third["results"][0]["highlight"]


def test_eval_prints_the_figures_for_our_gold_format(tmp_path: Path) -> None:
    out = qabot("eval", str(SEED_QA), home=tmp_path)
    figures = dict(line.split() for line in out.stdout.splitlines()[1:])
    assert set(figures) == {
        "questions",
        "AIQ@1",
        "AIQ@3",
        "MRR@10",
        "HL@1",
        "short-asked",
        "short-coverage",
        "short-precision",
    }
    assert float(figures["AIQ@3"]) == 1.0
    assert float(figures["short-precision"]) == 1.0


def test_eval_reads_squad_files(tmp_path: Path) -> None:
    squad = {
        "version": "v1.0",
        "data": [
            {
                "title": "青蛙",
                "id": "T1",
                "paragraphs": [
                    {
                        "id": "T1_P0",
                        "context": "青蛙是两栖动物。青蛙主要吃昆虫。",
                        "qas": [
                            {
                                "id": "q1",
                                "question": "青蛙主要吃什么？",
                                "answers": [{"text": "昆虫", "answer_start": 12}],
                            }
                        ],
                    }
                ],
            },
            {
                "title": "蜗牛",
                "id": "T2",
                "paragraphs": [
                    {
                        "id": "T2_P0",
                        "context": "蜗牛是软体动物，爬得很慢。",
                        "qas": [
                            {
                                "id": "q2",
                                "question": "蜗牛是什么动物？",
                                "answers": [{"text": "软体动物", "answer_start": 3}],
                            }
                        ],
                    }
                ],
            },
        ],
    }
    path = tmp_path / "mini_squad.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    out = qabot("eval", str(path), home=tmp_path)
    assert "2 documents" in out.stdout
    assert "AIQ@1  1.000" in out.stdout and "HL@1   1.000" in out.stdout


def test_sample_index_from_older_settings_is_rebuilt(tmp_path: Path) -> None:
    qabot("ask", "长治", home=tmp_path)
    db = tmp_path / "data" / "qabot" / "index" / "index.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = 'older' WHERE key = 'signature'")
    out = qabot("ask", "--json", "宪法宣誓有多少人次？", home=tmp_path)
    assert "建立示例索引" in out.stderr  # no locale: the configured language, Simplified
    assert "38人次" in json.loads(out.stdout)["results"][0]["quote"]
