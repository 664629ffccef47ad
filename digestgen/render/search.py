"""Search: a Pagefind full-text index of the published stories, as bytes by output path.

The index is made from the stories' data (title, excerpt, curator's note, outlets, topics), not
from the rendered pages, so it never depends on which pages a rebuild re-rendered, and never
holds anything a story's data does not: drafts are left out and `secured` is never read.

Pagefind cannot update an index, only make one. So the stories are split into shards by a hash
of their address, each shard a Pagefind index of its own in `pagefind/<n>/`, and the search
page merges them in the browser. A changed story re-indexes its shard only.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import IO, Any

from markupsafe import Markup, escape

from digestgen.model import Story
from digestgen.output.paths import file_path
from digestgen.util.dates import format_date

SEARCH_FOLDER = "pagefind"
# The shape of the documents search_documents makes and of the bundle kept of Pagefind's: part of
# every shard's key, so a shard made in an older shape is made again.
DOCUMENT_FORMAT = 4
# Pagefind also writes its own ready-made search interfaces; the theme has its own, and theirs
# would need inline styles the site's Content-Security-Policy does not allow.
_UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")
_WASM = re.compile(r"wasm\.(.+)\.pagefind")


def shard_count(stories: int, shard_size: int) -> int:
    """How many shards hold `stories` stories at about `shard_size` each: a power of two, so the
    count changes rarely as a digest grows (and every shard with it)."""
    count = 1
    while count * shard_size < stories:
        count *= 2
    return count


@dataclass(frozen=True, slots=True)
class SearchShard:
    """One Pagefind index: its output folder, its stories, and a key of what it is made from."""

    folder: str
    stories: tuple[Story, ...]
    key: str


def shard_of(address: str, count: int) -> int:
    """The shard of the story at `address` (such as `/2025/03/01/slug/`) among `count` shards:
    a hash of the address alone."""
    return _address_hash(address) % count


@functools.lru_cache(maxsize=1 << 17)  # serve asks again on every rebuild
def _address_hash(address: str) -> int:
    return int.from_bytes(hashlib.sha256(address.encode()).digest()[:8], "big")


def _split(stories: Iterable[Story], shard_size: int) -> dict[int, list[Story]]:
    """The published stories by shard number, in the order given."""
    published = [story for story in stories if not story.is_draft]
    count = shard_count(len(published), shard_size)
    split: dict[int, list[Story]] = {}
    for story in published:
        split.setdefault(shard_of(story.path, count), []).append(story)
    return dict(sorted(split.items()))


def shard_numbers(stories: Iterable[Story], shard_size: int) -> tuple[int, ...]:
    """The shards the published stories fill, in order (a shard may be left empty)."""
    return tuple(_split(stories, shard_size))


def plan_shards(
    stories: Iterable[Story], digests: Mapping[str, str], settings: str, shard_size: int
) -> list[SearchShard]:
    """The published stories split into shards by a hash of their address, each with a key.

    The key is made from the stories' addresses and digests (`story_digests`), the `settings`
    the documents depend on (base path included) and Pagefind's version, so a shard is known
    unchanged without making its documents. A story's shard depends only on its address and
    the shard count, never on other stories.
    """
    made_by = f"{_pagefind_version()}\0{DOCUMENT_FORMAT}\0{settings}\0".encode()
    shards = []
    for number, part in _split(stories, shard_size).items():
        key = hashlib.sha256(made_by)
        part.sort(key=lambda story: story.path)
        for story in part:
            key.update(f"{story.path}={digests[story.path]}\0".encode("utf-8", "surrogatepass"))
        folder = f"{SEARCH_FOLDER}/{number}/"
        shards.append(SearchShard(folder, tuple(part), key.hexdigest()[:32]))
    return shards


def index_shards(
    shards: Sequence[SearchShard],
    link: Callable[[str], str],
    language: str,
    zone: tzinfo,
    workers: int,
) -> Iterator[tuple[SearchShard, dict[str, bytes]]]:
    """Each shard with its Pagefind bundle, `workers` Pagefind runs at a time, in order."""
    if not shards:
        return

    def index(shard: SearchShard) -> dict[str, bytes]:
        documents = search_documents(shard.stories, link, language, zone)
        return index_files(documents, language, shard.folder)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        runs = [pool.submit(index, shard) for shard in shards]
        for number, shard in enumerate(shards):
            files, runs[number] = runs[number].result(), None  # type: ignore[call-overload]
            yield shard, files


class SearchIndexError(Exception):
    """Pagefind could not be run, or failed."""


def search_documents(
    stories: Iterable[Story], link: Callable[[str], str], language: str, zone: tzinfo
) -> dict[str, str]:
    """One small HTML document per published story, by the path of its page (base path included).

    Drafts and coverage taken from draft records are left out, whatever the build shows.
    """
    documents = {}
    for story in stories:
        if story.is_draft:
            continue
        body = _document_body(story, zone)
        documents[file_path(link(story.path))] = (
            f'<!DOCTYPE html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">'
            f"<title>{escape(story.title)}</title></head><body>\n{body}\n</body></html>\n"
        )
    return documents


def _document_body(story: Story, zone: tzinfo) -> Markup:
    """A story's search document body: its prose (excerpt, note), then from a heading
    `#headline` on its headline, outlets, topics and coverage headlines. All are searched; the
    search page shows Pagefind's sub-result before that heading, an excerpt of the prose alone.
    Meta stand in attributes, so that no outlet's name is spliced into the prose."""
    lead = story.lead
    drafts = {member.url for member in story.members if not member.is_published}
    coverage = [item for item in story.coverage if item.url not in drafts]
    names = [lead.provider.name, *(item.provider.name for item in coverage)]
    outlets = dict.fromkeys(name for name in names if name)
    also = [" · ".join(outlets), " · ".join(t.name for t in story.topics),
            *(item.title for item in coverage)]  # fmt: skip
    meta = {
        "outlet": lead.provider.name,
        "date": format_date(lead.published.astimezone(zone)),
        "published": f"{lead.published.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",  # sorts as text
    }
    parts = [
        *(Markup('<span data-pagefind-meta="{}[data-v]" data-v="{}"></span>').format(key, value)
          for key, value in meta.items()),
        Markup('<span data-pagefind-sort="published[data-v]" data-v="{}"></span>').format(
            meta["published"]
        ),
        Markup("<p>{}</p>").format(lead.excerpt) if lead.excerpt else Markup(""),
        Markup(lead.note_html),  # sanitised and made valid when the record was read
        Markup('<h1 id="headline" data-pagefind-meta="title">{}</h1>').format(lead.title),
        *(Markup("<p>{}</p>").format(text) for text in also if text),
    ]  # fmt: skip
    return Markup("\n").join(parts)


