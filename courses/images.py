"""Course image rules: which paths may name an image, and which bytes may be one.

A course image is stored under a path such as `images/ecg/strip-04.svg` and served at
`/courses/<slug>/images/...`. The path is used to build URLs and export file names, so
it is limited to `images/` plus plain segments (letters, digits, `-`, `_`, `.`, never
starting with a dot) and an image extension: no `%`, `\\`, `?`, `#`, `..` or absolute
paths. The bytes must be the type the name claims: SVG is parsed as XML with no DTD,
entities, scripts, event handlers, `foreignObject` or outside references; PNG, JPEG and
WebP are checked by signature and verified with Pillow under a pixel cap.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import PurePosixPath
from xml.parsers import expat

from django.core.exceptions import ValidationError

IMAGE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
IMAGE_PREFIX = "images/"
# Kept in one regular expression that Python, SQLite (Django's REGEXP) and PostgreSQL
# all read the same way: it backs both the validator and the database constraint.
IMAGE_PATH_REGEX = (
    r"^images(/[A-Za-z0-9][A-Za-z0-9_.-]*)+"
    r"\.(svg|png|jpg|jpeg|webp|SVG|PNG|JPG|JPEG|WEBP)$"
)
_IMAGE_PATH_RE = re.compile(IMAGE_PATH_REGEX)
IMAGE_PATH_MAX_LENGTH = 200
# A figure or an ECG strip is a few kilobytes to a few hundred; these caps only stop a
# stray video or a decompression bomb from reaching the database.
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_PIXELS = 25_000_000

_FORBIDDEN_CHARACTERS = ("%", "\\", "?", "#")


def image_path_problem(path: object) -> str | None:
    """Why `path` cannot name a course image, or None when it can."""
    if not isinstance(path, str) or not path:
        return "an image path must be text such as images/ecg/strip-01.svg"
    for character in _FORBIDDEN_CHARACTERS:
        if character in path:
            return f"image paths may not contain '{character}'"
    if not path.startswith(IMAGE_PREFIX):
        return "image paths start with images/ (relative to the course folder)"
    if len(path) > IMAGE_PATH_MAX_LENGTH:
        return f"image paths are at most {IMAGE_PATH_MAX_LENGTH} characters"
    if PurePosixPath(path).suffix.lower() not in IMAGE_TYPES:
        return "images must be SVG, PNG, JPEG or WebP (.svg, .png, .jpg, .webp)"
    if not _IMAGE_PATH_RE.match(path):
        return (
            "image path segments use only letters, digits, '-', '_' and '.', and "
            "start with a letter or digit (no '..', no empty segments)"
        )
    return None


def validate_image_path(value: str) -> None:
    """Model field validator for CourseImage.path."""
    problem = image_path_problem(value)
    if problem:
        raise ValidationError(problem, code="unsafe_image_path")


# --- bytes ---------------------------------------------------------------------------

_SIGNATURES = {
    ".png": ("PNG", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("JPEG", lambda b: b.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("JPEG", lambda b: b.startswith(b"\xff\xd8\xff")),
    ".webp": ("WEBP", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
}
_SVG_NS = "http://www.w3.org/2000/svg"
# Elements that run code, embed other documents or HTML, or listen for events.
_SVG_FORBIDDEN_ELEMENTS = {
    "script",
    "foreignobject",
    "iframe",
    "embed",
    "object",
    "handler",
    "listener",
}
_SVG_ANIMATION_ELEMENTS = {"set", "animate", "animatemotion", "animatetransform"}
_URL_RE = re.compile(r"url\s*\(\s*(['\"]?)\s*([^)'\"]*)", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x20]+")


class _SvgRefused(Exception):
    pass


def _local(name: str) -> str:
    # expat with namespace_separator=" " names things "namespace local".
    return name.rsplit(" ", 1)[-1].lower()


def _check_css(text: str, where: str) -> None:
    if "@import" in text.lower():
        raise _SvgRefused(f"{where} uses @import")
    for match in _URL_RE.finditer(text):
        if not match.group(2).startswith("#"):
            raise _SvgRefused(f"{where} refers to an outside resource: url({match[2]})")


def _check_value(element: str, attribute: str, value: str) -> None:
    squashed = _CONTROL_RE.sub("", value).lower()
    if "javascript:" in squashed or "vbscript:" in squashed:
        raise _SvgRefused(f"<{element} {attribute}> holds a script URL")
    if attribute == "href" and not value.strip().startswith("#"):
        raise _SvgRefused(
            f'<{element} {attribute}="{value[:60]}"> refers outside the image '
            "(only #fragment references are allowed)"
        )
    _check_css(value, f"<{element} {attribute}>")


def _svg_problem(data: bytes) -> str | None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[str] = []
    style_text: list[str] = []

    def refuse(message: str):
        def handler(*args):
            raise _SvgRefused(message)

        return handler

    def start(name: str, attributes: dict[str, str]) -> None:
        element = _local(name)
        if not stack and name != f"{_SVG_NS} svg":
            raise _SvgRefused(
                "the root element is not <svg> in the SVG namespace "
                f'(xmlns="{_SVG_NS}")'
            )
        if element in _SVG_FORBIDDEN_ELEMENTS:
            raise _SvgRefused(f"contains <{element}>")
        for raw_name, value in attributes.items():
            attribute = _local(raw_name)
            if attribute.startswith("on"):
                raise _SvgRefused(f"<{element}> has an event handler ({attribute})")
            if element in _SVG_ANIMATION_ELEMENTS and attribute == "attributename":
                target = _local(value.replace(":", " "))
                if target == "href" or target.startswith("on"):
                    raise _SvgRefused(f"<{element}> animates {value}")
            _check_value(element, attribute, value)
        stack.append(element)

    def end(name: str) -> None:
        if stack.pop() == "style":
            _check_css("".join(style_text), "<style>")
            style_text.clear()

    def text(data: str) -> None:
        if stack and stack[-1] == "style":
            style_text.append(data)

    parser.StartDoctypeDeclHandler = refuse(
        "has a DOCTYPE (DTDs and entities are not allowed)"
    )
    parser.EntityDeclHandler = refuse("declares an entity")
    parser.ExternalEntityRefHandler = refuse("refers to an external entity")
    parser.ProcessingInstructionHandler = refuse(
        "has a processing instruction (such as xml-stylesheet)"
    )
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _SvgRefused as refused:
        return f"SVG refused: {refused}"
    except expat.ExpatError as error:
        return f"not a well-formed SVG file: {expat.errors.messages[error.code]}"
    return None


def _raster_problem(suffix: str, data: bytes) -> str | None:
    from PIL import Image, UnidentifiedImageError

    expected, matches = _SIGNATURES[suffix]
    if not matches(data):
        return f"the file is not a {expected} image (its first bytes say otherwise)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width * height > IMAGE_MAX_PIXELS:
                    return (
                        f"the image is {width}x{height} pixels; at most "
                        f"{IMAGE_MAX_PIXELS:,} pixels are allowed"
                    )
                image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        return f"not a valid {expected} image: {error}"
    return None


def image_bytes_problem(name: str, data: bytes) -> str | None:
    """Why `data` is not the image type the file `name` claims, or None."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in IMAGE_TYPES:
        return "images must be SVG, PNG, JPEG or WebP"
    if len(data) > IMAGE_MAX_BYTES:
        return f"the image is larger than {IMAGE_MAX_BYTES // (1024 * 1024)} MB"
    if suffix == ".svg":
        return _svg_problem(data)
    return _raster_problem(suffix, data)
