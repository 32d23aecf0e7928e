"""What the template must say about failures: every queue and function ends in the dead letters."""

import unittest
from pathlib import Path

import cfn

TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "template.yaml"


class DeadLetters(unittest.TestCase):
    def setUp(self):
        self.template = cfn.load(TEMPLATE)

    def test_a_poison_continuation_is_redriven_to_the_dead_letters(self):
        queue = cfn.properties(self.template, "AWS::SQS::Queue", "ImportContinuationQueue")
        redrive = queue.get("RedrivePolicy")
        self.assertIsNotNone(redrive, "without a redrive policy a poison message re-runs for 14 days")
        # !GetAtt DeadLetterQueue.Arn reads back as its argument.
        self.assertEqual(redrive["deadLetterTargetArn"], "DeadLetterQueue.Arn")
        self.assertLessEqual(int(redrive["maxReceiveCount"]), 10)
        dead_letters = cfn.properties(self.template, "AWS::SQS::Queue", "DeadLetterQueue")
        self.assertGreaterEqual(
            int(dead_letters.get("MessageRetentionPeriod", 345600)),
            int(queue["MessageRetentionPeriod"]),
            "a dead letter must outlive the message it came from",
        )


def policy_statements(template, logical_id):
    """The inline statements of a function's policies (managed policies by their logical id)."""
    props = cfn.properties(template, "AWS::Serverless::Function", logical_id)
    statements, managed = [], []
    for policy in props.get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            statements.extend(policy["Statement"])
        else:
            managed.append(policy)
    return statements, managed


def actions(statement):
    action = statement["Action"]
    return set(action if isinstance(action, list) else [action])


