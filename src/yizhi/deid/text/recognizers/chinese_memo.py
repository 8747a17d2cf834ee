"""The Chinese rules' spans, found once per text and shared: the tagger gate needs the context,
organisation and address rules' spans, and the pipeline then runs those same rules on the same text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from yizhi.deid.text.spans import Span

# The rule spans of the last text seen (in this thread or task): the tagger gate needs the context,
# organisation and address rules' spans, and the pipeline then runs those same rules on the same text.
_last_rule_spans: ContextVar[tuple[str, dict[type, list[Span]]] | None] = ContextVar("zh_rule_spans", default=None)
# Inside ``rule_spans_kept()``: the rule spans of every text seen, by the text's id.
_kept_rule_spans: ContextVar[dict[int, tuple[str, dict[type, list[Span]]]] | None] = ContextVar(
    "zh_kept_rule_spans", default=None)


@contextmanager
def rule_spans_kept() -> Iterator[None]:
    """Remember every text's rule spans until the block ends, not just the last text's:
    ``tagger.prefetch`` gates a whole batch of notes before detect() runs on each of them."""
    token = _kept_rule_spans.set({})
    try:
        yield
    finally:
        _kept_rule_spans.reset(token)


def _rule_spans(recognizer, text: str) -> list[Span]:
    """What ``recognizer`` finds in ``text``, computed once per text. The text is matched by identity
    (the memo holds it, so its id cannot be reused): detect() hands every recognizer the same object."""
    kept = _kept_rule_spans.get()
    remembered = _last_rule_spans.get() if kept is None else kept.get(id(text))
    if remembered is None or remembered[0] is not text:
        remembered = (text, {})
        if kept is None:
            _last_rule_spans.set(remembered)
        else:
            kept[id(text)] = remembered
    spans = remembered[1].get(type(recognizer))
    if spans is None:
        spans = remembered[1][type(recognizer)] = list(recognizer._find(text))
    return spans
