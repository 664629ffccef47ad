"""Search: a Pagefind full-text index of the published stories, as bytes by output path.

The index is made from the stories' data (title, excerpt, curator's note, outlets, topics), not
from the rendered pages, so it never depends on which pages a rebuild re-rendered, and never
holds anything a story's data does not: drafts are left out and `secured` is never read.

Pagefind cannot update an index, only make one. So the stories are split into shards by a hash
of the URL their address comes from, each shard a Pagefind index of its own in `pagefind/<n>/`,
and the search page merges them in the browser. A changed story re-indexes its shard only.

The search page runs one Pagefind engine (its script, web worker and WebAssembly), the first
shard's, and merges the other shards into it: only the first shard publishes the engine
(`SearchShard.engine`). Newest first, one search sorted by date finds each shard's results in
date order; the page tells them apart by the weight it gave each shard, and merges them by date.
Each document also carries its shard's number as a filter: the one result a weight cannot tell
(a shard's oldest story, whose score is 0) says its shard by it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path

from markupsafe import escape

from digestgen.model import Story
from digestgen.output.paths import file_path
from digestgen.stories.addresses import anchor
from digestgen.util.dates import format_date

SEARCH_FOLDER = "pagefind"
# The shape of the documents search_documents makes and of the bundle kept of Pagefind's: part of
# every shard's key, so a shard made in an older shape is made again.
DOCUMENT_FORMAT = 4
# Pagefind also writes its own ready-made search interfaces; the theme has its own, and theirs
# would need inline styles the site's Content-Security-Policy does not allow.
_UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")
_WASM = re.compile(r"wasm\.(.+)\.pagefind")
# The engine in every Pagefind bundle, which the search page loads from the first shard alone.
_ENGINE = re.compile(r"pagefind\.js|pagefind-worker\.js|wasm\..+\.pagefind")

# A version as a `.dist-info` folder's name writes it (`1.5.2`, `1.0.0rc1`, `2.0.post1`).
_VERSION = re.compile(r"[0-9][0-9A-Za-z._+!]*")

# Pagefind's allocator (jemalloc, which reads this variable): transparent huge pages, where the
# system grants them on request, and one arena. A fifth of its CPU time went to page faults in
# fresh memory; at 600 documents this takes its CPU time from 0.52 s to 0.40 s alone, and from
# 1.19 s to 0.99 s with two runs at once, for the same files. A user's own setting is kept.
ALLOCATOR_VARIABLE, ALLOCATOR_SETTINGS = "_RJEM_MALLOC_CONF", "thp:always,narenas:1"


def shard_count(stories: int, shard_size: int) -> int:
    """How many shards hold `stories` stories at about `shard_size` each: a power of two, so the
    count changes rarely as a digest grows (and every shard with it)."""
    count = 1
    while count * shard_size < stories:
        count *= 2
    return count


@dataclass(frozen=True, slots=True)
class SearchShard:
    """One Pagefind index: its output folder, its stories, a key of what it is made from, its
    number (see `shard_numbers`), and whether it publishes the engine, as the first shard does."""

    folder: str
    stories: tuple[Story, ...]
    key: str
    number: int
    engine: bool


def shard_of(story: Story, count: int) -> int:
    """The shard of a story among `count` shards: a hash of the canonical URL of the record its
    address comes from (its earliest), never of other stories. Not of the address itself: an
    edit of the story's title moves its address, and the story should stay in its shard."""
    return _key_hash(anchor(story.members or (story.lead,)).url_keys[0]) % count


