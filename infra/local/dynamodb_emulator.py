"""The local stack's DynamoDB emulator: moto's server, answering one request at a time.

Usage: python infra/local/dynamodb_emulator.py HOST PORT

`moto_server` serves each request on its own thread, and moto applies a TransactWriteItems by
copying the table, writing, and restoring the copy when a condition fails, with no lock between
threads: a losing transaction can then undo a concurrent winner, or two conflicting ones can both
succeed. DynamoDB's transactions are atomic, and the concurrency tests rely on that, so this
serves moto's own application single-threaded. Clients still race each other between their reads
and their conditional writes, which is what those tests exercise.

moto also copies the whole table once per item of a transaction, so a 100-item transaction on a
table of 10,000 items copies a million items. Here a transaction keeps a copy of just the items it
writes, and puts those back if it fails: the same all-or-nothing outcome, at the cost of the
transaction rather than of the table (the payout run's benchmark writes 10,000 commissions).
"""

import copy
import os
import sys

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

_transact_write_items = DynamoDBBackend.transact_write_items


def _written_items(backend, transact_items):
    """(table, hash key, range key, a copy of the item or None) for each item the transaction names."""
    written = []
    for entry in transact_items:
        operation = next(iter(entry.values()))
        table = backend.tables.get(operation.get("TableName"))
        if table is None:
            continue
        key = operation.get("Key") or operation.get("Item") or {}
        if table.hash_key_attr not in key:
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in key:
                continue
            range_key = DynamoType(key[table.range_key_attr])
            current = table.items.get(hash_key, {}).get(range_key)
        else:
            current = table.items.get(hash_key)
        written.append((table, hash_key, range_key, copy.deepcopy(current)))
    return written


def _put_back(written):
    for table, hash_key, range_key, item in reversed(written):
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        elif item is None:
            table.items.get(hash_key, {}).pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item


def transact_write_items(self, transact_items):
    written = _written_items(self, transact_items)
    # moto's own backup becomes the live table (no copy), so its rollback changes nothing;
    # the items copied above are put back instead.
    Table.__deepcopy__ = lambda table, memo: table
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        _put_back(written)
        raise
    finally:
        del Table.__deepcopy__


DynamoDBBackend.transact_write_items = transact_write_items

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
run_simple(
    host,
    port,
    DomainDispatcherApplication(create_backend_app),
    threaded=False,
    request_handler=MotoRequestHandler,
)
