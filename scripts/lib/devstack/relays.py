"""Turns the emulator's notifications into the events Lambda would deliver to the functions.

In AWS, S3 invokes the worker on an upload, SNS invokes the sender, and the SQS event source
mapping feeds continuations to the worker. moto has no Lambda, so each trigger declared in the
template gets an emulator SQS queue (S3 and SNS notify it), and a relay polls that queue and
invokes the function with the event AWS would have built. Failed invocations are retried like
asynchronous invocations, then parked in the local dead-letter queue.
"""

import hashlib
import json
import os
import threading
import time

from .lambdas import FunctionError

POLL_SECONDS = 0.5
# Short polling only: the emulator serves one request at a time, a long poll would stall it.
RETRY_AFTER_SECONDS = 5
# Longer than any invocation (the worker's timeout is 900 s): no second delivery while one runs.
IN_FLIGHT_SECONDS = 960


class Relay:
    def __init__(self, name, function, sqs, queue_url, to_event, lambdas, say, attempts,
                 dead_letter_url, batch_size=1):
        self.name = name
        self.function = function
        self.sqs = sqs
        self.queue_url = queue_url
        self.to_event = to_event
        self.lambdas = lambdas
        self.say = say
        self.attempts = attempts
        self.dead_letter_url = dead_letter_url
        self.batch_size = batch_size
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=self.batch_size,
                    WaitTimeSeconds=0,
                    VisibilityTimeout=IN_FLIGHT_SECONDS,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception as e:  # the emulator is restarting or gone: keep polling
                if not self.stopped.is_set():
                    self.say(self.name, f"cannot poll: {e}")
                self.stopped.wait(2)
                continue
            if not messages:
                self.stopped.wait(POLL_SECONDS)
                continue
            self.deliver(messages)

    def deliver(self, messages):
        event = self.to_event(messages)
        if event is None:
            self._delete(messages)
            return
        try:
            started = time.monotonic()
            self.lambdas.invoke(self.function, event)
            took = int((time.monotonic() - started) * 1000)
            self.say(self.name, f"delivered {len(messages)} event(s) to {self.function} ({took} ms)")
            self._delete(messages)
        except FunctionError as e:
            received = max(int(m["Attributes"].get("ApproximateReceiveCount", "1")) for m in messages)
            if received < self.attempts:
                self.say(self.name, f"{self.function} failed (attempt {received} of "
                                    f"{self.attempts}), retrying in {RETRY_AFTER_SECONDS} s: {e}")
                for m in messages:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"],
                        VisibilityTimeout=RETRY_AFTER_SECONDS,
                    )
                return
            self.say(self.name, f"{self.function} failed {received} times; event moved to the "
                                f"dead-letter queue: {e}")
            self.sqs.send_message(QueueUrl=self.dead_letter_url, MessageBody=json.dumps(event))
            self._delete(messages)

    def _delete(self, messages):
        for m in messages:
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    def start(self):
        thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        thread.start()
        return thread


def s3_event(messages):
    """The notification already has the Lambda event's shape; moto leaves out the identity
    fields S3 always sends, so they are filled in as S3 would (test events are dropped).

    Moto 5.2.5 also announces a multipart upload twice: `ObjectCreated:Put` from the inner
    put, then `ObjectCreated:CompleteMultipartUpload`. S3 sends only the second, and a Put
    never has a multipart ETag ("<md5>-<parts>"), so that Put is dropped here. The sequencer
    is derived from the message id, so a redelivered notification is the same event."""
    records = []
    for m in messages:
        for record in json.loads(m["Body"]).get("Records", []):
            s3_object = record.get("s3", {}).get("object", {})
            if record.get("eventName") == "ObjectCreated:Put" and "-" in s3_object.get("eTag", ""):
                continue
            principal = {"principalId": "AWS:local-dev"}
            record.setdefault("userIdentity", principal)
            record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
            record.setdefault("responseElements", {
                "x-amz-request-id": m["MessageId"], "x-amz-id-2": m["MessageId"],
            })
            record["s3"]["bucket"].setdefault("ownerIdentity", principal)
            record["s3"]["object"].setdefault(
                "sequencer", hashlib.sha256(m["MessageId"].encode()).hexdigest()[:16].upper())
            records.append(record)
    return {"Records": records} if records else None


