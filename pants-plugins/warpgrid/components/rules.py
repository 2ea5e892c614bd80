"""Every component rule (C for now)."""

from warpgrid.components import c


def rules():
    return [*c.rules()]
