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


if __name__ == "__main__":
    unittest.main()
