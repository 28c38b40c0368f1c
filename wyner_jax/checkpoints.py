"""Orbax checkpoints, one CheckpointManager per training phase.

WORKDIR/checkpoints/<phase>/ (`phase_directory`: 'joint', 'marginal', the
wrapper's 'autoencoder' or 'autoencoder_x', 'autoencoder_y') each hold, per
saved step, `state` (the stacked TrainState pytree), `train_metrics` (JSON:
the train metrics of the saved step; not `metrics`, a name Orbax reserves and
parses when it opens the directory) and `record` (JSON: what was trained, see
`TrainingRecord`), written together and atomically by Orbax (a step directory
is renamed into place only when complete), so a step resumes, or is skipped
when finished, independently of the other.

Resuming refuses checkpoints trained with other settings (`check_resumable`,
one line naming the field and both values) or of another model shape, and
falls back from a damaged checkpoint to the newest intact one.
"""

import json
import os
from typing import Any, NamedTuple

from absl import logging
import jax
import orbax.checkpoint as ocp

from wyner_jax.errors import WynerError

RECORD = 'record'  # the item of a saved step that holds its TrainingRecord


def phase_directory(workdir: str, phase: str) -> str:
  """WORKDIR/checkpoints/<phase>: where a phase's checkpoints live."""
  return os.path.join(os.path.abspath(workdir), 'checkpoints', phase)


class CheckpointError(WynerError):
  """The checkpoints in a directory cannot be used for this run; says why and what to do."""


class TrainingRecord(NamedTuple):
  """What a phase's checkpoints were trained with, saved with every step.

  Attributes:
    fields: {config path: value} of every setting that determines what is
      trained (the caller chooses them: model, loss, optimizer, temperature
      schedule, data, each model's lambda and seed, ...). Resuming requires
      them equal; settings that do not change the result (step counts,
      logging, evaluation) stay out of it.
    config: the whole config of the run that wrote the step (for reading a
      trained model back; not compared).
    sides: {'x': ..., 'y': ...}: `wyner_jax.sides.Side.to_json` of the data's
      two sides (what the model is rebuilt for).
    digest: a checksum of the data trained on (''  : none); compared after
      the fields, so that data changed under the same settings (a file
      rewritten at the same path) are refused too.
    retired: fields that records of earlier versions hold and this one no
      longer compares (e.g. a file's path, once the digest names the
      data): present in a saved record only, they are not a difference.
  """
  fields: dict[str, Any]
  config: dict[str, Any]
  sides: dict[str, Any]
  digest: str = ''
  retired: tuple[str, ...] = ()

  def to_json(self) -> dict[str, Any]:
    # Through JSON once, so that tuples compare equal to the saved lists.
    return json.loads(json.dumps(self._asdict()))


def _item_handlers() -> dict[str, Any]:
  return {'state': ocp.StandardCheckpointHandler(),
          'train_metrics': ocp.JsonCheckpointHandler(),
          RECORD: ocp.JsonCheckpointHandler()}


def _afresh(directory: str) -> str:
  """What to do instead, for a phase directory WORKDIR/checkpoints/<phase>."""
  checkpoints_dir = os.path.dirname(directory.rstrip('/')) or directory
  return f'use a new --workdir, or delete {checkpoints_dir} to train afresh'


def record_mismatch(saved: dict[str, Any], expected: dict[str, Any],
                    retired: tuple[str, ...] = ()) -> str | None:
  """'FIELD is NEW in this config but SAVED in the checkpoints', or None
  when equal (`retired` fields, saved only, are not compared)."""
  saved = {k: v for k, v in saved.items() if k in expected or k not in retired}
  for name in sorted(set(saved) | set(expected)):
    if name not in saved:
      return f'{name} is {expected[name]!r} in this config but not set in the checkpoints'
    if name not in expected:
      return f'{name} is not set in this config but {saved[name]!r} in the checkpoints'
    if saved[name] != expected[name]:
      return (f'{name} is {expected[name]!r} in this config but '
              f'{saved[name]!r} in the checkpoints')
  return None


