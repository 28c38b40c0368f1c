r"""A lambda sweep: six lambdas x three seeds of the default, 18 models trained
together as one program.

  python -m experiments.main --config=configs/lambda_sweep.py --workdir=/tmp/lambda_sweep

Built on the default (configs/synthetic.py: the autoencoder wrapper, learned
priors). lambda weighs the rate of Z in the units of an objective whose
reconstruction term has weight 1 / (2 eps^2) (wyner_jax/losses.py), on the
wrapper's codes as on pixels: the grid is lambda * 2 eps^2 in {0, 0.01, 0.1,
0.3, 1, 3}, i.e. lambda in {0, 10, 100, 300, 1000, 3000} at 2 eps^2 = 1e-3,
from no squeeze to a Z below the label's log 10 nats (docs/results.md reads
it). The grid of 0.8.0, lambda in {0, 0.5, 1, 2}, moved nothing beyond the
seed spread.

Variants:
  pixels  the sweep of 0.3.0-0.6.0 on configs/synthetic.py:pixels, six
        lambdas x three seeds, 18 models: lambda * 2 eps^2 in {0, 0.1, 0.3,
        1, 3, 10}, i.e. lambda in {0, 1e3, 3e3, 1e4, 3e4, 1e5}.
  tiny  four models, seed 0, the tiny network, lambda in {0, 3e4, 1e5, 1e6}
        (tests and smoke runs).
"""

from configs import synthetic

VARIANTS = ('pixels', 'tiny')
RELATIVE_LAMBDAS = (0.0, 0.01, 0.1, 0.3, 1.0, 3.0)  # lambda * 2 eps^2
PIXELS_RELATIVE_LAMBDAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)
TINY_RELATIVE_LAMBDAS = (0.0, 3.0, 10.0, 100.0)
SEEDS = (0, 1, 2)  # per lambda: seeds as error bars


def get_config(arg: str | None = None):
  if arg not in (None, *VARIANTS):
    raise ValueError(f'unknown variant {arg!r} of configs/lambda_sweep.py; '
                     f'allowed: {", ".join(map(repr, VARIANTS))} or none')
  config = synthetic.get_config(arg)
  relative = {None: RELATIVE_LAMBDAS, 'pixels': PIXELS_RELATIVE_LAMBDAS,
              'tiny': TINY_RELATIVE_LAMBDAS}[arg]
  # Rounded to 6 digits so that 0.3 / 1e-4 reads 3000, not 2999.9999999999995.
  lams = tuple(float(f"{r / config.loss.two_eps_sq:.6g}") for r in relative)
  if arg == 'tiny':
    config.lambda_sweep.lams = lams  # every model uses config.seed
    return config
  # One model per (lambda, seed), lambda-major: results.json lists the seeds
  # of each lambda together.
  config.lambda_sweep.lams = tuple(lam for lam in lams for _ in SEEDS)
  config.lambda_sweep.seeds = SEEDS * len(lams)
  return config
