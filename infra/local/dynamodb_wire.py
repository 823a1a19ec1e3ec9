"""What the DynamoDB emulator's checks and faults share: the wire and moto's tables.

It owns:
  - ApiError, an error answered the way DynamoDB answers it (HTTP 400, an `__type` and a
    message in JSON, the X-Amzn-ErrorType and x-amz-crc32 headers), and json_response;
  - which tables a request names, and which items a write request writes;
  - finding a moto table by name, and reading, replacing and snapshotting its items by key.
Everything runs inside the emulator's single request thread, so nothing here locks.
"""

import copy
import json
import zlib

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

VALIDATION = "com.amazon.coral.validate#ValidationException"
DYNAMODB = "com.amazonaws.dynamodb.v20120810#"

# The operations that read or write items (the ones a throttle applies to).
READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class ApiError(Exception):
    """An error DynamoDB answers with HTTP 400; `extra` adds fields (CancellationReasons...)."""

    def __init__(self, error_type, message, extra=None, message_key="message"):
        super().__init__(message)
        self.error_type = error_type
        self.body = {"__type": error_type, **(extra or {}), message_key: message}

    def response(self):
        return json_response(400, self.body, error_type=self.error_type.split("#")[-1])


def validation(message):
    return ApiError(VALIDATION, message)


def json_response(status, body, error_type=None):
    """(status line, headers, body bytes) with the headers DynamoDB (and moto) send."""
    data = json.dumps(body).encode()
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("Content-Length", str(len(data))),
        ("x-amz-crc32", str(zlib.crc32(data) & 0xFFFFFFFF)),
    ]
    if error_type:
        headers.append(("X-Amzn-ErrorType", error_type))
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "")
    return f"{status} {reason}", headers, data


def table_names(operation, body):
    """Every table the request names: TableName, RequestItems' keys, TransactItems' tables."""
    names = []
    if isinstance(body.get("TableName"), str):
        names.append(body["TableName"])
    names.extend((body.get("RequestItems") or {}).keys())
    for entry in body.get("TransactItems") or []:
        for operation_body in entry.values():
            if isinstance(operation_body, dict) and operation_body.get("TableName"):
                names.append(operation_body["TableName"])
    return list(dict.fromkeys(names))


def written(operation, body):
    """(table name, kind, attributes naming the item) for each item the write request writes.

    kind is Put, Update, Delete or ConditionCheck (transactions only; it writes nothing)."""
    if operation == "PutItem":
        return [(body.get("TableName"), "Put", body.get("Item") or {})]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(body.get("TableName"), operation[:-4], body.get("Key") or {})]
    if operation == "BatchWriteItem":
        writes = []
        for name, requests in (body.get("RequestItems") or {}).items():
            for request in requests:
                if "PutRequest" in request:
                    writes.append((name, "Put", request["PutRequest"].get("Item") or {}))
                elif "DeleteRequest" in request:
                    writes.append((name, "Delete", request["DeleteRequest"].get("Key") or {}))
        return writes
    if operation == "TransactWriteItems":
        writes = []
        for entry in body.get("TransactItems") or []:
            for kind, operation_body in entry.items():
                attributes = operation_body.get("Item") or operation_body.get("Key") or {}
                writes.append((operation_body.get("TableName"), kind, attributes))
        return writes
    return []


def find_table(name):
    """moto's table called `name` in any account and region the emulator has seen, or None."""
    if not isinstance(name, str):
        return None
    for account in dict.values(dynamodb_backends):
        for backend in dict.values(account):
            table = backend.tables.get(name)
            if table is not None:
                return table
    return None


def item_key(table, attributes):
    """The (hash, range) key of the item `attributes` name, or None if they lack a key part."""
    if table.hash_key_attr not in attributes:
        return None
    hash_key = DynamoType(attributes[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_key, None
    if table.range_key_attr not in attributes:
        return None
    return hash_key, DynamoType(attributes[table.range_key_attr])


def get_item(table, key):
    hash_key, range_key = key
    if range_key is None:
        return table.items.get(hash_key)
    return table.items.get(hash_key, {}).get(range_key)


def set_item(table, key, item):
    """Make `item` (None: no item) the table's item at `key`, bypassing every check."""
    hash_key, range_key = key
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
    elif item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


def snapshot(writes):
    """[(table, key, kind, a copy of the item now or None)] for the items `writes` name."""
    taken = []
    for name, kind, attributes in writes:
        table = find_table(name)
        key = item_key(table, attributes) if table is not None else None
        if key is not None:
            taken.append((table, key, kind, copy.deepcopy(get_item(table, key))))
    return taken


def restore(taken):
    """Put back what snapshot() took, newest first (an item written twice ends as first seen)."""
    for table, key, _, item in reversed(taken):
        set_item(table, key, item)
