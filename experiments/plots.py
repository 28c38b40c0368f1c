"""Figures in the layout of the paper's Figure 4: image grids saved as PNG."""

import os

from matplotlib.figure import Figure
import numpy as np

Shape = tuple[int, ...]
PAD = 2
BACKGROUND = 0.85  # light grey between cells


def cell(row: np.ndarray, shape: Shape) -> np.ndarray:
  """One example [D] -> an [H, W, 3] picture in [0, 1]: gray images inverted
  (dark ink on white, as digits are read), colour images as they are,
  vectors as a strip of D cells scaled to their range."""
  if len(shape) == 1:
    values = np.asarray(row, np.float32)
    span = float(values.max() - values.min()) or 1.0
    strip = 1.0 - (values - values.min()) / span
    return np.repeat(np.repeat(strip[None, :, None], max(1, shape[0] // 8), 0),
                     3, 2)
  image = np.clip(np.asarray(row, np.float32).reshape(shape), 0.0, 1.0)
  if image.ndim == 2 or image.shape[-1] == 1:
    return np.repeat(1.0 - image.reshape(shape[:2])[..., None], 3, 2)
  return image[..., :3]


def cells(images: np.ndarray, shape: Shape) -> list[list[np.ndarray]]:
  """[R, C, D] examples of one side -> R rows of C pictures."""
  return [[cell(image, shape) for image in row] for row in images]


def join(first: np.ndarray, second: np.ndarray, joined: str) -> np.ndarray:
  """Two pictures of the halves of one image as that image: `first` left of
  `second` ('beside') or above it ('above')."""
  return np.concatenate([first, second], axis=1 if joined == 'beside' else 0)


def joined_cells(x: np.ndarray, y: np.ndarray, shapes: tuple[Shape, Shape],
                 joined: str) -> list[list[np.ndarray]]:
  """[R, C, Dx] and [R, C, Dy] halves (either may be [R, 1, D], repeated
  along C) -> R rows of C pictures of the joined images."""
  columns = max(x.shape[1], y.shape[1])
  x, y = (np.repeat(a, columns, 1) if a.shape[1] == 1 else a for a in (x, y))
  return [[join(cell(a, shapes[0]), cell(b, shapes[1]), joined)
           for a, b in zip(row_x, row_y)] for row_x, row_y in zip(x, y)]


def beside(*blocks: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
  """Blocks of equally many rows, placed left to right."""
  return [sum(rows, []) for rows in zip(*blocks)]


def tile(grid: list[list[np.ndarray]], pad: int = PAD) -> np.ndarray:
  """Rows of pictures (of any sizes) -> one RGB canvas; each picture in a
  cell of the largest height and width, separated by `pad` grey pixels."""
  height = max(c.shape[0] for row in grid for c in row)
  width = max(c.shape[1] for row in grid for c in row)
  cols = max(len(row) for row in grid)
  canvas = np.full((len(grid) * (height + pad) - pad,
                    cols * (width + pad) - pad, 3), BACKGROUND, np.float32)
  for r, row in enumerate(grid):
    for c, picture in enumerate(row):
      top, left = r * (height + pad), c * (width + pad)
      canvas[top:top + picture.shape[0], left:left + picture.shape[1]] = picture
  return canvas


def _show(ax, canvas: np.ndarray, title: str) -> None:
  ax.imshow(canvas, vmin=0.0, vmax=1.0, interpolation='nearest')
  ax.set_title(title, fontsize=9)
  ax.set_xticks([])
  ax.set_yticks([])


def figure(*grid: int, figsize: tuple[float, float], **kwargs):
  """(figure, axes) of a grid of subplots, made outside pyplot: no backend
  is chosen or needed (PNG files only), so importing this module leaves a
  notebook's own display alone."""
  fig = Figure(figsize=figsize)
  return fig, fig.subplots(*grid, **kwargs)


def _save(fig, path: str) -> None:
  os.makedirs(os.path.dirname(path), exist_ok=True)
  fig.savefig(path, dpi=110, bbox_inches='tight')


def conditional_generation(path: str, x: np.ndarray, y_samples: np.ndarray,
                           y: np.ndarray, x_samples: np.ndarray,
                           shapes: tuple[Shape, Shape], joined: str = ''
                           ) -> None:
  """Left: each row a condition x (first column) then samples y ~ p(y|x).

  Right: the same for x ~ p(x|y).

  Args:
    x, y: [R, Dx], [R, Dy] conditions (row r a test pair); y_samples
      [R, S, Dy], x_samples [R, S, Dx].
    shapes: the shapes of one x and one y.
    joined: 'beside' or 'above' when the sides are halves of one image
      (`experiments.data.PairedData.joined`): each sample is shown joined to
      its condition, after the real pair joined (first column).
  """
  shape_x, shape_y = shapes
  width = 2 if joined == 'beside' else 1
  fig, axes = figure(1, 2, figsize=(
      2 + 0.45 * width * (y_samples.shape[1] + bool(joined)) * 2,
      0.5 * len(x) * (2 if joined == 'above' else 1) + 0.6))
  if joined:
    real = joined_cells(x[:, None], y[:, None], shapes, joined)
    panels = (beside(real, joined_cells(x[:, None], y_samples, shapes, joined)),
              beside(real, joined_cells(x_samples, y[:, None], shapes, joined)))
    titles = ('Y given x  (first column: the real pair)',
              'X given y  (first column: the real pair)')
  else:
    panels = (beside(cells(x[:, None], shape_x), cells(y_samples, shape_y)),
              beside(cells(y[:, None], shape_y), cells(x_samples, shape_x)))
    titles = 'Y given x  (first column: x)', 'X given y  (first column: y)'
  for ax, panel, title in zip(axes, panels, titles):
    _show(ax, tile(panel), title)
  _save(fig, path)


def style_transfer(path: str, x_style: np.ndarray, y_concept: np.ndarray,
                   grid: np.ndarray, shapes: tuple[Shape, Shape]) -> None:
  """Top row: concept references y_j; left column: style references x0_i;
  cell (i, j): x(u_i, z_j). grid is [R, C, Dx]."""
  shape_x, shape_y = shapes
  rows, cols = grid.shape[:2]
  blank = np.full(cell(x_style[0], shape_x).shape, BACKGROUND, np.float32)
  header = [[blank] + cells(y_concept[None], shape_y)[0]]
  body = beside(cells(x_style[:, None], shape_x), cells(grid, shape_x))
  fig, ax = figure(figsize=(0.45 * (cols + 1) + 0.4, 0.45 * (rows + 1) + 0.6))
  _show(ax, tile(header + body),
        'Style transfer: rows = style x0 (left), columns = concept y (top)')
  _save(fig, path)


def joint_samples(path: str, x: np.ndarray, y: np.ndarray,
                  shapes: tuple[Shape, Shape], cols: int = 16,
                  joined: str = '') -> None:
  """Pairs (x, y) from the priors: each x with its y directly below it, or
  (`joined`, halves of one image) each pair as its joined image."""
  rows = len(x) // cols
  x, y = (a[:rows * cols].reshape(rows, cols, -1) for a in (x, y))
  if joined:
    grid = joined_cells(x, y, shapes, joined)
    title = 'Joint samples (x, y) ~ p, each pair joined'
  else:
    grid = [row for pair in zip(cells(x, shapes[0]), cells(y, shapes[1]))
            for row in pair]
    title = 'Joint samples (x, y) ~ p: x above its paired y'
  fig, ax = figure(figsize=(0.45 * cols + 0.4, 0.45 * 2 * rows + 0.6))
  _show(ax, tile(grid), title)
  _save(fig, path)


def sweep_samples(path: str, labels: list[str],
                  panels: list[tuple[list, list]]) -> None:
  """One row per setting: conditional samples for two inputs (first column:
  the input x, then y ~ p(y|x)) and style transfer (first column: the style
  x0, then x(u0, z_j) for concepts y of digits 0, 1, ...); each panel rows
  of pictures (`cells`)."""
  fig, axes = figure(len(labels), 2, squeeze=False,
                           figsize=(2 * (0.42 * len(panels[0][0][0]) + 0.3),
                                    1.05 * len(labels) + 0.5))
  for row, (label, (conditional, transfer)) in enumerate(zip(labels, panels)):
    titles = (('Y given x (first column: x)', 'Style transfer (first column: style x0)')
              if row == 0 else ('', ''))
    for ax, canvas, title in zip(axes[row], (conditional, transfer), titles):
      _show(ax, tile(canvas), title)
    axes[row, 0].set_ylabel(label, fontsize=9, rotation=0, ha='right', va='center')
  _save(fig, path)


def comparison(path: str, labels: list[str],
               panels: list[tuple[list, list]]) -> None:
  """One row per model: Y given x (first column: the input x, then samples)
  and X given y (first column: y), the same inputs in every row."""
  # At least 3 inches a panel: the titles are wider than four samples.
  fig, axes = figure(len(labels), 2, squeeze=False,
                           figsize=(2 * max(3.0, 0.42 * len(panels[0][0][0])
                                            + 0.3),
                                    0.45 * len(panels[0][0]) * len(labels)
                                    + 0.5))
  for row, (label, canvases) in enumerate(zip(labels, panels)):
    titles = (('Y given x (first column: x)', 'X given y (first column: y)')
              if row == 0 else ('', ''))
    for ax, canvas, title in zip(axes[row], canvases, titles):
      _show(ax, tile(canvas), title)
    axes[row, 0].set_ylabel(label, fontsize=9, rotation=0, ha='right',
                            va='center')
  _save(fig, path)


def _error_bars(ax, positions, entries: list[dict], key: str, **style) -> None:
  """Mean over seeds with a ± std bar (no bar for a single seed); nothing
  for a metric the model lacks (a baseline has no joint reconstruction)."""
  if any(key not in e['mean'] for e in entries):
    return
  ax.errorbar(positions, [e['mean'][key] for e in entries],
              yerr=[e['std'][key] for e in entries], capsize=3,
              label=key.removeprefix('eval/'), **style)


def sweep_metrics(path: str, entries: list[dict]) -> None:
  """Accuracies, variabilities and style-transfer correlations against the
  setting: mean over seeds ± std, one line per metric."""
  labels = [entry['setting'] for entry in entries]
  groups = (
      ('accuracy', ('eval/accuracy_y_given_x', 'eval/accuracy_x_given_y',
                    'eval/style_transfer_accuracy', 'eval/latent_probe_accuracy',
                    'eval/joint_coherence')),
      ('variability (1 = real data)', ('eval/variability_y_given_x',
                                       'eval/style_variability_y_given_x',
                                       'eval/style_transfer_variability')),
      ('style transfer: correlation\nwith the style reference',
       ('eval/style_transfer_slant_corr', 'eval/style_transfer_thickness_corr')))
  fig, axes = figure(1, 3, figsize=(15, 3.6))
  for ax, (ylabel, keys) in zip(axes, groups):
    for key in keys:
      _error_bars(ax, range(len(entries)), entries, key, marker='o')
    ax.set_xticks(range(len(entries)), labels, rotation=20, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
  axes[0].set_ylim(bottom=0)
  axes[1].set_ylim(bottom=0)
  _save(fig, path)


def lambda_sweep(path: str, entries: list[dict]) -> None:
  """Rate, reconstruction error and accuracies against lambda: mean over
  seeds ± std per lambda."""
  lams = [entry['lam'] for entry in entries]
  groups = (
      ('rate E[KL(q(z|x,y) || p(z))] (nats)', ('joint/eval/kl/z',)),
      ('reconstruction error (squared)', ('joint/eval/rec/x', 'joint/eval/rec/y')),
      ('accuracy', ('eval/accuracy_joint_reconstruction',
                    'eval/accuracy_y_given_x', 'eval/accuracy_x_given_y')))
  positive = [lam for lam in lams if lam > 0]
  fig, axes = figure(1, 3, figsize=(13, 3.6))
  for ax, (ylabel, keys) in zip(axes, groups):
    for key in keys:
      _error_bars(ax, lams, entries, key, fmt='o')
    # symlog keeps lambda = 0 on a log-like axis.
    ax.set_xscale('symlog', linthresh=min(positive) if positive else 1.0)
    ax.set_xlabel('λ')
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # a baseline lacks some metrics
      ax.legend(fontsize=7)
  _save(fig, path)


def training_curves(path: str, rows: dict[str, list[dict[str, float]]],
                    terms: tuple[str, ...]) -> None:
  """The loss terms over steps: one panel per phase ({phase: rows by step}),
  one line per term the phase logs, on a log scale (a term that is 0
  throughout, an absent latent's KL, is left out)."""
  fig, axes = figure(1, len(rows), figsize=(4.5 * len(rows), 3.4),
                           squeeze=False)
  for ax, (phase, phase_rows) in zip(axes[0], rows.items()):
    steps = [row['step'] for row in phase_rows]
    for term in terms:
      values = np.array([row.get(term, np.nan) for row in phase_rows])
      if np.nanmax(np.abs(values), initial=0.0) > 0:
        ax.plot(steps, values, marker='.' if len(steps) < 20 else None,
                label=term)
    ax.set_yscale('log')
    ax.set_title(phase, fontsize=10)
    ax.set_xlabel('step')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
  axes[0][0].set_ylabel('train metric (nats; squared error)')
  _save(fig, path)
