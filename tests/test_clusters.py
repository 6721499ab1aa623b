"""Connected components: the NumPy path for micro-batches gives exactly SciPy's labels."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.identity import clusters
from pipelines.identity.clusters import components


def _links(pairs: list[tuple[int, int]]) -> pl.DataFrame:
    return pl.DataFrame({"left": [a for a, _ in pairs], "right": [b for _, b in pairs]},
                        schema={"left": pl.Int64, "right": pl.Int64})


def test_numpy_components_equal_scipys_on_random_graphs() -> None:
    rng = np.random.default_rng(11)
    big = clusters.SMALL_GRAPH
    for _ in range(300):
        n = int(rng.integers(1, 80))
        m = int(rng.integers(0, 2 * n))
        links = _links(list(zip(rng.integers(0, n, m).tolist(), rng.integers(0, n, m).tolist(), strict=True)))
        small = components(n, links)
        try:
            clusters.SMALL_GRAPH = 0  # force SciPy
            assert small.tolist() == components(n, links).tolist()
        finally:
            clusters.SMALL_GRAPH = big


def test_long_chains_and_the_smallest_row_as_label() -> None:
    n = 5_000
    order = np.random.default_rng(7).permutation(n)
    chain = list(zip(order[:-1].tolist(), order[1:].tolist(), strict=True))  # one component, shuffled
    assert set(components(n, _links(chain)).tolist()) == {0}
    assert components(4, _links([(3, 2)])).tolist() == [0, 1, 2, 2]


@pytest.mark.parametrize("n", [1, 3])
def test_no_links_leaves_every_row_alone(n: int) -> None:
    assert components(n, _links([])).tolist() == list(range(n))
