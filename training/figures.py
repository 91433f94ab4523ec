"""Matplotlib figures made when a run logs its plots: Matplotlib (~30 MB) is imported then, not with the
training modules, so that it does not add to a pipeline's peak (``train all`` in 1.5 GB at 100,000
customers, issue 13).

Figure objects, not pyplot: no global backend state, nothing to set at import, no screen needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure(**options: Any) -> Figure:
    from matplotlib.figure import Figure

    return Figure(**options)
