"""The model's values pickled for the build cache, and read back allowing only the model's own
classes: pickle would otherwise run whatever a crafted cache file names."""

from __future__ import annotations

import copyreg
import functools
import importlib
import io
import pickle
from typing import Any
from zoneinfo import ZoneInfo

from digestgen.rebuild.storage import Blob

# Only the model's own plain classes may come out of the cache: pickle would otherwise run
# whatever a crafted cache file names.
_ALLOWED_CLASSES = {
    ("digestgen.model", "Record"),
    ("digestgen.model", "Coverage"),
    ("digestgen.model", "Provider"),
    ("digestgen.model", "Image"),
    ("digestgen.model", "FrozenMapping"),
    ("digestgen.problems", "Problem"),
    ("digestgen.problems", "Severity"),
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "timezone"),
    ("datetime", "timedelta"),
    ("zoneinfo", "ZoneInfo"),
}
# ZoneInfo pickles through getattr by default, which must never be allowed; by name it is safe.
_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[ZoneInfo] = lambda zone: (ZoneInfo, (zone.key,))


def dump_model(value: object) -> bytes:
    """A value of the model (records, problems, summaries) pickled for the cache."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(value)
    return buffer.getvalue()


@functools.cache
def _allowed_class(module: str, name: str) -> Any:
    # Looked up once each: find_class runs for every class named in every cached record. Each
    # module is imported when a pickle first names it: the cache's summary needs no model.
    if (module, name) not in _ALLOWED_CLASSES:
        return None
    return getattr(importlib.import_module(module), name)


class _ModelUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        """The class a pickle names, if it is one of the model's own; refuse any other."""
        found = _allowed_class(module, name)
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the build cache")
        return found


def load_model(blob: Blob) -> object:
    """A value pickled by `dump_model`; a pickle naming any class but the model's is refused."""
    return _ModelUnpickler(io.BytesIO(blob)).load()
