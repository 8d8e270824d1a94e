"""The static files storage: WhiteNoise's compressed manifest storage, with each
file's URL worked out once per process.

`{% static %}` asks the storage for a URL on every use (base.html: six a page), and
the manifest lookup and URL quoting cost about ten microseconds each. The manifest is
read once when the process starts and never changes while it runs (collectstatic
runs before a deploy starts new processes), so the answer for a name is kept
(issue 19). Names missing from the manifest still raise, as in Django.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class KeptUrlManifestStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url
