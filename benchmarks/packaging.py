"""Packaging benchmark: attini_sdk's package() against Info-ZIP's ``zip -qrX -6``, in the same run.

    python benchmarks/packaging.py [--files 10000] [--megabytes 150] [--rounds 3]

Generates a synthetic distribution (text, random binary and already-compressed files in nested
folders, plus a few large files), then times, alternating round by round:

- ``zip``:        ``zip -qrX -6 out.zip .`` in the tree (installed with apt-get if missing);
- ``package``:    ``Distribution.from_path(tree).package(cache=False)``, a cold package;
- ``repackage``:  ``package()`` again on the unchanged tree, with the repackage cache;
- ``open``:       ``Artifact.open()`` (full verification), beside ``unzip -tqq`` (CRC test) on zip's output.

Prints the medians and the ratios to zip. This is a benchmark, not a test: numbers depend on
the machine; the ratios are what docs/PERFORMANCE.md records.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("resource stack template parameter output vpc subnet table queue function role policy deploy "
         "environment distribution version artifact plan step runner lambda bucket key value name type "
         "properties description default condition mapping region account tag true false null").split()


def ensure_zip() -> str:
    """The path of Info-ZIP's zip, installing it with apt-get when it is missing."""
    path = shutil.which("zip")
    if path:
        return path
    print("zip not found; installing it with apt-get", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "zip"], check=True)
    path = shutil.which("zip")
    if not path:
        sys.exit("could not install zip")
    return path


def text_pool(rng: random.Random, size: int) -> bytes:
    lines = []
    total = 0
    while total < size:
        indent = "  " * rng.randint(0, 4)
        line = indent + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9))) + f": {rng.randint(0, 99999)}\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()


def generate(root: Path, files: int, megabytes: int, seed: int = 7) -> tuple[int, int]:
    """Write the synthetic tree; returns (file count, total bytes)."""
    rng = random.Random(seed)
    pool = text_pool(rng, 4 << 20)
    budget = megabytes << 20
    root.mkdir(parents=True)
    (root / "attini-config.yaml").write_text("distributionName: bench\nversion: 1.0.0\n")
    large = [("big/templates.yaml", "text", 10), ("big/seed-data.json", "text", 10), ("big/model.bin", "bin", 10),
             ("big/vendor.bin", "bin", 10), ("big/layer.zip", "bin", 10)]
    written = 1 + len(large)
    total = 0
    for rel, kind, mib in large:
        total += _write(root / rel, kind, mib << 20, rng, pool)
    small_budget = budget - total
    count = files - written
    mix = [("text", ".yaml", 0.6, 0.48), ("bin", ".bin", 0.25, 0.30), ("bin", ".gz", 0.05, 0.08),
           ("bin", ".png", 0.05, 0.08), ("bin", ".jpg", 0.05, 0.06)]
    for kind, ext, share, byte_share in mix:
        n = int(count * share)
        mean = small_budget * byte_share / n
        for i in range(n):
            depth = rng.randint(1, 4)
            folder = "/".join(f"d{rng.randint(0, 9)}" for _ in range(depth))
            size = max(1, int(rng.expovariate(1 / mean)))
            total += _write(root / f"{folder}/{kind}{i}{ext}", kind, size, rng, pool)
            written += 1
    return written, total


def _write(path: Path, kind: str, size: int, rng: random.Random, pool: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "text":
        data = bytearray()
        while len(data) < size:
            start = rng.randrange(0, len(pool) - 1)
            data += pool[start:start + size - len(data)]
        data = bytes(data)
    else:
        data = rng.randbytes(size)
    path.write_bytes(data)
    return size


def time_zip(zip_bin: str, tree: Path, out: Path) -> float:
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run([zip_bin, "-qrX", "-6", str(out), "."], cwd=tree, check=True)
    return time.perf_counter() - start


def time_package(tree: Path, out_dir: Path, *, cache: bool) -> float:
    import attini_sdk as at

    start = time.perf_counter()
    at.Distribution.from_path(tree).package(out_dir, cache=cache)
    return time.perf_counter() - start


def time_open(path: Path) -> float:
    import attini_sdk as at

    start = time.perf_counter()
    at.Artifact.open(path)
    return time.perf_counter() - start


def time_unzip_test(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["unzip", "-tqq", str(path)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--megabytes", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    zip_bin = ensure_zip()
    with tempfile.TemporaryDirectory(prefix="attini-bench-") as tmp:
        tmp = Path(tmp)
        os.environ["ATTINI_HOME"] = str(tmp / "home")
        tree = tmp / "tree"
        start = time.perf_counter()
        count, size = generate(tree, args.files, args.megabytes)
        print(f"tree: {count} files, {size / 1e6:.1f} MB (generated in {time.perf_counter() - start:.1f}s); "
              f"{os.cpu_count()} cores; zip: {zip_bin}")
        time_package(tree, tmp / "warm", cache=True)  # warm the page cache and fill the repackage cache
        (tmp / "zip").mkdir()
        times: dict[str, list[float]] = {"zip": [], "package": [], "repackage": [], "unzip -t": [], "open": []}
        for r in range(args.rounds):
            times["zip"].append(time_zip(zip_bin, tree, tmp / "zip" / "out.zip"))
            times["package"].append(time_package(tree, tmp / "cold", cache=False))
            times["repackage"].append(time_package(tree, tmp / "warm", cache=True))
            if shutil.which("unzip"):
                times["unzip -t"].append(time_unzip_test(tmp / "zip" / "out.zip"))
            times["open"].append(time_open(tmp / "cold" / "bench.zip"))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items() if v))
        med = {k: statistics.median(v) for k, v in times.items() if v}
        zip_size = (tmp / "zip" / "out.zip").stat().st_size
        ours = (tmp / "cold" / "bench.zip").stat().st_size
        print(f"\nmedians of {args.rounds} rounds: zip {med['zip']:.2f}s, package() {med['package']:.2f}s, "
              f"repackage {med['repackage']:.2f}s")
        print(f"ratios to zip: package() {med['package'] / med['zip']:.2f}x (target <= 0.8), "
              f"repackage {med['repackage'] / med['zip']:.2f}x (target <= 0.3)")
        if "unzip -t" in med:
            print(f"verification: Artifact.open() {med['open']:.2f}s vs unzip -tqq {med['unzip -t']:.2f}s "
                  f"({med['open'] / med['unzip -t']:.2f}x)")
        print(f"output sizes: zip {zip_size / 1e6:.1f} MB, package() {ours / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
