"""Figures, readable at a glance: titles, units, legible labels, a colour-blind-safe palette."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import matplotlib

matplotlib.use("Agg")
# Titles and labels carry user text (file names, class folders): never parse it as mathtext,
# where "$\\foo{$" is an error and a long formula is a denial of service.
matplotlib.rcParams["text.parse_math"] = False
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from envsound.errors import ConfigError  # noqa: E402
from envsound.utils import atomic_path  # noqa: E402

if TYPE_CHECKING:
    from envsound.inference.timeline import Segment, Timeline

# Okabe & Ito's palette: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def check_png(path: str | Path) -> Path:
    """Figures are PNG files; another suffix is refused (a PNG used to be written under any name,
    out.jpg included). Commands call it before their work, so a long scoring is not wasted."""
    if Path(path).suffix.lower() != ".png":
        raise ConfigError(f"{path}: figures are written as PNG; give a name ending in .png")
    return Path(path)


def save(fig: Figure, path: str | Path, tight: bool = True, dpi: int = 110) -> Path:
    """PNG, atomically. ``tight=False`` skips the second drawing pass a tight bounding box costs,
    for figures whose margins are set by hand (the web demo draws one per request)."""
    check_png(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)  # a no-op for a bare Figure, which pyplot never held
    return Path(path)


def epoch_boxplots(histories: dict[int, dict[str, list[float]]], path: str | Path) -> Path | None:
    """The study's figure: per-epoch boxplots across folds, train vs test, accuracy and loss."""
    curves = [h for h in histories.values() if h.get("train_loss")]
    if not curves:
        return None
    epochs = min(len(h["train_loss"]) for h in curves)
    fig, axes = plt.subplots(2, 1, figsize=(12, 8), sharex=True)
    for ax, metric, unit in ((axes[0], "acc", "accuracy"), (axes[1], "loss", "cross-entropy loss")):
        for offset, split, colour in ((-0.2, "train", PALETTE[0]), (0.2, "val", PALETTE[1])):
            key = f"{split}_{metric}"
            if not all(key in h and len(h[key]) >= epochs for h in curves):
                continue
            data = np.array([h[key][:epochs] for h in curves])  # folds × epochs
            x = np.arange(1, epochs + 1)
            step = max(1, epochs // 25)  # at most ~25 boxes per split keeps them readable
            shown = x[::step]
            ax.boxplot(data[:, ::step], positions=shown + offset * step, widths=0.35 * step, patch_artist=True, manage_ticks=False,
                       boxprops={"facecolor": colour, "alpha": 0.35, "edgecolor": colour}, medianprops={"color": colour},
                       whiskerprops={"color": colour}, capprops={"color": colour}, flierprops={"markeredgecolor": colour, "markersize": 3})
            mean, spread = data.mean(0), data.std(0)
            folds = f"{len(curves)} fold" + ("s" if len(curves) > 1 else "")
            label = ("train batches, augmented" if split == "train" else "test fold") + f" (mean of {folds})"
            ax.plot(x, mean, color=colour, lw=1.8, label=label)
            ax.fill_between(x, mean - spread, mean + spread, color=colour, alpha=0.12)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
    axes[0].set_title("Per-epoch accuracy and loss across folds (boxes: fold spread; band: mean ± std)")
    axes[1].set_xlabel("epoch")
    return save(fig, path)


def confusion_figure(matrix: np.ndarray, labels: Sequence[str], path: str | Path, title: str, group_size: int | None = None) -> Path:
    """Row-normalised confusion matrix; large matrices get small labels and category separators."""
    n = len(labels)
    big = n > 15
    size = max(6.0, 0.26 * n + 3) if big else 7.0
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    # a square-root colour scale keeps the few-percent confusions visible beside a dark diagonal
    image = ax.imshow(matrix, cmap="Blues", norm=matplotlib.colors.PowerNorm(0.5, vmin=0, vmax=1), interpolation="nearest")
    if big:
        ax.set_xticks(range(n), labels, rotation=90, fontsize=7)
    else:
        ax.set_xticks(range(n), labels, rotation=30, ha="right", rotation_mode="anchor", fontsize=10)
    ax.set_yticks(range(n), labels, fontsize=7 if big else 10)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    for i in range(n):
        for j in range(n):
            value = matrix[i, j]
            if value >= (0.05 if big else 0.005):
                ax.text(j, i, f"{value * 100:.0f}" if big else f"{value:.1%}", ha="center", va="center", fontsize=5.5 if big else 10,
                        color="white" if value > 0.3 else "black")
    if group_size:
        for edge in range(group_size, n, group_size):
            ax.axhline(edge - 0.5, color=PALETTE[3], lw=0.8)
            ax.axvline(edge - 0.5, color=PALETTE[3], lw=0.8)
    colourbar = fig.colorbar(image, ax=ax, fraction=0.035, pad=0.02)
    colourbar.set_label("fraction of the true class" + (" (cells show %, ≥5 %)" if big else ""))
    return save(fig, path)


def per_class_figure(classes: Sequence[str], model_acc: np.ndarray, human: dict[str, float] | None, path: str | Path) -> Path:
    """Classes sorted by the model's accuracy, with humans beside them when known."""
    order = np.argsort(model_acc)
    n = len(classes)
    fig, ax = plt.subplots(figsize=(9, max(4.0, 0.22 * n + 1)))
    y = np.arange(n)
    height = 0.4 if human else 0.8
    ax.barh(y + (height / 2 if human else 0), model_acc[order], height, color=PALETTE[0], label="model")
    if human:
        ax.barh(y - height / 2, [human.get(classes[i], np.nan) for i in order], height, color=PALETTE[1], label="humans (ESC-50 study)")
    ax.set_yticks(y, [classes[i] for i in order], fontsize=7 if n > 20 else 10)
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy (cross-validated test predictions)")
    ax.set_title("Per-class accuracy, sorted by the model's", pad=28)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    return save(fig, path)


def compare_figure(
    names: Sequence[str],
    fold_accuracies: Sequence[Sequence[float]],
    path: str | Path,
    reference: tuple[str, float] | None = None,
    title: str = "Cross-validated accuracy by run",
    baseline: int | None = None,
) -> Path:
    """Mean ± std bars with a dot per fold; with ``baseline`` (an index into ``names``), a second
    panel of each run's per-fold gain over it, since folds differ in difficulty far more than runs do."""
    paired = baseline is not None
    fig, axes = plt.subplots(1, 2 if paired else 1, figsize=(max(6.0, 1.2 * len(names) + 2) * (1.7 if paired else 1), 4.5), squeeze=False, width_ratios=[3, 2] if paired else None)
    ax = axes[0, 0]
    means = [float(np.mean(a)) for a in fold_accuracies]
    stds = [float(np.std(a)) for a in fold_accuracies]
    x = np.arange(len(names))
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    ax.bar(x, means, yerr=stds, capsize=6, color=colours, alpha=0.85)
    for i, accs in enumerate(fold_accuracies):
        ax.scatter(np.full(len(accs), i) + np.linspace(-0.15, 0.15, len(accs)), accs, color="black", s=12, zorder=3)
        top = max(means[i] + stds[i], max(accs))
        ax.text(i, top + 0.015, f"{means[i]:.1%}", ha="center", va="bottom", fontsize=10)
    if reference:
        ax.axhline(reference[1], color=PALETTE[7], ls="--", lw=1, label=f"{reference[0]} {reference[1]:.1%}")
        ax.legend(loc="lower right", framealpha=0.95, fontsize=9)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylabel("accuracy (mean ± std over folds; dots: folds)")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    if paired:
        _paired_gains(axes[0, 1], names, fold_accuracies, baseline, colours)
    return save(fig, path)


def _paired_gains(ax: plt.Axes, names: Sequence[str], fold_accuracies: Sequence[Sequence[float]], baseline: int, colours: list[str]) -> None:
    base = np.asarray(fold_accuracies[baseline])
    others = [i for i in range(len(names)) if i != baseline]
    for j, i in enumerate(others):
        gains = 100 * (np.asarray(fold_accuracies[i]) - base)
        ax.scatter(np.full(len(gains), j) + np.linspace(-0.15, 0.15, len(gains)), gains, color="black", s=12, zorder=3)
        ax.hlines(gains.mean(), j - 0.3, j + 0.3, color=colours[i], lw=4)
        ax.text(j + 0.32, gains.mean(), f"{gains.mean():+.1f}", va="center", fontsize=10)
    ax.axhline(0, color=PALETTE[7], lw=1)
    ax.set_xticks(np.arange(len(others)), [names[i] for i in others], rotation=20, ha="right")
    ax.set_xlim(-0.6, len(others) - 0.2)
    ax.set_ylabel(f"gain over {names[baseline]} (points; dots: folds)")
    ax.set_title(f"Paired by fold, against {names[baseline]}")
    ax.grid(axis="y", alpha=0.3)


def clip_figure(signal: np.ndarray, sample_rate: int, path: str | Path, title: str, max_columns: int = 2000) -> Path:
    """Waveform, linear-frequency spectrogram (dB) and log-mel spectrogram of one clip.

    A long recording is drawn at a bounded resolution (at most ``max_columns`` spectrogram frames,
    the waveform as a min/max envelope), so memory and time stay flat in its length. Built on a
    bare ``Figure``, not pyplot, and with NumPy only (no torch), so the web demo can draw in light
    worker processes.
    """
    from envsound.features.mel import slaney_filterbank
    from envsound.features.numpy_frontend import power_spectrogram

    signal = np.asarray(signal, dtype=np.float32)
    seconds = len(signal) / sample_rate
    fig = Figure(figsize=(11, 9))
    grid = fig.subplots(3, 2, width_ratios=[40, 1], sharex="col", gridspec_kw={"wspace": 0.03})
    axes, bars = grid[:, 0], grid[:, 1]
    bars[0].axis("off")
    points = 4000
    if len(signal) > 2 * points:
        chunk = len(signal) // points
        blocks = signal[: chunk * points].reshape(points, chunk)
        t = (np.arange(points) + 0.5) * chunk / sample_rate
        axes[0].fill_between(t, blocks.min(axis=1), blocks.max(axis=1), color=PALETTE[0], lw=0.5)
    else:
        axes[0].plot(np.arange(len(signal)) / sample_rate, signal, color=PALETTE[0], lw=0.5)
    axes[0].set_ylabel("amplitude")
    axes[0].set_title(title)
    axes[0].grid(alpha=0.3)
    axes[0].set_xlim(0, seconds)
    n_fft, hop = 1024, max(sample_rate // 100, -(-len(signal) // max_columns))
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)  # periodic Hann
    spec = power_spectrogram(signal[None], n_fft, hop, window, "reflect")[0]
    db = 10 * np.log10(spec + 1e-10)
    db = np.maximum(db, db.max() - 80)
    image = axes[1].imshow(db, origin="lower", aspect="auto", extent=(0, seconds, 0, sample_rate / 2), cmap="magma")
    axes[1].set_ylabel("frequency (Hz)")
    axes[1].set_title(f"spectrogram (1024-point STFT, {1000 * hop / sample_rate:.0f} ms hop)")
    fig.colorbar(image, cax=bars[1], label="power (dB)")
    n_mels = 64
    mel = 10 * np.log10(slaney_filterbank(sample_rate, n_fft, n_mels, 0.0, None) @ spec + 1e-6)
    mel = np.maximum(mel, mel.max() - 80)
    image = axes[2].imshow(mel, origin="lower", aspect="auto", extent=(0, seconds, 0, n_mels), cmap="magma")
    axes[2].set_ylabel("mel band")
    axes[2].set_xlabel("time (s)")
    axes[2].set_title("mel spectrogram (64 bands)")
    fig.colorbar(image, cax=bars[2], label="power (dB)")
    fig.subplots_adjust(left=0.08, right=0.92, bottom=0.06, top=0.96, hspace=0.28)
    return save(fig, path, tight=False, dpi=90)  # 990 px wide: the page's width, and drawn per request


def clip_figure_png(signal: np.ndarray, sample_rate: int, title: str) -> bytes:
    """``clip_figure`` as PNG bytes: a top-level function a process pool can run."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return clip_figure(signal, sample_rate, Path(tmp) / "clip.png", title).read_bytes()


def timeline_figure(timeline: "Timeline", segments: "list[Segment]", out: str | Path) -> Path:
    """A long recording's coarse spectrogram with its labelled segments underneath."""
    fig, (ax_spec, ax_seg) = plt.subplots(2, 1, figsize=(14, 6), sharex=True, height_ratios=[3, 1.4])
    if timeline.overview is not None:
        ax_spec.imshow(timeline.overview, origin="lower", aspect="auto", cmap="magma", extent=(0, timeline.starts[-1] + timeline.hop_seconds, 0, timeline.overview.shape[0]))
    ax_spec.set_ylabel("mel band")
    ax_spec.set_title(f"{Path(timeline.file).name}: {len(segments)} segments (window {timeline.window_seconds:g} s, hop {timeline.hop_seconds:g} s)")
    # background is shown as what it is, nothing: only events get a bar
    segments = [seg for seg in segments if seg.label != "background"]
    # order of first appearance, so neighbours differ; past 8 labels the palette must repeat
    first_seen = list(dict.fromkeys(seg.label for seg in segments))
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(first_seen)}
    for seg in segments:
        ax_seg.barh(0, seg.end - seg.start, left=seg.start, color=colours[seg.label], alpha=0.85, edgecolor="white")
        ax_seg.text((seg.start + seg.end) / 2, 0, seg.label.replace("_", " "), ha="center", va="center", fontsize=8, rotation=90 if seg.end - seg.start < 4 else 0, color="black")
    ax_seg.set_yticks([])
    ax_seg.set_xlabel("time (s)")
    ax_seg.set_xlim(0, timeline.duration)
    return save(fig, out)


