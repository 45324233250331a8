"""The KLL sketch pinned exactly: its bytes, its boundaries, its parameters and its queries.

``sketch.data`` is written into ``statistics.json``, and the contract is the same bytes for the same
input on every machine: the compaction's random bits are a hash of the compacted items, their level and
the sketch's count, so the exact levels below are a pure function of the input (no CPU-dependent
arithmetic is involved: sorting, strided slices and blake2b). A change to any of them changes what
earlier versions wrote for the same data and must be deliberate.
"""

import hashlib

import numpy as np
import pytest
from datasketches import kll_doubles_sketch

from sagewatch.defaults import KLL_K
from sagewatch.sketches.kll import KllDistribution, SketchInvariantError, _compact, _random_bits


def _digest(dist: KllDistribution) -> str:
    h = hashlib.sha256()
    for level in dist.compactors:
        h.update(len(level).to_bytes(8, "little"))
        h.update(np.ascontiguousarray(level, dtype="<f8").tobytes())
    return h.hexdigest()[:32]


def _normal(n: int, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=n)


# -- the random bits and one compaction ----------------------------------------------------------

@pytest.mark.parametrize("size, expected", [
    (2, 2293125298525789611),  # fewer items than probes: each item probed once
    (5, 5500914422450575185),
    (16, 8447143648758780022),  # exactly _PROBES items
    (17, 1258923301069735385),  # more: 16 evenly spaced probes, first and last included
    (1000, 9955379956415368664),
])
def test_random_bits_are_a_pinned_hash_of_probes_level_size_and_n(size, expected):
    items = np.arange(size, dtype=np.float64) * 0.5
    assert _random_bits(items, 3, 12345) == expected


