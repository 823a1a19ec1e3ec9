"""The local stack's DynamoDB emulator: moto's server, answering one request at a time, with
DynamoDB's limits that moto lets through and faults injected on request.

Usage: python infra/local/dynamodb_emulator.py HOST PORT

It owns serving: a WSGI layer in front of moto that, per request, in order,
  1. answers /_faults itself (the fault control endpoint: dynamodb_faults.py);
  2. checks DynamoDB's key-size, item-size and start-key limits (dynamodb_limits.py);
  3. injects the table's faults that stop a request (throttle, transaction conflict) or trim it
     (unprocessed BatchGetItem keys);
  4. runs moto, with a GSI Query seeing lagging items as they were (index lag);
  5. checks the items written against the limits, putting them back if one breaks them;
and the patches below: TransactWriteItems', update expressions parsed once (and validated from a
plain copy, without rebuilding each traverser's node types at every node), tables sorted by cast
key values, and data-plane answers written without moto's model walk. Shared helpers (tables,
keys, errors) are dynamodb_wire.py.

`moto_server` serves each request on its own thread, and moto applies a TransactWriteItems by
copying the table, writing, and restoring the copy when a condition fails, with no lock between
threads: a losing transaction can then undo a concurrent winner, or two conflicting ones can both
succeed. DynamoDB's transactions are atomic, and the concurrency tests rely on that, so this
serves moto's own application single-threaded. Clients still race each other between their reads
and their conditional writes, which is what those tests exercise. (The checks and faults rely on
it too: they read and swap items in moto's tables without locks.)

moto also copies the whole table once per item of a transaction, so a 100-item transaction on a
table of 10,000 items copies a million items. Here a transaction keeps a copy of just the items it
writes, and puts those back if it fails: the same all-or-nothing outcome, at the cost of the
transaction rather than of the table (the payout run's benchmark writes 10,000 commissions).
"""

import copy
import functools
import io
import json
import os
import sys

from moto.core.responses import ActionResult
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

# Run as a script (python infra/local/dynamodb_emulator.py): its siblings are importable.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dynamodb_faults as faults  # noqa: E402
import dynamodb_limits as limits  # noqa: E402
from dynamodb_wire import WRITES, ApiError, json_response, restore, snapshot, written  # noqa: E402

_transact_write_items = DynamoDBBackend.transact_write_items


def transact_write_items(self, transact_items):
    taken = snapshot(written("TransactWriteItems", {"TransactItems": transact_items}))
    # moto's own backup becomes the live table (no copy), so its rollback changes nothing;
    # the items copied above are put back instead.
    Table.__deepcopy__ = lambda table, memo: table
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        restore(taken)
        raise
    finally:
        del Table.__deepcopy__


DynamoDBBackend.transact_write_items = transact_write_items

# moto parses an UpdateExpression twice a request (in its request checks and in its model), and
# the same few expressions come again and again (their values are placeholders). A parsed
# expression is only read after (the validator works on a deep copy of its own), so each text is
# parsed once.
_parse_update_expression = UpdateExpressionParser.make
UpdateExpressionParser.make = classmethod(
    functools.lru_cache(maxsize=4096)(lambda cls, text: _parse_update_expression(text))
)

# moto's update-expression validator walks the expression ten times (a traverser per check), and
# at every node each traverser rebuilds the tuple of node types it processes from a fresh dict of
# bound methods. Those types are fixed per traverser class (each `_processing_map` is a literal),
# so each class's tuple is built once.
_processed_node_types = {}


def nodes_to_be_processed(self):
    kinds = _processed_node_types.get(type(self))
    if kinds is None:
        kinds = _processed_node_types[type(self)] = tuple(self._processing_map())
    return kinds


DepthFirstTraverser.nodes_to_be_processed = nodes_to_be_processed


