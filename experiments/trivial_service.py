"""The ceiling for ``experiments/bench_serving.py``: a BentoML endpoint that does nothing.

Served the same way as Cible (one worker, same BentoML, same machine), its saturated throughput is what
the framework alone allows; Cible's endpoints are measured against it.
"""

from __future__ import annotations

import bentoml


@bentoml.service(name="trivial")
class Trivial:
    @bentoml.api
    async def ping(self, x: int = 0) -> dict:
        return {"x": x}
