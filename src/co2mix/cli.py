"""The ``co2mix`` command: one parser, a subcommand per job.

    co2mix serve [--host H] [--port P] [--rev REV] [--root DIR] [--database-url URL]
    co2mix verify [--against REV] [--root DIR]

Each subcommand's options and work live with its layer; this module only dispatches,
importing a subcommand's code when it is the one asked for.
"""

from __future__ import annotations

import argparse
import sys


def parser() -> argparse.ArgumentParser:
    from co2mix.reporting import verify
    from co2mix.serving import cli as serving

    top = argparse.ArgumentParser(prog="co2mix", description="co2mix commands")
    commands = top.add_subparsers(dest="command", required=True)
    serving.add_arguments(commands.add_parser("serve", help="the champions behind an HTTP API"))
    verify.add_arguments(
        commands.add_parser(
            "verify", help="reproduced metrics against the committed ones, within tolerance"
        )
    )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        from co2mix.serving.cli import serve

        return serve(args)
    from co2mix.reporting.verify import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
