"""E-mail channel: inbound SMTP, IMAP import, parsing, threading, replies."""
