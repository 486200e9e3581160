"""Event kinds the e-mail channel appends to the log (data keys documented per kind)."""

from __future__ import annotations

# interaction_id (None when attached to nothing), conversation_id, reference, spool_id, source
# ("smtp"/"imap"), message_id, from, from_name, reply_to, to, cc, subject, date, size,
# thread_via, routed, attachments, defects, preview, auto_submitted, imap (mailbox/uidvalidity/uid)
EMAIL_RECEIVED = "email.received"
# interaction_id, conversation_id, reply_id, message_id, to, cc, subject, automatic, agent_id
EMAIL_REPLY_QUEUED = "email.reply_queued"
# interaction_id, reply_id, message_id, attempts, response
EMAIL_SENT = "email.sent"
# interaction_id, reply_id, attempts, error, next_at
EMAIL_SEND_DEFERRED = "email.send_deferred"
# interaction_id, reply_id, attempts, error (the relay refused for good, or we gave up)
EMAIL_FAILED = "email.failed"
# interaction_id, reply_id, message_id, recipients, status, diagnostic, spool_id
EMAIL_BOUNCED = "email.bounced"
# mailbox, status (ok/unreachable/auth_failed/error), message
EMAIL_IMAP_STATUS = "email.imap_status"

EMAIL_KINDS = frozenset(
    {
        EMAIL_RECEIVED,
        EMAIL_REPLY_QUEUED,
        EMAIL_SENT,
        EMAIL_SEND_DEFERRED,
        EMAIL_FAILED,
        EMAIL_BOUNCED,
        EMAIL_IMAP_STATUS,
    }
)
