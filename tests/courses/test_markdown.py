from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.markdown import image_url, render_markdown
from courses.models import CourseImage, Lesson
from tests.factories import CourseFactory, LessonFactory, ModuleFactory


def html(text: str) -> str:
    return render_markdown(text, course_slug="bls").html


class _Tags(HTMLParser):
    """Start/end tags and img attributes of an HTML fragment, as a browser reads them."""

    VOID = {"img", "br", "hr", "input", "meta", "link", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.closed_to_empty = 0
        self.imgs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if not self.stack:
            self.closed_to_empty += 1


def parse(fragment: str) -> _Tags:
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    return parser


def assert_balanced_in_one_wrapper(fragment: str) -> None:
    tags = parse(f'<div class="prose">{fragment}</div>')
    assert tags.problems == [], fragment
    assert tags.stack == [], fragment
    # The wrapper is closed once, by its own end tag, at the very end.
    assert tags.closed_to_empty == 1, fragment


@pytest.fixture
def images(db):
    """A course `bls` with two stored images."""
    course = CourseFactory(slug="bls")
    for path in ("images/a.svg", "images/ecg/vf.svg"):
        CourseImage.objects.create(
            course=course,
            path=path,
            content_type="image/svg+xml",
            data=b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            sha256="x",
        )
    return course


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src="images/x.svg" onerror="alert(1)" alt="x">',
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        '<div onclick="alert(1)">x</div>',
        '<iframe src="https://evil.example"></iframe>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    ],
)
@pytest.mark.django_db
def test_sanitizer_removes_script_handlers_and_javascript_links(evil):
    out = html(evil).lower()
    assert "<script" not in out
    assert "onerror" not in out and "onclick" not in out
    assert "javascript:" not in out
    assert "<iframe" not in out
    assert "style=" not in out
    assert "data:" not in out


@pytest.mark.django_db
def test_markdown_features_render():
    course = CourseFactory(slug="acls")
    CourseImage.objects.create(
        course=course, path="images/ecg/vf.svg", content_type="image/svg+xml", data=b""
    )
    out = render_markdown(
        "## Steps\n\n| Age | Depth |\n|---|---|\n| Adult | 5 cm |\n\n"
        '!!! warning "Do not delay"\n    Start compressions.\n\n'
        "```\ncode\n```\n\n![Ventricular fibrillation strip](images/ecg/vf.svg)\n",
        course_slug="acls",
    )
    assert '<h2 id="steps">Steps</h2>' in out.html
    assert _table_wrapper_attributes(out.html) == {
        "class": "table-wrap",
        "tabindex": "0",
        "role": "region",
        "aria-label": "Table",
    }
    assert '<div class="admonition warning">' in out.html
    assert "<pre><code>code" in out.html
    assert 'src="/courses/acls/images/ecg/vf.svg"' in out.html
    assert 'href="#steps"' in out.toc_html


