"""Fixed-seed K-shot episodes."""

from __future__ import annotations

import pytest

from samic_core.errors import SamicError
from samic_core.eval.datasets import read_fss
from samic_core.eval.episodes import make_eval_episodes


def _keys(episodes):
    return [(e.class_name, e.query.key, tuple(s.key for s in e.supports)) for e in episodes]


def test_random_policy_every_image_is_a_query_with_distinct_other_supports(synth_fss):
    ds = read_fss(synth_fss)
    eps = make_eval_episodes(ds, shots=2, seed=0)
    assert len(eps) == sum(len(v) for v in ds.samples.values())
    assert [e.index for e in eps] == list(range(len(eps)))
    for e in eps:
        keys = [s.key for s in e.supports]
        assert len(set(keys)) == 2 and e.query.key not in keys
        assert all(s.class_name == e.class_name for s in e.supports)
    assert _keys(make_eval_episodes(ds, 2, seed=0)) == _keys(eps)
    assert _keys(make_eval_episodes(ds, 2, seed=1)) != _keys(eps)


def test_a_class_episodes_do_not_depend_on_the_other_classes(synth_fss):
    ds = read_fss(synth_fss)
    full = [e for e in make_eval_episodes(ds, 1, seed=5) if e.class_name == ds.classes[2]]
    ds.classes = ds.classes[2:3]
    alone = make_eval_episodes(ds, 1, seed=5)
    assert _keys(alone) == _keys(full)


def test_first_policy_and_query_cap(synth_fss):
    ds = read_fss(synth_fss)
    eps = make_eval_episodes(ds, shots=1, policy="first")
    for e in eps:
        assert e.supports == (ds.samples[e.class_name][0],)
        assert e.query != ds.samples[e.class_name][0]
    capped = make_eval_episodes(ds, shots=1, max_queries_per_class=2)
    assert len(capped) == 2 * len(ds.classes)


def test_too_few_images_for_the_shots(synth_fss):
    ds = read_fss(synth_fss)
    with pytest.raises(SamicError, match="5 images a 4-shot episode needs"):
        make_eval_episodes(ds, shots=4)
    with pytest.raises(SamicError, match="at least 1"):
        make_eval_episodes(ds, shots=0)