def _key_name(key) -> str:
  for attribute in ('key', 'idx', 'name'):
    if hasattr(key, attribute):
      return str(getattr(key, attribute))
  return str(key)


def leaf_shapes(tree: Any) -> dict[str, tuple[int, ...]]:
  """{'params/joint/z/...': shape} of every array leaf (works on Orbax metadata too)."""
  return {'/'.join(_key_name(k) for k in path): tuple(leaf.shape)
          for path, leaf in jax.tree.leaves_with_path(tree)}


def shape_mismatch(saved: dict, expected: dict) -> str | None:
  """A one-line description of the first difference, or None when equal."""
  # Parameters first: their names say most about what changed.
  names = sorted(set(saved) | set(expected),
                 key=lambda n: (not n.startswith('params'), n))
  for name in names:
    if name not in saved:
      return f'{name} is missing there'
    if name not in expected:
      return f'{name} is there but not in this config'
    if saved[name] != expected[name]:
      return f'{name} has shape {saved[name]} there, {expected[name]} in this config'
  return None


class PhaseCheckpoints:
  """Saves and restores the train state of one training step (phase)."""

  def __init__(self, directory: str, record: TrainingRecord | None,
               max_to_keep: int = 2):
    """record: saved with every step and required of restored ones; None to read only."""
    self.directory = os.path.abspath(directory)
    self.record = record
    self._manager = ocp.CheckpointManager(
        self.directory, item_handlers=_item_handlers(),
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep,
                                             create=True))

  def save(self, step: int, state: Any, metrics: dict) -> None:
    """Saves and waits, so a checkpoint reported saved is on disk."""
    if step in self._manager.all_steps():
      return  # Orbax would return False silently; the state there is the same.
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state),
        train_metrics=ocp.args.JsonSave(metrics),
        record=ocp.args.JsonSave(self.record.to_json())))
    self._manager.wait_until_finished()

  def restore(self, step: int, like: Any) -> tuple[Any, dict]:
    """Restores `step` into the structure, shapes and shardings of `like`."""
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, like)
    restored = self._manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(abstract),
        train_metrics=ocp.args.JsonRestore()))
    return restored.state, dict(restored.train_metrics)

  def saved_shapes(self, step: int) -> dict[str, tuple[int, ...]]:
    """{'params/joint/z/...': shape} of the state saved at `step`."""
    return leaf_shapes(self._manager.item_metadata(step)['state'].tree)

  def restore_latest(self, like: Any) -> tuple[int, Any, dict] | None:
    """(step, state, metrics) of the newest intact checkpoint, None if there is none.

    Raises:
      CheckpointError: the checkpoints hold a model of another shape, or every
        checkpoint is damaged.
    """
    steps = sorted(self._manager.all_steps(), reverse=True)
    if not steps:
      return None
    expected = leaf_shapes(like)
    damaged = []
    for step in steps:
      # Orbax raises many error types for unreadable files (truncated,
      # missing, bad JSON); any of them means "damaged", so try an older step.
      try:
        check_record(self.directory, step,
                     _restore_record(self._manager, self.directory, step),
                     self.record)
        mismatch = shape_mismatch(self.saved_shapes(step), expected)
      except CheckpointError:
        raise
      except Exception as e:  # pylint: disable=broad-except
        damaged.append((step, e))
        continue
      if mismatch:
        raise CheckpointError(
            f'{self.directory} holds checkpoints of a different model: '
            f'{mismatch} (model sizes or the number of models changed?); '
            f'{_afresh(self.directory)}')
      try:
        state, metrics = self.restore(step, like)
      except Exception as e:  # pylint: disable=broad-except
        damaged.append((step, e))
        continue
      for bad_step, error in damaged:
        logging.warning('%s: checkpoint step %d is damaged (%s: %s); resuming '
                        'from step %d and deleting it', self.directory,
                        bad_step, type(error).__name__, str(error)[:200], step)
        self._manager.delete(bad_step)
      return step, state, metrics
    raise CheckpointError(
        f'no intact checkpoint in {self.directory}: steps '
        f'{", ".join(str(s) for s, _ in damaged)} are damaged (first error: '
        f'{type(damaged[0][1]).__name__}: {str(damaged[0][1])[:200]}). Delete '
        'the directory to train this step afresh.')

  def close(self) -> None:
    self._manager.close()

  def __enter__(self) -> 'PhaseCheckpoints':
    return self

  def __exit__(self, *exc_info) -> None:
    self.close()


