"""Small text helpers."""
from __future__ import annotations

import re
import unicodedata


def slugify(value: str, max_length: int = 80) -> str:
    """'KWT Mawar Melati' → 'kwt-mawar-melati'; never empty."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "produk"


_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def parse_number(raw) -> float | None:
    """'1.959.300' → 1959300; '5.8' → 5.8; '2,5' → 2.5; 'Rp 14.300' → 14300; None when not a number."""
    if raw is None:
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    text = str(raw).strip().lower().replace("rp", "").replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if _THOUSANDS.match(text):
        text = text.replace(".", "")
    elif "," in text:
        text = text.replace(".", "").replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return None  # also refuses 'inf', 'nan', '1e999'
    return float(text)


def like_pattern(text: str) -> str:
    """'50%_off' → '%50\\%\\_off%' for a case-insensitive LIKE … ESCAPE '\\' (the user's % and _ are literal)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
