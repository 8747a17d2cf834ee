"""Turning Chinese and English text into index terms.

Chinese is segmented by jieba (search mode, so 肺结节 also yields 结节) with a medical user
dictionary shipped in ``data/medical_dict.txt``; English words are lower-cased and lightly
de-pluralised. A synonym table (``data/synonyms.txt``) adds a canonical term for every variant
found, so "pulmonary nodule", "lung nodule" and 肺结节 share a term and BM25 can match across the
two languages. Variants are found with one Aho-Corasick pass (pyahocorasick) instead of one regular
expression per variant.

A private ``jieba.Tokenizer`` is used, never the global one: other domains (de-identification) load
their own dictionaries into jieba and must not see ours, nor we theirs.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

import ahocorasick
import jieba

DATA_PACKAGE = "yizhi.needs.matching"

_WORD_CHARS = re.compile(r"[a-z0-9]")
_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9\-']*[a-z0-9]|[a-z0-9]")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_PUNCTUATION_ONLY = re.compile(r"^[\W_]+$")


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def stem_english(word: str) -> str:
    """Cheap plural folding (nodules → nodule, studies → study); enough for short titles."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _data_lines(name: str) -> list[str]:
    text = resources.files(DATA_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class Vocabulary:
    """The shipped dictionaries, parsed once."""

    dictionary: tuple[tuple[str, int | None, str | None], ...]
    synonyms: dict[str, str]  # normalized variant -> canonical term
    stopwords: frozenset[str]

    @classmethod
    def load(cls) -> Vocabulary:
        words = []
        for line in _data_lines("medical_dict.txt"):
            parts = line.split()
            freq = int(parts[1]) if len(parts) > 1 else None
            tag = parts[2] if len(parts) > 2 else None
            words.append((parts[0], freq, tag))
        synonyms: dict[str, str] = {}
        for line in _data_lines("synonyms.txt"):
            canonical, _, variants = line.partition("\t")
            for variant in variants.split("|"):
                variant = normalize(variant.strip())
                if variant:
                    synonyms[variant] = canonical.strip()
        stopwords = frozenset(w for line in _data_lines("stopwords.txt") for w in line.split())
        return cls(tuple(words), synonyms, stopwords)


class TextAnalyzer:
    """Text → list of index terms (with repeats, so term frequency is kept)."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary or Vocabulary.load()
        self._lock = threading.Lock()

    @cached_property
    def _jieba(self) -> jieba.Tokenizer:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        with self._lock:
            tokenizer.initialize()
            for word, freq, tag in self.vocabulary.dictionary:
                tokenizer.add_word(word, freq, tag)
        return tokenizer

    @cached_property
    def _variants(self) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton()
        for variant, canonical in self.vocabulary.synonyms.items():
            automaton.add_word(variant, (variant, canonical))
        automaton.make_automaton()
        return automaton

    def warm_up(self) -> None:
        """Load jieba's dictionary now (about a second) rather than on the first query."""
        self.terms("肺结节 warm up")

    def terms(self, text: str) -> list[str]:
        normalized = normalize(text)
        terms = self._segment(normalized)
        terms.extend(self._canonical_terms(normalized))
        return terms

    def _segment(self, normalized: str) -> list[str]:
        stopwords = self.vocabulary.stopwords
        out: list[str] = []
        for token in self._jieba.cut_for_search(normalized, HMM=True):
            token = token.strip()
            if not token or _PUNCTUATION_ONLY.match(token):
                continue
            if _HAS_CJK.search(token):
                if token not in stopwords:
                    out.append(token)
                continue
            for word in _ASCII_WORD.findall(token):
                if word.isdigit() or word in stopwords:
                    continue
                out.append(stem_english(word))
        return out

    def _canonical_terms(self, normalized: str) -> list[str]:
        """The canonical term of every synonym variant in the text (English at word boundaries)."""
        found: list[str] = []
        for end, (variant, canonical) in self._variants.iter(normalized):
            start = end - len(variant) + 1
            if _WORD_CHARS.match(variant[0]) and start > 0 and _WORD_CHARS.match(normalized[start - 1]):
                continue
            if _WORD_CHARS.match(variant[-1]) and end + 1 < len(normalized) and _WORD_CHARS.match(
                normalized[end + 1]
            ):
                continue
            found.append(normalize(canonical))
        return found


_default: TextAnalyzer | None = None
_default_lock = threading.Lock()


def default_analyzer() -> TextAnalyzer:
    """One shared analyzer per process (jieba's dictionary takes ~30 MB and a second to load)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = TextAnalyzer()
        return _default
