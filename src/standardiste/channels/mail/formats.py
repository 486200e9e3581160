"""Recognise scanned-letter formats by their magic bytes, never by file name."""

from __future__ import annotations

import enum

from standardiste.channels.mail.errors import EmptyLetter, UnsupportedFormat

#: Bytes to read from the head of a file to recognise it.
SNIFF_BYTES = 16


class LetterFormat(enum.StrEnum):
    """Accepted scan formats; the value is the stored file extension."""

    PDF = "pdf"
    TIFF = "tiff"
    PNG = "png"
    JPEG = "jpeg"

    @property
    def media_type(self) -> str:
        """Return the IANA media type."""
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    LetterFormat.PDF: "application/pdf",
    LetterFormat.TIFF: "image/tiff",
    LetterFormat.PNG: "image/png",
    LetterFormat.JPEG: "image/jpeg",
}

# Signatures: PDF 1.7 (ISO 32000-1 §7.5.2) header "%PDF-"; PNG (RFC 2083 §3.1) 8-byte signature;
# JPEG SOI marker FFD8 followed by a marker byte FF; TIFF 6.0 §2 byte order "II" or "MM" then 42
# (BigTIFF uses 43, which Pillow also reads).
_SIGNATURES: tuple[tuple[bytes, LetterFormat], ...] = (
    (b"%PDF-", LetterFormat.PDF),
    (b"\x89PNG\r\n\x1a\n", LetterFormat.PNG),
    (b"\xff\xd8\xff", LetterFormat.JPEG),
    (b"II*\x00", LetterFormat.TIFF),
    (b"MM\x00*", LetterFormat.TIFF),
    (b"II+\x00", LetterFormat.TIFF),
    (b"MM\x00+", LetterFormat.TIFF),
)


def sniff(head: bytes) -> LetterFormat:
    """Return the format of a file from its first bytes, or raise UnsupportedFormat."""
    if not head:
        raise EmptyLetter("the file is empty")
    for magic, fmt in _SIGNATURES:
        if head.startswith(magic):
            return fmt
    raise UnsupportedFormat("not a PDF, TIFF, PNG or JPEG file", head_hex=head[:SNIFF_BYTES].hex())
