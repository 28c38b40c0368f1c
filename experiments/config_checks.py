"""Up-front validation of a run's config and workdir: one readable error per
bad field, naming the field, its value and what is allowed; and which fields
determine what a run trains (its checkpoints record them, resuming requires
them unchanged)."""

import numbers
import os

import ml_collections

from experiments import sources
from wyner_jax import kinds
from wyner_jax import latents
from wyner_jax import phases
from wyner_jax.errors import WynerError
from wyner_jax.model import (CONDITIONAL_Z, CROSS_LOCALS, DTYPES,
                             LOCAL_ENCODERS, PRIORS)


class ConfigError(WynerError, ValueError):
  """A config field holds a value that is not allowed; the message says which."""


# The fields that determine what a run trains, besides the data source's
# (its TRAINING_FIELDS) and each model's lambda and seed (`training_fields`).
# A workdir's checkpoints record their values; a rerun into it with another
# value is refused. Every other field may change between runs of one
# workdir: the step counts (training continues), logging, checkpoint
# frequency, evaluation, the data's location, the mesh.
TRAINING_FIELDS = (
    'model.latent_type', 'model.z', 'model.u', 'model.v', 'model.hidden',
    'model.depth', 'model.logit_bound', 'model.local_type', 'model.wrapper',
    'model.code_size', 'model.prior', 'model.dtype',
    'loss.two_eps_sq', 'loss.y_weight', 'loss.local_aggregate_kl',
    'tau.initial', 'tau.minimum', 'tau.decay', 'tau.hard',
    'batch_size', 'learning_rate',
)
# What the autoencoders of model.wrapper depend on besides the data (their
# own steps' record).
AUTOENCODER_FIELDS = (
    'model.wrapper', 'model.code_size', 'batch_size', 'seed',
)
# The autoencoders' own learning rate (1.1). Recorded, by their step and the
# Wyner steps on their codes, only where it differs from `learning_rate`;
# where equal (the default's, and every config of 1.0, which has none) the
# records hold `learning_rate` as 1.0's did, so that its workdirs resume.
AUTOENCODER_LEARNING_RATE_FIELD = 'autoencoder.learning_rate'
# What a baseline (model.kind other than 'wyner') trains besides the fields
# above. Recorded only for baselines, and model.local_encoder only when not
# 'pair', so that workdirs of 0.9.0 (which had neither) resume unchanged.
BASELINE_FIELDS = ('model.kind', 'model.expert_z')
LOCAL_ENCODER_FIELD = 'model.local_encoder'
# Training fields of earlier versions, no longer compared on resuming:
# 1.0.0 recorded the .npz path of configs/paired.py (the checksum names
# the data now).
RETIRED_FIELDS = ('data.path',)
# Recorded by the marginal step only when > 0 (workdirs of 1.0.0 resume).
MARGINAL_TIE_FIELD = 'loss.marginal_tie'
# Recorded by both Wyner steps only when > 0 (workdirs of 1.0.0 resume);
# the other kinds ignore it, as they ignore loss.lam and loss.marginal_tie.
CROSS_FIELD = 'loss.cross_weight'
# Recorded with the cross path only when not 'posterior' (workdirs of the
# cross path before it resume).
CROSS_LOCALS_FIELD = 'loss.cross_locals'
# JMVAE-KL's alpha, recorded only when not 1 (workdirs of 1.0.0 resume).
ALPHA_FIELD = 'loss.alpha'
# What loss.two_eps_sq is measured in, recorded only when not 'absolute'
# (workdirs of 1.0.0 resume).
TWO_EPS_SQ_UNIT_FIELD = 'loss.two_eps_sq_unit'
WRAPPERS = ('none', 'conv')
MODEL_FIELDS = ('loss.lam', 'seed', 'lambda_sweep.lams', 'lambda_sweep.seeds')
RESUMABLE_FIELDS = (
    'joint.num_steps', 'marginal.num_steps', 'checkpoint_every',
    'log_every_secs', 'eval.classifier_steps', 'eval.classifier_dir',
    # how the Wyner VAE samples conditionally: not what it trains
    'model.conditional_z',
    'eval.autoencoder_steps',
    'lambda_sweep.sweep_devices',
    # recorded by the Wyner steps when model.wrapper is set (training_fields)
    'autoencoder.num_steps',
    # a latent-size sweep sets model.* and lambda_sweep.seeds per run
    'sweep.fields', 'sweep.settings', 'sweep.seeds',
    # a comparison sets model.kind and lambda_sweep.seeds per run
    'compare.kinds', 'compare.seeds',
)


