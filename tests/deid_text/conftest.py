"""The de-identification tests share their corpus readers (deid_text_corpora.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