# Each validation starts from its own deep copy of the parsed expression. A node is plain
# attributes (its type's name, its children, its parent), so this is what copy.deepcopy does
# through __reduce_ex__ and copy._reconstruct: a new node of the same class in the memo, then each
# attribute deep-copied, without the generic reconstruction's overhead at every node.
def _deepcopy_node(self, memo):
    clone = type(self).__new__(type(self))
    memo[id(self)] = clone
    for name, value in self.__dict__.items():
        clone.__dict__[name] = copy.deepcopy(value, memo)
    return clone


Node.__deepcopy__ = _deepcopy_node


# Every Query and Scan starts from moto's Table.all_items, which sorts the whole table by hash and
# range key as DynamoType objects: each comparison casts both values again (a Decimal for a
# number), the costliest step of a Query in a profile of the integration tests. A key attribute
# has one type in every item, so sorting by the cast values, computed once per item, gives the
# same order.
def all_items(self):
    if self.range_key_attr:
        items = [item for partition in self.items.values() for item in partition.values()]
        return sorted(items, key=lambda item: (item.hash_key.cast_value, item.range_key.cast_value))
    return sorted(self.items.values(), key=lambda item: item.hash_key.cast_value)


Table.all_items = all_items

# moto writes every answer by walking botocore's model of its output shape, which took 40 % of the
# emulator's time in the integration tests. An answer of these actions is already DynamoDB's JSON
# (attribute values are tagged strings, lists and maps; no timestamps, no blobs here), so it is
# written as it is, keeping only the members of the output shape (moto adds e.g.
# ConsumedCapacityUnits to DeleteItem's) just as the model walk does.
DATA_PLANE = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
}
_execute_result = ActionResult.execute_result


def execute_result(self, context):
    operation = context.operation_model
    if operation.name not in DATA_PLANE or not isinstance(self.result, dict):
        return _execute_result(self, context)
    members = operation.output_shape.members
    body = {name: value for name, value in self.result.items() if name in members}
    return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(body)


ActionResult.execute_result = execute_result


class Emulator:
    """The WSGI layer in front of moto (see the module docstring for the order of things)."""

    def __init__(self, moto_app):
        self.moto_app = moto_app
        # moto's dispatcher lists its service modules on disk to route each request; a DynamoDB
        # request always reaches the same app, so it is looked up once.
        self.dynamodb_app = None

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/_faults":
            status, body = faults.control(
                environ["REQUEST_METHOD"], environ.get("QUERY_STRING", ""), _read_body(environ)
            )
            return _respond(start_response, json_response(status, body))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_") or environ.get("HTTP_CONTENT_ENCODING"):
            return self.moto_app(environ, start_response)
        operation = target.split(".")[-1]
        raw = _read_body(environ)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            environ["wsgi.input"] = io.BytesIO(raw)
            return self.moto_app(environ, start_response)
        try:
            response = self._handle(environ, operation, body)
        except ApiError as error:
            response = error.response()
        return _respond(start_response, response)

    def _handle(self, environ, operation, body):
        limits.check_request(operation, body)
        faults.before_request(operation, body)
        held = faults.hold_unprocessed(operation, body)
        if held and not body["RequestItems"]:
            return json_response(200, faults.add_unprocessed(None, held))
        taken = snapshot(written(operation, body)) if operation in WRITES else []
        with faults.index_view(operation, body):
            status, headers, data = self._moto(environ, body)
        if not status.startswith("200"):
            return status, headers, data
        if taken:
            try:
                limits.check_written(operation, taken)
            except ApiError:
                restore(taken)
                raise
            faults.record_writes(taken)
        if held:
            return json_response(200, faults.add_unprocessed(json.loads(data), held))
        return status, headers, data

    def _moto(self, environ, body):
        """moto's (status, headers, body bytes) for `body`."""
        raw = json.dumps(body).encode()
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        if self.dynamodb_app is None:
            self.dynamodb_app = self.moto_app.get_application(environ)
        chunks = self.dynamodb_app(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        return captured["status"], captured["headers"], data


def _read_body(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _respond(start_response, response):
    status, headers, data = response
    start_response(status, headers)
    return [data]


if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    run_simple(
        host,
        port,
        Emulator(DomainDispatcherApplication(create_backend_app)),
        threaded=False,
        request_handler=MotoRequestHandler,
    )
