"""The examples of docs/api.md run as written and their losses fall."""

import os
import re

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def code_blocks(path):
  with open(path) as f:
    return re.findall(r'```python\n(.*?)```', f.read(), flags=re.DOTALL)


def test_api_doc_has_two_examples():
  assert len(code_blocks(os.path.join(REPO, 'docs', 'api.md'))) == 2


@pytest.mark.parametrize('index', [0, 1], ids=['plain JAX + optax', 'Flax NNX'])
def test_api_examples_run_and_their_losses_fall(index):
  namespace = {'__name__': f'api_example_{index}'}
  exec(code_blocks(os.path.join(REPO, 'docs', 'api.md'))[index], namespace)  # pylint: disable=exec-used
  losses = namespace['losses']
  assert sum(losses[-20:]) / 20 < 0.5 * sum(losses[:20]) / 20, (losses[:3], losses[-3:])
  if index == 0:  # step 2 learns too, against the frozen decoders
    marginal = namespace['marginal_losses']
    assert sum(marginal[-20:]) / 20 < 0.7 * sum(marginal[:20]) / 20
    check_generation(namespace)


def nearest(prototypes, images):
  """Index of the nearest prototype [C, D] of each image [..., D]."""
  return np.argmin(np.linalg.norm(images[..., None, :] - prototypes, axis=-1), -1)


def check_generation(ns):
  """Y given x shows label(x) + 1 as the toy pairs do (nearest prototype);
  shapes of the rest."""
  prototypes, classes = np.asarray(ns['prototypes']), ns['CLASSES']
  x, y_samples = np.asarray(ns['x']), np.asarray(ns['y_samples'])
  assert y_samples.shape == (8, 5, 16)
  label_x = nearest(prototypes[0], x)
  accuracy = np.mean(nearest(prototypes[1], y_samples)
                     == (label_x[:, None] + 1) % classes)
  assert accuracy >= 0.75, accuracy  # chance 0.25; measured 0.85
  assert ns['grid'].shape == (8, 4, 16)
  assert ns['x_new'].shape == ns['y_new'].shape == (16, 16)


def test_example_1_takes_gaussian_families_as_the_doc_says():
  """docs/api.md, "Gaussian latents": swapping in Gaussian families is all
  it takes (the encoders are sized from param_shape, the decoders from
  sample_shape)."""
  code = code_blocks(os.path.join(REPO, 'docs', 'api.md'))[0]
  categorical = ("LATENTS = {'z': wyner_jax.Categorical(1, 4), "
                 "'u': wyner_jax.Categorical(1, 2),\n"
                 "           'v': wyner_jax.Categorical(1, 2)}")
  assert categorical in code
  namespace = {'__name__': 'api_example_gaussian'}
  exec(code.replace(categorical, "LATENTS = {'z': wyner_jax.Gaussian(8), "  # pylint: disable=exec-used
                    "'u': wyner_jax.Gaussian(2), 'v': wyner_jax.Gaussian(2)}"),
       namespace)
  losses = namespace['losses']
  assert sum(losses[-20:]) / 20 < 0.5 * sum(losses[:20]) / 20, (losses[:3], losses[-3:])
  assert namespace['y_samples'].shape == (8, 5, 16)


def test_the_api_reference_lists_every_exported_name():
  import wyner_jax  # pylint: disable=import-outside-toplevel
  with open(os.path.join(REPO, 'docs', 'api.md')) as f:
    reference = f.read().split('## Reference', 1)[1].split('\n## ', 1)[0]
  listed = set(re.findall(r'^\| `([A-Za-z_]+)` \|', reference, flags=re.MULTILINE))
  assert listed == set(wyner_jax.__all__), (set(wyner_jax.__all__) - listed,
                                            listed - set(wyner_jax.__all__))


def test_the_configs_doc_lists_every_field_of_the_default_config():
  from configs import synthetic  # pylint: disable=import-outside-toplevel

  def leaves(group, prefix=''):
    for name, value in group.items():
      if hasattr(value, 'items'):
        yield from leaves(value, f'{prefix}{name}.')
      else:
        yield prefix + name

  with open(os.path.join(REPO, 'docs', 'configs.md')) as f:
    doc = f.read()
  missing = [p for p in leaves(synthetic.get_config(None)) if f'`{p}`' not in doc]
  assert not missing, missing


def test_the_layout_doc_has_a_row_for_every_module():
  # A module without a row is one a reader cannot place (issue 33 found
  # four); a directory row ('wyner_jax/baselines/', 'configs/') covers the
  # modules in it.
  with open(os.path.join(REPO, 'docs', 'layout.md')) as f:
    named = set(re.findall(r'`([\w/.]+)`', f.read()))
  missing = []
  for package in ('wyner_jax', 'experiments', 'benchmarks', 'configs', 'tests'):
    for root, _, files in os.walk(os.path.join(REPO, package)):
      for name in files:
        path = os.path.relpath(os.path.join(root, name), REPO)
        folders = {os.path.dirname(path) + '/', package + '/'}
        if (name.endswith('.py') and name != '__init__.py'
            and path not in named and not folders & named):
          missing.append(path)
  assert not missing, missing


def test_sweep_directories_name_categorical_and_gaussian_sizes():
  from experiments.many_runs import size_sweep  # pylint: disable=import-outside-toplevel
  fields = ('model.u', 'model.v')
  assert size_sweep.setting_dirname(fields, (2, 10)) == 'uv_2x10'
  assert size_sweep.setting_dirname(fields, (8,)) == 'uv_8'  # IndexError in 1.0.0
  assert size_sweep.setting_dirname(('model.z',), (0, 0)) == 'z_0x0'
