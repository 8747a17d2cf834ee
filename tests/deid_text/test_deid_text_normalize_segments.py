"""normalise copies the runs of characters it keeps whole (normalize._normalise_segments); the text and
the map must be those of the character-by-character reading, on text mixing what it changes and keeps."""

import random

from yizhi.deid.text import normalize

# Letters, CJK, full-width digits and punctuation, accents (combining), zero-width and format characters,
# no-break and ideographic spaces, astral letters and marks (mathematical bold, musical combining), emoji.
_ALPHABET = list("aZé患者0１２Ａ，。：\u0301\u0308\u20dd\u200b\u200d\u00a0\u3000\u2160 \n") + [
    "\U0001d400", "\U0001d7ce", "\U0001d167", "\U0001f600", "\U000e0041", "\ufe0f"]


def test_segments_equal_the_character_by_character_reading():
    rng = random.Random(16)
    for _ in range(400):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 40)))
        assert normalize._normalise_segments(text) == normalize._normalise_each(text), repr(text)
    note = "患者张三，男，４５岁。Ｔ３７.５℃，心率８８次/分\u200b。Café ﬁle Ⅱ期 \U0001d400 end"
    assert normalize._normalise_segments(note) == normalize._normalise_each(note)