@functools.lru_cache(maxsize=1 << 17)  # serve asks again on every rebuild
def _key_hash(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def _split(stories: Iterable[Story], shard_size: int) -> dict[int, list[Story]]:
    """The published stories by shard number, in the order given."""
    published = [story for story in stories if not story.is_draft]
    count = shard_count(len(published), shard_size)
    split: dict[int, list[Story]] = {}
    for story in published:
        split.setdefault(shard_of(story, count), []).append(story)
    return dict(sorted(split.items()))


def shard_numbers(stories: Iterable[Story], shard_size: int) -> tuple[int, ...]:
    """The shards the published stories fill, in order (a shard may be left empty)."""
    return tuple(_split(stories, shard_size))


def plan_shards(
    stories: Iterable[Story], digests: Mapping[str, str], settings: str, shard_size: int
) -> list[SearchShard]:
    """The published stories split into shards (see `shard_of`), each with a key.

    The key is made from the stories' addresses and digests (`story_digests`), the `settings`
    the documents depend on (base path included), Pagefind's version, the shard's number (its
    documents' filter) and whether it publishes the engine, so a shard is known unchanged
    without making its documents.
    """
    made_by = f"{_pagefind_version()}\0{DOCUMENT_FORMAT}\0{settings}\0".encode()
    shards: list[SearchShard] = []
    for number, part in _split(stories, shard_size).items():
        engine = not shards
        key = hashlib.sha256(made_by + f"{number}\0{engine}\0".encode())
        part.sort(key=lambda story: story.path)
        for story in part:
            key.update(f"{story.path}={digests[story.path]}\0".encode("utf-8", "surrogatepass"))
        folder = f"{SEARCH_FOLDER}/{number}/"
        shards.append(SearchShard(folder, tuple(part), key.hexdigest()[:32], number, engine))
    return shards


def shard_files(shard: SearchShard, bundle: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files of a shard's Pagefind bundle that the site publishes: all of the first shard's;
    of another, all but the engine (script, web worker, WebAssembly), which it never loads."""
    if shard.engine:
        return dict(bundle)
    cut = len(shard.folder)
    return {path: data for path, data in bundle.items() if not _ENGINE.fullmatch(path[cut:])}


def index_shards(
    shards: Sequence[SearchShard],
    link: Callable[[str], str],
    language: str,
    zone: tzinfo,
    workers: int,
) -> Iterator[tuple[SearchShard, dict[str, bytes]]]:
    """Each shard with its Pagefind bundle, `workers` Pagefind runs at a time, in order."""

    batches = [
        (shard.folder, functools.partial(search_documents, shard, link, language, zone))
        for shard in shards
    ]
    yield from zip(shards, _index_each(batches, language, workers), strict=True)


def index_documents(
    language: str, workers: int, batches: Sequence[tuple[str, dict[str, str]]]
) -> list[dict[str, bytes]]:
    """The Pagefind bundle of each batch of documents (its folder, its documents by path),
    `workers` Pagefind runs at a time, in order."""
    made: list[tuple[str, Callable[[], dict[str, str]]]] = [
        (folder, functools.partial(dict, documents)) for folder, documents in batches
    ]
    return list(_index_each(made, language, workers))


def _index_each(
    batches: Sequence[tuple[str, Callable[[], dict[str, str]]]], language: str, workers: int
) -> Iterator[dict[str, bytes]]:
    """Index each batch (its folder, what makes its documents), `workers` at a time, in order."""
    if not batches:
        return

    def index(folder: str, documents: Callable[[], dict[str, str]]) -> dict[str, bytes]:
        return index_files(documents(), language, folder)

    # Imported here: only an index worker runs Pagefind, not the build's own process.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        runs = [pool.submit(index, folder, documents) for folder, documents in batches]
        for number in range(len(runs)):
            files, runs[number] = runs[number].result(), None  # type: ignore[call-overload]
            yield files


class SearchIndexError(Exception):
    """Pagefind could not be run, or failed."""


def search_documents(
    shard: SearchShard, link: Callable[[str], str], language: str, zone: tzinfo
) -> dict[str, str]:
    """One small HTML document per published story of a shard, by the path of its page (base
    path included).

    Drafts and coverage taken from draft records are left out, whatever the build shows.
    """
    documents = {}
    for story in shard.stories:
        if story.is_draft:
            continue
        body = _document_body(story, shard.number, zone)
        documents[file_path(link(story.path))] = (
            f'<!DOCTYPE html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">'
            f"<title>{escape(story.title)}</title></head><body>\n{body}\n</body></html>\n"
        )
    return documents


def _document_body(story: Story, shard: int, zone: tzinfo) -> str:
    """A story's search document body: its prose (excerpt, note), then from a heading
    `#headline` on its headline, outlets, topics and coverage headlines. All are searched; the
    search page shows Pagefind's sub-result before that heading, an excerpt of the prose alone.
    Meta stand in attributes, so that no outlet's name is spliced into the prose; so does the
    filter by the story's shard."""
    # Each value escaped on its own and the parts joined as text: Markup.format escaped them
    # through a formatter written in Python, a sixth of a one-record rebuild's search work.
    lead = story.lead
    drafts = {member.url for member in story.members if not member.is_published}
    coverage = [item for item in story.coverage if item.url not in drafts]
    names = [lead.provider.name, *(item.provider.name for item in coverage)]
    outlets = dict.fromkeys(name for name in names if name)
    also = [" · ".join(outlets), " · ".join(t.name for t in story.topics),
            *(item.title for item in coverage)]  # fmt: skip
    published = f"{lead.published.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"  # sorts as text
    meta = (
        ("outlet", lead.provider.name),
        ("date", format_date(lead.published.astimezone(zone))),
        ("published", published),
    )
    parts = [
        *(f'<span data-pagefind-meta="{key}[data-v]" data-v="{escape(value)}"></span>'
          for key, value in meta),
        f'<span data-pagefind-sort="published[data-v]" data-v="{escape(published)}"></span>',
        f'<span data-pagefind-filter="shard[data-v]" data-v="{shard}"></span>',
        f"<p>{escape(lead.excerpt)}</p>" if lead.excerpt else "",
        lead.note_html,  # sanitised and made valid when the record was read
        f'<h1 id="headline" data-pagefind-meta="title">{escape(lead.title)}</h1>',
        *(f"<p>{escape(text)}</p>" for text in also if text),
    ]  # fmt: skip
    return "\n".join(parts)


def index_files(documents: dict[str, str], language: str, folder: str) -> dict[str, bytes]:
    """Run Pagefind over the documents; its bundle (index, pagefind.js, WebAssembly) by path
    under `folder`.

    Pagefind's names and bytes depend only on what it indexed, so the same documents give the
    same files. It reads and writes folders, so the documents pass through a temporary one.
    No documents, no index: Pagefind refuses to index nothing.
    """
    if not documents:
        return {}
    from pagefind.service import get_executable  # brings asyncio: only when indexing

    executable = get_executable()
    if executable is None:
        raise SearchIndexError("search index: the pagefind program was not found")
    with _scratch_folder() as scratch:
        source, bundle = Path(scratch) / "site", Path(scratch) / "bundle"
        source.mkdir()
        for path, html in sorted(documents.items()):
            target = source / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
        command = [str(executable), "--site", str(source), "--output-path", str(bundle),
                   "--force-language", language.split("-")[0].lower(), "--silent"]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, check=False, env=pagefind_environment()
            )
        except OSError as exc:
            raise SearchIndexError(f"search index: cannot run {executable}: {exc}") from None
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()
            raise SearchIndexError(f"search index: pagefind failed ({done.returncode}): {said}")
        wasm = _wasm_used(bundle / "pagefind-entry.json")
        return {
            f"{folder}{path.relative_to(bundle).as_posix()}": path.read_bytes()
            for path in sorted(bundle.rglob("*"))
            if path.is_file() and not path.name.startswith(_UNUSED) and _kept(path.name, wasm)
        }


def pagefind_environment() -> dict[str, str]:
    """The environment Pagefind runs in: this one, with its allocator's settings unless the user
    chose their own (`ALLOCATOR_SETTINGS`)."""
    return {ALLOCATOR_VARIABLE: ALLOCATOR_SETTINGS, **os.environ}


def _wasm_used(entry: Path) -> set[str]:
    """The WebAssembly builds a bundle's languages load (`wasm.<name>.pagefind`): Pagefind writes
    one per stemming language plus `unknown`, which it loads only for a language without one."""
    languages = json.loads(entry.read_text(encoding="utf-8"))["languages"]
    return {language.get("wasm") or "unknown" for language in languages.values()}


def _kept(name: str, wasm: set[str]) -> bool:
    """False for a WebAssembly build no language of the bundle loads."""
    match = _WASM.fullmatch(name)
    return match is None or match[1] in wasm


# Scratch folders are named after the process that made them, so that one left by a killed
# build (a SIGKILL skips every clean-up) is known for one and removed by the next index run.
SCRATCH_PREFIX = "digestgen-search-"
_SCRATCH_NAME = re.compile(re.escape(SCRATCH_PREFIX) + r"(\d+)-[A-Za-z0-9_]+")


def _scratch_folder() -> tempfile.TemporaryDirectory[str]:
    """A new scratch folder, after removing those of digestgen processes that no longer run."""
    base = _scratch() or tempfile.gettempdir()
    _remove_stale_scratch(base)
    return tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=base)


