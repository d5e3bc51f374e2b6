"""The `qabot` command: index documents, ask, chat and evaluate from the shell.

The sub-commands and the JSON they print are a contract that tests and outside checks rely on:
extend them, don't rename them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from bot.app import build_application, run, setup_logging
from bot.config import TOKEN_ENV, Settings, load_settings
from bot.format import (
    answer_html,
    example_question,
    headlines,
    html_to_terminal,
    small_talk_html,
)
from bot.i18n import Texts, from_locale, texts
from index.build import BuildReport, is_current, update_index
from index.config import SAMPLES_DIR, Config, ConfigError, default_index_dir
from index.evaluate import evaluate, load_gold
from index.followup import Conversations, Turn, converse
from index.library import Library
from index.reader import UnreadableFile, decode, iter_files
from index.search import Answer, Searcher
from index.store import IndexUnavailable
from index.tokenize import Tokenizer


class UsageError(Exception):
    """Something the user asked for cannot be done; the message says what to do instead, in
    the console's language (`make messages` extracts every message given to UsageError)."""

    def __init__(self, message: str, **fields: object) -> None:
        self.message = message
        self.fields = {k: str(v) for k, v in fields.items()}
        super().__init__(message.format(**self.fields))

    def said(self, t: Texts) -> str:
        return t._(self.message).format(**self.fields)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="settings file (see config.example.toml)")
    common.add_argument("--index", type=Path, help="index folder (default: from the config)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="qabot",
        description="Answer questions about documents by quoting the passages that answer them.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", parents=[common], help="build or update the index from files")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    p.add_argument("--sync", action="store_true", help="remove documents whose files are gone")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("ask", parents=[common], help="answer questions")
    p.add_argument("question", nargs="?", help="the question (or use --batch)")
    p.add_argument("--batch", metavar="FILE", help="one question per line; - for stdin")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.add_argument("-k", "--top-k", type=int, help="number of results (default: from config)")

    sub.add_parser("chat", parents=[common], help="interactive console over the index")

    sub.add_parser("run", parents=[common], help="start the Telegram bot")

    p = sub.add_parser("eval", parents=[common], help="score answers against gold questions")
    p.add_argument("gold", type=Path, help="our JSONL gold file or a SQuAD-style JSON file")
    return parser


def _index_dir(args: argparse.Namespace, config: Config) -> tuple[Path, bool]:
    """The index folder, and whether it is the default one that holds the bundled samples."""
    if args.index is not None:
        return args.index, False
    if config.source is not None:
        return config.index.path, False
    return default_index_dir(), True


def library(args: argparse.Namespace, settings: Settings, tokenizer: Tokenizer) -> Library:
    """The index the command uses; the default one is built from the samples when needed."""
    index_dir, samples = _index_dir(args, settings.engine)
    config = settings.engine.with_index_path(index_dir)
    if samples and not is_current(config, tokenizer):
        building = console_texts(settings)._("building the sample index in {folder} …")
        print(building.format(folder=index_dir), file=sys.stderr)
        update_index([SAMPLES_DIR], config, tokenizer, progress=False)
    return Library(config, tokenizer)


def open_searcher(args: argparse.Namespace, settings: Settings, tokenizer: Tokenizer) -> Searcher:
    return library(args, settings, tokenizer).open()


def _result_json(answer: Answer, understood: str | None = None) -> str:
    results = [
        {
            "doc": r.doc,
            "title": r.title,
            "quote": r.quote,
            "highlight": r.highlight,
            "score": r.score,
            "confidence": r.confidence,
            "paragraph": r.paragraph,
            "page": r.page,
        }
        for r in answer.results
    ]
    return json.dumps(
        {
            "question": answer.question,
            "understood": understood or answer.question,
            "answer": answer.short,
            "results": results,
        },
        ensure_ascii=False,
    )


def _asked(line: str) -> tuple[str, str | None]:
    """A batch line: a question, or a JSON object with "question" and "chat" (lines of one
    chat are one conversation)."""
    if line.lstrip().startswith("{"):
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            return line, None
        if isinstance(item, dict) and isinstance(item.get("question"), str):
            chat = item.get("chat")
            return item["question"], None if chat is None else str(chat)
    return line, None


def _questions(batch: str) -> Iterator[str]:
    if batch == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(batch).read_bytes()
        except OSError as exc:
            raise UsageError(
                "cannot read {file}: {error}", file=batch, error=exc.strerror
            ) from None
    try:
        text = decode(data)
    except UnreadableFile as exc:
        raise UsageError("cannot read {file}: {error}", file=batch, error=exc) from None
    yield from text.split("\n")[: -1 if text.endswith("\n") else None]


def index_summary(report: BuildReport, t: Texts) -> str:
    """What a build did, and each file it skipped with the reason, in the console's language."""
    counts = t._(
        "{added} added, {replaced} replaced, {unchanged} unchanged, {removed} removed,"
        " {skipped} skipped"
    ).format(
        added=len(report.added),
        replaced=len(report.replaced),
        unchanged=len(report.unchanged),
        removed=len(report.removed),
        skipped=len(report.skipped),
    )
    lines = [counts]
    for name, reason in report.skipped:
        why = t._(reason.message).format(**dict(reason.fields))
        lines.append(t._("skipped {name}: {reason}").format(name=name, reason=why))
    return "\n".join(lines)


