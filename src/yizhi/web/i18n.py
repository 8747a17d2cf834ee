"""Chinese (default) and English through Babel message catalogs.

Every domain may ship ``yizhi/<domain>/translations/<locale>/LC_MESSAGES/messages.po``; all
catalogs are compiled in memory at start-up and merged, so a domain adds its strings without
touching a central file and no stale ``.mo`` can ever be served. Source strings are English.
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

import yizhi

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"
LANG_COOKIE = "yizhi_lang"
# What the language switch shows: each language in its own script.
LOCALE_LABELS = {"zh": "中文", "en": "English"}


def translation_dirs() -> list[Path]:
    root = Path(yizhi.__file__).parent
    return sorted(p for p in root.glob("*/translations") if p.is_dir())


def _compile(po_path: Path, locale: str) -> Translations:
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


_compiling = threading.Lock()
_loaded: dict[str, NullTranslations] = {}


def translations_for(locale: str) -> NullTranslations:
    """The merged catalog of ``locale``, compiled once per process.

    Under a lock: without it, the first burst of page requests after a start compiled every
    catalog once per request thread at the same time (seconds of CPU, seen as a stalled server)."""
    found = _loaded.get(locale)
    if found is not None:
        return found
    if locale not in LOCALES:
        return _merged_catalog(locale)  # no catalog ships for it: nothing worth keeping
    with _compiling:
        if locale not in _loaded:
            _loaded[locale] = _merged_catalog(locale)
        return _loaded[locale]


def preload() -> None:
    """Compile every locale's catalog now (server start), not in the first requests."""
    for locale in LOCALES:
        translations_for(locale)


def _merged_catalog(locale: str) -> NullTranslations:
    merged: Translations | None = None
    for directory in translation_dirs():
        po_path = directory / locale / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        compiled = _compile(po_path, locale)
        if merged is None:
            merged = compiled
        else:
            merged.merge(compiled)
    return merged or NullTranslations()


def normalize(value: str | None) -> str | None:
    """Map 'zh-CN', 'zh_Hans', 'en-US', 'EN' … to one of LOCALES, or None."""
    if not value:
        return None
    base = value.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else None


def from_accept_language(header: str | None) -> str | None:
    if not header:
        return None
    preferred = []
    for part in header.split(","):
        pieces = part.strip().split(";q=")
        try:
            quality = float(pieces[1]) if len(pieces) > 1 else 1.0
        except ValueError:
            quality = 0.0
        preferred.append((quality, pieces[0].strip()))
    ordered = [tag.replace("-", "_") for _q, tag in sorted(preferred, key=lambda p: -p[0]) if tag]
    chosen = negotiate_locale(ordered, ["zh", "zh_CN", "en", "en_US"], sep="_")
    return normalize(chosen)


def gettext(locale: str, message: str) -> str:
    return translations_for(locale).gettext(message)


@lru_cache(maxsize=len(LOCALES))
def babel_locale(locale: str) -> Locale:
    return Locale.parse("zh_Hans_CN" if locale == "zh" else "en_US")


def api_gettext(request):
    """gettext for a JSON answer: the reader's language when the client asked for one (``?lang=``,
    the language cookie, ``Accept-Language``, the account's choice), English otherwise."""
    state = request.state
    if getattr(state, "locale_source", "default") == "default" and not getattr(
            getattr(state, "person", None), "locale", None):
        return lambda text: text
    locale = getattr(state, "locale", DEFAULT_LOCALE)
    return translations_for(locale).gettext
