"""Postal-mail channel: scanned letters become routed `mail` work items.

Flow: upload (`web/api/mail.py`) or watched folder (`watcher.py`) -> `LetterIntake` stages the
file (magic bytes, size cap, SHA-256), installs it durably under `<data_dir>/mail/letters/<id>/`,
renders pages (`pages.py`: pdftoppm, Pillow), reads them (`ocr.py`: Tesseract fra+eng), routes by
keyword (`routing_rules.py`) and commits through `MailAdapter` (`mail.received` +
`CentreService.create_interaction`). Only then does the watcher move the source to `processed/`.
The letter id is derived from the content hash, and the interaction id from the letter id, so a
scan dropped twice or a crash at any step yields exactly one work item.
"""

from standardiste.channels.mail.adapter import MAIL_RECEIVED, MailAdapter, Outcome
from standardiste.channels.mail.channel import MailChannel
from standardiste.channels.mail.config import MailSettings, build_mail_router, problems
from standardiste.channels.mail.intake import LetterIntake
from standardiste.channels.mail.model import POSTAL_MAIL_SKILL, IntakeResult, LetterReceived

__all__ = [
    "MAIL_RECEIVED",
    "POSTAL_MAIL_SKILL",
    "IntakeResult",
    "LetterIntake",
    "LetterReceived",
    "MailAdapter",
    "MailChannel",
    "MailSettings",
    "Outcome",
    "build_mail_router",
    "problems",
]
