"""Digests that let a sync with nothing to do skip reading the tree.

A sync may skip when three things are as the last successful sync left them:

- the files: every path and byte under the content root (`files_digest`);
- the code that turns files into rows (the reader, the sync, the Markdown renderer,
  the models: `_CODE_MODULES`), so a deploy that changes how content is read re-reads
  it once;
- the curriculum rows (`database_digest`): every column of every table the sync
  writes, read in primary-key order. Any write since, by the admin, a service's
  `.update()`, the shell or SQL, changes it, so the next sync reads the files and
  compares every row as it always did (restoring, or reporting an admin edit as a
  conflict). Rows an admin created count too: harmless, one full sync.

The digests cost a walk of the tree and one query per table, whatever the number of
learners, attempts, courses or questions.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import stat
from pathlib import Path

from django.db import models

from cases.models import Case, CaseRules
from courses.models import (
    Bundle,
    BundleCourse,
    Course,
    CourseImage,
    InfoPage,
    Lesson,
    Module,
)
from exams.models import Choice, Exam, Question
from organizations.models import SkillItem

from ..reader import TEXT_MAX_BYTES

# The tables a sync writes, in a fixed order.
SYNCED_MODELS: tuple[type[models.Model], ...] = (
    Course,
    Course.prerequisites.through,
    CourseImage,
    Module,
    Lesson,
    Exam,
    Question,
    Choice,
    SkillItem,
    Case,
    CaseRules,
    Bundle,
    BundleCourse,
    InfoPage,
)

# What reads, checks, renders and stores content: a change to any of them (a deploy)
# makes the next sync read the files again.
_CODE_MODULES = (
    "curriculum.reader",
    "curriculum.standards",
    "curriculum.services.sync",
    "curriculum.services.fingerprint",
    "cases.files",
    "cases.models",
    "core.strict_yaml",
    "courses.images",
    "courses.markdown",
    "courses.models",
    "courses.services",
    "exams.models",
    "exams.services.bank",
    "organizations.models",
)

# Larger files are left to the reader, which refuses them with a message.
_FILE_LIMIT = 16 * TEXT_MAX_BYTES


def code_digest() -> str:
    digest = hashlib.sha256()
    for name in _CODE_MODULES:
        source = importlib.import_module(name).__file__
        digest.update(name.encode() + b"\0" + Path(source).read_bytes() + b"\0")
    return digest.hexdigest()


def files_digest(root: Path) -> str | None:
    """A digest of every folder, file name and byte under `root`, and of the code
    that reads them; None when the tree holds anything but plain folders and files
    (a symbolic link, a device, a file too large): the reader reports those, so the
    sync must read."""
    digest = hashlib.sha256(code_digest().encode())
    try:
        if not stat.S_ISDIR(os.lstat(root).st_mode):
            return None
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs.sort()
            rel = Path(folder).relative_to(root).as_posix()
            for name in dirs:
                if not stat.S_ISDIR(os.lstat(Path(folder) / name).st_mode):
                    return None  # a link to a folder
                digest.update(f"d\0{rel}/{name}\0".encode())
            for name in sorted(files):
                data = _read_plain(Path(folder) / name)
                if data is None:
                    return None
                digest.update(f"f\0{rel}/{name}\0{len(data)}\0".encode())
                digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


def _read_plain(path: Path) -> bytes | None:
    """The bytes of a regular file, never through a link; None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _FILE_LIMIT:
            return None
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return stream.read(_FILE_LIMIT + 1)
    finally:
        os.close(fd)


def database_digest() -> str:
    """A digest of every column of every row the sync writes (one query per table).

    Image bytes are left out (their `sha256` column and `updated_at` stand for them):
    they are the bulk of the tables and only the sync and the admin's form write
    them, both of which change those columns too."""
    digest = hashlib.sha256()
    for model in SYNCED_MODELS:
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if not isinstance(f, models.BinaryField)
        ]
        digest.update(f"{model._meta.db_table}\0{','.join(columns)}\0".encode())
        for row in model.objects.order_by("pk").values_list(*columns).iterator(2000):
            digest.update(repr(row).encode())
    return digest.hexdigest()
