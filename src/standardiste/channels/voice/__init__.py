"""Voice channel: the B2BUA handler that puts calls into the centre (IVR, queue, agent phones).

- ``config``: the ``[voice]`` section (entry numbers, menus, SIP passwords, static contacts).
- ``ivr``: notice, DTMF menu, position announcements, opening hours.
- ``adapter``: ``VoiceAdapter``, the B2BUA handler and ``CentreService`` listener.
- ``recording``: on-demand recordings through governance and the media plane.
- ``wiring``: ``wire_voice(runtime)``.
"""
