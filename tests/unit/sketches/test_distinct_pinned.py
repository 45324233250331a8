"""The distinct-count sketch pinned: its HLL type and lg_k, emptiness, and identity under merge."""

from datasketches import hll_sketch, tgt_hll_type

from sagewatch.defaults import DISTINCT_LG_K
from sagewatch.sketches.distinct import DistinctCount


def _reference(values, lg_k=DISTINCT_LG_K) -> bytes:
    sketch = hll_sketch(lg_k, tgt_hll_type.HLL_8)
    for value in values:
        sketch.update(value)
    return bytes(sketch.serialize_compact())


def test_sketches_are_hll_8_with_the_configured_lg_k():
    # one byte per register: the serialized form is that of an HLL_8 sketch of the same values
    for dist, values in ((DistinctCount.from_values(["a", "b", "c"]), ["a", "b", "c"]),
                         (DistinctCount.zero(), [])):
        assert dist.lg_k == DISTINCT_LG_K
        assert dist.to_bytes() == _reference(values)
        assert hll_sketch.deserialize(dist.to_bytes()).tgt_type == tgt_hll_type.HLL_8
    many = [f"id-{i}" for i in range(5000)]  # past the sparse list: the register array itself
    assert DistinctCount.from_values(many).to_bytes() == _reference(many)
    assert DistinctCount.from_values(many, lg_k=10).to_bytes() == _reference(many, 10)
    assert hll_sketch.deserialize(DistinctCount.zero(10).to_bytes()).tgt_type == tgt_hll_type.HLL_8
    assert DistinctCount.zero(10).lg_k == 10


def test_is_empty_only_without_values():
    assert DistinctCount.zero().is_empty()
    assert DistinctCount.from_values([]).is_empty()
    assert not DistinctCount.from_values(["x"]).is_empty()
    assert not DistinctCount.zero().merge(DistinctCount.from_values(["x"])).is_empty()


def test_merging_with_an_empty_sketch_returns_the_other_unchanged():
    a = DistinctCount.from_values(["x", "y"], lg_k=10)
    assert a.merge(DistinctCount.zero()) is a
    assert DistinctCount.zero().merge(a) is a
    assert DistinctCount.zero().merge(DistinctCount.zero()).is_empty()
    # two non-empty sketches: a union at the larger lg_k
    both = a.merge(DistinctCount.from_values(["z"], lg_k=12))
    assert both.lg_k == 12 and both.estimate() == 3
