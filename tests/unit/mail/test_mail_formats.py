"""Format recognition by magic bytes and durable file helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mail_fakes import encode, render_page
from PIL import Image

from standardiste.channels.mail.durable import atomic_write, durable_move
from standardiste.channels.mail.errors import EmptyLetter, UnsupportedFormat
from standardiste.channels.mail.formats import LetterFormat, sniff


@pytest.mark.parametrize(
    ("pil_format", "expected"),
    [
        ("PNG", LetterFormat.PNG),
        ("JPEG", LetterFormat.JPEG),
        ("TIFF", LetterFormat.TIFF),
        ("PDF", LetterFormat.PDF),
    ],
)
def test_sniff_recognises_real_files(pil_format: str, expected: LetterFormat) -> None:
    data = encode([Image.new("L", (40, 30), 255)], pil_format)
    assert sniff(data[:16]) is expected


def test_sniff_big_endian_and_bigtiff_headers() -> None:
    assert sniff(b"MM\x00*\x00\x00\x00\x08") is LetterFormat.TIFF
    assert sniff(b"II+\x00\x08\x00\x00\x00") is LetterFormat.TIFF


@pytest.mark.parametrize(
    "head",
    [
        b"GIF89a\x01\x00\x01\x00",
        b"PK\x03\x04\x14\x00\x00\x00",  # zip / docx
        b"Dear Sir, please",
        b"<html><body>",
        b"%PD",  # truncated PDF header
        b"\x89PNG\r\n\x1a",  # truncated PNG signature
        b"\xff\xd8",  # SOI without a following marker
        b"MZ\x90\x00",  # Windows executable
    ],
)
def test_sniff_rejects_other_content(head: bytes) -> None:
    with pytest.raises(UnsupportedFormat) as info:
        sniff(head)
    assert info.value.error_id == "mail.unsupported_format"
    assert info.value.status == 415
    assert info.value.details["head_hex"] == head[:16].hex()


def test_sniff_empty_is_its_own_error() -> None:
    with pytest.raises(EmptyLetter):
        sniff(b"")


def test_format_ignores_the_file_name(tmp_path: Path) -> None:
    """A PNG named `.pdf` is a PNG: the name never decides."""
    path = tmp_path / "scan.pdf"
    path.write_bytes(encode([render_page(["x"])], "PNG"))
    assert sniff(path.read_bytes()[:16]) is LetterFormat.PNG


def test_media_types() -> None:
    assert LetterFormat.PDF.media_type == "application/pdf"
    assert LetterFormat.TIFF.media_type == "image/tiff"
    assert LetterFormat.JPEG.media_type == "image/jpeg"


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["a.json"]


def test_durable_move_never_overwrites(tmp_path: Path) -> None:
    dest_dir = tmp_path / "processed"
    for content in (b"first", b"second", b"third"):
        src = tmp_path / "scan.tar.pdf"
        src.write_bytes(content)
        durable_move(src, dest_dir)
        assert not src.exists()
    names = sorted(os.listdir(dest_dir))
    assert names == ["scan-1.tar.pdf", "scan-2.tar.pdf", "scan.tar.pdf"]
    assert (dest_dir / "scan.tar.pdf").read_bytes() == b"first"
    assert (dest_dir / "scan-2.tar.pdf").read_bytes() == b"third"
