"""Real files for upload tests."""

from __future__ import annotations

import io

from PIL import Image

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def image_bytes(fmt: str, size: tuple[int, int] = (320, 200)) -> bytes:
    """A real, small image in `fmt` ("PNG" or "JPEG")."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()
