"""Counts in words for messages: '1 image', '2 images' (a summary is read as a sentence)."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and `noun` in agreement: the noun alone for 1, else `plural` (default noun + 's')."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def verb(n: int, singular: str, plural: str) -> str:
    """The verb that agrees with a count of `n`: 'has' for 1 image, 'have' for 2."""
    return singular if n == 1 else plural