@functools.cache
def _remove_stale_scratch(base: str) -> None:
    """Remove (once a process) the scratch folders in `base` whose process is gone."""
    try:
        with os.scandir(base) as entries:
            stale = [entry.path for entry in entries if _is_stale_scratch(entry)]
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
    except OSError:
        pass  # left for a later run: a leftover costs space, never correctness


def _is_stale_scratch(entry: os.DirEntry[str]) -> bool:
    """True for a scratch folder of ours whose process no longer runs."""
    match = _SCRATCH_NAME.fullmatch(entry.name)
    if match is None or not entry.is_dir(follow_symlinks=False):
        return False
    mine = entry.stat(follow_symlinks=False).st_uid == os.getuid()
    return mine and not _running(int(match[1]))


def _running(pid: int) -> bool:
    """True if a process with this id runs (perhaps another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, but is not ours to signal
    return True


def _scratch() -> str | None:
    """A memory-backed folder for the documents and Pagefind's bundle, where there is one: tens
    of thousands of small files are written and read back there ten times faster than on disk."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


@functools.cache  # `serve` plans the shards again on every change
def _pagefind_version() -> str:
    """The version of the Pagefind that indexes (`pagefind-bin`), or where its program is."""
    installed = _wheel_version("pagefind_bin")
    if installed is not None:
        return installed
    from importlib import metadata  # see `_wheel_version`

    try:
        return metadata.version("pagefind-bin")
    except metadata.PackageNotFoundError:
        from pagefind.service import get_executable

        return str(get_executable())


def _wheel_version(package: str) -> str | None:
    """The version of the distribution that installed `package`, from the name of the one
    `<package>-<version>.dist-info` folder beside it (as installers name it), if there is one.

    importlib.metadata answers the same in 20 ms, mostly its imports: every build with search
    asks, and that was a seventieth of a one-record rebuild at 10,000 records.
    """
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))).parent
    prefix, suffix = f"{package}-", ".dist-info"
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(suffix)]
    except OSError:
        return None
    version = names[0][len(prefix) : -len(suffix)] if len(names) == 1 else ""
    return version if _VERSION.fullmatch(version) else None
