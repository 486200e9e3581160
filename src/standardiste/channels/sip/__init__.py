"""SIP over UDP (RFC 3261): protocol engine, registrar and B2BUA call model.

Layers, bottom up (protocol code knows nothing of routing):

- ``uri``, ``headers``, ``message``: parse/serialise; malformed input raises ``SipParseError``.
- ``sdp``, ``offer_answer``: RFC 4566 bodies, RFC 3264 negotiation, hold detection.
- ``timers``, ``transaction``, ``txlayer``: RFC 3261 §17 transactions, injectable scheduler.
- ``transport``: ``SipEndpoint`` (asyncio UDP), 400/drop for malformed datagrams, OPTIONS.
- ``dialog``, ``leg``, ``caller``, ``agent``, ``call``: dialogs and the two kinds of call leg.
- ``b2bua``: the engine and the handler hooks (see its docstring); ``events``: hook payloads.
- ``digest``, ``registrar``: REGISTER with digest (MD5, SHA-256), bindings, static contacts.
- ``passthrough``: reference handler that bridges SDP between legs (tests, benchmarks).
"""
