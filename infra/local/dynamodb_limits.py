"""DynamoDB's size and paging limits that moto does not (fully) enforce, checked by the emulator.

It owns:
  - check_request(operation, body): before moto runs a request, the key sizes of every key the
    request names (GetItem, BatchGetItem, TransactGetItems, PutItem/UpdateItem/DeleteItem,
    BatchWriteItem, each TransactWriteItems entry, a Query's key-condition values, any
    ExclusiveStartKey), the GSI key attributes and the size of every item a request puts whole,
    and that a Query's ExclusiveStartKey lies inside its key condition;
  - check_written(operation, taken): after moto wrote, the same limits on the resulting items
    (an UpdateItem can grow an item or set a GSI key moto never measures).
Each raises dynamodb_wire.ApiError with DynamoDB's own message. Why it matters: code that passes
here and breaks in AWS (a 3 KB partner id as a key, a cursor reused on another partition, an
ever-growing item) should fail in the local tests instead.
"""

import base64

from dynamodb_wire import ApiError, find_table, get_item, validation
from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
from moto.dynamodb.parsing.key_condition_expression import parse_expression

# DynamoDB's limits (developer guide, "Service, account, and table quotas"): a partition key
# value of at most 2048 bytes, a sort key value of at most 1024, an item of at most 400 KB.
HASH_KEY_MAX = 2048
RANGE_KEY_MAX = 1024
ITEM_MAX = 400 * 1024

# moto refuses items over its own 405,000-byte estimate (and only when a top-level attribute is
# set): items DynamoDB accepts, between 405,000 and 409,600 bytes, would fail here. This module
# measures every item written instead (check_request, check_written), so moto's check goes.
LimitedSizeDict.__setitem__ = dict.__setitem__

# DynamoDB's messages (the missing space in "limit of2048" is DynamoDB's).
HASH_TOO_LONG = (
    "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size "
    f"limit of{HASH_KEY_MAX} bytes"
)
RANGE_TOO_LONG = (
    "One or more parameter values were invalid: Aggregated size of all range keys has exceeded "
    f"the size limit of {RANGE_KEY_MAX} bytes"
)
ITEM_TOO_LARGE = "Item size has exceeded the maximum allowed size"
UPDATE_TOO_LARGE = "Item size to update has exceeded the maximum allowed size"
INDEX_KEY_TOO_LONG = (
    "One or more parameter values were invalid: The update expression attempted to update the "
    "secondary index key beyond allowed size limits"
)
START_KEY_INVALID = "The provided starting key is invalid"
START_KEY_OUTSIDE = "The provided starting key is outside query boundaries based on provided conditions"
START_KEY_NOT_IN_RANGE = "The provided starting key does not match the range key predicate"


def check_request(operation, body):
    """Raise ApiError if the request breaks a key-size, item-size or start-key limit."""
    for name, attributes, whole_item in _named_items(operation, body):
        table = find_table(name)
        if table is not None:
            _check_keys(table, attributes, indexes=whole_item)
            if whole_item:
                _check_item_size(attributes, ITEM_TOO_LARGE)
    if operation in ("Query", "Scan") and body.get("ExclusiveStartKey"):
        table = find_table(body.get("TableName"))
        if table is not None:
            _check_keys(table, body["ExclusiveStartKey"], indexes=True)
    if operation == "Query":
        _check_query(body)


def check_written(operation, taken):
    """After moto wrote the snapshotted items, raise ApiError if a resulting item breaks a limit.

    In a transaction that is a cancellation with reason ValidationError at the item's index, as
    DynamoDB answers; elsewhere a ValidationException."""
    for index, (table, key, kind, _) in enumerate(taken):
        if kind not in ("Put", "Update"):
            continue
        item = get_item(table, key)
        if item is None:
            continue
        attributes = item.to_json()["Attributes"]
        message = None
        if _item_size(attributes) > ITEM_MAX:
            message = UPDATE_TOO_LARGE if kind == "Update" else ITEM_TOO_LARGE
        elif _key_error(table, attributes, indexes=True):
            message = INDEX_KEY_TOO_LONG if kind == "Update" else _key_error(table, attributes, True)
        if message is None:
            continue
        if operation != "TransactWriteItems":
            raise validation(message)
        reasons = [{"Code": "None"} for _ in taken]
        reasons[index] = {"Code": "ValidationError", "Message": message}
        codes = ", ".join(r["Code"] for r in reasons)
        raise ApiError(
            "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
            extra={"CancellationReasons": reasons},
            message_key="Message",
        )


