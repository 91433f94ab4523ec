"""Where a part of the data set numbers its ids: generated in customer chunks, each chunk's ids start
after the previous chunks' and keep one width, so they stay unique across the whole data set."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from features.synth.ids import id_width


@dataclass(frozen=True)
class IdBlock:
    """Ids of one kind numbered from ``offset + 1``, at least ``width`` digits wide."""

    offset: int = 0
    width: int = 0  # 0: as wide as the block's own numbers need, the width of a data set made in one piece

    def numbers(self, count: int) -> np.ndarray:
        return np.arange(1, count + 1, dtype=np.int64) + self.offset

    def width_for(self, count: int, minimum: int) -> int:
        # Never narrower than the numbers: should a chunk outgrow the planned width, its ids get longer
        # but stay unique (a different length is a different string).
        return max(self.width, id_width(self.offset + count, minimum))


@dataclass(frozen=True)
class IdBlocks:
    """One block per numbered kind of id; the defaults number a data set made in one piece."""

    customer: IdBlock = IdBlock()
    order: IdBlock = IdBlock()
    ret: IdBlock = IdBlock()  # return orders (R…)
    contact: IdBlock = IdBlock()
    event: IdBlock = IdBlock()
    session: IdBlock = IdBlock()
    visitor: IdBlock = IdBlock()


# The narrowest id of each kind, as the one-piece numbering has it.
MINIMUM_WIDTH: dict[str, int] = {
    "customer": 6,
    "order": 7,
    "ret": 6,
    "contact": 8,
    "event": 9,
    "session": 8,
    "visitor": 7,
}


def planned(counts: dict[str, int], scale: float) -> IdBlocks:
    """Blocks for chunks of which the first used ``counts``, ``scale`` times as many in all: widths
    from the projected totals with room to spare, so every chunk's ids look alike."""
    # Customers are counted exactly (chunks split them); the rest are projected with a margin.
    margin = {f.name: 1.0 if f.name == "customer" else 1.25 for f in fields(IdBlocks)}
    return IdBlocks(
        **{
            f.name: IdBlock(
                0, id_width(round(counts[f.name] * scale * margin[f.name]), MINIMUM_WIDTH[f.name])
            )
            for f in fields(IdBlocks)
        }
    )


def after(blocks: IdBlocks, counts: dict[str, int]) -> IdBlocks:
    """The blocks of the next chunk: each kind starts after the ids this chunk used."""
    return IdBlocks(
        **{
            f.name: replace(getattr(blocks, f.name), offset=getattr(blocks, f.name).offset + counts[f.name])
            for f in fields(IdBlocks)
        }
    )
