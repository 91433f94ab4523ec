"""BG/NBD: the beta-geometric / negative binomial model of repeat buying (Fader, Hardie & Lee 2005).

"Counting your customers the easy way: an alternative to the Pareto/NBD model", Marketing Science
24(2), 275-284. While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase she drops out with probability p ~ Beta(a, b). Drop-out tied to purchases (instead of the
Pareto/NBD's continuous-time death) gives a closed-form likelihood (eq. 6) that needs no Gaussian
hypergeometric function, so the model fits in milliseconds. Its known quirk: a customer with no repeat
purchase (x = 0) is certainly alive (P(alive) = 1), however long ago she bought; MBG/NBD
(:mod:`features.btyd.mbgnbd`) removes it.

On the CDNOW sample (2,357 customers, 39-week calibration, time in weeks) the paper reports r = 0.243,
alpha = 4.414, a = 0.793, b = 2.426; this implementation gives the same to 3 decimals (see
``tests/features/test_btyd.py``).
"""

from __future__ import annotations

from typing import ClassVar

from features.btyd.beta_geometric import BetaGeometricNBD


class BGNBD(BetaGeometricNBD):
    """BG/NBD model. ``BGNBD(penalizer=0.0).fit(x, t_x, T)`` then ``r_, alpha_, a_, b_``, ``params_``,
    :meth:`probability_alive`, :meth:`conditional_expected_purchases`,
    :meth:`unconditional_expected_purchases`."""

    SHIFT: ClassVar[int] = 0