def reliability_figure(curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], path: str | Path, title: str) -> Path:
    """Accuracy against confidence per bin (the diagonal is perfect calibration), one line per
    curve, with how many clips fall in each bin underneath."""
    fig, (ax, ax_n) = plt.subplots(2, 1, figsize=(6.5, 7), sharex=True, height_ratios=[3, 1])
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfectly calibrated")
    width = 1 / max(1, len(next(iter(curves.values()))[0]))
    for i, (name, (confidence, accuracy, counts)) in enumerate(curves.items()):
        keep = counts > 0
        ax.plot(confidence[keep], accuracy[keep], "o-", color=PALETTE[i], label=name)
        ax_n.bar(np.arange(len(counts))[keep] * width + width * (0.3 + 0.4 * i), counts[keep], width * 0.4, color=PALETTE[i])
    ax.set_ylabel("accuracy of the top label")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    ax.set_title(title)
    ax_n.set_xlabel("confidence (top probability)")
    ax_n.set_ylabel("clips")
    return save(fig, path)


def coverage_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: str | Path, title: str, marks: dict[str, tuple[float, float]] | None = None) -> Path:
    """Accuracy of the answers against the share answered, one line per model: answering only its
    most confident clips, how right is a model? ``marks``: each model's own threshold, as a dot."""
    fig, ax = plt.subplots(figsize=(5.2, 4.0))
    for name, (coverage, accuracy) in curves.items():
        line = ax.plot(coverage * 100, accuracy * 100, label=name)[0]
        if marks and name in marks:
            ax.plot(marks[name][0] * 100, marks[name][1] * 100, "o", color=line.get_color())
    ax.set_xlabel("answered (%)")
    ax.set_ylabel("accuracy of the answers (%)")
    ax.set_xlim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return save(fig, path)
