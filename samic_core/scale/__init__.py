"""Scale-out: `samic predict --ray` and `samic embed --ray` on a Ray cluster (docs/scale-out.md).

`ledger` (which images a run has finished) imports no Ray; the `ray_*` modules import Ray and
are only loaded when `--ray` is given, so the single-machine path never needs the extra.
"""
