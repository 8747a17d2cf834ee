"""Would running the rules once per batch pay? Each Chinese recognizer's find() on the 2,000 notes one
by one, against find() on the batches of 32 notes joined by blank lines (no mapping back: an upper
bound on the gain, for the pattern rules and the rest).

    PYTHONPATH=src python bench/experiments/zh_compiled/joined.py"""

import time

from harness import TEXTS, one_pass

from yizhi.deid.text.normalize import normalise
from yizhi.deid.text.recognizers import base

one_pass(TEXTS[:64])  # (loads the dictionaries and the tagger first)
texts = [normalise(text)[0] for text in TEXTS]
for recognizer in base.registered("zh"):
    start = time.process_time()
    for _ in range(2):
        for text in texts:
            list(recognizer.find(text))
    alone = (time.process_time() - start) / 2 / len(texts) * 1e6
    start = time.process_time()
    for _ in range(2):
        for index in range(0, len(texts), 32):
            list(recognizer.find("\n\n\n".join(texts[index:index + 32])))
    joined = (time.process_time() - start) / 2 / len(texts) * 1e6
    print(f"{recognizer.name:16s} note by note {alone:6.1f} us a note, batch joined {joined:6.1f} us a note")
