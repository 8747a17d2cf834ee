"""Tier A tests: helpers live in space_helpers.py and space_data.py (on the path for the test modules)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
