"""Contact-centre domain: routing, state machines, Erlang and KPI definitions."""

from standardiste.native import enable

# The compiled build (standardiste/native.py: a loader, not domain logic) is used only while
# it matches these sources.
enable(__name__, __path__)
