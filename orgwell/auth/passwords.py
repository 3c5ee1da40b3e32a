"""Password hashing (argon2id with argon2-cffi's defaults) and password rules."""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check, so timing does not reveal unknown accounts.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def common_passwords() -> frozenset[str]:
    """The ~30,000 most common leaked passwords, as shipped with zxcvbn."""
    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, min_length: int, email: str | None = None) -> str | None:
    """Why `password` is not acceptable, or None when it is."""
    if len(password) < min_length:
        return f"Use at least {min_length} characters."
    lowered = password.lower()
    if lowered in common_passwords():
        return "This password is too common; choose one that is harder to guess."
    if len(set(lowered)) < 4:
        return "Use a password with more varied characters."
    if email and lowered == email.lower():
        return "Do not use your email address as your password."
    return None