def console_texts(settings: Settings) -> Texts:
    """The console speaks the language of the locale (LC_ALL, LC_MESSAGES, LANG), else the
    configured one."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(name):
            return texts(from_locale(os.environ[name]) or settings.telegram.language)
    return texts(settings.telegram.language)


def render(turn: Turn, out: TextIO, t: Texts, titles: list[str]) -> None:
    """A reply as the bot would send it, in the terminal."""
    if turn.small_talk is not None:
        text = small_talk_html(turn.small_talk, t, example_question(titles, t))
    else:
        text = answer_html(turn.answer, t=t, understood=turn.understood)
    print(html_to_terminal(text, color=out.isatty()), file=out)


def cmd_index(args: argparse.Namespace, settings: Settings, tokenizer: Tokenizer) -> int:
    config = settings.engine
    index_dir, _ = _index_dir(args, config)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        raise UsageError("no such file or folder: {names}", names=", ".join(missing))
    if not any(True for _ in iter_files(args.paths)) and not args.sync:
        names = ", ".join(str(p) for p in args.paths)
        raise UsageError(
            "no documents (txt, md, pdf, docx, html, epub) in {names}; the index is unchanged",
            names=names,
        )
    report = update_index(
        args.paths,
        config.with_index_path(index_dir),
        tokenizer,
        sync=args.sync,
        progress=not args.quiet,
    )
    print(f"{index_dir}: {index_summary(report, console_texts(settings))}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings, tokenizer: Tokenizer) -> int:
    if (args.question is None) == (args.batch is None):
        raise UsageError('give one question, or --batch FILE: qabot ask "你的问题"')
    if args.top_k is not None and args.top_k <= 0:
        raise UsageError("--top-k must be a positive number")
    searcher = open_searcher(args, settings, tokenizer)
    t = console_texts(settings)
    lines = _questions(args.batch) if args.batch is not None else iter([args.question])
    chats = Conversations()
    for line in lines:
        question, chat = _asked(line)
        if chat is None:
            turn = converse(searcher, question, None, args.top_k)
        else:
            turn = chats.ask(searcher, chat, question, args.top_k)
        if args.json:
            print(_result_json(turn.answer, turn.understood), flush=True)
        else:
            if args.batch is not None:
                print(f"? {question}")
            render(turn, sys.stdout, t, _titles(searcher) if turn.small_talk else [])
            print()
    return 0


def _titles(searcher: Searcher) -> list[str]:
    return headlines(searcher.sources())


def cmd_chat(args: argparse.Namespace, settings: Settings, tokenizer: Tokenizer) -> int:
    t = console_texts(settings)
    searcher = open_searcher(args, settings, tokenizer)
    print(
        t._("qabot: {documents} documents, {passages} passages. Ask a question;").format(
            documents=searcher.document_count, passages=searcher.passage_count
        )
    )
    print(t._("an empty line or Ctrl-D quits.") + "\n")
    minutes = settings.chat.followup_minutes
    chats = Conversations(minutes * 60)
    while True:
        try:
            question = input("? ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question.strip():
            return 0
        turn = chats.ask(searcher, "console", question)
        render(turn, sys.stdout, t, _titles(searcher) if turn.small_talk else [])
        print()


def _alone(searcher: Searcher) -> Callable[[str], Answer]:
    """A question as the bot hears it out of any conversation: small talk is not searched."""
    return lambda question: converse(searcher, question, None).answer


def _in_chats(searcher: Searcher) -> Callable[[str, str], Answer]:
    """Gold lines of one chat asked as one conversation, as the bot would hear them."""
    chats = Conversations()
    return lambda chat, question: chats.ask(searcher, chat, question).answer


def cmd_eval(args: argparse.Namespace, settings: Settings, tokenizer: Tokenizer) -> int:
    config = settings.engine
    try:
        gold = load_gold(args.gold)
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(
            "cannot read gold questions from {file}: {error}", file=args.gold, error=exc
        ) from None
    if gold.documents is None:
        searcher = open_searcher(args, settings, tokenizer)
        metrics = evaluate(gold.questions, _alone(searcher), _in_chats(searcher))
    else:
        with tempfile.TemporaryDirectory(prefix="qabot-eval-") as tmp:
            docs = Path(tmp) / "docs"
            gold.write_documents(docs)
            scratch = config.with_index_path(Path(tmp) / "index")
            update_index([docs], scratch, tokenizer, progress=sys.stderr.isatty())
            searcher = Library(scratch, tokenizer).open()
            metrics = evaluate(gold.questions, _alone(searcher), _in_chats(searcher))
    print(
        f"{args.gold.name}: {searcher.document_count} documents, {searcher.passage_count} passages"
    )
    print("\n".join(metrics.lines()))
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings, tokenizer: Tokenizer) -> int:
    token = settings.token()
    if not token:
        raise UsageError(
            "no bot token: set {variable} or [telegram] token in the config file",
            variable=TOKEN_ENV,
        )
    setup_logging(token)
    served = library(args, settings, tokenizer)
    served.check()
    # The index opens in the background: a large one must not keep the bot from its updates.
    app = build_application(settings, served)
    serving = console_texts(settings)._("qabot: serving the index at {folder}; Ctrl-C stops.")
    print(serving.format(folder=served.path), file=sys.stderr)
    run(app, settings)
    return 0


COMMANDS = {
    "index": cmd_index,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "eval": cmd_eval,
    "run": cmd_run,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings()  # until the file is read: the language of LANG, else the default
    try:
        settings = load_settings(args.config)
        config = settings.engine
        tokenizer = Tokenizer(config.tokenizer, config.index.user_dict)
        return COMMANDS[args.command](args, settings, tokenizer)
    except UsageError as exc:
        print(f"qabot: {exc.said(console_texts(settings))}", file=sys.stderr)
        return 2
    except (ConfigError, IndexUnavailable) as exc:
        print(f"qabot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        t = console_texts(settings)
        print(t._("qabot: interrupted; the index is as it was before this run."), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
