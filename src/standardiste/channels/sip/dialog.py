"""Dialog state (Call-ID, tags, CSeq, route set, remote target) per RFC 3261 §12."""

from __future__ import annotations

import random

from .errors import DialogError
from .headers import Headers
from .message import SipRequest, SipResponse
from .transaction import Addr
from .txlayer import new_branch
from .uri import Address, SipUri

DialogId = tuple[str, str, str]  # (Call-ID, local tag, remote tag)


def uri_addr(uri: SipUri) -> Addr:
    """Resolve a SIP URI to a UDP destination (maddr, then host; default port 5060)."""
    host = uri.param("maddr") or uri.host
    return (host.strip("[]"), uri.port or 5060)


class Dialog:
    """One side's view of a dialog; builds in-dialog requests and checks incoming ones."""

    def __init__(
        self,
        call_id: str,
        local: Address,
        remote: Address,
        remote_target: SipUri,
        route_set: list[Address],
        local_seq: int,
        remote_seq: int | None,
        contact: Address,
        sent_by: str,
    ) -> None:
        self.call_id = call_id
        self.local = local
        self.remote = remote
        self.remote_target = remote_target
        self.route_set = route_set
        self.local_seq = local_seq
        self.remote_seq = remote_seq
        self.contact = contact
        self.sent_by = sent_by

    @property
    def id(self) -> DialogId:
        """Return (Call-ID, local tag, remote tag)."""
        return (self.call_id, self.local.tag or "", self.remote.tag or "")

    @classmethod
    def as_uas(cls, request: SipRequest, local_tag: str, contact: Address, sent_by: str) -> Dialog:
        """Create the UAS dialog when answering ``request`` (§12.1.1)."""
        contacts = request.contacts
        if not contacts:
            raise DialogError("dialog-creating request without Contact")
        routes = [Address.parse(r) for r in request.headers.get_all("Record-Route")]
        return cls(
            request.call_id,
            request.to.with_tag(local_tag),
            request.from_,
            contacts[0].uri,
            routes,
            random.randint(1, 2**30),
            request.cseq[0],
            contact,
            sent_by,
        )

    @classmethod
    def as_uac(
        cls, request: SipRequest, response: SipResponse, contact: Address, sent_by: str
    ) -> Dialog:
        """Create the UAC dialog from a 18x/2xx to ``request`` (§12.1.2: route set reversed)."""
        contacts = response.contacts
        target = contacts[0].uri if contacts else request.uri
        routes = [Address.parse(r) for r in response.headers.get_all("Record-Route")]
        routes.reverse()
        return cls(
            request.call_id,
            request.from_,
            response.to,
            target,
            routes,
            request.cseq[0],
            None,
            contact,
            sent_by,
        )

    def destination(self) -> Addr:
        """Return the next hop: the first route (loose routing, §12.2.1.1) or the target."""
        if self.route_set:
            return uri_addr(self.route_set[0].uri)
        return uri_addr(self.remote_target)

    def new_request(
        self,
        method: str,
        body: bytes = b"",
        content_type: str | None = None,
        extra: list[tuple[str, str]] | None = None,
        cseq: int | None = None,
    ) -> SipRequest:
        """Build an in-dialog request with a fresh branch (§12.2.1.1)."""
        if cseq is None:
            self.local_seq += 1
            cseq = self.local_seq
        headers = Headers()
        headers.add("Via", f"SIP/2.0/UDP {self.sent_by};branch={new_branch()};rport")
        headers.add("Max-Forwards", "70")
        for route in self.route_set:
            headers.add("Route", str(route))
        headers.add("From", str(self.local))
        headers.add("To", str(self.remote))
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{cseq} {method}")
        if method not in ("ACK", "CANCEL", "BYE"):
            headers.add("Contact", str(self.contact))
        for name, value in extra or ():
            headers.add(name, value)
        if body:
            headers.add("Content-Type", content_type or "application/sdp")
        return SipRequest(method, self.remote_target, headers, body)

    def ack(self, invite_cseq: int, body: bytes = b"") -> SipRequest:
        """Build the ACK for a 2xx: its own transaction, CSeq of the INVITE (§13.2.2.4)."""
        return self.new_request("ACK", body, cseq=invite_cseq)

    def accept_request(self, request: SipRequest) -> bool:
        """Check CSeq ordering and refresh the target (§12.2.2); False means answer 500."""
        num = request.cseq[0]
        if request.method not in ("ACK", "CANCEL"):
            if self.remote_seq is not None and num <= self.remote_seq:
                return False
            self.remote_seq = num
        if request.method == "INVITE" and request.contacts:
            self.remote_target = request.contacts[0].uri  # target refresh (§12.2.2)
        return True

    def refresh_target(self, response: SipResponse) -> None:
        """Take a new remote target from a 2xx to a re-INVITE (§12.2.1.2)."""
        if response.contacts:
            self.remote_target = response.contacts[0].uri