class LeastPrivilege(unittest.TestCase):
    def setUp(self):
        self.template = cfn.load(TEMPLATE)

    def test_the_public_activation_function_updates_only_activation_attributes(self):
        statements, managed = policy_statements(self.template, "DeviceActivationFunction")
        self.assertEqual(managed, [], "no shared table policy (it could put and delete any item)")
        granted = set().union(*(actions(s) for s in statements))
        self.assertEqual(
            granted, {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem"}
        )
        update = next(s for s in statements if "dynamodb:UpdateItem" in actions(s))
        attributes = update["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
        self.assertEqual(
            set(attributes),
            {"pk", "sk", "trusted", "version", "updated", "failed_attempts", "used", "failures",
             "expires_at"},
        )

    def test_each_function_has_exactly_the_actions_its_code_calls(self):
        # Each handler is generic over the ports it uses (its lib.rs); these are the calls of
        # those ports' adapters in shared/aws. A new action in the template, or a shared
        # policy on a narrow function, fails here: add the call to the code first, then here.
        table = "TableItemAccess"
        expected = {
            "UsersApiFunction": ({table}, {"sns:Publish", "s3:PutObject", "s3:GetObject",
                                           "s3:DeleteObject", "sqs:SendMessage"}),
            "ImportsApiFunction": (set(), {"dynamodb:GetItem", "dynamodb:PutItem",
                                           "dynamodb:Query", "s3:PutObject", "s3:GetObject",
                                           "sqs:SendMessage"}),
            "ImportWorkerFunction": ({table}, {"s3:GetObject", "s3:GetObjectVersion",
                                               "s3:PutObject", "s3:DeleteObject",
                                               "s3:ListBucket", "sns:Publish",
                                               "sqs:SendMessage"}),
            "ActivationSenderFunction": (set(), {"dynamodb:GetItem", "dynamodb:PutItem",
                                                 "dynamodb:UpdateItem", "sns:Publish",
                                                 "ses:SendEmail"}),
            "DeviceActivationFunction": (set(), {"dynamodb:GetItem", "dynamodb:BatchGetItem",
                                                 "dynamodb:UpdateItem"}),
            "ScimAuthorizerFunction": (set(), {"dynamodb:GetItem"}),
        }
        functions = {
            logical_id for logical_id, r in self.template["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"
        }
        self.assertEqual(functions, set(expected), "every function is pinned here")
        for logical_id, (managed_wanted, actions_wanted) in expected.items():
            statements, managed = policy_statements(self.template, logical_id)
            self.assertEqual(set(managed), managed_wanted, logical_id)
            granted = set().union(*(actions(s) for s in statements))
            self.assertEqual(granted, actions_wanted, logical_id)
        shared = cfn.properties(self.template, "AWS::IAM::ManagedPolicy", table)
        everything = set().union(*(actions(s) for s in shared["PolicyDocument"]["Statement"]))
        self.assertNotIn("dynamodb:Scan", everything)
        self.assertTrue(all(a.startswith("dynamodb:") and "Table" not in a for a in everything))

    def test_the_imports_api_reads_only_reports(self):
        statements, _ = policy_statements(self.template, "ImportsApiFunction")
        reads = [s for s in statements if "s3:GetObject" in actions(s)]
        self.assertEqual(len(reads), 1)
        self.assertIn("/reports/*", str(reads[0]["Resource"]))
        self.assertNotIn("/imports/*", str(reads[0]["Resource"]))

    def test_the_worker_timeout_is_the_one_its_code_assumes(self):
        # import_worker::TIMEOUT: what an invocation gets when a local runtime sends no
        # usable deadline; it must be the deployed timeout.
        props = cfn.properties(self.template, "AWS::Serverless::Function", "ImportWorkerFunction")
        self.assertEqual(props["Timeout"], 900)
        code = (TEMPLATE.parents[1] / "functions/import-worker/src/lib.rs").read_text()
        self.assertIn("pub const TIMEOUT: Duration = Duration::from_secs(900);", code)

    def test_every_function_can_reserve_concurrency(self):
        reservations = {
            "ImportWorkerFunction": "WorkerReservedConcurrency",
            "UsersApiFunction": "ApiReservedConcurrency",
            "ImportsApiFunction": "ApiReservedConcurrency",
            "DeviceActivationFunction": "ApiReservedConcurrency",
            "ScimAuthorizerFunction": "ApiReservedConcurrency",
            "ActivationSenderFunction": "SenderReservedConcurrency",
        }
        functions = {
            logical_id for logical_id, r in self.template["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"
        }
        self.assertEqual(functions, set(reservations), "every function is pinned here")
        for logical_id, parameter in reservations.items():
            props = cfn.properties(self.template, "AWS::Serverless::Function", logical_id)
            self.assertIn(parameter, str(props["ReservedConcurrentExecutions"]), logical_id)
            self.assertIn(parameter, self.template["Parameters"])

    def test_the_table_can_be_warmed_for_a_large_import_and_stays_on_demand(self):
        props = cfn.properties(self.template, "AWS::DynamoDB::Table", "UsersTable")
        self.assertEqual(props["BillingMode"], "PAY_PER_REQUEST")
        condition, warm, otherwise = props["WarmThroughput"]  # !If, read back as its arguments
        self.assertEqual(otherwise, "AWS::NoValue", "no parameter, no warming charge")
        self.assertEqual(warm["WriteUnitsPerSecond"], "TableWarmWriteUnits")
        self.assertIn("TableWarmReadUnits", str(warm["ReadUnitsPerSecond"]))
        for parameter in ("TableWarmWriteUnits", "TableWarmReadUnits"):
            self.assertEqual(self.template["Parameters"][parameter]["Default"], 0)

    def test_the_scim_authorizer_only_reads_one_item(self):
        statements, managed = policy_statements(self.template, "ScimAuthorizerFunction")
        self.assertEqual(managed, [])
        self.assertEqual(set().union(*(actions(s) for s in statements)), {"dynamodb:GetItem"})

    def test_no_statement_grants_every_resource(self):
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            statements, _ = policy_statements(self.template, logical_id)
            for statement in statements:
                self.assertNotEqual(statement.get("Resource"), "*", logical_id)
                if "NotResource" in statement:
                    # SMS to a phone number has no ARN to name: the sender may publish to
                    # anything that is not an SNS ARN, i.e. only to phone numbers.
                    self.assertEqual(logical_id, "ActivationSenderFunction")
                    self.assertEqual(actions(statement), {"sns:Publish"})
                    self.assertEqual(statement["NotResource"], "arn:${AWS::Partition}:sns:*:*:*")


if __name__ == "__main__":
    unittest.main()
