"""Scanning an app's folder for the env variables its code reads: prints figures, asserts nothing.

Run from the repo root: `python benchmarks/app_scan.py [--files 2000] [--runs 7]`.

Builds a synthetic app of N source files (TypeScript/TSX components, about one in eight reading process.env, a
NextAuth config, SvelteKit-style $env imports, Python settings) plus a node_modules tree of the same size that must
be skipped, then times `adapters.app_source.scan.scan()` in a fresh interpreter each run (so the first import of
tree-sitter and the grammars is included, as in a real `authlab provider create`). Target: median <= 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

COMPONENT = """import {{ useState }} from "react";

export function Widget{i}({{ title }}: {{ title: string }}) {{
  const [open, setOpen] = useState(false);
  return (
    <section className="widget-{i}" onClick={{() => setOpen(!open)}}>
      <h2>{{title}}</h2>
      {{open ? <p>details for item {i}</p> : null}}
    </section>
  );
}}
"""
ENV_MODULE = """export const config{i} = {{
  apiBase: process.env.API_BASE_{i} ?? "http://localhost:8080",
  featureFlag: process.env["FLAG_{i}"] === "1",
}};

export function describe{i}(): string {{
  return `${{config{i}.apiBase}} ${{config{i}.featureFlag}}`;
}}
"""
AUTH = """import NextAuth from "next-auth";
import AuthentikProvider from "next-auth/providers/authentik";

export default NextAuth({
  providers: [AuthentikProvider({
    clientId: process.env.AUTHENTIK_CLIENT_ID as string,
    clientSecret: process.env.AUTHENTIK_CLIENT_SECRET as string,
    issuer: process.env.AUTHENTIK_ISSUER,
  })],
});
"""
SETTINGS = """import os

DEBUG = os.getenv("DEBUG_{i}") == "1"
VALUES_{i} = {{"name": "x{i}", "level": {i}}}
"""
LIB = "module.exports = function f{i}(x) {{ return process.env.X{i} || x + {i}; }};\n"


def build(root: Path, n: int) -> None:
    (root / "pages/api/auth").mkdir(parents=True)
    (root / "pages/api/auth/[...nextauth].ts").write_text(AUTH)
    (root / "package.json").write_text(json.dumps({"dependencies": {"next": "14", "next-auth": "^4.24.5"}}))
    for i in range(n - 1):
        folder = root / "src" / f"area{i % 40}"
        folder.mkdir(parents=True, exist_ok=True)
        if i % 10 == 9:
            (folder / f"settings_{i}.py").write_text(SETTINGS.format(i=i))
        elif i % 8 == 0:
            (folder / f"env{i}.ts").write_text(ENV_MODULE.format(i=i))
        else:
            (folder / f"Widget{i}.tsx").write_text(COMPONENT.format(i=i))
    for i in range(n):  # never entered
        folder = root / "node_modules" / f"pkg{i % 200}" / "lib"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{i}.js").write_text(LIB.format(i=i))


PROBE = """
import sys, time, json
sys.path.insert(0, {repo!r})
t0, c0 = time.perf_counter(), time.process_time()
from pathlib import Path
from authentik_lab.adapters.app_source.scan import scan
r = scan(Path({root!r}))
cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
t1 = time.perf_counter()
scan(Path({root!r}))
warm = time.perf_counter() - t1
print(json.dumps({{"cold": cold, "cold_cpu": cold_cpu, "warm": warm, "files": r.files, "parsed": r.parsed, "reads": len(r.reads)}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "app"
        build(root, args.files)
        results = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", PROBE.format(repo=str(REPO), root=str(root))],
                                 capture_output=True, text=True, check=True).stdout
            results.append(json.loads(out))
        last = results[-1]
        print(f"app folder: {args.files} source files + {args.files} files in node_modules (skipped)")
        print(f"scanned {last['files']} files, parsed {last['parsed']} (the rest hold no env read), {last['reads']} reads found")
        for key, what in (("cold", "first scan, incl. importing the parser and grammars (wall)"),
                          ("cold_cpu", "first scan, CPU time of the process"),
                          ("warm", "a second scan in the same process (wall)")):
            times = [r[key] for r in results]
            print(f"{what}: median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s "
                  f"over {args.runs} runs")
        print("target: median first scan <= 0.5 s (on a busy machine the CPU time is the steadier figure)")
        try:
            import os

            print(f"load average when measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        except OSError:
            pass


if __name__ == "__main__":
    main()
