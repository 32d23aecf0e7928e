"""The patched moto keeps the DynamoDB semantics the project's tests rely on."""

import gc
import json
import random
import threading
import unittest
import weakref

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

import moto_patches

moto_patches.apply()

TABLE = "patched"


def s(value):
    return {"S": value}


def s_type(value):
    return DynamoType(s(value))


class PatchedDynamo(unittest.TestCase):
    def setUp(self):
        self.mock = mock_aws()
        self.mock.start()
        self.db = boto3.client("dynamodb", region_name="us-east-1")
        self.db.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g", "gs")
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byG",
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "gs", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )

    def tearDown(self):
        self.mock.stop()

    def put(self, pk, sk, **attrs):
        item = {"pk": s(pk), "sk": s(sk), **{k: s(v) for k, v in attrs.items()}}
        self.db.put_item(TableName=TABLE, Item=item)

    def get(self, pk, sk):
        return self.db.get_item(TableName=TABLE, Key={"pk": s(pk), "sk": s(sk)}).get("Item")

    def by_g(self, g, limit=None):
        """Every (pk, sk) under index hash `g`, paging with `limit` items per request."""
        found, start = [], None
        while True:
            args = {
                "TableName": TABLE,
                "IndexName": "byG",
                "KeyConditionExpression": "g = :g",
                "ExpressionAttributeValues": {":g": s(g)},
            }
            if limit:
                args["Limit"] = limit
            if start:
                args["ExclusiveStartKey"] = start
            out = self.db.query(**args)
            found += [(i["pk"]["S"], i["sk"]["S"]) for i in out["Items"]]
            start = out.get("LastEvaluatedKey")
            if not start:
                return found

    def cancelled(self, items):
        with self.assertRaises(ClientError) as raised:
            self.db.transact_write_items(TransactItems=items)
        return raised.exception.response

    def test_a_cancelled_transaction_undoes_its_puts_updates_and_deletes(self):
        self.put("a", "1", v="old", g="G", gs="1")
        self.put("b", "1", v="keep", g="G", gs="2")
        response = self.cancelled(
            [
                {"Put": {"TableName": TABLE, "Item": {"pk": s("new"), "sk": s("1"), "g": s("G"), "gs": s("0")}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": s("a"), "sk": s("1")},
                        "UpdateExpression": "SET v = :v, g = :g",
                        "ExpressionAttributeValues": {":v": s("changed"), ":g": s("H")},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": {"pk": s("b"), "sk": s("1")}}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": s("missing"), "sk": s("1")},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
        self.assertEqual(response["Error"]["Code"], "TransactionCanceledException")
        codes = [r["Code"] for r in response["CancellationReasons"]]
        self.assertEqual(codes, ["None", "None", "None", "ConditionalCheckFailed"])
        self.assertIsNone(self.get("new", "1"))
        self.assertEqual(self.get("a", "1")["v"], s("old"))
        self.assertEqual(self.get("b", "1")["v"], s("keep"))
        self.assertEqual(self.by_g("G"), [("a", "1"), ("b", "1")])
        self.assertEqual(self.by_g("H"), [])

    def test_a_committed_transaction_writes_every_item(self):
        self.put("a", "1", v="old")
        self.db.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": s("c"), "sk": s("1"), "g": s("G"), "gs": s("1")},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": {"pk": s("a"), "sk": s("1")}}},
            ]
        )
        self.assertIsNone(self.get("a", "1"))
        self.assertEqual(self.by_g("G"), [("c", "1")])

    def test_two_writes_of_one_item_are_refused_whole(self):
        self.put("a", "1", v="old")
        with self.assertRaises(ClientError) as raised:
            self.db.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": {"pk": s("z"), "sk": s("1")}}},
                    {"Put": {"TableName": TABLE, "Item": {"pk": s("a"), "sk": s("1"), "v": s("x")}}},
                    {"Delete": {"TableName": TABLE, "Key": {"pk": s("a"), "sk": s("1")}}},
                ]
            )
        self.assertEqual(raised.exception.response["Error"]["Code"], "ValidationException")
        self.assertIsNone(self.get("z", "1"))
        self.assertEqual(self.get("a", "1")["v"], s("old"))

    def test_a_failed_put_condition_names_its_item(self):
        self.put("taken", "1")
        response = self.cancelled(
            [
                {"Put": {"TableName": TABLE, "Item": {"pk": s("free"), "sk": s("1")}}},
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": s("taken"), "sk": s("1")},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
        codes = [r["Code"] for r in response["CancellationReasons"]]
        self.assertEqual(codes, ["None", "ConditionalCheckFailed"])
        self.assertIsNone(self.get("free", "1"))

    def test_table_and_index_queries_page_through_their_partition_once(self):
        for i in range(25):
            self.put("p", f"{i:03}", g="G" if i % 2 else "other", gs=f"{100 - i:03}")
            self.put("q", f"{i:03}")
        out = self.db.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={":p": s("p"), ":a": s("005"), ":b": s("009")},
        )
        self.assertEqual([i["sk"]["S"] for i in out["Items"]], ["005", "006", "007", "008", "009"])
        expected = [("p", f"{i:03}") for i in reversed(range(1, 25, 2))]
        self.assertEqual(self.by_g("G"), expected)
        self.assertEqual(self.by_g("G", limit=5), expected)

    def test_neither_transactions_nor_queries_walk_the_whole_table(self):
        """What makes imports linear: no table copy per transaction, no table listing per query."""
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[TABLE]
        table.__dict__["uncopyable"] = threading.Lock()  # deepcopy of the table would raise

        def listed():
            raise AssertionError("the whole table was listed")

        self.put("a", "1", g="G", gs="1")
        table.__dict__["all_items"] = listed
        self.db.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": {"pk": s("b"), "sk": s("1"), "g": s("G"), "gs": s("2")}}}]
        )
        self.cancelled(
            [
                {"Delete": {"TableName": TABLE, "Key": {"pk": s("a"), "sk": s("1")}}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": s("none"), "sk": s("1")},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
        self.assertEqual(self.by_g("G", limit=1), [("a", "1"), ("b", "1")])
        out = self.db.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": s("a")},
        )
        self.assertEqual(len(out["Items"]), 1)
        del table.__dict__["all_items"]

    def test_index_queries_follow_every_kind_of_write(self):
        """A random history of writes; the index answers as a model of the table says."""
        rng = random.Random(7)
        model = {}
        for step in range(400):
            pk, g = f"u{rng.randrange(30)}", f"g{rng.randrange(4)}"
            choice = rng.randrange(5)
            if choice == 0:
                self.put(pk, "1", g=g, gs=f"{step:04}")
                model[pk] = (g, f"{step:04}")
            elif choice == 1:
                self.db.delete_item(TableName=TABLE, Key={"pk": s(pk), "sk": s("1")})
                model.pop(pk, None)
            elif choice == 2:
                self.db.update_item(
                    TableName=TABLE,
                    Key={"pk": s(pk), "sk": s("1")},
                    UpdateExpression="SET g = :g, gs = :gs",
                    ExpressionAttributeValues={":g": s(g), ":gs": s(f"{step:04}")},
                )
                model[pk] = (g, f"{step:04}")
            elif choice == 3:
                self.db.batch_write_item(
                    RequestItems={
                        TABLE: [
                            {"PutRequest": {"Item": {"pk": s(pk), "sk": s("1"), "g": s(g), "gs": s(f"{step:04}")}}}
                        ]
                    }
                )
                model[pk] = (g, f"{step:04}")
            else:
                # A transaction that moves the item and then fails: nothing may change.
                try:
                    self.db.transact_write_items(
                        TransactItems=[
                            {"Put": {"TableName": TABLE, "Item": {"pk": s(pk), "sk": s("1"), "g": s("moved"), "gs": s("0")}}},
                            {
                                "ConditionCheck": {
                                    "TableName": TABLE,
                                    "Key": {"pk": s("never"), "sk": s("1")},
                                    "ConditionExpression": "attribute_exists(pk)",
                                }
                            },
                        ]
                    )
                    self.fail("the condition cannot hold")
                except ClientError:
                    pass
            if step % 50 == 49:
                for group in ("g0", "g1", "g2", "g3", "moved"):
                    want = sorted((gs, pk) for pk, (g, gs) in model.items() if g == group)
                    self.assertEqual(self.by_g(group, limit=7), [(pk, "1") for _, pk in want])


    def stored(self, pk, sk):
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(TABLE)
        return table.get_item(s_type(pk), s_type(sk))

    def test_items_that_are_overwritten_deleted_or_journaled_are_freed(self):
        self.put("a", "1", v="first")
        first = weakref.ref(self.stored("a", "1"))
        self.put("a", "1", v="second")
        second = weakref.ref(self.stored("a", "1"))
        update = {
            "Update": {
                "TableName": TABLE,
                "Key": {"pk": s("a"), "sk": s("1")},
                "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": s("third")},
            }
        }
        self.db.transact_write_items(TransactItems=[update])  # journals a copy of the item
        self.db.delete_item(TableName=TABLE, Key={"pk": s("a"), "sk": s("1")})
        gc.collect()
        self.assertIsNone(first())
        self.assertIsNone(second())
        self.assertIsNone(self.get("a", "1"))

    def test_the_item_size_limit_holds_for_the_whole_item(self):
        half = "x" * 210_000
        with self.assertRaises(ClientError) as raised:
            self.put("big", "1", one=half, two=half)
        self.assertIn("Item size has exceeded the maximum allowed size", str(raised.exception))
        self.assertIsNone(self.get("big", "1"))
        self.put("big", "1", one=half, two="x" * 190_000)
        self.assertEqual(len(self.get("big", "1")["two"]["S"]), 190_000)

    def test_items_share_their_attribute_names_and_short_values(self):
        nested = {"M": {"role": s("agent"), "tags": {"L": [s("a")]}}}
        for pk in ("u1", "u2"):
            item = {"pk": s(pk), "sk": s("USER"), "status": s("active"), "profile": nested}
            # Through JSON, as the server receives it: every request brings new strings.
            self.db.put_item(TableName=TABLE, Item=json.loads(json.dumps(item)))
        one, two = self.stored("u1", "USER"), self.stored("u2", "USER")
        name_one = next(k for k in one.attrs if k == "status")
        name_two = next(k for k in two.attrs if k == "status")
        self.assertIs(name_one, name_two)
        self.assertIs(one.attrs["status"].value, two.attrs["status"].value)
        role_one = next(k for k in one.attrs["profile"].value if k == "role")
        role_two = next(k for k in two.attrs["profile"].value if k == "role")
        self.assertIs(role_one, role_two)
        self.assertEqual(self.get("u2", "USER")["profile"], nested)


class PlainJsonResponses(unittest.TestCase):
    """Responses written as plain JSON say exactly what moto's serializer would."""

    def test_every_operation_the_project_uses_answers_as_the_serializer_would(self):
        from moto.dynamodb import responses

        seen = []
        fast = responses.DynamoResult.execute_result

        def compare(result, context):
            status, headers, body = fast(result, context)
            g_status, g_headers, g_body = responses.DynamoResult.generic_execute_result(result, context)
            seen.append(context.operation_model.name)
            self.assertEqual(status, g_status)
            self.assertEqual(set(headers), set(g_headers), context.operation_model.name)
            self.assertEqual(json.loads(body), json.loads(g_body), context.operation_model.name)
            return status, headers, body

        responses.DynamoResult.execute_result = compare
        try:
            with mock_aws():
                db = boto3.client("dynamodb", region_name="us-east-1")
                db.create_table(
                    TableName="t", BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                )
                item = {
                    "pk": s("a"), "n": {"N": "1.50"}, "b": {"B": b"\x00\xff"},
                    "bs": {"BS": [b"\x01"]}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]},
                    "m": {"M": {"l": {"L": [s("v"), {"NULL": True}, {"BOOL": False}]}, "e": {"M": {}}}},
                    "empty": {"L": []}, "text": s("ünïcode \u2028 \"quoted\""),
                }
                db.put_item(TableName="t", Item=item)
                db.get_item(TableName="t", Key={"pk": s("a")}, ReturnConsumedCapacity="TOTAL")
                db.get_item(TableName="t", Key={"pk": s("missing")})
                db.query(TableName="t", KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": s("a")}, Limit=1)
                db.query(TableName="t", KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": s("none")})
                db.scan(TableName="t")
                db.batch_get_item(RequestItems={"t": {"Keys": [{"pk": s("a")}, {"pk": s("b")}]}})
                db.update_item(TableName="t", Key={"pk": s("a")}, UpdateExpression="ADD c :one",
                               ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
                db.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": s("c")}}}])
                db.delete_item(TableName="t", Key={"pk": s("c")}, ReturnValues="ALL_OLD")
                db.describe_table(TableName="t")
                self.assertEqual(db.get_item(TableName="t", Key={"pk": s("a")})["Item"]["b"]["B"], b"\x00\xff")
        finally:
            responses.DynamoResult.execute_result = fast
        for operation in ("PutItem", "GetItem", "Query", "Scan", "BatchGetItem", "UpdateItem",
                          "DeleteItem", "DescribeTable"):
            self.assertIn(operation, seen)


if __name__ == "__main__":
    unittest.main()
