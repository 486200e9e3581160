"""Discrete-event simulator driving the production domain."""

from standardiste.native import enable

# engine, collector and variates are compiled with the domain when the build is fresh.
enable(__name__, __path__)
