"""The production static files storage (core.staticfiles): URLs from the manifest
collectstatic wrote, each worked out once per process; a name missing from the
manifest still raises, as with Django's own manifest storage."""

from __future__ import annotations

import json

import pytest

from core.staticfiles import KeptUrlManifestStorage


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "staticfiles.json").write_text(
        json.dumps(
            {
                "version": "1.1",
                "hash": "0123456789ab",
                "paths": {"css/site.css": "css/site.5d41402abc4b.css"},
            }
        )
    )
    return KeptUrlManifestStorage(location=tmp_path, base_url="/static/")


def test_a_static_url_names_the_hashed_file_every_time(storage, monkeypatch):
    assert storage.url("css/site.css") == "/static/css/site.5d41402abc4b.css"
    # Kept: asked again, the manifest is not read again.
    monkeypatch.setattr(storage, "hashed_files", {})
    assert storage.url("css/site.css") == "/static/css/site.5d41402abc4b.css"


def test_a_name_missing_from_the_manifest_still_raises(storage):
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.url("css/missing.css")
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.url("css/missing.css")  # not kept as an answer either
