"""`xxgk` — the one command-line entry point.

Each sub-command lives in its own module exposing `add_arguments(parser)` and
`run(args) -> int`; this file only dispatches (imports are lazy so `xxgk parse` does not
load Scrapy and `xxgk crawl` does not load Datasette).
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "crawl": ("crawler.run", "crawl sites into $XXGK_HOME (all when none named)"),
    "detect": ("crawler.detect", "tell a portal's platform, 信息公开 entry and 年度报告 columns"),
    "sites": ("registry.cli", "the portal registry: list, check, add URL (from detection)"),
    "build": ("archive.build.builder", "(re)build archive.db from the raw store, incrementally"),
    "nightly": ("archive.nightly.run", "crawl all + build + per-site health summary"),
    "parse": ("archive.parse.cli", "parse one report file and print the result"),
    "serve": ("archive.serve.app", "serve the archive with Datasette"),
    "replica": ("replica.cli", "serve the bundled replica portals on loopback"),
    "demo": ("archive.demo", "replicas -> crawl -> build -> serve"),
    "export": ("archive.export.cli", "WARC/WACZ of the captures, or a CSV/Parquet dataset release"),
}


def build_parser(wanted: str | None = None) -> argparse.ArgumentParser:
    """Only the module of the command `wanted` is imported."""
    parser = argparse.ArgumentParser(prog="xxgk", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="archive directory (default: $XXGK_HOME or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_)
        if name != wanted:
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a part not built yet must not break the others
            if exc.name and module.startswith(exc.name):
                p.set_defaults(_module=None, _missing=module)
                continue
            raise
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wanted = next((a for a in argv if a in COMMANDS), None)
    args = build_parser(wanted).parse_args(argv)
    if args.home:
        import os
        os.environ["XXGK_HOME"] = args.home
    if args._module is None:
        print(f"xxgk {args.command}: not available ({args._missing} is missing)", file=sys.stderr)
        return 2
    return int(args._module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