# Every field a run reads besides the data source's own (`data.*`, its
# FIELDS): each either determines what is trained or may change between runs
# of a workdir. Anything else in a config is a typo or a leftover.
KNOWN_FIELDS = frozenset(TRAINING_FIELDS + BASELINE_FIELDS
                         + (LOCAL_ENCODER_FIELD, MARGINAL_TIE_FIELD,
                            CROSS_FIELD, CROSS_LOCALS_FIELD, ALPHA_FIELD,
                            TWO_EPS_SQ_UNIT_FIELD,
                            AUTOENCODER_LEARNING_RATE_FIELD)
                         + MODEL_FIELDS
                         + RESUMABLE_FIELDS + ('data.source',))


def get_field(config: ml_collections.ConfigDict, path: str):
  """The value at a dotted path, e.g. 'model.z'."""
  node = config
  for name in path.split('.'):
    node = node[name]
  return node


def set_field(config: ml_collections.ConfigDict, path: str, value) -> None:
  """Sets an existing field at a dotted path; ConfigError if there is none."""
  parent, _, leaf = path.rpartition('.')
  node = get_field(config, parent) if parent else config
  if leaf not in node:
    raise ConfigError(f'{path!r} is not a config field')
  node[leaf] = value


def data_training_fields(config: ml_collections.ConfigDict) -> dict:
  """{path: value} of the data fields that change the pairs."""
  source = sources.module(config.data.source)
  fields = {'data.source': config.data.source,
            **{f'data.{name}': config.data[name]
               for name in source.TRAINING_FIELDS}}
  # Recorded only when set, so that workdirs of 1.0.0 resume.
  if config.data.get('validation_fraction', 0.0):
    fields['data.validation_fraction'] = config.data.validation_fraction
    fields['data.seed'] = config.data.seed  # draws the validation pairs
  return fields


def training_fields(config: ml_collections.ConfigDict, section: str) -> dict:
  """{path: value} of what the phases of config section `section` train.

  Each model's lambda and seed come from `lambda_sweep.lams` / `.seeds` when
  given, else from `loss.lam` / `seed`; the field that sets them is recorded.
  The marginal step also records `joint.num_steps`: its encoders were
  trained against the decoders of that joint step. The autoencoder's step
  (model.wrapper) records only what it depends on, so that runs of other
  Wyner settings may share a trained one.
  """
  fields = data_training_fields(config)
  own_rate = _own_autoencoder_rate(config)
  if section == 'autoencoder':  # the autoencoders of a run, from config.seed
    rate = ({AUTOENCODER_LEARNING_RATE_FIELD: own_rate} if own_rate is not None
            else {'learning_rate': config.learning_rate})
    return fields | rate | {path: get_field(config, path)
                            for path in AUTOENCODER_FIELDS}
  fields.update({path: get_field(config, path) for path in TRAINING_FIELDS})
  if config.model.kind != phases.WYNER:
    fields.update({path: get_field(config, path) for path in BASELINE_FIELDS})
  if config.model.local_encoder != 'pair':
    fields[LOCAL_ENCODER_FIELD] = config.model.local_encoder
  if config.loss.get('alpha', 1.0) != 1.0:
    fields[ALPHA_FIELD] = config.loss.alpha
  if config.loss.get('two_eps_sq_unit', 'absolute') != 'absolute':
    fields[TWO_EPS_SQ_UNIT_FIELD] = config.loss.two_eps_sq_unit
  if config.loss.get('cross_weight', 0.0) and config.model.kind == phases.WYNER:
    fields[CROSS_FIELD] = config.loss.cross_weight
    if config.loss.get('cross_locals', 'posterior') != 'posterior':
      fields[CROSS_LOCALS_FIELD] = config.loss.cross_locals
  sweep = config.lambda_sweep
  fields.update({'lambda_sweep.lams': tuple(sweep.lams)} if sweep.lams
                else {'loss.lam': config.loss.lam})
  fields.update({'lambda_sweep.seeds': tuple(sweep.seeds)} if sweep.seeds
                else {'seed': config.seed})
  if section == 'marginal':
    fields['joint.num_steps'] = config.joint.num_steps
    if config.loss.get('marginal_tie', 0.0):
      fields[MARGINAL_TIE_FIELD] = config.loss.marginal_tie
  if config.model.wrapper != 'none':
    # both Wyner steps model the codes of the autoencoder of that many steps
    # (and learning rate, where it is not the recorded `learning_rate`)
    fields['autoencoder.num_steps'] = config.autoencoder.num_steps
    if own_rate is not None:
      fields[AUTOENCODER_LEARNING_RATE_FIELD] = own_rate
  return fields


