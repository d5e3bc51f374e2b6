"""The `qabot` command: index documents, ask, chat and evaluate from the shell.

The sub-commands and the JSON they print are a contract that tests and outside checks rely on:
extend them, don't rename them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.app import build_application, run, setup_logging
from bot.config import TOKEN_ENV, Settings, load_settings
from bot.format import answer_html, html_to_terminal
from index.build import is_current, update_index
from index.config import SAMPLES_DIR, Config, ConfigError, default_index_dir
from index.evaluate import evaluate, load_gold
from index.library import Library
from index.reader import UnreadableFile, decode, iter_files
from index.search import Answer, Searcher
from index.store import IndexUnavailable
from index.tokenize import Tokenizer


class UsageError(Exception):
    """Something the user asked for cannot be done; the message says what to do instead."""


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


def library(args: argparse.Namespace, config: Config, tokenizer: Tokenizer) -> Library:
    """The index the command uses; the default one is built from the samples when needed."""
    index_dir, samples = _index_dir(args, config)
    config = config.with_index_path(index_dir)
    if samples and not is_current(config, tokenizer):
        print(f"building the sample index in {index_dir} …", file=sys.stderr)
        update_index([SAMPLES_DIR], config, tokenizer, progress=False)
    return Library(config, tokenizer)


def open_searcher(args: argparse.Namespace, config: Config, tokenizer: Tokenizer) -> Searcher:
    return library(args, config, tokenizer).open()


def _result_json(answer: Answer) -> str:
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
        {"question": answer.question, "answer": answer.short, "results": results},
        ensure_ascii=False,
    )


def _questions(batch: str) -> Iterator[str]:
    if batch == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(batch).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {batch}: {exc.strerror}") from None
    try:
        text = decode(data)
    except UnreadableFile as exc:
        raise UsageError(f"cannot read {batch}: {exc}") from None
    yield from text.split("\n")[: -1 if text.endswith("\n") else None]


def render(answer: Answer, out: TextIO) -> None:
    print(html_to_terminal(answer_html(answer), color=out.isatty()), file=out)


def cmd_index(args: argparse.Namespace, config: Config, tokenizer: Tokenizer) -> int:
    index_dir, _ = _index_dir(args, config)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    if not any(True for _ in iter_files(args.paths)) and not args.sync:
        names = ", ".join(str(p) for p in args.paths)
        raise UsageError(
            f"no documents (txt, md, pdf, docx, html, epub) in {names}; the index is unchanged"
        )
    report = update_index(
        args.paths,
        config.with_index_path(index_dir),
        tokenizer,
        sync=args.sync,
        progress=not args.quiet,
    )
    print(f"{index_dir}: {report.summary()}")
    return 0


def cmd_ask(args: argparse.Namespace, config: Config, tokenizer: Tokenizer) -> int:
    if (args.question is None) == (args.batch is None):
        raise UsageError('give one question, or --batch FILE: qabot ask "你的问题"')
    if args.top_k is not None and args.top_k <= 0:
        raise UsageError("--top-k must be a positive number")
    searcher = open_searcher(args, config, tokenizer)
    questions = _questions(args.batch) if args.batch is not None else iter([args.question])
    for question in questions:
        answer = searcher.search(question, args.top_k)
        if args.json:
            print(_result_json(answer), flush=True)
        else:
            if args.batch is not None:
                print(f"? {question}")
            render(answer, sys.stdout)
            print()
    return 0


def cmd_chat(args: argparse.Namespace, config: Config, tokenizer: Tokenizer) -> int:
    searcher = open_searcher(args, config, tokenizer)
    docs = searcher.document_count
    print(f"qabot: {docs} documents, {searcher.passage_count} passages. Ask a question;")
    print("an empty line or Ctrl-D quits.\n")
    while True:
        try:
            question = input("? ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question.strip():
            return 0
        render(searcher.search(question), sys.stdout)
        print()


def cmd_eval(args: argparse.Namespace, config: Config, tokenizer: Tokenizer) -> int:
    try:
        gold = load_gold(args.gold)
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read gold questions from {args.gold}: {exc}") from None
    if gold.documents is None:
        searcher = open_searcher(args, config, tokenizer)
        metrics = evaluate(gold.questions, searcher.search)
    else:
        with tempfile.TemporaryDirectory(prefix="qabot-eval-") as tmp:
            docs = Path(tmp) / "docs"
            gold.write_documents(docs)
            scratch = config.with_index_path(Path(tmp) / "index")
            update_index([docs], scratch, tokenizer, progress=sys.stderr.isatty())
            searcher = Library(scratch, tokenizer).open()
            metrics = evaluate(gold.questions, searcher.search)
    print(
        f"{args.gold.name}: {searcher.document_count} documents, {searcher.passage_count} passages"
    )
    print("\n".join(metrics.lines()))
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings, tokenizer: Tokenizer) -> int:
    token = settings.token()
    if not token:
        raise UsageError(f"no bot token: set {TOKEN_ENV} or [telegram] token in the config file")
    setup_logging(token)
    served = library(args, settings.engine, tokenizer)
    served.check()
    # The index opens in the background: a large one must not keep the bot from its updates.
    app = build_application(settings, served)
    print(f"qabot: serving the index at {served.path}; Ctrl-C stops.", file=sys.stderr)
    run(app, settings)
    return 0


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "chat": cmd_chat, "eval": cmd_eval}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config)
        config = settings.engine
        tokenizer = Tokenizer(config.tokenizer, config.index.user_dict)
        if args.command == "run":
            return cmd_run(args, settings, tokenizer)
        return COMMANDS[args.command](args, config, tokenizer)
    except (ConfigError, UsageError, IndexUnavailable) as exc:
        print(f"qabot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qabot: interrupted; the index is as it was before this run.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
