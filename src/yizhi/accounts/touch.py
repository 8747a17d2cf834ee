"""Which request writes a login's or an API token's "last seen" time.

The time is written at most once a minute (sliding session expiry, a token's last use). Every
request of that login that arrives after the mark sees the same stale value, and under load that
is every request in flight: a team's script, or bench/load.py's 64 clients sharing one session,
would each write the same row at the same moment, and on SQLite writers queue one at a time
behind the busy handler. The first request in this process to see a stale value claims it and
writes; the others skip the write, which would have been the same write. A claim lapses after a
few seconds, so a write that failed (rolled back) is tried again by a later request.
"""

from __future__ import annotations

import threading
import time

CLAIM_SECONDS = 5.0
_MAX_CLAIMS = 4096  # a bound on memory: pruned when reached, cleared if still full

_claims: dict[tuple, float] = {}
_lock = threading.Lock()


def claim_write(token_hash: str, seen_value: object) -> bool:
    """May this request write the last-seen time of the login or token with ``token_hash`` (unique,
    unlike row ids, which a rebuilt database hands out again), now ``seen_value``? True for the
    first request to ask about that value, or once its claim has lapsed."""
    key = (token_hash, seen_value)
    now = time.monotonic()
    with _lock:
        held = _claims.get(key)
        if held is not None and now - held < CLAIM_SECONDS:
            return False
        if len(_claims) >= _MAX_CLAIMS:
            _prune(now)
        _claims[key] = now
        return True


def _prune(now: float) -> None:
    for key in [key for key, at in _claims.items() if now - at >= CLAIM_SECONDS]:
        del _claims[key]
    if len(_claims) >= _MAX_CLAIMS:
        _claims.clear()  # thousands of live claims: at worst a write happens twice