def _named_items(operation, body):
    """(table name, attributes, whether they are a whole item) for every key or item named."""
    if operation in ("GetItem", "UpdateItem", "DeleteItem"):
        yield body.get("TableName"), body.get("Key") or {}, False
    elif operation == "PutItem":
        yield body.get("TableName"), body.get("Item") or {}, True
    elif operation == "BatchGetItem":
        for name, request in (body.get("RequestItems") or {}).items():
            for key in request.get("Keys") or []:
                yield name, key, False
    elif operation == "BatchWriteItem":
        for name, requests in (body.get("RequestItems") or {}).items():
            for request in requests:
                if "PutRequest" in request:
                    yield name, request["PutRequest"].get("Item") or {}, True
                elif "DeleteRequest" in request:
                    yield name, request["DeleteRequest"].get("Key") or {}, False
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        for entry in body.get("TransactItems") or []:
            for kind, request in entry.items():
                if kind == "Put":
                    yield request.get("TableName"), request.get("Item") or {}, True
                else:
                    yield request.get("TableName"), request.get("Key") or {}, False


def _key_error(table, attributes, indexes):
    """The message for the first key attribute of `attributes` over its limit, or None.

    With `indexes`, the GSI key attributes count too (read from the table, not hard-coded)."""
    schemas = [table.schema] + ([index.schema for index in table.global_indexes] if indexes else [])
    for schema in schemas:
        for part in schema:
            value = attributes.get(part["AttributeName"])
            if not isinstance(value, dict) or not value:
                continue
            if part["KeyType"] == "HASH" and attribute_size(value) > HASH_KEY_MAX:
                return HASH_TOO_LONG
            if part["KeyType"] == "RANGE" and attribute_size(value) > RANGE_KEY_MAX:
                return RANGE_TOO_LONG
    return None


def _check_keys(table, attributes, indexes):
    message = _key_error(table, attributes, indexes)
    if message:
        raise validation(message)


def _check_item_size(attributes, message):
    if _item_size(attributes) > ITEM_MAX:
        raise validation(message)


def _check_query(body):
    """A Query's key-condition values within the key limits, and its ExclusiveStartKey inside
    the key condition: DynamoDB refuses a cursor from another partition or outside the sort-key
    range rather than (as moto does) silently starting again from the first item."""
    table = find_table(body.get("TableName"))
    expression = body.get("KeyConditionExpression")
    if table is None or not expression:
        return
    index_name = body.get("IndexName")
    indexes = {index.name: index for index in table.all_indexes()}
    if index_name and index_name not in indexes:
        return  # moto answers that one
    schema = indexes[index_name].schema if index_name else table.schema
    try:
        hash_conditions, range_conditions, _ = parse_expression(
            key_condition_expression=expression,
            expression_attribute_values=body.get("ExpressionAttributeValues") or {},
            expression_attribute_names=body.get("ExpressionAttributeNames") or {},
            schema=schema,
        )
    except Exception:
        return  # an invalid expression: moto answers with its own ValidationException
    for _, value in hash_conditions:
        if attribute_size(value) > HASH_KEY_MAX:
            raise validation(HASH_TOO_LONG)
    for _, _, values in range_conditions:
        if any(attribute_size(value) > RANGE_KEY_MAX for value in values):
            raise validation(RANGE_TOO_LONG)
    start = body.get("ExclusiveStartKey")
    if start:
        _check_start_key(table, schema, start, hash_conditions, range_conditions)


def _check_start_key(table, schema, start, hash_conditions, range_conditions):
    needed = {table.hash_key_attr, table.range_key_attr} | {p["AttributeName"] for p in schema}
    if any(name and name not in start for name in needed):
        raise validation(START_KEY_INVALID)
    for name, value in hash_conditions:
        if DynamoType(start[name]) != DynamoType(value):
            raise validation(START_KEY_OUTSIDE)
    for name, comparison, values in range_conditions:
        if not DynamoType(start[name]).compare(comparison, [DynamoType(v) for v in values]):
            raise validation(START_KEY_NOT_IN_RANGE)


def _item_size(attributes):
    """DynamoDB's item size: each attribute name's UTF-8 length plus its value's size."""
    return sum(len(name.encode()) + attribute_size(value) for name, value in attributes.items())


def attribute_size(value):
    """An attribute value's size by DynamoDB's rules ("Item sizes and formats", developer guide):
    strings by UTF-8 bytes, binary by raw bytes, numbers ~1 byte per 2 significant digits + 1,
    booleans and nulls 1 byte, lists and maps 3 bytes + 1 per element + the elements."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "B":
        return _binary_size(inner)
    if kind == "N":
        return _number_size(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(_number_size(n) for n in inner)
    if kind == "BS":
        return sum(_binary_size(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_size(v) for k, v in inner.items())
    return len(str(inner).encode())


def _number_size(text):
    digits = str(text).lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0")
    return (len(digits) + 1) // 2 + 1


def _binary_size(data):
    if isinstance(data, bytes):
        return len(data)
    try:
        return len(base64.b64decode(data))
    except Exception:
        return len(str(data).encode())

