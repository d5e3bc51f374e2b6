"""The index on disk as the programs use it: open it, add documents to it, take them out."""

from __future__ import annotations

import logging
from pathlib import Path

from index import store
from index.build import (
    BuildReport,
    Source,
    index_generation,
    index_sources,
    rebuild_engine,
    remove_document,
    require_current,
    restore,
)
from index.config import Config
from index.search import Searcher, unreadable_as_unavailable
from index.tantivy_engine import EngineBehind
from index.tokenize import Tokenizer

log = logging.getLogger(__name__)


class Library:
    """One index folder and the settings that read and write it."""

    def __init__(self, config: Config, tokenizer: Tokenizer) -> None:
        self.config = config
        self.tokenizer = tokenizer

    @property
    def path(self) -> Path:
        return self.config.index.path

    def check(self) -> None:
        """Raise IndexUnavailable, saying why, unless an index of these settings is there.

        Cheap (nothing is loaded), so a program can refuse to start before opening in earnest.
        """
        self._recover()
        conn = store.connect(self.path)
        try:
            require_current(conn, self.path, self.config, self.tokenizer)
        finally:
            conn.close()

    def open(self, previous: Searcher | None = None) -> Searcher:
        """The index as it is now; a tantivy index left behind by a cut-off build is rebuilt.

        `previous`, the searcher this one replaces, lends what is still good of it."""
        self._recover()
        try:
            return Searcher.open(self.path, self.config, self.tokenizer, previous)
        except EngineBehind as exc:
            log.warning("%s; rebuilding it from the stored tokens", exc)
            rebuild_engine(self.config, self.tokenizer)
            return Searcher.open(self.path, self.config, self.tokenizer, previous)

    def _recover(self) -> None:
        notice = restore(self.config, self.tokenizer)
        if notice is not None:
            log.warning("%s", notice)

    def add(self, sources: list[Source]) -> BuildReport:
        return index_sources(sources, self.config, self.tokenizer)

    def remove(self, doc_id: int) -> str | None:
        return remove_document(self.config, self.tokenizer, doc_id)

    def generation(self) -> int:
        """Changes whenever anyone commits a change, `qabot index` in another process included."""
        with unreadable_as_unavailable():
            return index_generation(self.config)
