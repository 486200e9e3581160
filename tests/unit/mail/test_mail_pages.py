"""Page rendering limits and per-page OCR status."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from mail_fakes import MailChannel, chunks_of, encode, render_page
from PIL import Image

from standardiste.channels.mail.formats import LetterFormat
from standardiste.channels.mail.ocr import PAGE_BREAK, OcrResult, PageText, TesseractOcr
from standardiste.channels.mail.pages import PageRenderer


async def test_oversized_page_is_refused_before_decoding(tmp_path: Path) -> None:
    # 9000 x 9000 bilevel pixels compress to a few kB but would decode to 81 Mpx (under
    # Pillow's own 89 Mpx alarm, over our 40 Mpx cap).
    bomb = tmp_path / "bomb.png"
    Image.new("1", (9000, 9000), 1).save(bomb)
    assert bomb.stat().st_size < 100_000
    result = await PageRenderer(max_pixels=40_000_000).render(
        bomb, LetterFormat.PNG, tmp_path / "pages"
    )
    assert result.status == "failed"
    assert "9000x9000" in (result.error or "")
    assert not (tmp_path / "pages").exists()


async def test_jpeg_orientation_is_applied(tmp_path: Path) -> None:
    img = Image.new("RGB", (200, 100), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    out = BytesIO()
    img.save(out, format="JPEG", exif=exif)
    src = tmp_path / "photo.jpeg"
    src.write_bytes(out.getvalue())
    result = await PageRenderer().render(src, LetterFormat.JPEG, tmp_path / "pages")
    assert (result.status, result.pages) == ("ok", 1)
    with Image.open(tmp_path / "pages" / "0001.png") as page:
        assert page.size == (100, 200)


async def test_rerender_replaces_pages_atomically(tmp_path: Path) -> None:
    src = tmp_path / "scan.tiff"
    src.write_bytes(encode([Image.new("L", (50, 40), 255)] * 3, "TIFF"))
    renderer = PageRenderer()
    first = await renderer.render(src, LetterFormat.TIFF, tmp_path / "pages")
    src.write_bytes(encode([Image.new("L", (50, 40), 255)], "TIFF"))
    second = await renderer.render(src, LetterFormat.TIFF, tmp_path / "pages")
    assert (first.pages, second.pages) == (3, 1)
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == ["0001.png"]
    assert sorted(os.listdir(tmp_path)) == ["pages", "scan.tiff"]  # no work dir left


async def test_ocr_reports_each_page(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    render_page(["Madame"], size=40, width=500).save(good)
    result = await TesseractOcr().read_pages([good, tmp_path / "missing.png"])
    assert result.status == "partial"
    assert [p.status for p in result.pages] == ["ok", "failed"]
    assert "madame" in result.pages[0].text.lower()
    assert result.error is not None and result.error.startswith("page 2:")
    assert result.text == result.pages[0].text  # failed pages add nothing
    assert (await TesseractOcr().read_pages([])).status == "no_pages"


def test_ocr_result_round_trips_and_joins_pages() -> None:
    r = OcrResult("ok", (PageText(1, "ok", "un"), PageText(2, "ok", "deux")))
    assert OcrResult.from_dict(r.as_dict()) == r
    assert r.text == f"un{PAGE_BREAK}deux"


async def test_upload_keeps_only_the_base_name(channel: MailChannel) -> None:
    data = encode([Image.new("L", (30, 30), 200)], "PNG")
    r = await channel.intake.ingest_stream(chunks_of(data), original_name="C:\\scans\\..\\x.png")
    received = channel.service.kinds("mail.received")[0].data
    assert received["original_name"] == "x.png"
    assert r.letter_id == received["letter_id"]