def saved_steps(directory: str) -> list[int]:
  """The completed steps saved in `directory`, newest first ([] if none)."""
  if not os.path.isdir(directory):
    return []
  return sorted((int(name) for name in os.listdir(directory) if name.isdigit()),
                reverse=True)


class _NoRecord(Exception):
  """A step saved without a record (wyner_jax 0.3.0 and earlier)."""


def _restore_record(manager: ocp.CheckpointManager, directory: str,
                    step: int) -> dict[str, Any]:
  if not os.path.isdir(os.path.join(directory, str(step), RECORD)):
    raise _NoRecord()
  restored = manager.restore(step, args=ocp.args.Composite(
      **{RECORD: ocp.args.JsonRestore()}))
  return dict(restored[RECORD])


def read_record(directory: str, step: int) -> dict[str, Any]:
  """The TrainingRecord (as saved, a dict) of one step.

  Raises:
    _NoRecord: the step was saved without one.
    Exception: of Orbax's many types when the record is damaged.
  """
  with ocp.CheckpointManager(directory, item_handlers=_item_handlers()) as manager:
    return _restore_record(manager, directory, step)


def check_record(directory: str, step: int, saved: dict[str, Any],
                 record: TrainingRecord) -> None:
  """Raises CheckpointError unless step `step` was trained as `record` says."""
  mismatch = record_mismatch(saved['fields'], record.to_json()['fields'],
                             record.retired)
  if mismatch:
    raise CheckpointError(
        f'{mismatch} (step {step} of {directory}); {_afresh(directory)}')
  if saved.get('digest', '') != record.digest:
    raise CheckpointError(
        f'the data differ from those step {step} of {directory} was trained '
        f'on (checksum {record.digest} here, {saved.get("digest")!r} there: '
        f'was a data file rewritten?); {_afresh(directory)}')


def check_resumable(directory: str, record: TrainingRecord,
                    num_steps: int, section: str | None = None) -> None:
  """Checks, reading only, that the checkpoints in `directory` can be resumed
  (or used as finished) by a run with `record` and `num_steps` steps.

  Run it for every phase before any work, so that a refused run changes
  nothing on disk. Damaged steps are skipped here (resuming falls back from
  them); the newest readable step decides.

  `section` is the config section holding `num_steps` (default: the
  directory's name, the phase's).

  Raises:
    CheckpointError: a setting in the record differs (naming the field, the
      new and the saved value), the checkpoints are of wyner_jax 0.3.0 or
      earlier (no record), or they went past `num_steps`.
  """
  for step in saved_steps(directory):
    try:
      saved = read_record(directory, step)
    except _NoRecord:
      raise CheckpointError(
          f'{directory} holds checkpoints without a record of what they '
          'trained (written by wyner_jax 0.3.0 or earlier), so they cannot be '
          f'checked against this config; {_afresh(directory)}') from None
    except Exception:  # pylint: disable=broad-except
      continue  # damaged: resuming falls back to an older step
    check_record(directory, step, saved, record)
    if step > num_steps:
      phase = section or os.path.basename(directory.rstrip('/'))
      raise CheckpointError(
          f'{phase}.num_steps={num_steps} is below step {step} saved in '
          f'{directory}: those models trained longer than this config says; '
          f'set {phase}.num_steps >= {step}, or {_afresh(directory)}')
    return
