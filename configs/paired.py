"""Your own paired data: two arrays of any shapes and, optionally, one shared
label per pair, from an .npz file (experiments/sources/paired.py says what
it must hold):

  python -m experiments.main --config=configs/paired.py --config.data.path=FILE.npz --workdir=/tmp/paired

MLPs on the flattened values of each side (no wrapper: the sides need not be
images; linear outputs where a side's values leave [0, 1]) and, since 1.1,
what an equal-budget tuning found on a pair of our own
(docs/method_choices.md, "Defaults for a new pair"): Gaussian latents, z of
16 dimensions (the authors' z), 2 eps^2 of each side = 2e-3 of its total
variance over the train pairs (0.106 on MNIST digits in [0, 1]:
loss.two_eps_sq_unit), lambda 0.5, learned priors, step 2 tied to the joint
posterior (loss.marginal_tie = 1), the cross path in step 1
(loss.cross_weight = 1: y decoded from x's z and x from y's,
docs/method_choices.md "The cross path") with the other side's local drawn
from its prior there (loss.cross_locals = 'prior': y must come from x's z
whatever v is, as in conditional generation; docs/method_choices.md "Locals
drawn from their prior on the cross path"), u = v of 2 dimensions (locals of
little capacity, so that the shared class cannot hide in them), and
conditional samples with z at the mean of q(z|x), only the other side's
local latent drawn (model.conditional_z = 'mode', as the authors' later code
samples; configs/compare.py:paired reads every kind so). With the 1.0
defaults (categorical latents, 2 eps^2 = 1e-2) U and V collapsed to one
code on real image pairs. Relative to the data, the
defaults do not depend on the scale of your values (pixels in [0, 1] or
[0, 255], standardised features); what loss.two_eps_sq and loss.y_weight
mean is in docs/data.md.

Variants: tiny (few steps, small networks, the categorical latents of the
1.0 defaults: tests and smoke runs; on the arrays of tests/test_paired.py,
a class of 5 shared by both sides and a style of 4 per side, |U| = |V| =
(1,4) and 600 steps per phase put the class in Z (latent probe 0.99) and
not in V (y from a random z and the encoder's v: 0.19, chance 0.2)).
"""

import ml_collections

from configs import synthetic
from experiments.sources import data_config

VARIANTS = ('tiny',)


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  synthetic.check_variant('configs/paired.py', arg, VARIANTS)
  config = synthetic.default_config()
  config.data = data_config('paired')
  config.model.wrapper = 'none'
  config.eval.autoencoder_steps = 0  # the ae_ reading needs images
  if arg == 'tiny':
    config.loss.two_eps_sq = 1e-2
    synthetic.make_tiny(config)
    config.model.prior = 'learned'
    config.data = data_config('paired')
    return config
  config.model.latent_type = 'gaussian'
  config.model.z = (16,)
  # Two dimensions: at 8, V took y's class on the jitter pair even with the
  # cross path's prior-drawn locals (docs/method_choices.md).
  config.model.u = config.model.v = (2,)
  # 2 eps^2 = 2e-3 of each side's total variance: 0.106 on the digits in
  # [0, 1] of docs/results.md's pairs (the tuning's 0.1 there), and the same
  # nats per unit of explained variance on data of any size and scale.
  config.loss.two_eps_sq_unit = 'total_variance'
  config.loss.two_eps_sq = 2e-3
  config.loss.lam = 0.5
  config.loss.marginal_tie = 1.0
  config.loss.cross_weight = 1.0
  config.loss.cross_locals = 'prior'
  config.model.conditional_z = 'mode'
  return config
