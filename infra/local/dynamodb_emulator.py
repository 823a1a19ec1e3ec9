"""The local stack's DynamoDB emulator: moto's server, answering one request at a time.

Usage: python infra/local/dynamodb_emulator.py HOST PORT

`moto_server` serves each request on its own thread, and moto applies a TransactWriteItems by
copying the table, writing, and restoring the copy when a condition fails, with no lock between
threads: a losing transaction can then undo a concurrent winner, or two conflicting ones can both
succeed. DynamoDB's transactions are atomic, and the concurrency tests rely on that, so this
serves moto's own application single-threaded. Clients still race each other between their reads
and their conditional writes, which is what those tests exercise.
"""

import os
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
run_simple(
    host,
    port,
    DomainDispatcherApplication(create_backend_app),
    threaded=False,
    request_handler=MotoRequestHandler,
)
