"""Names of downloaded files: what they hold and when, in characters every system takes."""

from __future__ import annotations

import re
import unicodedata


def ascii_slug(text: str, limit: int = 60) -> str:
    """``text`` in lower-case ASCII letters and digits joined by hyphens, at most
    ``limit`` characters (accents dropped, other scripts left out)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:limit].rstrip("-")
