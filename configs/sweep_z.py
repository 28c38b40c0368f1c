"""Poster experiment 1: vary |Z|, seeds 0, 1, 2.

Built on the default (configs/synthetic.py: the conv autoencoder wrapper,
|U| = |V| = (1,10), lambda 0.5, learned priors); the settings share one
trained autoencoder (experiments/many_runs/size_sweep.py).

  python -m experiments.sweep --config=configs/sweep_z.py --workdir=/tmp/sweep_z

Variants:
  pixels  the sweep of 0.4.0-0.6.0 on configs/synthetic.py:pixels (MLPs on
        pixels, |U| = |V| = (2,10), the poster's, lambda 3e4), whose
        tables docs/results.md keeps; the poster's figures used
        --config.loss.lam=0.
  tiny  two settings, two seeds, the tiny model inside a tiny wrapper (tests).
"""

from configs import synthetic

VARIANTS = ('pixels', 'tiny')


def get_config(arg: str | None = None):
  if arg not in (None, *VARIANTS):
    raise ValueError(f'unknown variant {arg!r} of configs/sweep_z.py; '
                     f'allowed: {", ".join(map(repr, VARIANTS))} or none')
  config = synthetic.get_config(arg)
  config.sweep = synthetic.ml_collections.ConfigDict()
  config.sweep.fields = ('model.z',)
  config.sweep.settings = ((1, 10), (1, 20), (1, 50), (1, 100), (30, 10))
  config.sweep.seeds = (0, 1, 2)  # stacked models of one program per setting
  if arg == 'tiny':
    synthetic.wrap_tiny(config)
    config.sweep.settings = ((1, 10), (2, 10))
    config.sweep.seeds = (0, 1)
  return config
