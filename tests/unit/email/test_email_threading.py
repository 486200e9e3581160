"""Conversation matching over an injected index."""

from __future__ import annotations

from standardiste.channels.email.threading import (
    ThreadIndex,
    find_conversation,
    new_reference,
    reply_subject,
    subject_reference,
    with_reference,
)


def _index() -> ThreadIndex:
    index = ThreadIndex()
    index.add_reference("c1", "REF-7K3M9Q")
    index.add_message("c1", "<first@example.org>", "jeanne@example.org")
    index.add_message("c1", "<reply1@impots.example>")
    index.add_message("c2", "<other@example.org>", "paul@example.org")
    return index


def _find(**kw: object) -> object:
    args: dict[str, object] = {
        "in_reply_to": (), "references": (), "subject": "", "sender": "jeanne@example.org",
    }  # fmt: skip
    args.update(kw)
    match = find_conversation(lookup=_index(), **args)  # type: ignore[arg-type]
    return (match.conversation_id, match.via) if match else None


def test_in_reply_to_wins() -> None:
    assert _find(in_reply_to=("<REPLY1@impots.example>",)) == ("c1", "in-reply-to")


def test_references_walk_from_the_parent() -> None:
    refs = ("<first@example.org>", "<unknown@x>", "<other@example.org>")
    assert _find(references=refs) == ("c2", "references")


def test_unknown_ids_fall_back_to_subject_token() -> None:
    got = _find(in_reply_to=("<nope@x>",), subject="Re: avis [ref-7k3m9q]")
    assert got == ("c1", "subject")


def test_subject_token_from_a_stranger_is_ignored() -> None:
    assert _find(subject="Re: [REF-7K3M9Q]", sender="mallory@example.net") is None


def test_unknown_token_and_no_headers_is_new() -> None:
    assert _find(subject="Re: [REF-AAAAAA]") is None
    assert _find(subject="Bonjour") is None


def test_reference_helpers() -> None:
    ref = new_reference()
    assert ref.startswith("REF-") and len(ref) == 10
    assert not set(ref[4:]) & set("ILOU")
    assert subject_reference(f"x [{ref}]") == ref
    assert with_reference("Avis", ref) == f"Avis [{ref}]"
    assert with_reference(f"Avis [{ref}]", ref) == f"Avis [{ref}]"
    assert reply_subject(f"RE: Fwd: re: Avis [{ref}]", ref) == f"Re: Avis [{ref}]"
    assert reply_subject("", ref) == f"Re: [{ref}]"
