"""Parsing: normal messages, headers, and a hostile corpus that must stay safe."""

from __future__ import annotations

from datetime import UTC, datetime

import email_corpus as corpus

from standardiste.channels.email.parse import attachment_bytes, parse_email


def test_simple_message_fields() -> None:
    raw = corpus.simple(
        subject="=?utf-8?q?Avis_d=27imp=C3=B4t?=",
        In_Reply_To="<Prev@Host>",
        References="<root@h> <prev@host>",
        Cc="Paul <paul@example.org>",
    )
    parsed = parse_email(raw)
    assert parsed.from_addr == "jeanne@example.org"
    assert parsed.from_name == "Jeanne Martin"
    assert parsed.to == ("contact@impots.example",)
    assert parsed.cc == ("paul@example.org",)
    assert parsed.subject == "Avis d'impôt"
    assert parsed.message_id == "<m1@example.org>"
    assert parsed.in_reply_to == ("<prev@host>",)
    assert parsed.thread_ids == ("<prev@host>", "<root@h>")
    assert parsed.date == datetime(2026, 11, 29, 8, tzinfo=UTC).timestamp()
    assert parsed.text.strip() == "Bonjour"
    assert parsed.defects == ()


def test_auto_headers_are_read() -> None:
    raw = corpus.simple(
        Auto_Submitted="auto-replied; owner-email=x@y",
        Precedence="Bulk",
        List_Id="<news.example.org>",
        X_Auto_Response_Suppress="DR, OOF",
    )
    parsed = parse_email(raw)
    assert parsed.auto_submitted == "auto-replied"
    assert parsed.precedence == "bulk"
    assert parsed.list_id == "<news.example.org>"
    assert parsed.suppress_autoreply


def test_missing_boundary_falls_back_to_text() -> None:
    parsed = parse_email(corpus.missing_boundary())
    assert "visible text" in parsed.text
    assert "NoBoundaryInMultipartDefect" in parsed.defects


def test_wrong_charset_decodes_with_fallback() -> None:
    parsed = parse_email(corpus.wrong_charset())
    assert "déclaré" in parsed.text
    assert any(d.startswith("charset") for d in parsed.defects)


def test_eight_bit_headers_are_repaired() -> None:
    parsed = parse_email(corpus.eight_bit_headers())
    assert parsed.from_name == "Jérôme Dupré"
    assert parsed.subject == "impôt sur le revenu"


def test_hundred_nested_parts_reach_the_text() -> None:
    parsed = parse_email(corpus.nested(100))
    assert parsed.text.strip() == "deep text"


def test_nesting_beyond_the_cap_is_flagged_not_raised() -> None:
    parsed = parse_email(corpus.nested(300))
    assert "too_deep" in parsed.defects


def test_hundred_sibling_attachments_are_listed() -> None:
    parsed = parse_email(corpus.many_parts(100))
    assert parsed.text.strip() == "see attached"
    assert len(parsed.attachments) == 100
    assert parsed.attachments[99].filename == "f99.bin"
    assert parsed.attachments[0].size == 2


def test_25_mb_attachment_is_capped_not_decoded() -> None:
    raw = corpus.big_attachment(25 * 1024 * 1024)
    parsed = parse_email(raw, attachment_cap=20 * 1024 * 1024)
    (att,) = parsed.attachments
    assert att.oversize and att.filename == "avis.pdf"
    assert abs(att.size - 25 * 1024 * 1024) < 1024 * 1024
    assert attachment_bytes(raw, att.index, cap=20 * 1024 * 1024) is None


def test_small_attachment_bytes_are_extracted() -> None:
    raw = corpus.big_attachment(1000)
    parsed = parse_email(raw)
    (att,) = parsed.attachments
    assert not att.oversize and att.size == 1000
    assert attachment_bytes(raw, att.index) == b"\x00\x01" * 500


def test_hostile_html_is_inert() -> None:
    parsed = parse_email(corpus.hostile_html())
    assert parsed.html is not None
    lowered = parsed.html.lower()
    for vector in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "<svg",
                   "<form", "tracker.example", "<style"):  # fmt: skip
        assert vector not in lowered, vector
    assert 'href="https://impots.gouv.fr"' in parsed.html
    assert "Bonjour" in parsed.text and "steal" not in parsed.text


def test_garbage_never_raises() -> None:
    for raw in (b"", b"\x00\xff" * 100, b"Subject: \xff\r\n\r\n", b"From: <<<@@@>>>\r\n\r\nx",
                b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
                b"Date: not a date\r\nMessage-ID: nope\r\n\r\nx"):  # fmt: skip
        parsed = parse_email(raw)
        assert isinstance(parsed.text, str)
        assert parsed.date is None
        assert parsed.message_id is None


def test_encoded_attachment_filename_is_decoded() -> None:
    raw = (
        b"From: a@example.org\r\nSubject: f\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nvoir\r\n--B\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="=?utf-8?q?avis_d=27imp=C3=B4t.pdf?="\r\n\r\n'
        b"%PDF\r\n--B--\r\n"
    )
    (att,) = parse_email(raw).attachments
    assert att.filename == "avis d'impôt.pdf" and att.content_type == "application/pdf"
