#!/usr/bin/env python3
"""Medians over repeated upload_load_bench runs, as Markdown and gnuplot data.

Reads the output files of runs of the same points (the JSON lines that
upload_load_bench prints, one per point), takes the median of each figure
per point across the runs, and prints a Markdown table per point. With
--plot, also writes upload_load_bench's gnuplot data format from the
medians (see plot_latency.gp).

  tools/bench/summarize_runs.py run1.txt run2.txt run3.txt --plot closed.dat
"""

import argparse
import json
import statistics
import sys

MODES = ("proxy", "direct", "node")

ROWS = [
    ("uploads succeeded", "succeeded", "{:.0f}"),
    ("uploads failed", "failed", "{:.0f}"),
    ("throughput (uploads/s)", "uploads_per_s", "{:.1f}"),
    ("throughput (MiB/s)", "mib_per_s", "{:.2f}"),
    ("latency p50 (ms)", "p50_ms", "{:.1f}"),
    ("latency p90 (ms)", "p90_ms", "{:.1f}"),
    ("latency p99 (ms)", "p99_ms", "{:.1f}"),
    ("latency max (ms)", "max_ms", "{:.1f}"),
    ("CPU s per MiB (measured process)", "cpu_s_per_mib", "{:.4f}"),
    ("CPU ms per upload (measured process)", "cpu_ms_per_upload", "{:.2f}"),
    ("emulator CPU ms per upload", "emulator_cpu_ms_per_upload", "{:.2f}"),
    ("peak RSS (MiB)", "peak_rss_mib", "{:.1f}"),
    ("threads (most sampled)", "max_threads", "{:.0f}"),
    ("uploads in flight (most)", "max_in_flight", "{:.0f}"),
]


def point_key(p):
    return (p["shape"], p["image_bytes"], p["emulator_latency_s"],
            p["concurrency"] if p["shape"] != "open" else p["rate"])


def load(paths):
    points = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.startswith('{"benchmark":"upload_load"'):
                    p = json.loads(line)
                    points.setdefault(point_key(p), []).append(p)
    return points


def median(runs, mode, field):
    values = [r[mode][field] for r in runs
              if r[mode].get("ran") and r[mode].get(field) is not None]
    return statistics.median(values) if values else None


def fmt(value, form):
    return "-" if value is None else form.format(value)


def ratio(a, b):
    return "-" if a is None or b in (None, 0) else "{:.2f}".format(a / b)


def table(key, runs):
    shape, size, latency, x = key
    what = {"closed": f"closed loop, {x} workers",
            "open": f"open loop, {x:g} uploads/s",
            "burst": f"burst of {x} uploads"}[shape]
    out = [f"**{what}, {size} B images, emulator latency {latency:g} s** "
           f"(median of {len(runs)} run{'s' if len(runs) > 1 else ''})", ""]
    modes = [m for m in MODES if any(r[m].get("ran") for r in runs)]
    header = "| | " + " | ".join(modes) + " | proxy/direct |"
    if "node" in modes:
        header += " node/direct |"
    out += [header, "|---" * (len(header.split("|")) - 2) + "|"]
    for label, field, form in ROWS:
        values = {m: median(runs, m, field) for m in modes}
        row = f"| {label} | " + " | ".join(fmt(values[m], form) for m in modes)
        row += f" | {ratio(values.get('proxy'), values.get('direct'))} |"
        if "node" in modes:
            row += f" {ratio(values.get('node'), values.get('direct'))} |"
        out.append(row)
    p50 = [r["proxy"]["p50_ms"] - r["direct"]["p50_ms"] for r in runs]
    p99 = [r["proxy"]["p99_ms"] - r["direct"]["p99_ms"] for r in runs]
    empty = len(modes) - 1 + (2 if "node" in modes else 1)
    out.append(f"| added latency p50 / p99 (ms), proxy - direct | "
               f"{statistics.median(p50):.1f} / {statistics.median(p99):.1f}"
               + " |" * empty + " |")
    out.append("")
    targets = {}
    for r in runs:
        for name, t in r["targets"].items():
            targets.setdefault(name, []).append(t)
    for name, results in targets.items():
        met = sum(t["met"] for t in results)
        out.append(f"- {name}: met in {met} of {len(results)} runs; "
                   + "; ".join(t["detail"] for t in results))
    out.append("")
    return "\n".join(out)


def sweep(points):
    """One compact row per point: the figures that change along a sweep."""
    out = ["| x | proxy p50 / p99 (ms) | direct p50 / p99 (ms) | added p50 / "
           "p99 (ms) | uploads/s proxy / direct | CPU s/MiB server / direct "
           "| server peak RSS (MiB) | server threads |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key in sorted(points):
        runs = points[key]
        m = lambda mode, field: median(runs, mode, field)
        added50 = statistics.median(
            r["proxy"]["p50_ms"] - r["direct"]["p50_ms"] for r in runs)
        added99 = statistics.median(
            r["proxy"]["p99_ms"] - r["direct"]["p99_ms"] for r in runs)
        out.append(
            f"| {key[3]:g} | {m('proxy', 'p50_ms'):.1f} / "
            f"{m('proxy', 'p99_ms'):.1f} | {m('direct', 'p50_ms'):.1f} / "
            f"{m('direct', 'p99_ms'):.1f} | {added50:.1f} / {added99:.1f} | "
            f"{m('proxy', 'uploads_per_s'):.1f} / "
            f"{m('direct', 'uploads_per_s'):.1f} | "
            f"{m('proxy', 'cpu_s_per_mib'):.4f} / "
            f"{m('direct', 'cpu_s_per_mib'):.4f} | "
            f"{m('proxy', 'peak_rss_mib'):.0f} | "
            f"{m('proxy', 'max_threads'):.0f} |")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--plot", help="write gnuplot data of the medians")
    parser.add_argument("--sweep", action="store_true",
                        help="one compact table with a row per point")
    args = parser.parse_args()
    points = load(args.runs)
    if not points:
        sys.exit("no upload_load JSON lines found")
    if args.sweep:
        print(sweep(points))
    else:
        for key in sorted(points):
            print(table(key, points[key]))
    if args.plot:
        with open(args.plot, "w") as f:
            f.write("# x proxy_p50 proxy_p90 proxy_p99 direct_p50 direct_p90 "
                    "direct_p99 (ms) proxy_uploads_per_s direct_uploads_per_s"
                    " (medians)\n")
            for key in sorted(points):
                runs = points[key]
                cols = [median(runs, m, fld) for m in ("proxy", "direct")
                        for fld in ("p50_ms", "p90_ms", "p99_ms")]
                cols += [median(runs, m, "uploads_per_s")
                         for m in ("proxy", "direct")]
                f.write(f"{key[3]:g} " + " ".join(f"{c:.3f}" for c in cols)
                        + "\n")


if __name__ == "__main__":
    main()
