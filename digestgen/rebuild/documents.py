"""Search documents kept in the build cache, a file for each shard: a shard made again takes the
documents of its stories that did not change from there, rather than making them again from the
stories' records, which a rebuild would otherwise read from the cache for every story of the
shard (see `stories.incremental`)."""

from __future__ import annotations

import contextlib
import marshal
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from digestgen.rebuild.storage import read_marshalled, write_marshalled

# A shard's documents: by the document's path, the digest of its story and the document.
Documents = dict[str, tuple[str, str]]


class SearchDocuments:
    """Each shard's search documents as last made, in the cache's `search/` folder; `settings`:
    what the documents depend on besides their stories (see `render.search_index`)."""

    def __init__(self, folder: Path, settings: str) -> None:
        self.folder, self.settings = folder, settings

    def last(self, number: int) -> MadeDocuments:
        """The documents of shard `number` as last made with these settings, with the shard
        they were made for (none if unknown)."""
        data, _, _ = read_marshalled(self._file(number))
        if not isinstance(data, tuple) or len(data) != 4 or data[0] != self.settings:
            return MadeDocuments("", False, {})
        _, key, engine, documents = data
        if not isinstance(key, str) or not isinstance(documents, dict):
            return MadeDocuments("", False, {})
        return MadeDocuments(key, engine is True, documents)

    def keep(
        self, number: int, documents: Mapping[str, tuple[str, str]], key: str = "",
        engine: bool = False,
    ) -> None:  # fmt: skip
        """Keep the documents of shard `number`, made for a shard of this key that does or does
        not publish the engine; a cache that cannot be written is left as it is (the next shard
        made there makes its documents from the stories)."""
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            payload = marshal.dumps((self.settings, key, engine, dict(documents)))
            write_marshalled(self._file(number), payload)

    def _file(self, number: int) -> Path:
        return self.folder / f"{number}.bin"


class MadeDocuments(NamedTuple):
    """A shard's documents as last made, and the shard they were made for: its key ("" when
    unknown) and whether it publishes the search engine."""

    key: str
    engine: bool
    documents: Documents
