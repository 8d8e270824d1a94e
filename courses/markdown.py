"""The one Markdown renderer of the site: lessons, course text, questions, previews.

Markdown is rendered and sanitized once, when content is saved or synced; pages serve
the stored HTML. Sanitizing is an allow-list (nh3): no script or style, no event
handlers, no `javascript:` or `data:` links, only the classes our stylesheet knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import markdown
import nh3

EXTENSIONS = [
    "tables",
    "fenced_code",
    "admonition",
    "attr_list",
    "def_list",
    "sane_lists",
    "toc",
]
EXTENSION_CONFIGS = {"toc": {"permalink": False, "toc_depth": "2-3"}}

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
ALLOWED_CLASSES = {
    "div": {
        "admonition",
        "note",
        "tip",
        "warning",
        "danger",
        "important",
        "caution",
        "toc",
    },
    "p": {"admonition-title"},
    "span": {"muted"},
    "img": {"figure", "ecg"},
    "table": {"compare"},
}
IMAGE_PREFIX = "images/"
TABLE_WRAP_OPEN = (
    '<div class="table-wrap" tabindex="0" role="region" aria-label="Table">\n<table>'
)
_ID_RE = re.compile(r"^[A-Za-z][\w-]{0,80}$")


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    toc_html: str


def image_url(course_slug: str, path: str) -> str:
    """Public URL of a course image given its path relative to the course folder."""
    return f"/courses/{course_slug}/{path}"


def _filter_attribute(course_slug: str, tag: str, attr: str, value: str) -> str | None:
    if tag == "img" and attr == "src":
        if value.startswith(IMAGE_PREFIX) and ".." not in value:
            return image_url(course_slug, value)
        return None  # only the course's own images; no remote or data: images
    if attr == "id" and not _ID_RE.match(value):
        return None
    return value


def sanitize(html: str, *, course_slug: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=partial(_filter_attribute, course_slug),
        strip_comments=True,
    )


def render_markdown(text: str, *, course_slug: str) -> Rendered:
    """Renders Markdown to sanitized HTML plus a sanitized table of contents."""
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    html = sanitize(md.convert(text or ""), course_slug=course_slug)
    # Wide tables scroll inside their own box on phones instead of the whole page; the
    # box is focusable so keyboard users can scroll it. Added after sanitizing (which
    # would drop tabindex and role) and only as this fixed markup.
    html = html.replace("<table>", TABLE_WRAP_OPEN).replace(
        "</table>", "</table></div>"
    )
    toc = md.toc if getattr(md, "toc_tokens", None) else ""
    return Rendered(html=html, toc_html=sanitize(toc, course_slug=course_slug))


def image_paths(text: str) -> list[tuple[int, str, str]]:
    """(line, path, alt) of every image a Markdown text references, for validation."""
    found = []
    for lineno, line in enumerate((text or "").splitlines(), start=1):
        for match in re.finditer(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line):
            found.append((lineno, match.group(2), match.group(1).strip()))
    return found
