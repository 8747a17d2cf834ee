"""Argon2id password hashing and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's second recommendation

MIN_LENGTH = 10
# The most common passwords in leaked lists; a full list would be a dependency of its own.
_COMMON = {
    "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwertyuiop",
    "11111111", "iloveyou", "admin123", "welcome1", "abc12345", "qwerty123", "1q2w3e4r", "00000000",
    "woaini1314", "a1234567", "88888888", "aa123456", "5201314520",
}


class PasswordPolicyError(ValueError):
    """The password does not meet the policy; the message says which rule."""


def check_policy(password: str, *, email: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"password must have at least {MIN_LENGTH} characters")
    if len(password) > 256:
        raise PasswordPolicyError("password must have at most 256 characters")
    if password.lower() in _COMMON or len(set(password)) < 4:
        raise PasswordPolicyError("password is too common or too repetitive")
    local = email.split("@")[0].lower()
    if local and len(local) >= 4 and local in password.lower():
        raise PasswordPolicyError("password must not contain the email name")


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
