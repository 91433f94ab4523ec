"""MBG/NBD: the modified BG/NBD (Batislam, Denizel & Filiztekin 2007; Hoppe & Wagner 2007's "MBG").

Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for customer base
analysis", International Journal of Research in Marketing 24(3), 201-209; Hoppe & Wagner (2007),
"Customer base analysis: the case for a central variant of the Betageometric/NBD model", Marketing -
Journal of Research and Management 3(2), 75-90. Same story as BG/NBD, except that the customer may also
drop out right after her *first* purchase. The likelihood becomes

    L = Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x+1) / B(a, b)
        * [ (alpha+T)^-(r+x) + a / (b+x) * (alpha+t_x)^-(r+x) ],

and P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)) is below 1 for x = 0 too: a customer
who bought once, long ago, is probably gone, which BG/NBD cannot say. The parameters are not comparable
one to one with BG/NBD's, since ``a``, ``b`` now also cover the drop-out after the first purchase.
"""

from __future__ import annotations

from typing import ClassVar

from features.btyd.beta_geometric import BetaGeometricNBD


class MBGNBD(BetaGeometricNBD):
    """MBG/NBD model, with the interface of :class:`~features.btyd.bgnbd.BGNBD`."""

    SHIFT: ClassVar[int] = 1
