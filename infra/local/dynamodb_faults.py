"""Faults the DynamoDB emulator injects on request, per table, so tests can prove their handling.

It owns the `/_faults` control endpoint (never routed to moto) and, per table name, the fault
configuration, a seeded random generator (the same seed and requests give the same faults) and
counters of the faults injected. Tests each use their own table and share one emulator, so a
fault configured for one table never touches another.

  POST   /_faults        {"table": "t", "transaction_conflict": 0.2, "throttle": 0.1,
                          "unprocessed_keys": 0.3, "index_lag": 3, "seed": 42}
                         sets t's faults (a missing one is off), resets its counters and lag
  GET    /_faults?table=t   t's configuration, counters and lagging items (GET /_faults: all)
  POST   /_faults?table=t&settle=1   t's indexes catch up (no item lags); faults and counters stay
  DELETE /_faults?table=t   clears t's faults, answering the state it had (no table: clear all)

The faults (each exists because DynamoDB does this in production and the emulator never would):
  transaction_conflict  probability per TransactWriteItems naming the table: cancelled with
                        TransactionConflict for one or more of its items, nothing written;
  throttle              probability per data request naming the table: ThrottlingException (what
                        an on-demand table over its throughput answers; "throttle_error":
                        "ProvisionedThroughputExceededException" for a provisioned table's),
                        nothing executed;
  unprocessed_keys      probability per BatchGetItem naming the table: some of its keys (a
                        non-empty proper subset; the key if only one) come back in UnprocessedKeys,
                        with the request's options, and were never read;
  index_lag K           GSIs are eventually consistent: a written item lags for the next K Queries
                        with an IndexName on the table, which see it as it was before the write
                        (absent if it is new, present with old attributes if it changed or left).
"""

import contextlib
import json
import random
from urllib.parse import parse_qs

from dynamodb_wire import DYNAMODB, READS, WRITES, ApiError, find_table, get_item, set_item, table_names

PROBABILITIES = ("transaction_conflict", "throttle", "unprocessed_keys")
THROTTLE_ERRORS = ("ThrottlingException", "ProvisionedThroughputExceededException")
THROTTLE_MESSAGE = "Rate of requests exceeds the allowed throughput."


class TableFaults:
    """One table's fault configuration, random generator, counters and lagging items."""

    def __init__(self, name, config):
        self.name = name
        self.config = config
        self.rng = random.Random(config["seed"] if config["seed"] is not None else name)
        self.counters = {fault: 0 for fault in (*PROBABILITIES, "index_lag")}
        # (hash key, range key) -> [the item before its first unseen write, queries left]
        self.lagging = {}

    def roll(self, fault):
        """True, counted, with the configured probability of `fault`."""
        probability = self.config[fault]
        hit = probability > 0 and self.rng.random() < probability
        self.counters[fault] += hit
        return hit

    def state(self):
        return {
            "table": self.name,
            "config": self.config,
            "counters": dict(self.counters),
            "lagging_items": len(self.lagging),
        }


_tables = {}


def _faults_of(name):
    return _tables.get(name)


# --------------------------------------------------------------------------------------------
# The control endpoint.


def control(method, query_string, body):
    """(HTTP status, JSON body) for a request to /_faults."""
    table = (parse_qs(query_string).get("table") or [None])[0]
    if method == "GET":
        if table is None:
            return 200, {"tables": {name: faults.state() for name, faults in _tables.items()}}
        faults = _tables.get(table) or TableFaults(table, _parse_config({"table": table}))
        return 200, faults.state()
    if method == "DELETE":
        if table is None:
            _tables.clear()
            return 200, {"tables": {}}
        faults = _tables.pop(table, None) or TableFaults(table, _parse_config({"table": table}))
        return 200, faults.state()
    if method == "POST" and table is not None and parse_qs(query_string).get("settle"):
        # The index catches up: every lagging item is seen as it is now; faults and counters stay.
        faults = _tables.get(table)
        if faults is not None:
            faults.lagging.clear()
        return 200, (faults or TableFaults(table, _parse_config({"table": table}))).state()
    if method == "POST":
        try:
            request = json.loads(body or b"{}")
            config = _parse_config(request)
        except (ValueError, TypeError) as error:
            return 400, {"message": f"invalid fault configuration: {error}"}
        _tables[request["table"]] = TableFaults(request["table"], config)
        return 200, _tables[request["table"]].state()
    return 405, {"message": "use GET, POST or DELETE"}


def _parse_config(request):
    if not isinstance(request, dict) or not isinstance(request.get("table"), str):
        raise ValueError('a JSON object with "table" is required')
    known = {"table", "seed", "index_lag", "throttle_error", *PROBABILITIES}
    unknown = set(request) - known
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}; known: {sorted(known)}")
    config = {"seed": request.get("seed")}
    for fault in PROBABILITIES:
        value = float(request.get(fault) or 0)
        if not 0 <= value <= 1:
            raise ValueError(f"{fault} must be a probability between 0 and 1")
        config[fault] = value
    config["index_lag"] = int(request.get("index_lag") or 0)
    if config["index_lag"] < 0:
        raise ValueError("index_lag must be a number of queries, 0 or more")
    config["throttle_error"] = request.get("throttle_error") or THROTTLE_ERRORS[0]
    if config["throttle_error"] not in THROTTLE_ERRORS:
        raise ValueError(f"throttle_error must be one of {THROTTLE_ERRORS}")
    return config


