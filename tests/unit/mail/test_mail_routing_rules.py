"""Keyword routing on OCR text and service-level due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from standardiste.channels.mail.routing_rules import KeywordRule, MailRouter, normalise

PARIS = ZoneInfo("Europe/Paris")


def router(**kw: object) -> MailRouter:
    rules = [
        KeywordRule("impots", ("impôt", "avis d'imposition", "revenu")),
        KeywordRule("recouvrement", ("paiement", "échéancier", "relance", "revenu")),
    ]
    return MailRouter(rules, "general", **kw)  # type: ignore[arg-type]


def ts(y: int, m: int, d: int, h: int = 10) -> float:
    return datetime(y, m, d, h, tzinfo=PARIS).timestamp()


def test_normalise_folds_case_accents_and_punctuation() -> None:
    assert normalise("Avis d'IMPÔT — Échéancier!") == "avis d impot echeancier"
    assert normalise("VŒU ﬁscal, Cæcum") == "voeu fiscal caecum"  # NFKD splits the fi ligature


def test_normalise_joins_words_hyphenated_across_lines() -> None:
    assert normalise("votre échéan-\n  cier de paiement") == "votre echeancier de paiement"


def test_route_matches_accentless_ocr_text() -> None:
    decision = router().route("OBJET : RECLAMATION IMPOT SUR LE REVENU")
    assert decision.queue_id == "impots"
    assert decision.matched == ("impot", "revenu")
    assert decision.rule == 0


def test_route_prefers_most_keyword_hits() -> None:
    text = "Je demande un echeancier de paiement suite a la relance sur mon revenu"
    decision = router().route(text)
    assert decision.queue_id == "recouvrement"
    assert set(decision.matched) == {"paiement", "echeancier", "relance", "revenu"}


def test_route_ties_go_to_the_earlier_rule() -> None:
    assert router().route("revenu").queue_id == "impots"


def test_route_phrase_keyword_spans_line_breaks() -> None:
    decision = router().route("suite à votre avis\nd'imposition du 3 mars")
    assert decision.queue_id == "impots"
    assert "avis d imposition" in decision.matched


def test_route_needs_whole_words() -> None:
    # "impotence" must not match "impot"; "paiements" is another word (list plurals in config).
    assert router().route("impotence paiements").queue_id == "general"


def test_route_without_text_uses_the_default_queue() -> None:
    decision = router().route("")
    assert (decision.queue_id, decision.matched, decision.rule) == ("general", (), None)


def test_due_date_in_calendar_days_ends_at_local_midnight() -> None:
    r = router(service_days={"impots": 15}, default_days=30)
    due = r.due("impots", ts(2026, 3, 2))
    assert due.date == date(2026, 3, 17)
    assert datetime.fromtimestamp(due.at, PARIS) == datetime(2026, 3, 18, 0, 0, tzinfo=PARIS)
    assert r.due("other", ts(2026, 3, 2)).date == date(2026, 4, 1)


def test_due_date_uses_local_day_not_utc() -> None:
    # 23:30 UTC on 31 Jan is already 1 Feb in Paris.
    received = datetime(2026, 1, 31, 23, 30, tzinfo=UTC).timestamp()
    assert router(default_days=1).due("x", received).date == date(2026, 2, 2)


def test_due_date_in_business_days_skips_weekends_and_holidays() -> None:
    r = router(default_days=3, business_days=True, holidays=[date(2026, 5, 1)])
    # Thursday 30 April: Fri 1 May is a holiday, then the weekend -> Mon 4, Tue 5, Wed 6.
    assert r.due("x", ts(2026, 4, 30)).date == date(2026, 5, 6)
    # Received on a Saturday: counting starts on Monday.
    assert r.due("x", ts(2026, 5, 9)).date == date(2026, 5, 13)


def test_due_date_across_dst_change_ends_at_local_midnight() -> None:
    r = router(default_days=1)
    due = r.due("x", ts(2026, 3, 28))  # clocks go forward on 29 March
    assert due.date == date(2026, 3, 29)
    assert due.at - ts(2026, 3, 29, 0) == 23 * 3600


@given(
    received=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    days=st.integers(min_value=0, max_value=60),
    business=st.booleans(),
)
def test_due_date_properties(received: datetime, days: int, business: bool) -> None:
    r = router(default_days=days, business_days=business)
    stamp = received.replace(tzinfo=UTC).timestamp()
    due = r.due("x", stamp)
    day0 = datetime.fromtimestamp(stamp, PARIS).date()
    assert due.at > stamp
    if not business:
        assert due.date == day0 + timedelta(days=days)
    else:
        assert due.date >= day0 + timedelta(days=days)
        if days:
            assert due.date.weekday() < 5
            span = (day0 + timedelta(days=i) for i in range(1, (due.date - day0).days + 1))
            assert sum(d.weekday() < 5 for d in span) == days
