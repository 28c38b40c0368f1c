"""What runs keep between processes: compiled programs, the judges and the
wrapper's trained autoencoders.

All live in one user cache directory, `root()`: $WYNER_JAX_CACHE_DIR, else
$XDG_CACHE_HOME/wyner_jax, else ~/.cache/wyner_jax:

  xla/           JAX's persistent compilation cache, on in every launcher
                 ($JAX_COMPILATION_CACHE_DIR, when set, is used instead)
  judges/        the judging classifiers and feature autoencoders (those of
                 the embedded digits ship with the project instead:
                 experiments.judging.instruments)
                 (config.eval.classifier_dir, when set, is used instead)
  autoencoders/  the finished checkpoints of model.wrapper's autoencoders,
                 copied into the workdir of a later run that would train the
                 same ones (the same record: data, their fields, steps)

Every judge and autoencoder entry holds the key it was built for (the data's
checksum, its own settings, the versions of the code that trained it) and a
checksum of its bytes; an entry whose key differs (foreign) or whose bytes do
not match (damaged) is rebuilt and replaced, never used. JAX reads a damaged
compiled program as a miss and compiles again (with a warning), but leaves the
file; `enable_compilation_cache` removes such files, so the program is cached
afresh.

Entries are written under a temporary name unique to the writer and renamed
when complete, so processes building one entry at once do not collide (the
last rename wins; each wrote the same entry). A cache directory that cannot
be written (read-only, or a path that is a file) is refused in one line
before any work (`check_writable`, CacheError), not after training.
"""

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

from absl import logging
import flax
import jax
import jaxlib
import optax
from flax import serialization

import wyner_jax
from wyner_jax.errors import WynerError

ROOT_VARIABLE = 'WYNER_JAX_CACHE_DIR'
# The text of JAX's warning for a compiled program it could not read back.
_JAX_READ_ERROR = 'Error reading persistent compilation cache entry'


def root() -> str:
  """The user cache directory (module docstring)."""
  if os.environ.get(ROOT_VARIABLE):
    return os.path.abspath(os.environ[ROOT_VARIABLE])
  base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
      os.path.expanduser('~'), '.cache')
  return os.path.join(base, 'wyner_jax')


class CacheError(WynerError, OSError):
  """A cache directory cannot be used (read-only, or not a directory)."""


def check_writable(directory: str, what: str) -> None:
  """Creates `directory` if absent and writes and removes a probe file in it;
  CacheError in one line, naming the directory and what to do, otherwise."""
  try:
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryFile(dir=directory):
      pass
  except OSError as e:
    raise CacheError(
        f'the {what} {directory} cannot be used ({e.strerror or e}); set '
        f'${ROOT_VARIABLE} to a writable directory (or remove what is in '
        'the way)') from None


def judge_directory(classifier_dir: str) -> str:
  """Where the judges are cached: `eval.classifier_dir`, or root()/judges."""
  return classifier_dir or os.path.join(root(), 'judges')


def enable_compilation_cache() -> str:
  """Turns JAX's persistent compilation cache on for this process; returns
  its directory. Every program is cached, however fast it compiled (a run's
  evaluation compiles hundreds of small ones)."""
  directory = os.environ.get('JAX_COMPILATION_CACHE_DIR') or os.path.join(
      root(), 'xla')
  check_writable(directory, 'compilation cache')
  jax.config.update('jax_compilation_cache_dir', directory)
  if 'JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS' not in os.environ:
    jax.config.update('jax_persistent_cache_min_compile_time_secs', 0)
  _watch_damaged_entries(directory)
  return directory


def _watch_damaged_entries(directory: str) -> None:
  """On JAX's warning that an entry could not be read, removes the entries
  of `directory` that do not decompress (the warning does not name the file),
  so that they are written again when their programs compile."""
  shown = warnings.showwarning

  def show(message, category, filename, lineno, file=None, line=None):
    if _JAX_READ_ERROR in str(message):
      removed = remove_damaged_programs(directory)
      logging.warning('%s; removed %d damaged entr%s of %s, compiled afresh',
                      message, len(removed), 'y' if len(removed) == 1 else
                      'ies', directory)
      return
    shown(message, category, filename, lineno, file, line)

  warnings.showwarning = show


def remove_damaged_programs(directory: str) -> list[str]:
  """Removes the entries of a JAX compilation cache directory that do not
  decompress; returns their paths."""
  # JAX's own reader of its entries (zstd or zlib, whichever wrote them).
  from jax._src import compilation_cache  # pylint: disable=import-outside-toplevel
  removed = []
  for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else ():
    path = os.path.join(directory, name)
    if not name.endswith('-cache') or not os.path.isfile(path):
      continue
    with open(path, 'rb') as f:
      blob = f.read()
    try:
      compilation_cache.decompress_executable(blob)
    except Exception:  # pylint: disable=broad-except
      os.remove(path)
      removed.append(path)
  return removed


def code_versions() -> dict[str, str]:
  """The versions of the code that trains a judge (part of its key)."""
  return {'wyner_jax': wyner_jax.__version__, 'jax': jax.__version__,
          'jaxlib': jaxlib.__version__, 'flax': flax.__version__,
          'optax': optax.__version__}


def load_or_build(path: str, key: dict[str, Any], target: Any,
                  build: Callable[[], Any]) -> Any:
  """The pytree cached at `path` for `key`, or `build()`'s, then cached.

  Args:
    path: the entry's file.
    key: JSON-able: everything the entry depends on (code_versions() is
      added here).
    target: a pytree of the entry's structure (`flax.serialization`).
    build: makes the entry when the cache has none for `key`.

  Written to a temporary name and renamed (complete or absent); with several
  processes each builds the same entry and only process 0 writes it.
  """
  key = json.loads(json.dumps({**key, **code_versions()}, sort_keys=True))
  if os.path.exists(path):
    cached, why = read_entry(path, key, target)
    if why is None:
      logging.info('judge cache: read %s', path)
      return cached
    logging.warning('judge cache %s is %s; building it again', path, why)
  tree = build()
  logging.info('judge cache: built %s', path)
  if jax.process_index() == 0:
    write_entry(path, key, tree)
  return tree