def index_files(documents: dict[str, str], language: str, folder: str) -> dict[str, bytes]:
    """Run Pagefind over the documents; its bundle (index, pagefind.js, WebAssembly) by path
    under `folder`.

    Pagefind's names and bytes depend only on what it indexed, so the same documents give the
    same files. No documents, no index: Pagefind refuses to index nothing.
    """
    if not documents:
        return {}
    from pagefind.service import get_executable  # brings asyncio: only when indexing

    executable = get_executable()
    if executable is None:
        raise SearchIndexError("search index: the pagefind program was not found")
    config = {"force_language": language.split("-")[0].lower()}
    with _PagefindService.run(str(executable)) as service:
        index = service.ask([{"type": "NewIndex", "config": config}])[0]["index_id"]
        files = [{"type": "AddFile", "index_id": index, "file_path": path, "file_contents": html}
                 for path, html in sorted(documents.items())]  # fmt: skip
        bundle = service.ask([*files, {"type": "GetFiles", "index_id": index}])[-1]["files"]
    made = {file["path"]: base64.b64decode(file["content"]) for file in bundle}
    wasm = _wasm_used(made["pagefind-entry.json"])
    return {
        f"{folder}{path}": data
        for path, data in sorted(made.items())
        if not path.rpartition("/")[2].startswith(_UNUSED) and _kept(path, wasm)
    }


