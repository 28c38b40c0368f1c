"""Poster experiment 2: vary |U| = |V| with |Z| = (1, 100), seeds 0, 1, 2.

Built on configs/synthetic.py:pixels (MLPs on pixels, lambda 3e4), whose
sweep docs/results.md reads; the poster's figures used
--config.loss.lam=0.

  python -m experiments.sweep --config=configs/sweep_uv.py --workdir=/tmp/sweep_uv

Variant `:tiny` (two settings, two seeds, the tiny model) is for tests.
"""

from configs import synthetic


def get_config(arg: str | None = None):
  config = synthetic.get_config('tiny' if arg == 'tiny' else 'pixels')
  config.model.z = (1, 100) if arg != 'tiny' else (1, 10)
  config.sweep = synthetic.ml_collections.ConfigDict()
  config.sweep.fields = ('model.u', 'model.v')
  config.sweep.settings = ((0, 0), (1, 10), (1, 50), (2, 10), (30, 10))
  config.sweep.seeds = (0, 1, 2)  # stacked models of one program per setting
  if arg == 'tiny':
    config.sweep.settings = ((0, 0), (1, 10))
    config.sweep.seeds = (0, 1)
  return config
