"""Champion reload: a moved alias is picked up without a restart; a version that fails to load, or a
registry that cannot be reached, leaves the live model serving."""

from __future__ import annotations

import threading

from serving.champions import Champions


class Registry:
    def __init__(self) -> None:
        self.aliases: dict[str, str | None] = {"recommender": "1", "intent": None}
        self.broken: set[str] = set()
        self.down = False

    def version_of(self, name: str) -> str | None:
        if self.down:
            raise ConnectionError("registry down")
        return self.aliases.get(name)

    def load(self, uri: str) -> object:
        if uri in self.broken:
            raise OSError("artifact missing")
        return {"uri": uri}


def _champions(registry: Registry) -> Champions:
    return Champions("sqlite:///unused", batch=(), loader=registry.load, version_of=registry.version_of)


def test_alias_moves_are_picked_up_and_failures_keep_the_live_version() -> None:
    registry = Registry()
    champions = _champions(registry)
    assert champions.refresh() == {"recommender": "1"}
    ready, detail = champions.status()
    assert ready and detail["models"]["intent"] == {
        "version": None,
        "error": "no intent@champion in the registry",
    }
    assert champions.refresh() == {}  # nothing moved: nothing reloaded

    registry.aliases["recommender"] = "2"
    registry.broken.add("models:/recommender/2")
    assert champions.refresh() == {}
    live = champions.model("recommender")
    assert live is not None and live.version == "1"
    assert "v2 failed to load" in champions.status()[1]["models"]["recommender"]["error"]

    registry.down = True
    assert champions.refresh() == {} and champions.model("recommender").version == "1"
    assert "registry unreachable" in champions.status()[1]["models"]["recommender"]["error"]

    registry.down = False
    registry.broken.clear()
    assert champions.refresh() == {"recommender": "2"}
    assert champions.model("recommender").model == {"uri": "models:/recommender/2"}
    assert champions.status()[1]["models"]["recommender"]["error"] is None


def test_not_ready_until_a_recommender_is_live() -> None:
    registry = Registry()
    registry.aliases["recommender"] = None
    champions = _champions(registry)
    champions.refresh()
    assert champions.status()[0] is False


def test_the_poller_reloads_in_the_background() -> None:
    registry = Registry()
    champions = _champions(registry)
    champions.refresh()
    registry.aliases["recommender"] = "3"
    stop = threading.Event()
    thread = champions.poll(0.01, stop)
    for _ in range(500):
        if champions.model("recommender").version == "3":
            break
        stop.wait(0.01)
    stop.set()
    thread.join(1)
    assert champions.model("recommender").version == "3"


def test_a_model_that_fails_its_warm_up_request_never_goes_live() -> None:
    registry = Registry()
    champions = _champions(registry)
    champions.refresh()

    def refuse_v2(name: str, model: dict) -> None:
        if model["uri"].endswith("/2"):
            raise ValueError("reads 41 features, the code builds 43")

    champions.check = refuse_v2
    registry.aliases["recommender"] = "2"
    assert champions.refresh() == {}
    assert champions.model("recommender").version == "1"
    assert "43" in champions.status()[1]["models"]["recommender"]["error"]
