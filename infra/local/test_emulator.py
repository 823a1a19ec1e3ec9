"""Tests of the DynamoDB emulator's limits and faults (dynamodb_emulator.py and its modules).

Usage: .venv/bin/python infra/local/test_emulator.py [-v]   (make test runs it after the venv)

Starts its own emulator on a free port, makes a table (pk/sk and one GSI) per test, and drives it
with boto3 (which moto[server] installs) and urllib for the /_faults control endpoint. Proves each
limit answers DynamoDB's ValidationException and each fault happens, is counted, writes nothing
it should not, and stays on its own table.
"""

import json
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = None
EMULATOR = None


def setUpModule():
    global PORT, EMULATOR
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        PORT = s.getsockname()[1]
    EMULATOR = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "dynamodb_emulator.py"), "127.0.0.1", str(PORT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/_faults", timeout=1).read()
            return
        except OSError:
            if EMULATOR.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start: " + EMULATOR.stderr.read().decode())
            time.sleep(0.1)


def tearDownModule():
    EMULATOR.terminate()
    EMULATOR.wait(10)
    EMULATOR.stderr.close()


def control(method, table=None, **config):
    """(status, JSON) of a /_faults request."""
    url = f"http://127.0.0.1:{PORT}/_faults" + (f"?table={table}" if table and method != "POST" else "")
    data = json.dumps({"table": table, **config}).encode() if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def S(text):
    return {"S": text}


class EmulatorTest(unittest.TestCase):
    def setUp(self):
        self.db = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{PORT}",
            region_name="eu-west-1",
            aws_access_key_id="local-testing",
            aws_secret_access_key="local-testing",
            # No retries: a throttle must reach the test, not be retried away.
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )
        self.table = self.make_table()

    def tearDown(self):
        control("DELETE", self.table)

    def make_table(self):
        name = "test-" + uuid.uuid4().hex[:12]
        attributes = ["pk", "sk", "gsi1pk", "gsi1sk"]
        self.db.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in attributes],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gsi1",
                    "KeySchema": [
                        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        return name

    def put(self, pk, sk, table=None, **attributes):
        item = {"pk": S(pk), "sk": S(sk), **{k: S(v) for k, v in attributes.items()}}
        self.db.put_item(TableName=table or self.table, Item=item)

    def get(self, pk, sk, table=None):
        return self.db.get_item(TableName=table or self.table, Key={"pk": S(pk), "sk": S(sk)}, ConsistentRead=True).get("Item")

    def gsi(self, gsi1pk):
        items = self.db.query(
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :g",
            ExpressionAttributeValues={":g": S(gsi1pk)},
        )["Items"]
        return {(i["pk"]["S"], i["sk"]["S"]): i for i in items}

    def assertError(self, code, message_part, call, *args, **kwargs):
        with self.assertRaises(ClientError) as caught:
            call(*args, **kwargs)
        error = caught.exception.response["Error"]
        self.assertEqual(error["Code"], code, error)
        self.assertIn(message_part, error["Message"])
        return caught.exception.response


class Limits(EmulatorTest):
    LONG_PK = "é" * 1025  # 1025 characters, 2050 bytes: over 2048 in UTF-8 only
    LONG_SK = "x" * 1025

    def invalid(self, call, *args, part="Size of hashkey", **kwargs):
        self.assertError("ValidationException", part, call, *args, **kwargs)

    def test_keys_at_the_limit_pass(self):
        self.put("p" * 2048, "s" * 1024, gsi1pk="g" * 2048, gsi1sk="h" * 1024)
        self.assertIsNotNone(self.get("p" * 2048, "s" * 1024))

    def test_every_operation_refuses_an_oversized_key(self):
        long_pk = {"pk": S(self.LONG_PK), "sk": S("s")}
        long_sk = {"pk": S("p"), "sk": S(self.LONG_SK)}
        t = self.table
        self.invalid(self.db.get_item, TableName=t, Key=long_pk)
        self.invalid(self.db.get_item, TableName=t, Key=long_sk, part="range keys")
        self.invalid(self.db.put_item, TableName=t, Item=long_pk)
        self.invalid(self.db.delete_item, TableName=t, Key=long_pk)
        self.invalid(self.db.update_item, TableName=t, Key=long_sk, UpdateExpression="SET a = :a",
                     ExpressionAttributeValues={":a": S("1")}, part="range keys")
        self.invalid(self.db.batch_get_item, RequestItems={t: {"Keys": [{"pk": S("p"), "sk": S("s")}, long_pk]}})
        for entry in (
            {"Put": {"TableName": t, "Item": long_pk}},
            {"Update": {"TableName": t, "Key": long_pk, "UpdateExpression": "SET a = :a",
                        "ExpressionAttributeValues": {":a": S("1")}}},
            {"Delete": {"TableName": t, "Key": long_pk}},
            {"ConditionCheck": {"TableName": t, "Key": long_pk, "ConditionExpression": "attribute_exists(pk)"}},
        ):
            self.invalid(self.db.transact_write_items, TransactItems=[{"Put": {"TableName": t, "Item": {"pk": S("ok"), "sk": S("ok")}}}, entry])
        self.assertIsNone(self.get("ok", "ok"), "a refused transaction wrote nothing")
        self.invalid(self.db.query, TableName=t, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S(self.LONG_PK)})
        self.invalid(self.db.query, TableName=t, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                     ExpressionAttributeValues={":p": S("p"), ":s": S(self.LONG_SK)}, part="range keys")
        self.invalid(self.db.query, TableName=t, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("p")}, ExclusiveStartKey=long_sk, part="range keys")
        self.invalid(self.db.scan, TableName=t, ExclusiveStartKey=long_pk)

    def test_gsi_keys_of_written_items(self):
        self.invalid(self.db.put_item, TableName=self.table, Item={"pk": S("p"), "sk": S("s"), "gsi1pk": S("g" * 2049)})
        self.put("p", "s", gsi1pk="g", gsi1sk="old")
        self.invalid(self.db.update_item, TableName=self.table, Key={"pk": S("p"), "sk": S("s")},
                     UpdateExpression="SET gsi1sk = :v", ExpressionAttributeValues={":v": S("h" * 1025)},
                     part="secondary index key")
        self.assertEqual(self.get("p", "s")["gsi1sk"], S("old"), "the refused update was undone")

    def test_item_size(self):
        self.put("p", "fits", blob="b" * (400 * 1024 - 100))
        self.invalid(self.db.put_item, TableName=self.table,
                     Item={"pk": S("p"), "sk": S("big"), "blob": S("b" * (400 * 1024))}, part="Item size has exceeded")
        self.put("p", "grows", blob="b" * 300_000)
        self.invalid(self.db.update_item, TableName=self.table, Key={"pk": S("p"), "sk": S("grows")},
                     UpdateExpression="SET m = :m", ExpressionAttributeValues={":m": {"M": {"x": S("c" * 200_000)}}},
                     part="Item size to update has exceeded")
        self.assertNotIn("m", self.get("p", "grows"), "the refused update was undone")
        response = self.assertError(
            "TransactionCanceledException", "ValidationError", self.db.transact_write_items,
            TransactItems=[
                {"Put": {"TableName": self.table, "Item": {"pk": S("p"), "sk": S("new")}}},
                {"Update": {"TableName": self.table, "Key": {"pk": S("p"), "sk": S("grows")},
                            "UpdateExpression": "SET m = :m",
                            "ExpressionAttributeValues": {":m": S("c" * 200_000)}}},
            ],
        )
        self.assertEqual([r["Code"] for r in response["CancellationReasons"]], ["None", "ValidationError"])
        self.assertIsNone(self.get("p", "new"), "the cancelled transaction wrote nothing")

    def test_exclusive_start_key_inside_the_key_condition(self):
        for sk in ("a#1", "a#2", "a#3", "b#1"):
            self.put("p", sk)
        query = dict(TableName=self.table, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                     ExpressionAttributeValues={":p": S("p"), ":s": S("a#")}, Limit=2)
        page = self.db.query(**query)
        rest = self.db.query(**query, ExclusiveStartKey=page["LastEvaluatedKey"])
        self.assertEqual([i["sk"]["S"] for i in page["Items"] + rest["Items"]], ["a#1", "a#2", "a#3"])
        self.invalid(self.db.query, **query, ExclusiveStartKey={"pk": S("other"), "sk": S("a#1")},
                     part="outside query boundaries")
        self.invalid(self.db.query, **query, ExclusiveStartKey={"pk": S("p"), "sk": S("b#1")},
                     part="does not match the range key predicate")
        between = dict(TableName=self.table, KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
                       ExpressionAttributeValues={":p": S("p"), ":lo": S("a#2"), ":hi": S("a#3")})
        self.db.query(**between, ExclusiveStartKey={"pk": S("p"), "sk": S("a#2")})
        self.invalid(self.db.query, **between, ExclusiveStartKey={"pk": S("p"), "sk": S("a#1")}, part="range key predicate")
        self.invalid(self.db.query, TableName=self.table, KeyConditionExpression="pk = :p AND sk > :s",
                     ExpressionAttributeValues={":p": S("p"), ":s": S("a#2")},
                     ExclusiveStartKey={"pk": S("p"), "sk": S("a#1")}, part="range key predicate")
        self.invalid(self.db.query, **query, ExclusiveStartKey={"pk": S("p")}, part="starting key is invalid")
        # A GSI cursor (table key + index key) inside the index's condition pages on.
        self.put("q", "1", gsi1pk="g", gsi1sk="1")
        self.put("q", "2", gsi1pk="g", gsi1sk="2")
        gsi = dict(TableName=self.table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :g",
                   ExpressionAttributeValues={":g": S("g")}, Limit=1)
        page = self.db.query(**gsi)
        self.assertEqual(len(self.db.query(**gsi, ExclusiveStartKey=page["LastEvaluatedKey"])["Items"]), 1)
        self.invalid(self.db.query, **gsi, ExclusiveStartKey={**page["LastEvaluatedKey"], "gsi1pk": S("h")},
                     part="outside query boundaries")


