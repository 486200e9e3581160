"""Contact-centre domain: routing, state machines, Erlang and KPI definitions."""

from standardiste.domain.native import enable

# The compiled build (see native.py) is used only while it matches these sources.
enable(__name__, __path__)
