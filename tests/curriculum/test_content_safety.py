"""Content files cannot reach outside their course folder, images are what their name
says, and export writes only inside its folder."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from PIL import Image

from courses.models import Course, CourseImage, Lesson, Module
from curriculum.services import ContentError, content_sync
from tests.curriculum.test_content import build_tree, full_snapshot

pytestmark = pytest.mark.django_db

FAKE_SECRET = "SECRET_KEY=fake-secret-for-the-symlink-test-0123456789"
SVG = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'


@pytest.fixture
def tree(tmp_path) -> Path:
    return build_tree(tmp_path)


@pytest.fixture
def secret(tmp_path) -> Path:
    """A file outside the content tree holding something that must never be synced."""
    path = tmp_path / "outside" / ".env"
    path.parent.mkdir()
    path.write_text(FAKE_SECRET + "\nDATABASE_URL=postgres://fake\n")
    return path


def assert_refused(tree, expected: str) -> None:
    """Sync fails naming the file, and no course data (let alone a secret) is stored."""
    before = full_snapshot()
    with pytest.raises(CommandError) as error:
        call_command("sync_content", str(tree))
    assert expected in str(error.value)
    assert "database is unchanged" in str(error.value)
    assert full_snapshot() == before
    for data in CourseImage.objects.values_list("data", flat=True):
        assert b"fake-secret" not in bytes(data)
    assert not Lesson.objects.filter(body_md__contains="fake-secret").exists()


# --- symbolic links -------------------------------------------------------------------


def test_image_symlinked_to_a_secret_file_is_refused(tree, secret):
    (tree / "bls/images/strip-99.svg").symlink_to(secret)
    assert_refused(tree, "bls/images/strip-99.svg:1: is a symbolic link")


def test_image_symlinked_to_proc_self_environ_is_refused(tree):
    (tree / "bls/images/strip-98.svg").symlink_to("/proc/self/environ")
    assert_refused(tree, "bls/images/strip-98.svg:1: is a symbolic link")


def test_image_symlinked_inside_its_own_course_is_refused_too(tree):
    (tree / "bls/images/copy.svg").symlink_to(tree / "bls/images/hands.svg")
    assert_refused(tree, "bls/images/copy.svg:1: is a symbolic link")


def test_symlinked_image_folder_is_refused(tree, secret):
    (secret.parent / "strip-01.svg").write_text(SVG)
    (tree / "bls/images/ecg").symlink_to(secret.parent, target_is_directory=True)
    assert_refused(tree, "bls/images/ecg:1: is a symbolic link")


def test_symlinked_images_root_is_refused(tree, secret):
    (secret.parent / "hands.svg").write_text(SVG)
    real = tree / "bls/images"
    for child in real.iterdir():
        child.unlink()
    real.rmdir()
    real.symlink_to(secret.parent, target_is_directory=True)
    assert_refused(tree, "bls/images:1: is a symbolic link")


@pytest.mark.parametrize(
    ("link", "body"),
    [
        ("bls/01-cpr/02-leak.md", "---\ntitle: Leak\nminutes: 1\n---\n"),
        ("bls/01-cpr/quiz.yaml", None),
        ("bls/final-exam.yaml", None),
        ("acls/course.md", None),
        ("acls/01-basics/module.md", None),
        ("bundles.yaml", None),
    ],
)
def test_every_content_file_that_is_a_symlink_is_refused(tree, secret, link, body):
    if body:
        secret.write_text(body + FAKE_SECRET + "\n")
    target = tree / link
    if target.exists():
        target.unlink()
    target.symlink_to(secret)
    assert_refused(tree, f"{link}:1: is a symbolic link")


def test_symlinked_module_and_course_folders_are_refused(tree, tmp_path):
    outside = tmp_path / "elsewhere"
    (outside / "01-leak").mkdir(parents=True)
    (outside / "01-leak/module.md").write_text("---\ntitle: Leak\n---\n")
    (outside / "01-leak/01-leak.md").write_text(
        f"---\ntitle: Leak\nminutes: 1\n---\n{FAKE_SECRET}\n"
    )
    (tree / "acls/02-leak").symlink_to(outside / "01-leak", target_is_directory=True)
    (tree / "zz").symlink_to(outside, target_is_directory=True)
    before = full_snapshot()
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    message = str(error.value)
    assert "acls/02-leak:1: is a symbolic link" in message
    assert "content/zz:1: is a symbolic link" in message
    assert full_snapshot() == before


@pytest.mark.parametrize(
    ("link", "target", "parts"),
    [
        ("bls/images/late.svg", "bls/images/hands.svg", ("bls", "images", "late.svg")),
        ("bls/late-dir", "bls/images", ("bls", "late-dir", "hands.svg")),
    ],
    ids=["file", "folder"],
)
def test_a_link_swapped_in_after_the_listing_is_not_followed(tree, link, target, parts):
    """The listing refuses links, but one created between listing and reading (a
    race) must not be followed either: each component is opened with O_NOFOLLOW.
    These links stay inside the course, so only that catches them."""
    from curriculum.reader import _Files, _Unsafe

    (tree / link).symlink_to(tree / target)
    with pytest.raises(_Unsafe, match="symbolic link"):
        _Files(tree).read(parts, limit=1024)


def test_fifo_in_images_is_refused_without_blocking(tree):
    os.mkfifo(tree / "bls/images/pipe.svg")
    assert_refused(tree, "bls/images/pipe.svg:1: is not a regular file")


def test_content_root_given_through_a_symlink_still_loads(tree, tmp_path):
    """The operator may point CONTENT_DIR at a release folder through a link; only
    links below the root are refused."""
    link = tmp_path / "current"
    link.symlink_to(tree, target_is_directory=True)
    content_sync(root=link)
    assert Course.objects.filter(slug="bls").exists()


# --- image bytes are the type their name claims ----------------------------------------


def raster(fmt: str, size=(4, 3), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, format=fmt)
    return out.getvalue()


def broken_png_crc() -> bytes:
    """A PNG whose header opens fine but whose image data fails its checksum."""
    data = bytearray(raster("PNG", size=(16, 16)))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    return bytes(data)


def put_image(tree, name: str, data: bytes) -> None:
    (tree / "bls/images" / name).write_bytes(data)


@pytest.mark.parametrize(
    ("name", "fmt", "content_type"),
    [
        ("photo.png", "PNG", "image/png"),
        ("photo.jpg", "JPEG", "image/jpeg"),
        ("photo.jpeg", "JPEG", "image/jpeg"),
        ("photo.webp", "WEBP", "image/webp"),
    ],
)
def test_real_raster_images_load_with_their_type(tree, name, fmt, content_type):
    put_image(tree, name, raster(fmt))
    content_sync(root=tree)
    image = CourseImage.objects.get(path=f"images/{name}")
    assert image.content_type == content_type
    assert bytes(image.data) == (tree / "bls/images" / name).read_bytes()


DISGUISED = [
    ("strip-97.svg", FAKE_SECRET.encode(), "not a well-formed SVG file"),
    ("photo.png", FAKE_SECRET.encode(), "is not a PNG image"),
    ("photo.png", SVG.encode(), "is not a PNG image"),
    ("photo.jpg", raster("PNG"), "is not a JPEG image"),
    ("photo.webp", raster("JPEG"), "is not a WEBP image"),
    ("photo.png", raster("PNG")[:40], "not a valid PNG image"),
    ("photo.jpg", b"\xff\xd8\xff" + b"\x00" * 64, "not a valid JPEG image"),
    ("photo.png", broken_png_crc(), "not a valid PNG image"),
    ("huge.png", raster("PNG", size=(6000, 5000), mode="1"), "pixels are allowed"),
    ("notes.txt", b"hello", "images must be SVG, PNG, JPEG or WebP"),
    ("Strip 01.svg", SVG.encode(), "image path segments use only letters"),
    ("%2e%2e.svg", SVG.encode(), "may not contain '%'"),
]


@pytest.mark.parametrize(
    ("name", "data", "expected"), DISGUISED, ids=[d[2][:25] for d in DISGUISED]
)
def test_disguised_or_broken_image_is_refused(tree, name, data, expected):
    put_image(tree, name, data)
    assert_refused(tree, f"bls/images/{name}:1: ")
    with pytest.raises(ContentError, match=expected):
        content_sync(root=tree)


SVG_ATTACKS = [
    (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
        "has a DOCTYPE",
    ),
    (
        '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
        "has a DOCTYPE",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&undefined;</text></svg>',
        "not a well-formed SVG file",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "contains <script>",
    ),
    ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "event handler"),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><rect ONCLICK="x()"/></svg>',
        "event handler",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div '
        'xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>',
        "contains <foreignobject>",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
        "script URL",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><a href=" java\tscript:alert(1)">'
        "<text>x</text></a></svg>",
        "script URL",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg">'
        '<image href="https://evil.example/track.png"/></svg>',
        "refers outside the image",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><use href="/accounts/email/"/></svg>',
        "refers outside the image",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://evil.example/'
        'x#p)"/></svg>',
        "outside resource",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.'
        "example/x.css);</style></svg>",
        "@import",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><style>rect{fill:url('
        '"https://evil.example/p")}</style></svg>',
        "outside resource",
    ),
    (
        '<?xml-stylesheet href="https://evil.example/x.css"?>'
        '<svg xmlns="http://www.w3.org/2000/svg"/>',
        "processing instruction",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" '
        'to="/accounts/email/"/></a></svg>',
        "animates href",
    ),
    (
        '<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="onclick" '
        'to="x()"/></svg>',
        "animates onclick",
    ),
    ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "root element is not <svg>"),
    ("<svg><rect/></svg>", "root element is not <svg>"),
]


@pytest.mark.parametrize(
    ("svg", "expected"), SVG_ATTACKS, ids=[a[1][:25] for a in SVG_ATTACKS]
)
def test_unsafe_svg_is_refused_with_the_reason(tree, svg, expected):
    put_image(tree, "strip-50.svg", svg.encode())
    with pytest.raises(ContentError) as error:
        content_sync(root=tree)
    assert "bls/images/strip-50.svg:1: " in str(error.value)
    assert expected in str(error.value)
    assert not Course.objects.exists()


def test_the_repository_svg_features_are_accepted(tree):
    put_image(
        tree,
        "ok.svg",
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" role="img" '
        b'aria-labelledby="t"><title id="t">Arrow</title><defs><marker id="arrow">'
        b'<path d="M0 0L1 1"/></marker><style>.a { fill: #fff; font: 600 13px '
        b'sans-serif; }</style></defs><line marker-end="url(#arrow)" class="a"/>'
        b'<use href="#arrow"/></svg>',
    )
    content_sync(root=tree)
    assert CourseImage.objects.filter(path="images/ok.svg").exists()


# --- image paths in the database ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd.svg",
        "images/../../etc/x.svg",
        "images/%2e%2e/x.svg",
        "images\\..\\x.svg",
        "images/a.svg?x=1",
        "images/a.svg#x",
        "images//a.svg",
        "images/.hidden.svg",
        "other/a.svg",
        "images/a.html",
    ],
)
def test_unsafe_image_path_is_refused_by_the_model_and_the_database(bls, path):
    image = CourseImage(course=bls, path=path, content_type="image/svg+xml", data=b"x")
    with pytest.raises(ValidationError) as error:
        image.full_clean()
    assert "path" in error.value.message_dict
    good = CourseImage.objects.create(
        course=bls, path="images/good.svg", content_type="image/svg+xml", data=b"x"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseImage.objects.filter(pk=good.pk).update(path=path)
    good.refresh_from_db()
    assert good.path == "images/good.svg"


# --- export writes only inside its folder ---------------------------------------------


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_export_refuses_an_absolute_course_slug_and_writes_nothing(tree, tmp_path):
    content_sync(root=tree)
    # A short absolute folder: the slug column holds 50 characters on PostgreSQL.
    parent = Path(tempfile.mkdtemp(prefix="lx"))
    try:
        outside = parent / "abs"
        Course.objects.filter(slug="acls").update(slug=str(outside))
        out = tmp_path / "export"
        with pytest.raises(CommandError, match="outside the export folder"):
            call_command("export_content", str(out))
        assert not outside.exists()
        assert not out.exists() or files_under(out) == []
    finally:
        shutil.rmtree(parent)


@pytest.mark.parametrize(
    ("model", "slug"),
    [(Course, ".."), (Module, "../../../escaped"), (Lesson, "../../../escaped")],
)
def test_export_refuses_dot_dot_in_any_name_and_writes_nothing(
    tree, tmp_path, model, slug
):
    content_sync(root=tree)
    row = model.objects.order_by("pk").first()
    model.objects.filter(pk=row.pk).update(slug=slug)
    out = tmp_path / "a" / "b" / "export"
    with pytest.raises(CommandError, match=r"'\.\.'|outside the export folder"):
        call_command("export_content", str(out))
    assert files_under(tmp_path / "a") in ([], ["b"])
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "a" / "escaped").exists()


def test_export_refuses_a_symlinked_folder_inside_the_export_root(tree, tmp_path):
    content_sync(root=tree)
    out = tmp_path / "export"
    elsewhere = tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "bls").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(CommandError, match="is a symbolic link"):
        call_command("export_content", str(out))
    assert files_under(elsewhere) == []
    assert files_under(out) == ["bls"]


def test_export_does_not_write_through_a_symlinked_file(tree, tmp_path, secret):
    content_sync(root=tree)
    out = tmp_path / "export"
    (out / "bls").mkdir(parents=True)
    (out / "bls/course.md").symlink_to(secret)
    with pytest.raises(CommandError, match="is a symbolic link"):
        call_command("export_content", str(out))
    assert FAKE_SECRET in secret.read_text()