def _own_autoencoder_rate(config: ml_collections.ConfigDict) -> float | None:
  """autoencoder.learning_rate where set and not `learning_rate`, else None."""
  rate = config.autoencoder.get('learning_rate', config.learning_rate)
  return None if rate == config.learning_rate else rate


def field_paths(config: ml_collections.ConfigDict, prefix: str = '') -> list[str]:
  """Dotted paths of every leaf field, e.g. 'model.z'."""
  paths = []
  for name, value in config.items():
    path = prefix + name
    if isinstance(value, ml_collections.ConfigDict):
      paths += field_paths(value, path + '.')
    else:
      paths.append(path)
  return paths


def _fail(name: str, value, allowed: str):
  raise ConfigError(f'{name}={value!r} is not allowed; {allowed}')


def _is_int(value) -> bool:
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
  return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _int_at_least(name: str, value, minimum: int) -> None:
  if not (_is_int(value) and value >= minimum):
    _fail(name, value, f'use an integer >= {minimum}')


def _real_above(name: str, value, bound: float, inclusive: bool = False) -> None:
  ok = _is_real(value) and (value >= bound if inclusive else value > bound)
  if not ok:
    _fail(name, value, f'use a number {">=" if inclusive else ">"} {bound:g}')


def _check_size(name: str, size, latent_type: str, allow_empty: bool) -> None:
  """(N, K) for categorical latents, (D,) for Gaussian ones; all zeros = none."""
  rank = 2 if latent_type == 'categorical' else 1
  ok = (isinstance(size, (tuple, list)) and len(size) == rank
        and all(_is_int(s) for s in size))
  if ok and allow_empty and not any(size):
    return
  if latent_type == 'categorical':
    if not ok or size[0] < 1 or size[1] < 2:
      allowed = ('(N, K): N >= 1 categoricals of K >= 2 classes (K = 1 carries '
                 'no information)' + (', or (0, 0) for none' if allow_empty else ''))
      _fail(name, size, f'use {allowed}')
  elif not ok or size[0] < 1:
    _fail(name, size, "use (D,): D >= 1 dimensions with latent_type='gaussian'"
          + (', or (0,) for none' if allow_empty else ''))


def _check_lambda_sweep(sweep: ml_collections.ConfigDict) -> None:
  lams, seeds = sweep.lams, sweep.seeds
  if not (isinstance(lams, (tuple, list))
          and all(_is_real(l) and l >= 0 for l in lams)):
    _fail('lambda_sweep.lams', lams,
          'use a tuple of lambdas >= 0 (empty: one model with loss.lam)')
  if not (isinstance(seeds, (tuple, list)) and all(_is_int(s) for s in seeds)):
    _fail('lambda_sweep.seeds', seeds,
          'use a tuple of integer seeds (empty: every model uses seed)')
  if lams and seeds and len(lams) != len(seeds):
    _fail('lambda_sweep.seeds', seeds,
          f'give one seed per lambda ({len(lams)}) or none')
  _int_at_least('lambda_sweep.sweep_devices', sweep.sweep_devices, 1)