def _table_wrapper_attributes(fragment: str) -> dict | None:
    """Attributes of the element directly around the first <table>."""
    found: dict = {}

    class Finder(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open: list[tuple[str, dict]] = []

        def handle_starttag(self, tag, attrs):
            if tag == "table" and not found and self.open:
                found.update(self.open[-1][1])
            if tag not in _Tags.VOID:
                self.open.append((tag, dict(attrs)))

        def handle_endtag(self, tag):
            if self.open:
                self.open.pop()

    Finder().feed(fragment)
    return found or None


@pytest.mark.django_db
def test_remote_images_are_dropped():
    assert "evil.example" not in html("![x](https://evil.example/track.png)")


@pytest.mark.django_db
def test_lesson_html_is_rendered_once_at_save():
    lesson = LessonFactory(body_md="Hello <script>x()</script> **world**")
    assert "<strong>world</strong>" in lesson.body_html
    assert "<script" not in lesson.body_html


# --- image references resolve only to the course's stored images --------------------

ESCAPES = [
    "images/%2e%2e/%2e%2e/accounts/email/",
    "images/%2E%2E/%2E%2E/accounts/email/",
    "images/..%2f..%2faccounts/email/",
    "images/%2e%2e%5c%2e%2e%5caccounts/email/",
    "images\\..\\..\\accounts\\email\\",
    "images/../../accounts/email/",
    "images/ecg/../../../accounts/email/",
    "images/a.svg?next=/accounts/email/",
    "images/a.svg#/../../accounts/email/",
    "images/a.svg/../../../accounts/email/",
    "/accounts/email/",
    "//evil.example/images/a.svg",
    "images/missing.svg",
]


@pytest.mark.parametrize("src", ESCAPES)
def test_image_reference_outside_the_stored_images_makes_no_request(images, src):
    out = html(f'Before ![Strip]({src}) after\n\n<img src="{src}" alt="raw">')
    tags = parse(out)
    # Nothing the browser would fetch: no img keeps a src that is not a row's URL.
    assert [img.get("src") for img in tags.imgs if img.get("src")] == []
    # The author (in the admin preview) sees where the figure was meant to be (or,
    # where Markdown escapes make it no image at all, the text as typed).
    assert "[Image not available: Strip]" in out or "![Strip]" in out


def test_stored_images_get_urls_built_from_their_rows(images):
    out = html('![Strip](images/ecg/vf.svg)\n\n<img src="images/a.svg" alt="A">')
    assert [img["src"] for img in parse(out).imgs] == [
        "/courses/bls/images/ecg/vf.svg",
        "/courses/bls/images/a.svg",
    ]


def test_an_image_of_another_course_does_not_resolve(images):
    CourseFactory(slug="acls")
    out = render_markdown("![Strip](images/a.svg)", course_slug="acls").html
    assert parse(out).imgs == []


def test_lesson_saved_in_the_admin_with_an_escaping_image_shows_a_placeholder(images):
    module = ModuleFactory(course=images)
    lesson = LessonFactory(
        module=module, body_md="![Strip](images/%2e%2e/%2e%2e/accounts/email/)"
    )
    stored = Lesson.objects.get(pk=lesson.pk).body_html
    assert "<img" not in stored
    assert "Image not available" in stored


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("images/ecg/vf.svg", "/courses/bls/images/ecg/vf.svg"),
        ("images/%2e%2e/%2e%2e/accounts/email/", ""),
        ("images/../x.svg", ""),
        ("/etc/passwd", ""),
    ],
)
@pytest.mark.django_db
def test_question_image_urls_are_built_only_from_safe_paths(path, url):
    assert image_url("bls", path) == url


# --- balanced HTML for any input -----------------------------------------------------


@pytest.mark.django_db
def test_table_with_the_compare_class_leaves_no_stray_closing_tag():
    out = html(
        '<table class="compare"><tr><td>a</td></tr></table>\n\n'
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert_balanced_in_one_wrapper(out)
    assert 'class="compare"' in out


FRAGMENTS = [
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "| a |\n|---|\n| b |\n{: .compare}",
    '<table class="compare"><tr><td>x</td></tr></table>',
    '<table class="compare">',
    "<table><tr><td>",
    "</table>",
    "</div>",
    "<div>",
    '<div class="admonition note">',
    "</p>",
    "<span>",
    "</span>",
    '!!! warning "Careful"\n    Body with | pipe |',
    "!!! note\n    | a |\n    |---|\n    | b |",
    "{: .compare}",
    '{: class="compare" }',
    "## Heading {: #anchor .compare }",
    "```\n<table>\n</div>\n```",
    "`</table></div>`",
    "- a\n    - b\n        - c\n- d",
    "1. one\n2. two\n    - nested\n\n        | x |\n        |---|\n        | y |",
    "Term\n:   Definition with <table>",
    "![Alt](images/a.svg)",
    "![x](images/%2e%2e/x)",
    '<img alt="</table></div>" src="images/a.svg">',
    "<!-- </div> -->",
    "> quote <div>\n> | a |\n> |---|\n> | b |",
    "</table></div></div>",
]


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    parts=st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS),
            st.text(alphabet='<>/|-`!{}:#. tabledivspanclass="compare"\n', max_size=30),
        ),
        max_size=6,
    ),
    joiners=st.lists(st.sampled_from(["\n", "\n\n", " ", ""]), min_size=6, max_size=6),
)
@pytest.mark.django_db
def test_renderer_output_is_one_balanced_tree_for_any_markdown(parts, joiners):
    text = "".join(part + joiner for part, joiner in zip(parts, joiners, strict=False))
    rendered = render_markdown(text, course_slug="bls")
    assert_balanced_in_one_wrapper(rendered.html)
    assert_balanced_in_one_wrapper(rendered.toc_html)