def test_random_bits_follow_the_documented_recipe():
    # blake2b (8 bytes, little endian) of 16 evenly spaced items as <f8 and "level:size:n"
    items = np.arange(100, dtype=np.float64) ** 1.5
    probes = items[(np.arange(16) * 99) // 15]
    assert probes[0] == items[0] and probes[-1] == items[-1]
    raw = hashlib.blake2b(probes.astype("<f8").tobytes() + b"4:100:777", digest_size=8).digest()
    assert _random_bits(items, 4, 777) == int.from_bytes(raw, "little")
    # each ingredient moves the bits
    assert len({_random_bits(items, 4, 777), _random_bits(items, 5, 777), _random_bits(items, 4, 778),
                _random_bits(items[:-1], 4, 777)}) == 4


def test_compact_keeps_one_item_of_an_odd_level_and_promotes_every_other():
    items = np.arange(9.0)
    # the low two random bits choose the item that stays (first or last) and the offset
    assert [a.tolist() for a in _compact(items, 0, 9)] == [[8.0], [1.0, 3.0, 5.0, 7.0]]
    assert [a.tolist() for a in _compact(items, 1, 9)] == [[0.0], [2.0, 4.0, 6.0, 8.0]]
    stays = {tuple(_compact(items, level, n)[0].tolist()) for level in range(4) for n in range(9, 40)}
    offsets = {_compact(items, level, n)[1][0] for level in range(4) for n in range(9, 40)}
    assert stays == {(0.0,), (8.0,)} and offsets == {0.0, 1.0, 2.0}  # both ends stay; both offsets occur
    # an even level leaves nothing behind
    stay, promoted = _compact(np.arange(8.0), 0, 8)
    assert stay.size == 0 and promoted.size == 4


# -- the exact levels of whole sketches ----------------------------------------------------------

def _chunks(k: int = KLL_K) -> list[KllDistribution]:
    # odd and even sizes, one single value: every compaction path (stay first, stay last, none)
    parts = np.split(_normal(250_001, seed=11), [1, 4097, 10_000, 77_777, 123_457, 200_003])
    return [KllDistribution.from_values(p, k=k) for p in parts]


def _merged(k: int = KLL_K) -> KllDistribution:
    out = KllDistribution.zero(k)
    for part in _chunks(k):
        out = out.merge(part)
    return out


@pytest.mark.parametrize("make, sizes, digest", [
    (lambda: KllDistribution.from_values(_normal(100_000)), [0, 0, 0, 0, 0, 3125],
     "cf4b9b75b68d288fbde951fa63c67f00"),
    (lambda: KllDistribution.from_values(_normal(99_999)), [1, 1, 1, 1, 1, 3124],
     "fbe444b775bb68cced933a22317fff04"),
    (lambda: KllDistribution.from_values(_normal(100_000)[:30_001]).merge(
        KllDistribution.from_values(_normal(100_000)[30_001:])), [2, 1, 1, 1, 1, 3124],
     "9874f898367a63a9a8e6a94573a8cfbf"),
    (lambda: KllDistribution.from_values(_normal(20_000), k=200), [0, 0, 0, 0, 0, 1, 312],
     "62d7a625901fcb27db19f9cb6c562db5"),
    (lambda: _merged(), [3, 3, 2, 2, 1, 1563, 3124], "597cd0f313513f53d5b6d26732c46073"),
    (lambda: _merged(64), [3, 3, 2, 2, 1, 1, 3, 1, 3, 98, 0, 97], "45b948fce4cf818e757735a4bc06e110"),
], ids=["one-chunk", "odd-chunk", "two-chunks", "k200", "seven-chunks", "seven-chunks-k64"])
def test_sketch_levels_are_pinned(make, sizes, digest):
    dist = make()
    assert [level.size for level in dist.compactors] == sizes
    assert _digest(dist) == digest
    assert _digest(make()) == digest  # and a rerun gives the same bytes


# -- the compression boundary: the sketch holds every value up to k ------------------------------

def test_exactly_k_values_are_kept_exactly_and_one_more_compacts():
    full = KllDistribution.from_values(np.arange(float(KLL_K)))
    assert [level.size for level in full.compactors] == [KLL_K] and not full.is_estimation_mode()
    over = KllDistribution.from_values(np.arange(KLL_K + 1.0))
    assert over.is_estimation_mode() and over.num_retained < KLL_K + 1
    assert sum(level.size << i for i, level in enumerate(over.compactors)) == KLL_K + 1


def test_a_level_exactly_at_its_capacity_is_the_one_compacted():
    # k = 8 (minimum width 8): capacities (8, 8). Level 0 holds 8 items, exactly its capacity, level 1
    # holds 10, over it; 18 items exceed the total of 16, so the lowest level at capacity (level 0) is
    # compacted: it promotes 4 items and the sketch fits again with two levels
    base = KllDistribution.from_levels([np.arange(8.0), np.arange(100.0, 109.0)], k=8)
    dist = base.merge(KllDistribution.from_levels([[], [50.0]], k=8))
    assert [level.size for level in dist.compactors] == [0, 14]
    assert dist.n == 8 + 18 + 2


def test_merging_sketches_that_fit_keeps_every_item_bit_for_bit():
    # no compaction: the merged levels are the stable merge of both inputs, signs of zero included
    # (the constructors make zeros positive; sketches built directly can still hold -0.0)
    a = KllDistribution((np.array([-1.0] + [-0.0] * 40 + [1.0] * 5),), 46)
    b = KllDistribution((np.array([0.0] * 40 + [2.0]),), 41)
    merged = a.merge(b)
    level = merged.compactors[0]
    assert merged.n == 87 and level.size == 87
    assert int(np.signbit(level).sum()) == 41  # -1.0 and the forty -0.0 keep their sign
    assert np.signbit(level[1:41]).all() and not np.signbit(level[41:81]).any()


# -- k travels through every constructor ---------------------------------------------------------

def test_every_constructor_keeps_its_k():
    values = np.arange(1000.0)
    assert KllDistribution.zero(200).k == 200
    assert KllDistribution.zero().k == KLL_K == 2048
    assert KllDistribution.from_values(values, k=200).k == 200
    assert KllDistribution.from_values([], k=200).k == 200
    assert KllDistribution.from_sorted(values, k=200).k == 200
    assert KllDistribution.from_sorted(np.empty(0), k=200).k == 200
    assert KllDistribution.from_levels([[1.0, 2.0]], k=200).k == 200
    assert KllDistribution.from_levels([[1.0]], k="300").k == 300
    a, b = KllDistribution.from_values(values, k=200), KllDistribution.from_values(values, k=300)
    assert a.merge(b).k == 200 and b.merge(a).k == 200  # the smaller k: the coarser accuracy
    # k decides the capacity: 1000 values fit k = 2048 but not k = 200
    assert not KllDistribution.from_values(values).is_estimation_mode()
    assert KllDistribution.from_values(values, k=200).num_retained <= 200 * 3


def test_datasketches_sketches_keep_their_k():
    empty = kll_doubles_sketch(200)
    assert KllDistribution.from_datasketches(empty).k == 200
    assert KllDistribution.from_datasketches(empty).is_empty()
    filled = kll_doubles_sketch(200)
    filled.update(np.arange(50.0))
    dist = KllDistribution.from_datasketches(filled)
    assert dist.k == 200 and dist.n == 50 and dist.levels() == [np.arange(50.0).tolist()]


# -- inputs are stored as float64 ----------------------------------------------------------------

def test_values_are_stored_as_float64_whatever_their_type():
    assert KllDistribution.from_values([1.0, None, 2.0]).levels() == [[1.0, 2.0]]  # None is missing, as NaN
    assert KllDistribution.from_values([1.0, None, 2.0]).n == 2
    for dist in (KllDistribution.from_sorted(np.array([0.1, 0.5], dtype=np.float32)),
                 KllDistribution.from_sorted(np.array([1, 2])),
                 KllDistribution.from_levels([[1, 2]]),
                 KllDistribution.from_levels([np.array([0.1, 0.5], dtype=np.float32)])):
        assert all(level.dtype == np.float64 for level in dist.compactors)
        assert dist.items.dtype == np.float64
        assert all(type(v) is float for level in dist.levels() for v in level)
    assert KllDistribution.from_levels([[1, 2]]).levels() == [[1.0, 2.0]]
    assert str(KllDistribution.from_levels([[1, 2]]).levels()) == "[[1.0, 2.0]]"


def test_weights_are_int64_even_for_the_empty_sketch():
    empty = KllDistribution.zero()
    assert empty.items.size == 0 and empty.weights.size == 0
    assert empty.weights.dtype == np.int64 and list(empty) == []
    dist = KllDistribution.from_levels([[1.0, 3.0], [2.0]])
    assert dist.weights.dtype == np.int64 and dist.weights.tolist() == [1, 2, 1]


def test_iteration_is_in_item_order_and_equal_items_in_level_order():
    # equal items on several levels come lightest first: the order does not depend on the CPU's sort
    levels = [list(range(20)) * 2, list(range(20))[::-1] * 3]
    dist = KllDistribution.from_levels(levels)
    pairs = list(dist)
    assert len(pairs) == 100 and dist.n == 40 + 60 * 2
    assert pairs[:5] == [(0.0, 1), (0.0, 1), (0.0, 2), (0.0, 2), (0.0, 2)]
    assert pairs == sorted(pairs)  # item first, then weight: lighter (lower level) first
    assert all(isinstance(item, float) and isinstance(weight, int) for item, weight in pairs)


# -- DataSketches sketches whose CDF does not add up are refused ---------------------------------

class _FakeSketch:
    """Duck-typed like kll_doubles_sketch, with a CDF we choose (a broken sketch)."""

    def __init__(self, items, cdf, n, k=200):
        self._items, self._cdf, self.n, self.k = items, cdf, n, k

    def is_empty(self):
        return False

    def is_estimation_mode(self):
        return True

    def __iter__(self):
        return iter([(item, 1) for item in self._items])

    def get_cdf(self, points, inclusive=True):
        return list(self._cdf) + [1.0]


def test_a_datasketches_sketch_whose_weights_miss_n_is_refused_with_both_numbers():
    broken = _FakeSketch([1.0, 2.0, 3.0], [0.25, 0.5, 0.75], n=4)  # weights 1, 1, 1: 3 of 4
    with pytest.raises(SketchInvariantError,
                       match=r"^DataSketches KLL sketch: weights from its CDF add up to 3, not n = 4$"):
        KllDistribution.from_datasketches(broken)


@pytest.mark.parametrize("cdf", [[0.5, 0.5, 1.0], [0.5, 0.25, 1.0]], ids=["zero-weight", "negative-weight"])
def test_a_datasketches_sketch_with_a_weight_below_one_is_refused_even_when_the_sum_is_n(cdf):
    broken = _FakeSketch([1.0, 2.0, 3.0], cdf, n=4)  # weights sum to 4 = n, but one is 0 or negative
    with pytest.raises(SketchInvariantError, match="add up to 4, not n = 4"):
        KllDistribution.from_datasketches(broken)


def test_a_consistent_fake_sketch_is_read_into_levels_by_binary_digits():
    fine = _FakeSketch([1.0, 2.0, 3.0], [0.125, 0.5, 1.0], n=8)  # weights 1, 3, 4
    dist = KllDistribution.from_datasketches(fine)
    assert dist.n == 8 and dist.k == 200
    assert dist.levels() == [[1.0, 2.0], [2.0], [3.0]]


# -- queries -------------------------------------------------------------------------------------

def test_cdf_inclusive_and_exclusive_at_an_item():
    dist = KllDistribution.from_values(np.arange(10.0))
    assert dist.get_cdf([4.0]).tolist() == [0.4]
    assert dist.get_cdf([4.0], inclusive=False).tolist() == [0.4]
    assert dist.get_cdf([4.0], inclusive=True).tolist() == [0.5]
    assert dist.get_cdf([-1.0, 9.0, 9.5], inclusive=True).tolist() == [0.0, 1.0, 1.0]
    assert dist.get_cdf([-1.0, 9.0, 9.5]).tolist() == [0.0, 0.9, 1.0]
    weighted = KllDistribution.from_levels([[1.0], [2.0]])  # weights 1 and 2
    assert weighted.get_cdf([2.0]).tolist() == [1 / 3] and weighted.get_cdf([2.0], inclusive=True).tolist() == [1.0]


def test_quantiles_match_datasketches_inclusive_ranks():
    dist = KllDistribution.from_values(np.arange(10.0))
    ranks = [0.0, 0.1, 0.45, 0.5, 0.55, 1.0]
    reference = kll_doubles_sketch(KLL_K)
    reference.update(np.arange(10.0))
    expected = [reference.get_quantile(r, inclusive=True) for r in ranks]
    assert expected == [0.0, 0.0, 4.0, 4.0, 5.0, 9.0]
    assert dist.get_quantiles(ranks).tolist() == expected
    assert dist.get_quantiles([1.5, -0.5]).tolist() == [9.0, 0.0]  # out-of-range ranks are clipped
    weighted = KllDistribution.from_levels([[1.0], [2.0]])  # weights 1 and 2: ranks 1/3 and 1
    assert weighted.get_quantiles([1 / 3, 0.34, 1.0]).tolist() == [1.0, 2.0, 2.0]
    assert weighted.get_quantiles(np.array([0.2])).dtype == np.float64


def test_quantiles_of_a_compacted_sketch_are_within_the_rank_error():
    x = _normal(200_001, seed=3)
    dist = KllDistribution.from_values(x)
    ranks = np.linspace(0.01, 0.99, 99)
    got = dist.get_quantiles(ranks)
    true_ranks = np.searchsorted(np.sort(x), got, side="right") / x.size
    assert np.max(np.abs(true_ranks - ranks)) <= dist.normalized_rank_error()


def test_empty_sketch_queries_give_nan_of_the_query_shape():
    empty = KllDistribution.zero()
    assert np.isnan(empty.get_quantiles([0.1, 0.5])).all() and empty.get_quantiles([0.1, 0.5]).shape == (2,)
    assert np.isnan(empty.get_cdf([1.0, 2.0, 3.0])).all() and empty.get_cdf([1.0, 2.0, 3.0]).shape == (3,)


def test_normalized_rank_error_is_datasketches_single_rank_bound_by_default():
    dist = KllDistribution.from_values([1.0])
    assert dist.normalized_rank_error() == kll_doubles_sketch.get_normalized_rank_error(KLL_K, False)
    assert dist.normalized_rank_error(pmf=True) == kll_doubles_sketch.get_normalized_rank_error(KLL_K, True)
    assert dist.normalized_rank_error() < dist.normalized_rank_error(pmf=True)
    assert KllDistribution.from_values([1.0], k=200).normalized_rank_error() > dist.normalized_rank_error()


def test_to_datasketches_repeats_items_by_weight():
    dist = KllDistribution.from_levels([[1.0], [2.0]], k=200)
    sketch = dist.to_datasketches()
    assert sketch.k == 200 and sketch.n == 3
    assert sketch.get_cdf([1.5, 2.5]) == [1 / 3, 1.0, 1.0]
    assert KllDistribution.zero().to_datasketches().is_empty()


def test_constructors_make_zeros_positive_so_bytes_do_not_depend_on_the_sort():
    # numpy's default sort may order -0.0 and 0.0 differently on different CPUs
    from_file = KllDistribution.from_levels([[0.0, -0.0, 1.0, -0.0]])
    from_values = KllDistribution.from_values(np.array([-0.0, 0.0, -0.0]))
    assert not np.signbit(from_file.compactors[0]).any() and not np.signbit(from_values.compactors[0]).any()
