"""About, accreditation, privacy, terms and contact: pages from content/pages/, synced
like lessons, linked from every page's footer (issue 15)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from courses.models import InfoPage
from curriculum.services import ContentError, content_sync
from tests.curriculum.test_content import build_tree, write

pytestmark = pytest.mark.django_db

TRUST_PAGES = ("about", "accreditation", "privacy", "terms", "contact")


def _page(root, slug: str, body: str = "Who we are.\n", **meta) -> None:
    head = {"title": slug.title(), "order": 1, **meta}
    lines = "".join(f"{k}: {v}\n" for k, v in head.items())
    write(root, f"pages/{slug}.md", f"---\n{lines}---\n{body}")


@pytest.fixture
def tree(tmp_path):
    root = build_tree(tmp_path)
    _page(root, "about", "## Who writes the courses\n\nClinicians.\n", summary="Us.")
    _page(root, "privacy", "We store little.\n")
    return root


def test_the_repository_has_every_trust_page_published(settings, client):
    content_sync(root=settings.CONTENT_DIR)
    for slug in TRUST_PAGES:
        page = InfoPage.objects.get(slug=slug)
        assert page.is_published
        response = client.get(page.get_absolute_url())
        assert response.status_code == 200, slug
        assert page.title in response.content.decode()


def test_every_page_links_to_the_trust_pages_in_its_footer(settings, client):
    content_sync(root=settings.CONTENT_DIR)
    html = client.get(reverse("courses:catalog")).content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    for slug in TRUST_PAGES:
        assert f'href="{InfoPage.objects.get(slug=slug).get_absolute_url()}"' in footer


def test_a_page_is_synced_rendered_and_served(tree, client):
    content_sync(root=tree)
    response = client.get(reverse("courses:about"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="who-writes-the-courses">Who writes the courses</h2>' in html
    # The about page names the issuer and the medical director from settings.
    assert "Medical director" in html


def test_the_about_page_has_one_address(tree, client):
    content_sync(root=tree)
    response = client.get(reverse("courses:info_page", args=["about"]))
    assert response.status_code == 301
    assert response["Location"] == reverse("courses:about")


def test_unknown_and_unpublished_pages_are_404(tree, client):
    _page(tree, "terms", published="false")
    content_sync(root=tree)
    assert client.get(reverse("courses:info_page", args=["terms"])).status_code == 404
    assert client.get(reverse("courses:info_page", args=["nope"])).status_code == 404


def test_a_page_whose_file_goes_is_removed(tree, client):
    content_sync(root=tree)
    (tree / "pages" / "privacy.md").unlink()
    report = content_sync(root=tree)
    assert "pages: 1 removed, 1 unchanged" in report.lines()
    assert not InfoPage.objects.filter(slug="privacy").exists()


def test_an_image_in_a_page_is_refused_with_file_and_line(tree):
    _page(tree, "privacy", "Fine.\n\n![Logo](images/logo.svg)\n")
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    (problem,) = error.value.problems
    assert str(problem).startswith("content/pages/privacy.md:7:")
    assert "pages have no images" in str(problem)
    assert not InfoPage.objects.exists()


def test_a_stray_file_in_pages_is_refused(tree):
    write(tree, "pages/notes.txt", "scratch")
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    assert "pages/ holds only <slug>.md files" in str(error.value)


def test_an_admin_edit_is_a_sync_conflict_like_a_lesson(tree):
    content_sync(root=tree)
    page = InfoPage.objects.get(slug="privacy")
    page.body_md = "Edited in the admin.\n"
    page.save()
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    assert "edited in the admin" in str(error.value)
    content_sync(root=tree, force=True)
    assert InfoPage.objects.get(slug="privacy").body_md == "We store little.\n"


def test_export_writes_pages_that_sync_back_unchanged(tree, tmp_path):
    content_sync(root=tree)
    out = tmp_path / "exported"
    call_command("export_content", str(out))
    assert (out / "pages" / "about.md").read_text().startswith("---\ntitle: About\n")
    report = content_sync(root=out)
    assert not report.changed, report.lines()


def test_the_page_view_makes_one_query(tree, client, django_assert_num_queries):
    content_sync(root=tree)
    with django_assert_num_queries(1):
        client.get(reverse("courses:info_page", args=["privacy"]))
