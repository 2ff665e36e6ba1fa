"""A broadcast's first words, as the admin wrote them, for the list and the progress card."""

from __future__ import annotations

import html
import re

from models.broadcast import PREVIEW_LENGTH

_TAG = re.compile(r"<[^>]*>")


def first_words(text: str | None, *, markup: bool = False) -> str | None:
    """Plain text cut to PREVIEW_LENGTH on a word boundary with «…»; `markup`: Telegram HTML
    (the command line's and the monitoring notices' texts), tags dropped."""
    if not text:
        return None
    plain = html.unescape(_TAG.sub(" ", text)) if markup else text
    plain = " ".join(plain.split())
    if len(plain) <= PREVIEW_LENGTH:
        return plain or None
    cut = plain[: PREVIEW_LENGTH - 1].rsplit(" ", 1)[0]
    return f"{cut}…"
