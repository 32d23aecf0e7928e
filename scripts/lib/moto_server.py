"""Moto's server, one request's work at a time.

The stock `moto_server` serves requests on threads and races: concurrent TransactWriteItems can
come back as an HTML 500 ("dictionary changed size during iteration"). Here every request's work
runs under one lock, which makes every test deterministic (the SDK clients simply queue), while
the bytes of each response are sent on its own thread: a worker that streams a big object from
S3 and reads it slowly, writing to DynamoDB as it goes, must not hold up its own writes (a
single-threaded server deadlocked on files larger than the socket buffers).

Usage: moto_server.py HOST PORT
"""

import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import MotoRequestHandler
from werkzeug.serving import run_simple

import moto_patches


class OneAtATime:
    """Runs the wrapped WSGI app for one request at a time and hands back its body whole."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        return [body]


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    moto_patches.apply()
    app = OneAtATime(DomainDispatcherApplication(create_backend_app))
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