class Faults(EmulatorTest):
    def test_control_endpoint(self):
        self.assertEqual(control("POST", self.table, throttle=2)[0], 400)
        self.assertEqual(control("POST", self.table, bogus=1)[0], 400)
        status, state = control("POST", self.table, throttle=0.5, index_lag=2, seed=1)
        self.assertEqual(status, 200)
        self.assertEqual(state["config"]["throttle"], 0.5)
        self.assertEqual(state["config"]["transaction_conflict"], 0.0)
        self.assertEqual(state["counters"], {"transaction_conflict": 0, "throttle": 0, "unprocessed_keys": 0, "index_lag": 0})
        self.assertEqual(control("GET", self.table)[1]["config"]["index_lag"], 2)
        self.assertEqual(control("DELETE", self.table)[0], 200)
        self.assertEqual(control("GET", self.table)[1]["config"]["throttle"], 0.0)

    def test_throttle(self):
        other = self.make_table()
        control("POST", self.table, throttle=1)
        response = self.assertError("ThrottlingException", "Rate of requests exceeds", self.get, "p", "s")
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertError("ThrottlingException", "Rate", self.put, "p", "s")
        self.put("p", "s", table=other)  # another table is unaffected
        self.assertEqual(control("GET", self.table)[1]["counters"]["throttle"], 2)
        control("POST", self.table, throttle=1, throttle_error="ProvisionedThroughputExceededException")
        self.assertError("ProvisionedThroughputExceededException", "Rate", self.get, "p", "s")
        control("DELETE", self.table)
        self.put("p", "s")
        self.assertIsNotNone(self.get("p", "s"))

    def test_seeded_faults_repeat(self):
        def pattern():
            control("POST", self.table, throttle=0.5, seed=7)
            outcomes = []
            for _ in range(20):
                try:
                    self.get("p", "s")
                    outcomes.append(0)
                except ClientError:
                    outcomes.append(1)
            return outcomes

        first = pattern()
        self.assertEqual(first, pattern())
        self.assertTrue(0 < sum(first) < 20, first)

    def test_transaction_conflict_writes_nothing(self):
        other = self.make_table()
        self.put("p", "0", n="0")
        control("POST", self.table, transaction_conflict=1, seed=3)
        items = [
            {"Put": {"TableName": self.table, "Item": {"pk": S("p"), "sk": S("1")}}},
            {"Update": {"TableName": self.table, "Key": {"pk": S("p"), "sk": S("0")}, "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": S("1")}}},
            {"Put": {"TableName": other, "Item": {"pk": S("p"), "sk": S("1")}}},
        ]
        for _ in range(5):
            response = self.assertError("TransactionCanceledException", "Transaction cancelled", self.db.transact_write_items, TransactItems=items)
            codes = [r["Code"] for r in response["CancellationReasons"]]
            self.assertEqual(len(codes), 3)
            self.assertIn("TransactionConflict", codes)
            self.assertEqual(codes[2], "None", "the other table's item is never the conflict")
            self.assertEqual(response["Error"]["Message"], f"Transaction cancelled, please refer cancellation reasons for specific reasons [{', '.join(codes)}]")
            for reason in response["CancellationReasons"]:
                if reason["Code"] == "TransactionConflict":
                    self.assertEqual(reason["Message"], "Transaction is ongoing for the item")
        self.assertIsNone(self.get("p", "1"))
        self.assertEqual(self.get("p", "0")["n"], S("0"))
        self.assertIsNone(self.get("p", "1", table=other))
        self.assertEqual(control("GET", self.table)[1]["counters"]["transaction_conflict"], 5)
        self.db.transact_write_items(TransactItems=items[2:])  # a transaction on the other table only
        self.assertIsNotNone(self.get("p", "1", table=other))

    def test_unprocessed_keys(self):
        keys = [{"pk": S("p"), "sk": S(str(i))} for i in range(5)]
        for key in keys:
            self.put("p", key["sk"]["S"])
        control("POST", self.table, unprocessed_keys=1)
        request = {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "pk, sk"}
        response = self.db.batch_get_item(RequestItems={self.table: request})
        unprocessed = response["UnprocessedKeys"][self.table]
        self.assertTrue(0 < len(unprocessed["Keys"]) < 5)
        self.assertTrue(unprocessed["ConsistentRead"])
        self.assertEqual(unprocessed["ProjectionExpression"], "pk, sk")
        got = [{"pk": i["pk"], "sk": i["sk"]} for i in response["Responses"][self.table]]
        self.assertEqual(sorted(got + unprocessed["Keys"], key=lambda k: k["sk"]["S"]), keys)
        one = self.db.batch_get_item(RequestItems={self.table: {"Keys": keys[:1]}})
        self.assertEqual(one["Responses"][self.table], [])
        self.assertEqual(one["UnprocessedKeys"][self.table]["Keys"], keys[:1])
        self.assertEqual(control("GET", self.table)[1]["counters"]["unprocessed_keys"], 2)
        # At 50%, retrying the unprocessed keys (as the Rust Store does) reads them all.
        control("POST", self.table, unprocessed_keys=0.5, seed=1)
        for _ in range(5):
            pending, found = {self.table: {"Keys": keys}}, []
            for _ in range(50):
                if not pending:
                    break
                response = self.db.batch_get_item(RequestItems=pending)
                found += response["Responses"].get(self.table, [])
                pending = response["UnprocessedKeys"]
            self.assertEqual(sorted(i["sk"]["S"] for i in found), [k["sk"]["S"] for k in keys])
        self.assertGreater(control("GET", self.table)[1]["counters"]["unprocessed_keys"], 0)

    def test_index_lag(self):
        control("POST", self.table, index_lag=2)
        self.put("p", "1", gsi1pk="g", gsi1sk="v1")
        self.assertIsNotNone(self.get("p", "1"), "the base table is strongly consistent")
        self.assertEqual(self.gsi("g"), {})
        self.assertEqual(self.gsi("g"), {})
        self.assertEqual(self.gsi("g")[("p", "1")]["gsi1sk"], S("v1"), "seen after 2 queries")
        self.put("p", "1", gsi1pk="g", gsi1sk="v2")
        self.assertEqual(self.gsi("g")[("p", "1")]["gsi1sk"], S("v1"), "an old version while lagging")
        self.assertEqual(self.gsi("g")[("p", "1")]["gsi1sk"], S("v1"))
        self.assertEqual(self.gsi("g")[("p", "1")]["gsi1sk"], S("v2"))
        self.put("p", "1", gsi1pk="h", gsi1sk="v3")  # leaves partition g
        self.assertIn(("p", "1"), self.gsi("g"), "still in its old partition while lagging")
        self.assertEqual(self.gsi("h"), {})
        self.assertEqual(self.gsi("g"), {})
        self.assertIn(("p", "1"), self.gsi("h"))
        self.assertEqual(control("GET", self.table)[1]["counters"]["index_lag"], 6)
        self.assertEqual(control("GET", self.table)[1]["lagging_items"], 0)

    def test_settle_lets_the_index_catch_up_and_keeps_the_faults(self):
        control("POST", self.table, index_lag=5)
        self.put("p", "1", gsi1pk="g", gsi1sk="v1")
        self.assertEqual(self.gsi("g"), {})
        settle = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/_faults?table={self.table}&settle=1", data=b"", method="POST"
        )
        with urllib.request.urlopen(settle, timeout=5) as response:
            state = json.loads(response.read())
        self.assertEqual((state["lagging_items"], state["counters"]["index_lag"]), (0, 1))
        self.assertIn(("p", "1"), self.gsi("g"), "seen at once after settling")
        self.put("p", "2", gsi1pk="g", gsi1sk="v2")
        self.assertNotIn(("p", "2"), self.gsi("g"), "the lag goes on for later writes")


if __name__ == "__main__":
    unittest.main()
