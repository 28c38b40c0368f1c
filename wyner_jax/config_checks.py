"""Up-front validation of a run's config: one readable error per bad field."""

import ml_collections

from wyner_jax.data import SOURCES


class ConfigError(ValueError):
  """A config field holds a value that is not allowed; the message says which."""


def _check_size(name: str, size, allow_empty: bool) -> None:
  ok = (isinstance(size, (tuple, list)) and len(size) == 2
        and all(isinstance(s, int) and not isinstance(s, bool) for s in size))
  if ok and tuple(size) == (0, 0) and allow_empty:
    return
  if not ok or size[0] < 1 or size[1] < 2:
    allowed = '(N, K) with N >= 1 and K >= 2' + (' or (0, 0) for none'
                                                  if allow_empty else '')
    raise ConfigError(f'{name}={size!r} is not allowed; use {allowed}')


def _check(condition: bool, name: str, value, allowed: str) -> None:
  if not condition:
    raise ConfigError(f'{name}={value!r} is not allowed; {allowed}')


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ConfigError naming the first bad field, its value and what is allowed."""
  _check_size('model.z', config.model.z, allow_empty=False)
  _check_size('model.u', config.model.u, allow_empty=True)
  _check_size('model.v', config.model.v, allow_empty=True)
  for name in ('hidden', 'depth'):
    value = config.model[name]
    _check(isinstance(value, int) and value >= 1, f'model.{name}', value,
           'use a positive integer')
  _check(config.model.logit_bound >= 0, 'model.logit_bound',
         config.model.logit_bound, 'use a value >= 0 (0 = unbounded)')
  _check(config.loss.lam >= 0, 'loss.lam', config.loss.lam, 'use lambda >= 0')
  _check(config.loss.two_eps_sq > 0, 'loss.two_eps_sq', config.loss.two_eps_sq,
         'use 2 eps^2 > 0')
  _check(config.tau.initial > 0, 'tau.initial', config.tau.initial, 'use > 0')
  # The schedule decays towards `minimum`, so tau > 0 throughout iff minimum > 0.
  _check(config.tau.minimum > 0, 'tau.minimum', config.tau.minimum, 'use > 0')
  _check(config.tau.decay >= 0, 'tau.decay', config.tau.decay, 'use >= 0')
  for phase in ('joint', 'marginal'):
    steps = config[phase].num_steps
    _check(isinstance(steps, int) and steps >= 0, f'{phase}.num_steps', steps,
           'use an integer >= 0')
  _check(isinstance(config.batch_size, int) and config.batch_size > 0,
         'batch_size', config.batch_size, 'use a positive integer')
  _check(config.learning_rate > 0, 'learning_rate', config.learning_rate,
         'use > 0')
  _check(config.data.source in SOURCES, 'data.source', config.data.source,
         f'allowed: {", ".join(SOURCES)}')
  _check(isinstance(config.data.pairs_per_class, int)
         and config.data.pairs_per_class > 0, 'data.pairs_per_class',
         config.data.pairs_per_class, 'use a positive integer')
  _check(isinstance(config.eval.classifier_steps, int)
         and config.eval.classifier_steps > 0, 'eval.classifier_steps',
         config.eval.classifier_steps, 'use a positive integer')
  _check_lambda_sweep(config.lambda_sweep)
  _check(config.checkpoint_every > 0, 'checkpoint_every',
         config.checkpoint_every, 'use a positive integer')


def _check_lambda_sweep(sweep: ml_collections.ConfigDict) -> None:
  lams, seeds = sweep.lams, sweep.seeds
  _check(isinstance(lams, (tuple, list)) and all(
      isinstance(l, (int, float)) and not isinstance(l, bool) and l >= 0
      for l in lams), 'lambda_sweep.lams', lams,
         'use a tuple of lambdas >= 0 (empty: one model with loss.lam)')
  _check(isinstance(seeds, (tuple, list)) and all(
      isinstance(s, int) and not isinstance(s, bool) for s in seeds),
         'lambda_sweep.seeds', seeds,
         'use a tuple of integer seeds (empty: every model uses seed)')
  _check(not (lams and seeds) or len(lams) == len(seeds), 'lambda_sweep.seeds',
         seeds, f'give one seed per lambda ({len(lams)}) or none')
  _check(isinstance(sweep.sweep_devices, int) and sweep.sweep_devices >= 1,
         'lambda_sweep.sweep_devices', sweep.sweep_devices,
         'use a positive integer')
