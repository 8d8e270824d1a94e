"""The one Markdown renderer of the site: lessons, course text, questions, previews.

Markdown is rendered and sanitized once, when content is saved or synced; pages serve
the stored HTML. Sanitizing is an allow-list (nh3): no script or style, no event
handlers, no `javascript:` or `data:` links, only the classes our stylesheet knows.
Images resolve only to the course's stored images (URLs built from those rows); tables
are wrapped in their scroll box on the element tree, so the HTML is always balanced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from xml.etree import ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from core.urls import reverse_cached

from .images import IMAGE_PREFIX, image_path_problem

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
    # Only with the table wrapper's fixed values (see _filter_attribute).
    "div": {"tabindex", "role", "aria-label"},
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
        "table-wrap",
    },
    "p": {"admonition-title"},
    "span": {"muted"},
    "img": {"figure", "ecg"},
    "table": {"compare"},
}
TABLE_WRAP_ATTRIBUTES = {
    "class": "table-wrap",
    "tabindex": "0",
    "role": "region",
    "aria-label": "Table",
}
# Attributes the sanitizer keeps only with the one value the table wrapper uses.
_FIXED_VALUES = {
    (tag, attr): value
    for tag, attributes in {"div": TABLE_WRAP_ATTRIBUTES}.items()
    for attr, value in attributes.items()
    if attr != "class"
}
_ID_RE = re.compile(r"^[A-Za-z][\w-]{0,80}$")


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    toc_html: str


@lru_cache(maxsize=4096)
def _image_path_safe(path: str) -> bool:
    # Checked once per path and process: an exam page shows images on many
    # questions (issue 19).
    return image_path_problem(path) is None


def image_url(course_slug: str, path: str) -> str:
    """URL of a course image given its stored path (`images/...`), or "" when the
    path is not a safe image path (such a path is never turned into a request)."""
    if not isinstance(path, str) or not _image_path_safe(path):
        return ""
    # Reversed once per process too (core.urls).
    return reverse_cached("courses:image", course_slug, path.removeprefix(IMAGE_PREFIX))


class CourseImages:
    """The images a text may show: the course's stored CourseImage rows.

    A reference resolves only when it names a stored row exactly; the URL is then built
    from that row. Anything else (a `%2e%2e` path, a remote URL, a file that is not
    there) resolves to None. The rows are read once, on the first image.
    """

    def __init__(self, course_slug: str, paths: Iterable[str] | None = None):
        self.course_slug = course_slug
        self._urls: dict[str, str] | None = None
        if paths is not None:
            self._urls = self._build(paths)

    def _build(self, paths: Iterable[str]) -> dict[str, str]:
        return {
            path: url for path in paths if (url := image_url(self.course_slug, path))
        }

    @property
    def urls(self) -> dict[str, str]:
        if self._urls is None:
            from .models import CourseImage

            self._urls = self._build(
                CourseImage.objects.filter(course__slug=self.course_slug).values_list(
                    "path", flat=True
                )
            )
        return self._urls

    def url_for(self, src: str) -> str | None:
        if image_path_problem(src):
            return None
        return self.urls.get(src)

    def is_url(self, value: str) -> bool:
        return value in self.urls.values()


class _LessonTreeprocessor(Treeprocessor):
    """Resolves images against the course's rows and wraps tables in a scroll box.

    Both happen on the element tree, before sanitizing, so the output is always a
    balanced tree (a string replace after sanitizing once left a stray `</div>` behind
    every table with a class).
    """

    def __init__(self, md: markdown.Markdown, images: CourseImages):
        super().__init__(md)
        self.images = images

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "img":
                    parent[index] = self._image(child)
                elif child.tag == "table":
                    wrapper = etree.Element("div", dict(TABLE_WRAP_ATTRIBUTES))
                    wrapper.tail, child.tail = child.tail, None
                    wrapper.append(child)
                    parent[index] = wrapper

    def _image(self, img: etree.Element) -> etree.Element:
        src = img.get("src") or ""
        url = self.images.url_for(src)
        if url:
            img.set("src", url)
            return img
        # A visible note in place of the figure; it makes no request.
        placeholder = etree.Element("span", {"class": "muted"})
        placeholder.text = f"[Image not available: {img.get('alt') or src}]"
        placeholder.tail = img.tail
        return placeholder


class _LessonExtension(Extension):
    def __init__(self, images: CourseImages):
        super().__init__()
        self.images = images

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After inline parsing (20) and the table of contents (5), before unescape (0).
        md.treeprocessors.register(
            _LessonTreeprocessor(md, self.images), "lifeline_lesson", 1
        )


def _filter_attribute(
    images: CourseImages, tag: str, attr: str, value: str
) -> str | None:
    if tag == "img" and attr == "src":
        # Markdown images were resolved to row URLs above; raw <img> tags get the
        # same treatment. Anything else loses its src and so makes no request.
        if images.is_url(value):
            return value
        return images.url_for(value)
    if (tag, attr) in _FIXED_VALUES:
        return value if value == _FIXED_VALUES[(tag, attr)] else None
    if attr == "id" and not _ID_RE.match(value):
        return None
    return value


def sanitize(html: str, *, course_slug: str, images: CourseImages | None = None) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=partial(
            _filter_attribute, images or CourseImages(course_slug)
        ),
        strip_comments=True,
    )


def render_markdown(
    text: str, *, course_slug: str, known_images: Iterable[str] | None = None
) -> Rendered:
    """Renders Markdown to sanitized HTML plus a sanitized table of contents.

    Images resolve against `known_images` (paths) when given, else against the
    course's stored CourseImage rows (one query, only when the text has an image).
    """
    images = CourseImages(course_slug, known_images)
    md = markdown.Markdown(
        extensions=[*EXTENSIONS, _LessonExtension(images)],
        extension_configs=EXTENSION_CONFIGS,
    )
    html = sanitize(md.convert(text or ""), course_slug=course_slug, images=images)
    toc = md.toc if getattr(md, "toc_tokens", None) else ""
    return Rendered(
        html=html, toc_html=sanitize(toc, course_slug=course_slug, images=images)
    )


def image_paths(text: str) -> list[tuple[int, str, str]]:
    """(line, path, alt) of every image a Markdown text references, for validation."""
    found = []
    for lineno, line in enumerate((text or "").splitlines(), start=1):
        for match in re.finditer(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line):
            found.append((lineno, match.group(2), match.group(1).strip()))
    return found


_KEY_POINTS_HEADING = re.compile(r"^##\s+Key points\s*#*\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s")
_BULLET = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+(.*)$")


def key_points(text: str) -> list[str]:
    """The bullets of a lesson's `## Key points` list, in order (1-based numbers in a
    question's `key_point` count them). Only top-level items count: an indented line
    continues the bullet above it; the list ends at the next heading."""
    bullets: list[str] = []
    inside = False
    for line in (text or "").splitlines():
        if _KEY_POINTS_HEADING.match(line):
            inside, bullets = True, []
            continue
        if not inside:
            continue
        if _HEADING.match(line):
            break
        match = _BULLET.match(line)
        if match:
            bullets.append(match.group(1).strip())
        elif bullets and line.strip() and line[:1].isspace():
            bullets[-1] = f"{bullets[-1]} {line.strip()}"
    return bullets
