from __future__ import annotations

import pytest

from courses.markdown import render_markdown
from tests.factories import LessonFactory


def html(text: str) -> str:
    return render_markdown(text, course_slug="bls").html


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
def test_sanitizer_removes_script_handlers_and_javascript_links(evil):
    out = html(evil).lower()
    assert "<script" not in out
    assert "onerror" not in out and "onclick" not in out
    assert "javascript:" not in out
    assert "<iframe" not in out
    assert "style=" not in out
    assert "data:" not in out


def test_markdown_features_render():
    out = render_markdown(
        "## Steps\n\n| Age | Depth |\n|---|---|\n| Adult | 5 cm |\n\n"
        '!!! warning "Do not delay"\n    Start compressions.\n\n'
        "```\ncode\n```\n\n![Ventricular fibrillation strip](images/ecg/vf.svg)\n",
        course_slug="acls",
    )
    assert '<h2 id="steps">Steps</h2>' in out.html
    assert '<div class="table-wrap" tabindex="0" role="region"' in out.html
    assert '<div class="admonition warning">' in out.html
    assert "<pre><code>code" in out.html
    assert 'src="/courses/acls/images/ecg/vf.svg"' in out.html
    assert 'href="#steps"' in out.toc_html


def test_remote_images_are_dropped():
    assert "evil.example" not in html("![x](https://evil.example/track.png)")


@pytest.mark.django_db
def test_lesson_html_is_rendered_once_at_save():
    lesson = LessonFactory(body_md="Hello <script>x()</script> **world**")
    assert "<strong>world</strong>" in lesson.body_html
    assert "<script" not in lesson.body_html