def sns_event(subscription_arn):
    def build(messages):
        records = []
        for m in messages:
            envelope = json.loads(m["Body"])
            records.append({
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": envelope["Type"],
                    "MessageId": envelope["MessageId"],
                    "TopicArn": envelope["TopicArn"],
                    "Subject": envelope.get("Subject"),
                    "Message": envelope["Message"],
                    "Timestamp": envelope["Timestamp"],
                    "SignatureVersion": envelope.get("SignatureVersion", "1"),
                    "Signature": envelope.get("Signature", ""),
                    "SigningCertUrl": envelope.get("SigningCertURL", ""),
                    "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                    "MessageAttributes": envelope.get("MessageAttributes", {}),
                },
            })
        return {"Records": records}

    return build


def sqs_event(queue_arn, region):
    def build(messages):
        return {"Records": [{
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": a.get("StringValue"),
                    "binaryValue": a.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": a["DataType"],
                }
                for name, a in m.get("MessageAttributes", {}).items()
            },
            "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        } for m in messages]}

    return build


class Schedule:
    """EventBridge's schedule: invokes the function with a scheduled event every so often
    (`ROSTER_SCHEDULE_SECONDS` overrides the template's rate locally)."""

    def __init__(self, name, function, every_seconds, lambdas, say):
        self.name = name
        self.function = function
        self.every_seconds = every_seconds
        self.lambdas = lambdas
        self.say = say
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.every_seconds):
            event = scheduled_event()
            try:
                self.lambdas.invoke(self.function, event)
            except FunctionError as e:
                self.say(self.name, f"{self.function} failed on its schedule: {e}")

    def start(self):
        thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        thread.start()
        return thread


def scheduled_event():
    """The event an EventBridge schedule hands a function."""
    return {
        "version": "0", "id": hashlib.sha1(str(time.time()).encode()).hexdigest(),
        "detail-type": "Scheduled Event", "source": "aws.events",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "detail": {},
        "resources": [], "region": "us-east-1", "account": "123456789012",
    }


def plumb(trigger, settings, session, lambdas, say):
    """Creates the emulator's side of one trigger and the relay that serves it."""
    if trigger.kind == "Schedule":
        every = int(os.environ.get("ROSTER_SCHEDULE_SECONDS") or trigger.every_seconds)
        return Schedule(f"schedule->{trigger.function}", trigger.function, every, lambdas, say)
    sqs = session.client("sqs", endpoint_url=settings.aws_url)
    dead_letters = sqs.create_queue(QueueName=settings.dead_letter_queue)["QueueUrl"]
    source = settings.physical(trigger.source)
    name = f"{trigger.kind.lower()}->{trigger.function}"
    if trigger.kind == "SQS":
        url = sqs.get_queue_url(QueueName=source)["QueueUrl"]
        to_event = sqs_event(settings.queue_arn(source), settings.region)
        return Relay(name, trigger.function, sqs, url, to_event, lambdas, say,
                     trigger.attempts, dead_letters, trigger.batch_size)

    relay_queue = f"roster-relay-{trigger.kind.lower()}-{trigger.function}"
    url = sqs.create_queue(QueueName=relay_queue)["QueueUrl"]
    arn = settings.queue_arn(relay_queue)
    if trigger.kind == "S3":
        filters = [{"Name": r["Name"].lower(), "Value": r["Value"]} for r in trigger.s3_filter_rules]
        config = {"QueueArn": arn, "Events": trigger.s3_events}
        if filters:
            config["Filter"] = {"Key": {"FilterRules": filters}}
        session.client("s3", endpoint_url=settings.aws_url).put_bucket_notification_configuration(
            Bucket=source, NotificationConfiguration={"QueueConfigurations": [config]}
        )
        to_event = s3_event
    elif trigger.kind == "SNS":
        sns = session.client("sns", endpoint_url=settings.aws_url)
        subscription = sns.subscribe(TopicArn=source, Protocol="sqs", Endpoint=arn)
        to_event = sns_event(subscription["SubscriptionArn"])
    else:
        raise SystemExit(f"scripts/dev cannot relay {trigger.kind} events")
    return Relay(name, trigger.function, sqs, url, to_event, lambdas, say, trigger.attempts,
                 dead_letters)