def _check_baseline(config: ml_collections.ConfigDict) -> None:
  """What a baseline cannot take: lambda weighs the Wyner VAE's Z alone."""
  kind = config.model.kind
  if config.lambda_sweep.lams:
    _fail('lambda_sweep.lams', config.lambda_sweep.lams,
          f'lambda weighs the Wyner VAE\'s Z; model.kind={kind!r} has no '
          'lambda: sweep seeds only (lambda_sweep.seeds)')
  if config.loss.local_aggregate_kl:
    _fail('loss.local_aggregate_kl', config.loss.local_aggregate_kl,
          f"it is a Wyner VAE term; use 0 with model.kind={kind!r}")
  _check_size('model.expert_z', config.model.expert_z, 'gaussian',
              allow_empty=False)


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ConfigError naming the first bad field, its value and what is allowed."""
  if config.data.source not in sources.SOURCES:
    _fail('data.source', config.data.source,
          f'allowed: {", ".join(sources.SOURCES)}')
  source = sources.module(config.data.source)
  known = KNOWN_FIELDS | {f'data.{name}' for name in
                          {**source.FIELDS, **sources.COMMON_FIELDS}}
  unknown = sorted(set(field_paths(config)) - known)
  if unknown:
    raise ConfigError(f'unknown config field {unknown[0]!r}; allowed fields: '
                      f'{", ".join(sorted(known))}')
  _int_at_least('seed', config.seed, 0)
  _int_at_least('data.seed', config.data.seed, 0)
  fraction = config.data.get('validation_fraction', 0.0)
  if not (_is_real(fraction) and 0.0 <= fraction < 1.0):
    _fail('data.validation_fraction', fraction,
          'use a number in [0, 1); 0: no validation split')
  try:
    source.check(config.data)
  except WynerError as e:
    raise ConfigError(str(e)) from None
  kind = config.model.kind
  if kind not in phases.KINDS:
    _fail('model.kind', kind, f'allowed: {", ".join(phases.KINDS)}')
  if kind != phases.WYNER:
    _check_baseline(config)
  latent_type = config.model.latent_type
  if latent_type not in latents.LATENT_TYPES:
    _fail('model.latent_type', latent_type,
          f'allowed: {", ".join(latents.LATENT_TYPES)}')
  local_type = config.model.local_type or latent_type
  if config.model.local_type not in ('', *latents.LATENT_TYPES):
    _fail('model.local_type', config.model.local_type,
          f"allowed: '' (as model.latent_type), {', '.join(latents.LATENT_TYPES)}")
  _check_size('model.z', config.model.z, latent_type, allow_empty=False)
  _check_size('model.u', config.model.u, local_type, allow_empty=True)
  _check_size('model.v', config.model.v, local_type, allow_empty=True)
  if config.model.local_encoder not in LOCAL_ENCODERS:
    _fail('model.local_encoder', config.model.local_encoder,
          f'allowed: {", ".join(LOCAL_ENCODERS)}')
  if config.model.local_encoder != 'pair' and kind != phases.WYNER:
    _fail('model.local_encoder', config.model.local_encoder,
          f"it chooses the Wyner VAE's joint encoders; use 'pair' with "
          f'model.kind={kind!r}')
  if config.model.get('conditional_z', 'sample') not in CONDITIONAL_Z:
    _fail('model.conditional_z', config.model.conditional_z,
          f'allowed: {", ".join(CONDITIONAL_Z)}')
  if config.model.wrapper not in WRAPPERS:
    _fail('model.wrapper', config.model.wrapper, f'allowed: {", ".join(WRAPPERS)}')
  _int_at_least('model.code_size', config.model.code_size, 1)
  if config.model.prior not in PRIORS:
    _fail('model.prior', config.model.prior, f'allowed: {", ".join(PRIORS)}')
  if config.model.dtype not in DTYPES:
    _fail('model.dtype', config.model.dtype, f'allowed: {", ".join(DTYPES)}')
  _int_at_least('autoencoder.num_steps', config.autoencoder.num_steps, 0)
  if 'learning_rate' in config.autoencoder:
    _real_above('autoencoder.learning_rate', config.autoencoder.learning_rate, 0)
  _int_at_least('model.hidden', config.model.hidden, 1)
  _int_at_least('model.depth', config.model.depth, 1)
  _real_above('model.logit_bound', config.model.logit_bound, 0, inclusive=True)
  _real_above('loss.lam', config.loss.lam, 0, inclusive=True)
  _real_above('loss.two_eps_sq', config.loss.two_eps_sq, 0)
  _real_above('loss.y_weight', config.loss.y_weight, 0)
  unit = config.loss.get('two_eps_sq_unit', 'absolute')
  if unit not in kinds.TWO_EPS_SQ_UNITS:
    _fail('loss.two_eps_sq_unit', unit,
          f'allowed: {", ".join(kinds.TWO_EPS_SQ_UNITS)}')
  _real_above('loss.local_aggregate_kl', config.loss.local_aggregate_kl, 0,
              inclusive=True)
  _real_above('loss.marginal_tie', config.loss.get('marginal_tie', 0.0), 0,
              inclusive=True)
  _real_above('loss.alpha', config.loss.get('alpha', 1.0), 0, inclusive=True)
  _real_above('loss.cross_weight', config.loss.get('cross_weight', 0.0), 0,
              inclusive=True)
  if config.loss.get('cross_locals', 'posterior') not in CROSS_LOCALS:
    _fail('loss.cross_locals', config.loss.cross_locals,
          f'allowed: {", ".join(CROSS_LOCALS)}')
  if config.loss.get('alpha', 1.0) != 1.0 and kind != 'jmvae':
    _fail('loss.alpha', config.loss.alpha,
          f"it weighs JMVAE-KL's unimodal terms; use 1.0 with model.kind={kind!r}")
  if config.loss.local_aggregate_kl and local_type != 'categorical':
    _fail('loss.local_aggregate_kl', config.loss.local_aggregate_kl,
          'it needs categorical local latents; use 0 with Gaussian ones')
  _real_above('tau.initial', config.tau.initial, 0)
  # The schedule decays towards `minimum`, so tau > 0 throughout iff minimum > 0.
  _real_above('tau.minimum', config.tau.minimum, 0)
  _real_above('tau.decay', config.tau.decay, 0, inclusive=True)
  if not isinstance(config.tau.hard, bool):
    _fail('tau.hard', config.tau.hard, 'use True or False')
  for phase in ('joint', 'marginal'):
    _int_at_least(f'{phase}.num_steps', config[phase].num_steps, 0)
  _check_lambda_sweep(config.lambda_sweep)
  _int_at_least('batch_size', config.batch_size, 1)
  _real_above('learning_rate', config.learning_rate, 0)
  _int_at_least('checkpoint_every', config.checkpoint_every, 1)
  _real_above('log_every_secs', config.log_every_secs, 0, inclusive=True)
  _int_at_least('eval.classifier_steps', config.eval.classifier_steps, 1)
  _int_at_least('eval.autoencoder_steps', config.eval.autoencoder_steps, 0)


def check_workdir(workdir: str) -> None:
  """Creates `workdir` and checks that files can be written there."""
  if os.path.exists(workdir) and not os.path.isdir(workdir):
    raise ConfigError(f'--workdir={workdir} is a file; give a directory '
                      '(it is created if missing)')
  probe = os.path.join(workdir, f'.write_probe_{os.getpid()}')
  try:
    os.makedirs(workdir, exist_ok=True)
    with open(probe, 'w'):
      pass
    os.remove(probe)
  except OSError as e:
    raise ConfigError(f'--workdir={workdir} is not writable ({e.strerror}); '
                      'give a directory you can write to') from None
