"""The training cutoffs' labelled rows as one frame, without holding them twice."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.intent.names import INTENT_FEATURES


def stack_rows(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(pieces, ignore_index=True)`` of labelled rows (the intent features side by side, in
    :data:`INTENT_FEATURES` order), emptying ``pieces``: each piece's features are let go of once copied.
    A concat holds every piece and the whole copy at once: at 100k customers ~0.5 GB of training rows
    twice, the intent pipeline's peak."""
    features = list(INTENT_FEATURES)
    order = list(pieces[0].columns)
    at = order.index(features[0])
    if order[at : at + len(features)] != features:
        raise ValueError("the intent features are not side by side in the labelled rows")
    # Laid out as a concat lays out the float block (one row of it per feature), so the fit reads the
    # rows from the same layout.
    block = np.empty((len(features), sum(len(piece) for piece in pieces)))
    others, start = [], 0
    while pieces:
        piece = pieces.pop(0)
        block[:, start : start + len(piece)] = piece[features].to_numpy(dtype=np.float64).T
        start += len(piece)
        others.append(piece.drop(columns=features))
        del piece
    rest = pd.concat(others, ignore_index=True)
    del others
    frame = pd.DataFrame(block.T, columns=features, copy=False)
    for i, name in enumerate(order[:at]):
        frame.insert(i, name, rest[name])
    for name in order[at + len(features) :]:
        frame[name] = rest[name]
    return frame