class _PagefindService:
    """A Pagefind process in service mode: documents in and the bundle out through its pipes,
    never through files. It ends when its input is closed, so it never outlives its caller."""

    def __init__(self, process: subprocess.Popen[bytes], said: IO[bytes]) -> None:
        self.process, self.said = process, said
        self.sent = 0
        self.answers = self._read_answers()

    @classmethod
    @contextlib.contextmanager
    def run(cls, executable: str) -> Iterator[_PagefindService]:
        """A service process for the time of the context; killed when it ends."""
        with tempfile.TemporaryFile() as said:  # its own words, if it fails
            try:
                process = subprocess.Popen(
                    [executable, "--service"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=said,
                )  # fmt: skip
            except OSError as exc:
                raise SearchIndexError(f"search index: cannot run {executable}: {exc}") from None
            try:
                yield cls(process, said)
            finally:
                # Killed before its pipes are closed: a writer blocked on a full pipe then fails
                # at once, rather than holding the pipe's lock while closing it waits.
                process.kill()
                process.wait()
                for pipe in (process.stdin, process.stdout):
                    with contextlib.suppress(OSError):  # input left unread by a process ended
                        pipe.close()  # type: ignore[union-attr]

    def ask(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send the requests, and return their answers in order (Pagefind answers each one).
        A thread writes while this one reads, so that neither pipe fills up and stalls both."""
        first = self.sent + 1
        message = b"".join(
            base64.b64encode(json.dumps({"message_id": first + n, "payload": request}).encode())
            + b","
            for n, request in enumerate(requests)
        )
        self.sent += len(requests)
        writer = threading.Thread(target=self._write, args=(message,), daemon=True)
        writer.start()
        answers: dict[int, dict[str, Any]] = {}
        while len(answers) < len(requests):
            answer = next(self.answers)
            payload = answer["payload"]
            if payload["type"] == "Error":
                raise SearchIndexError(f"search index: pagefind failed: {payload['message']}")
            answers[answer["message_id"]] = payload
        writer.join()
        return [answers[first + n] for n in range(len(requests))]

    def _write(self, message: bytes) -> None:
        try:
            self.process.stdin.write(message)  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            pass  # it has ended: the reader says why

    def _read_answers(self) -> Iterator[dict[str, Any]]:
        """Pagefind's answers as they come: each base64 of JSON, ended by a comma (base64 has
        none)."""
        begun: list[bytes] = []  # the start of an answer not yet ended
        while more := self.process.stdout.read1(1 << 20):  # type: ignore[union-attr]
            *ended, rest = more.split(b",")
            for part in ended:
                yield json.loads(base64.b64decode(b"".join([*begun, part])))
                begun = []
            begun.append(rest)
        raise SearchIndexError(f"search index: pagefind failed {self._end()}")

    def _end(self) -> str:
        """How the process ended, with what it said."""
        code = self.process.wait()
        self.said.seek(0)
        said = self.said.read().decode("utf-8", "replace").strip()
        return f"({code}): {said}" if said else f"({code})"


def _wasm_used(entry: bytes) -> set[str]:
    """The WebAssembly builds a bundle's languages load (`wasm.<name>.pagefind`): Pagefind writes
    one per stemming language plus `unknown`, which it loads only for a language without one."""
    languages = json.loads(entry)["languages"]
    return {language.get("wasm") or "unknown" for language in languages.values()}


def _kept(name: str, wasm: set[str]) -> bool:
    """False for a WebAssembly build no language of the bundle loads."""
    match = _WASM.fullmatch(name)
    return match is None or match[1] in wasm


def _pagefind_version() -> str:
    from importlib import metadata  # slow to import; a build with search off never needs it

    try:
        return metadata.version("pagefind-bin")
    except metadata.PackageNotFoundError:
        from pagefind.service import get_executable

        return str(get_executable())
