"""The admin says whose it is and names its sections by what they hold."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_admin_index_is_branded_and_its_sections_are_named_apart(staff_client):
    html = staff_client.get("/admin/").content.decode()
    assert "Lifeline administration" in html
    assert "css/admin.css" in html
    sections = re.findall(r'<caption>\s*<a[^>]*class="section"[^>]*>([^<]+)</a>', html)
    assert len(sections) == len(set(sections)), sections
    for name in ("Users and profiles", "Log-in e-mail addresses"):
        assert name in sections
    assert "Accounts" not in sections
