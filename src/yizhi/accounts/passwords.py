"""Argon2id password hashing and the password policy.

Strength is estimated with zxcvbn (Dropbox's estimator, maintained as the ``zxcvbn`` package): it
knows common passwords, dictionary words, keyboard patterns (``qwerty12345``), sequences
(``0123456789``, ``abcdefghij``), repeats, dates and l33t substitutions (``Password1!``), and counts
the person's own e-mail and name as guessable. A password needs an estimated score of 3 of 4
("safely unguessable": about 10^8 guesses) — a hand list of bad passwords would miss most of these.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from yizhi.errors import N_

_hasher = PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's second recommendation

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3
# zxcvbn's time grows with length; the first 100 characters decide a password's strength anyway.
ESTIMATE_CHARS = 100


class PasswordPolicyError(ValueError):
    """The password does not meet the policy; ``msgid`` and ``params`` say which rule."""

    def __init__(self, msgid: str, params: dict | None = None):
        self.msgid, self.params = msgid, dict(params or {})
        super().__init__(msgid % self.params if self.params else msgid)


def check_policy(password: str, *, email: str = "", name: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(N_("password must have at least %(n)s characters"), {"n": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(N_("password must have at most %(n)s characters"), {"n": MAX_LENGTH})
    local = email.split("@")[0].lower()
    if local and len(local) >= 4 and local in password.lower():
        raise PasswordPolicyError(N_("password must not contain the email name"))
    hints = [part for part in (local, email.lower(), name) if part]
    if zxcvbn(password[:ESTIMATE_CHARS], user_inputs=hints)["score"] < MIN_SCORE:
        raise PasswordPolicyError(N_("password is too easy to guess (a common word, a keyboard pattern, a sequence "
                                     "or a repeat); use a longer phrase of unrelated words"))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Verifying against a real hash for unknown emails keeps login timing uniform.
DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")
