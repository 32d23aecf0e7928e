"""Moto's server, single-threaded.

The stock `moto_server` serves requests on threads and races: concurrent TransactWriteItems can
come back as an HTML 500 ("dictionary changed size during iteration"). One thread makes every
test deterministic; the SDK clients simply queue.

Usage: moto_server.py HOST PORT
"""

import os
import signal
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import MotoRequestHandler
from werkzeug.serving import run_simple

import moto_patches


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    moto_patches.apply()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