def write_entry(path: str, key: dict[str, Any], tree: Any) -> None:
  """Writes the pytree `tree` with its `key` and the sha256 of its bytes at
  `path`, under a temporary name first (complete or absent)."""
  payload = serialization.to_bytes(tree)
  entry = serialization.msgpack_serialize({
      'key': json.dumps(key, sort_keys=True),
      'sha256': hashlib.sha256(payload).hexdigest(), 'payload': payload})
  os.makedirs(os.path.dirname(path), exist_ok=True)
  handle, partial = tempfile.mkstemp(
      dir=os.path.dirname(path), prefix=os.path.basename(path) + '.',
      suffix='.partial')
  with os.fdopen(handle, 'wb') as f:
    f.write(entry)
  os.replace(partial, path)


def read_entry(path: str, key: dict[str, Any], target: Any
               ) -> tuple[Any, str | None]:
  """(the pytree of the entry at `path`, None), or (None, why it cannot be
  used for `key`: foreign or damaged)."""
  with open(path, 'rb') as f:
    blob = f.read()
  try:
    entry = serialization.msgpack_restore(blob)
    stored_key, payload = json.loads(entry['key']), entry['payload']
    digest = entry['sha256']
  except Exception:  # pylint: disable=broad-except
    return None, 'damaged (not an entry of this cache)'
  if stored_key != key:
    differ = sorted(k for k in key.keys() | stored_key.keys()
                    if key.get(k) != stored_key.get(k))
    return None, f'foreign (built for other {", ".join(differ)})'
  if hashlib.sha256(payload).hexdigest() != digest:
    return None, 'damaged (its bytes do not match their checksum)'
  try:
    return serialization.from_bytes(target, payload), None
  except Exception:  # pylint: disable=broad-except
    return None, 'damaged (its contents do not fit the judge)'


def checkpoint_key(record: dict[str, Any], num_steps: int,
                   phase: str) -> dict[str, Any]:
  """The key of a phase's finished checkpoints: the phase (two domains'
  autoencoders share every field and the data, not their networks), what
  its record says it trained on and with (fields, data checksum), its
  steps, the code versions."""
  return json.loads(json.dumps(
      {'phase': phase, 'fields': record['fields'], 'digest': record['digest'],
       'num_steps': num_steps, **code_versions()}, sort_keys=True))


def autoencoder_directory() -> str:
  """Where the wrapper's finished autoencoder checkpoints are kept."""
  return os.path.join(root(), 'autoencoders')


def checkpoint_entry(key: dict[str, Any]) -> str:
  """The cache directory of the checkpoints of `key`."""
  name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
  return os.path.join(autoencoder_directory(), name[:32])


def _file_digests(directory: str) -> dict[str, str]:
  out = {}
  for parent, _, names in os.walk(directory):
    for name in names:
      path = os.path.join(parent, name)
      with open(path, 'rb') as f:
        out[os.path.relpath(path, directory)] = hashlib.sha256(
            f.read()).hexdigest()
  return out


def keep_checkpoints(directory: str, key: dict[str, Any]) -> None:
  """Copies a finished phase's checkpoint `directory` into the cache (once;
  process 0), with the key and every file's checksum."""
  entry = checkpoint_entry(key)
  if os.path.exists(entry) or jax.process_index() != 0:
    return
  os.makedirs(os.path.dirname(entry), exist_ok=True)
  partial = tempfile.mkdtemp(dir=os.path.dirname(entry),
                             prefix=os.path.basename(entry) + '.',
                             suffix='.partial')
  shutil.copytree(directory, os.path.join(partial, 'checkpoints'))
  with open(os.path.join(partial, 'manifest.json'), 'w') as f:
    json.dump({'key': key, 'files': _file_digests(
        os.path.join(partial, 'checkpoints'))}, f, sort_keys=True)
  try:
    os.replace(partial, entry)
  except OSError:  # another process kept the same checkpoints first
    shutil.rmtree(partial, ignore_errors=True)
    return
  logging.info('checkpoint cache: kept %s as %s', directory, entry)


def restore_checkpoints(directory: str, key: dict[str, Any]) -> bool:
  """Copies the cached checkpoints of `key` to `directory` (absent); returns
  whether it did. A foreign or damaged entry is removed, not used."""
  entry = checkpoint_entry(key)
  if not os.path.isdir(entry):
    return False
  why = _check_entry(entry, key)
  if why is not None:
    logging.warning('checkpoint cache %s is %s; removed, training again',
                    entry, why)
    shutil.rmtree(entry, ignore_errors=True)
    return False
  partial = directory + '.copying'
  shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted copy
  shutil.copytree(os.path.join(entry, 'checkpoints'), partial)
  os.replace(partial, directory)
  logging.info('checkpoint cache: %s copied from %s', directory, entry)
  return True


def _check_entry(entry: str, key: dict[str, Any]) -> str | None:
  """None, or why the entry cannot be used."""
  try:
    with open(os.path.join(entry, 'manifest.json')) as f:
      manifest = json.load(f)
    stored_key, files = manifest['key'], manifest['files']
  except (OSError, ValueError, KeyError, TypeError):
    return 'damaged (no readable manifest)'
  if stored_key != key:
    return 'foreign (built for another key)'
  if _file_digests(os.path.join(entry, 'checkpoints')) != files:
    return 'damaged (its files do not match their checksums)'
  return None
