"""Opaque, collision-resistant string ids in the style of cuid2 (what upstream Loop uses).

A lowercase letter followed by 23 base-36 characters drawn from ``secrets``: 24 characters,
~119 bits of randomness, URL-safe, and never mistaken for an issue number.
"""
import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 24


def new_id() -> str:
    first = secrets.choice(string.ascii_lowercase)
    return first + "".join(secrets.choice(_ALPHABET) for _ in range(ID_LENGTH - 1))
