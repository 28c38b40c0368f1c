r"""A lambda sweep: six lambdas x three seeds, 18 models trained together as
one program (vmap).

  python -m experiments.main --config=configs/lambda_sweep.py --workdir=/tmp/lambda_sweep

lambda weighs the rate KL(q(z|x,y) || p(z)) in the units of the objective,
whose reconstruction term has weight 1 / (2 eps^2) = 1e4 (method.md §4). The
grid is therefore lambda * 2 eps^2 in {0, 0.1, 0.3, 1, 3, 10}, i.e. lambda in
{0, 1e3, 3e3, 1e4, 3e4, 1e5}: an extra nat of rate costs as much as 0.1 ... 10
units of squared reconstruction error. Everything else is configs/synthetic.py:pixels
(the default model of 0.3.0-0.6.0, whose sweep docs/results.md reads).

Variant `:tiny` (four models, seed 0, the tiny network, lambda in
{0, 3e4, 1e5, 1e6}) is for tests and smoke runs.
"""

from configs import synthetic

RELATIVE_LAMBDAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)  # lambda * 2 eps^2
TINY_RELATIVE_LAMBDAS = (0.0, 3.0, 10.0, 100.0)
SEEDS = (0, 1, 2)  # per lambda: seeds as error bars


def get_config(arg: str | None = None):
  if arg not in (None, 'tiny'):
    raise ValueError(f"unknown variant {arg!r} of configs/lambda_sweep.py; "
                     "allowed: 'tiny' or none")
  config = synthetic.get_config(arg or 'pixels')
  relative = TINY_RELATIVE_LAMBDAS if arg == 'tiny' else RELATIVE_LAMBDAS
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
