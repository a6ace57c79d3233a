"""Redraws per second of the playground, with training steps between redraws, measured side by
side against redrawing the whole figure every frame.

A frame is what Play does: ``steps`` training steps, then the picture (heat map, fakes,
arrows, manifold, curves) rendered to PNG for the Image widget; W1 and modes are re-measured
every 5th frame, as the app does. "blit" is the playground's Canvas (artists updated in place,
background redrawn only when an axis grows); "full" draws the whole figure each frame (what
recreating or fully redrawing a matplotlib figure costs at least). Runs alternate so drift hits
both alike. Target: >= 10 redraws per second with >= 5 steps between them on 8 Gaussians at
width 128, on a laptop CPU.

    python bench/playground_redraw.py [--frames 60] [--steps 5] [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import numpy as np
import torch
from PIL import Image

from ganlab.playground import Canvas, Lab, Settings


def frames_per_second(frames: int, steps: int, full: bool) -> float:
    lab = Lab(Settings(data="8gaussians", width=128, depth=3, steps_per_frame=steps))
    canvas = Canvas(lab)
    canvas.draw(lab)
    start = time.perf_counter()
    for frame in range(1, frames + 1):
        lab.step(steps)
        if frame % 5 == 0:
            lab.measure()
        if full:
            canvas.update(lab)
            canvas.fig.canvas.draw()          # everything, animated artists included
            for artist in canvas.animated:
                canvas.fig.draw_artist(artist)
            rgb = np.asarray(canvas.fig.canvas.buffer_rgba())[..., :3]
            Image.fromarray(rgb).save(io.BytesIO(), format="png", compress_level=1)
        else:
            canvas.draw(lab)
    return frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rates = {"blit": [], "full": []}
    for _ in range(args.repeats):
        for mode in rates:
            rates[mode].append(frames_per_second(args.frames, args.steps, mode == "full"))
    blit, full = (statistics.median(v) for v in rates.values())
    print(f"8 Gaussians, width 128, {args.steps} steps per frame, {args.frames} frames, "
          f"{args.threads} thread(s), median of {args.repeats}:")
    print(f"  playground canvas (blit): {blit:5.1f} redraws/s  ({args.steps * blit:.0f} steps/s)")
    print(f"  full redraw every frame:  {full:5.1f} redraws/s")
    print(f"  ratio blit / full: {blit / full:.2f}x;  target >= 10 redraws/s: "
          f"{'met' if blit >= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
