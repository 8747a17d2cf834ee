"""A project's instructions as rich text: CommonMark (headings, lists, emphasis, tables of examples,
quoted example notes, code) rendered with ``markdown-it-py``.

Raw HTML in the text is escaped, not passed through (``html: False``), and markdown-it refuses
``javascript:``/``vbscript:``/``file:`` links, so a project owner cannot put script on annotators'
pages. Pure module: no database, no web.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_CHARS = 20_000


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render(text: str | None) -> Markup:
    """Safe HTML of the instructions (empty when there are none)."""
    return Markup(_renderer().render((text or "")[:MAX_CHARS]))