# --------------------------------------------------------------------------------------------
# Before moto runs a request: faults that stop it.


def before_request(operation, body):
    """Raise the ApiError of an injected throttle or transaction conflict, if one is rolled."""
    if operation not in READS | WRITES:
        return
    names = table_names(operation, body)
    for name in names:
        faults = _faults_of(name)
        if faults and faults.roll("throttle"):
            raise _throttled(faults, operation)
    if operation == "TransactWriteItems":
        conflicted = [name for name in names if _faults_of(name) and _faults_of(name).roll("transaction_conflict")]
        if conflicted:
            raise _conflict(body["TransactItems"], conflicted)


def _throttled(faults, operation):
    error = faults.config["throttle_error"]
    table = find_table(faults.name)
    kind = "Read" if operation in READS else "Write"
    limit = "MaxOnDemandThroughputExceeded" if error == "ThrottlingException" else "KeyRangeThroughputExceeded"
    reasons = [{"reason": f"Table{kind}{limit}", "resource": table.table_arn if table else faults.name}]
    return ApiError(DYNAMODB + error, THROTTLE_MESSAGE, extra={"ThrottlingReasons": reasons})


def _conflict(transact_items, conflicted_tables):
    """DynamoDB's cancellation of a transaction that met another in flight on some of its items:
    one reason per item, TransactionConflict on a random non-empty subset of the items of the
    tables that rolled the fault, None on the rest (moto's and DynamoDB's shape)."""
    rng = _faults_of(conflicted_tables[0]).rng
    candidates = [
        index
        for index, entry in enumerate(transact_items)
        if next(iter(entry.values()), {}).get("TableName") in conflicted_tables
    ]
    chosen = set(rng.sample(candidates, rng.randint(1, len(candidates))))
    reasons = [
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
        if index in chosen
        else {"Code": "None"}
        for index in range(len(transact_items))
    ]
    codes = ", ".join(reason["Code"] for reason in reasons)
    return ApiError(
        DYNAMODB + "TransactionCanceledException",
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        extra={"CancellationReasons": reasons},
        message_key="Message",
    )


def hold_unprocessed(operation, body):
    """For a BatchGetItem, take the keys rolled unprocessed out of `body` (moto never reads
    them); answers {table: KeysAndAttributes of those keys} for add_unprocessed."""
    held = {}
    if operation != "BatchGetItem":
        return held
    request_items = body.get("RequestItems") or {}
    for name in list(request_items):
        faults = _faults_of(name)
        keys = request_items[name].get("Keys") or []
        if not keys or not faults or not faults.roll("unprocessed_keys"):
            continue
        count = 1 if len(keys) == 1 else faults.rng.randint(1, len(keys) - 1)
        moved = set(faults.rng.sample(range(len(keys)), count))
        held[name] = {**request_items[name], "Keys": [k for i, k in enumerate(keys) if i in moved]}
        left = [k for i, k in enumerate(keys) if i not in moved]
        if left:
            request_items[name] = {**request_items[name], "Keys": left}
        else:
            del request_items[name]
    return held


def add_unprocessed(response, held):
    """moto's BatchGetItem answer (a dict, or None if nothing was left to read) with `held`."""
    response = response or {"Responses": {}}
    for name, request in held.items():
        response.setdefault("Responses", {}).setdefault(name, [])
        response.setdefault("UnprocessedKeys", {})[name] = request
    return response


# --------------------------------------------------------------------------------------------
# Index lag.


def record_writes(taken):
    """After a successful write: each item written (snapshot `taken`) lags in its table's GSIs."""
    for table, key, kind, before in taken:
        faults = _faults_of(table.name)
        if kind == "ConditionCheck" or not faults or faults.config["index_lag"] <= 0:
            continue
        entry = faults.lagging.setdefault(key, [before, 0])  # keeps the oldest unseen state
        entry[1] = faults.config["index_lag"]


@contextlib.contextmanager
def index_view(operation, body):
    """Around a Query of a GSI: the lagging items as they were before their writes, then put
    back; each such Query brings every lagging item one query closer to being seen."""
    faults = _faults_of(body.get("TableName")) if operation == "Query" and body.get("IndexName") else None
    table = find_table(body.get("TableName")) if faults and faults.lagging else None
    if table is None:
        yield
        return
    current = {key: get_item(table, key) for key in faults.lagging}
    for key, (before, _) in faults.lagging.items():
        set_item(table, key, before)
    try:
        yield
    finally:
        for key, item in current.items():
            set_item(table, key, item)
        faults.counters["index_lag"] += 1
        for key in list(faults.lagging):
            faults.lagging[key][1] -= 1
            if faults.lagging[key][1] <= 0:
                del faults.lagging[key]
