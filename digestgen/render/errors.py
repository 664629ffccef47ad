"""The error of a site that cannot be rendered: a template that failed, or a search index Pagefind
could not make."""

from __future__ import annotations


class RenderError(Exception):
    """A template failed while rendering; the message names the template and line."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
