"""Poster experiment 2: vary |U| = |V| with |Z| = (1, 100), seeds 0, 1, 2.

Built on the default (configs/synthetic.py: the conv autoencoder wrapper,
lambda 0.5, learned priors); the settings share one trained autoencoder
(experiments/many_runs/size_sweep.py).

  python -m experiments.sweep --config=configs/sweep_uv.py --workdir=/tmp/sweep_uv

Variants:
  pixels  the sweep of 0.4.0-0.6.0 on configs/synthetic.py:pixels (MLPs on
        pixels, lambda 3e4), whose tables docs/results.md keeps; the
        poster's figures used --config.loss.lam=0.
  tiny  two settings, two seeds, the tiny model inside a tiny wrapper (tests).
"""

from configs import synthetic

VARIANTS = ('pixels', 'tiny')


def get_config(arg: str | None = None):
  if arg not in (None, *VARIANTS):
    raise ValueError(f'unknown variant {arg!r} of configs/sweep_uv.py; '
                     f'allowed: {", ".join(map(repr, VARIANTS))} or none')
  config = synthetic.get_config(arg)
  config.model.z = (1, 100) if arg != 'tiny' else (1, 10)
  config.sweep = synthetic.ml_collections.ConfigDict()
  config.sweep.fields = ('model.u', 'model.v')
  config.sweep.settings = ((0, 0), (1, 10), (1, 50), (2, 10), (30, 10))
  config.sweep.seeds = (0, 1, 2)  # stacked models of one program per setting
  if arg == 'tiny':
    synthetic.wrap_tiny(config)
    config.sweep.settings = ((0, 0), (1, 10))
    config.sweep.seeds = (0, 1)
  return config
