"""``python -m pipelines.intake``: serve the event intake.

Defaults come from ``handoff.settings`` (``HANDOFF_LANDING_ROOT``, ``HANDOFF_INTAKE_ADDRESS``); write keys
from ``--write-key`` (repeatable) or ``HANDOFF_INTAKE_WRITE_KEYS`` (comma-separated). It refuses to start
without one.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from handoff.settings import get_settings
from pipelines.intake import WRITE_KEYS_ENV, serve


def _split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        msg = f"intake_address {address!r} is not host:port (set HANDOFF_INTAKE_ADDRESS=127.0.0.1:8088)"
        raise SystemExit(msg)
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    host, port = _split_address(settings.intake_address)
    parser = argparse.ArgumentParser(prog="python -m pipelines.intake", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landing", type=Path, default=settings.landing_dir,
                        help="landing zone root; events land in <landing>/events (default: %(default)s)")
    parser.add_argument("--host", default=host, help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=port, help="port (default: %(default)s)")
    parser.add_argument("--write-key", action="append", default=[], dest="write_keys", metavar="KEY",
                        help=f"an accepted write key; repeatable (else ${WRITE_KEYS_ENV}, comma-separated)")
    parser.add_argument("--max-batch-bytes", type=int, default=500_000, help="largest request body accepted")
    parser.add_argument("--no-access-log", action="store_true", help="do not log every request")
    args = parser.parse_args(argv)
    keys = args.write_keys or [k.strip() for k in os.environ.get(WRITE_KEYS_ENV, "").split(",") if k.strip()]
    if not keys:
        print(f"refusing to start: no write key. Pass --write-key KEY or set {WRITE_KEYS_ENV}=key1,key2 "
              "(SDKs send it as their write key).", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(landing_dir=args.landing, host=args.host, port=args.port, write_keys=keys,
          max_batch_bytes=args.max_batch_bytes, access_log=not args.no_access_log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
