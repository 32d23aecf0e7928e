"""Creates the table, bucket and topic in the emulator from infra/template.yaml.

The SAM template is the only definition of these resources: this script reads their
properties from it (keys, indexes, projections, TTL, bucket notifications aside) so that local
runs and tests can never drift from what is deployed.

Usage: provision.py TEMPLATE   (endpoint, names and region come from the environment:
AWS_ENDPOINT_URL, ROSTER_TABLE, ROSTER_IMPORT_BUCKET, ROSTER_TOPIC_NAME, AWS_REGION)
"""

import os
import sys

import boto3

from cfn import load, properties as one


def create_table(ddb, props, name):
    args = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    existing = ddb.list_tables()["TableNames"]
    if name not in existing:
        ddb.create_table(**args)
        ddb.get_waiter("table_exists").wait(TableName=name)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )


def main() -> None:
    template = load(sys.argv[1])
    region = os.environ.get("AWS_REGION", "us-east-1")
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    session = boto3.session.Session(region_name=region)

    create_table(
        session.client("dynamodb", endpoint_url=endpoint),
        one(template, "AWS::DynamoDB::Table", "UsersTable"),
        os.environ["ROSTER_TABLE"],
    )
    one(template, "AWS::S3::Bucket", "ImportBucket")
    s3 = session.client("s3", endpoint_url=endpoint)
    bucket = os.environ["ROSTER_IMPORT_BUCKET"]
    if bucket not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    one(template, "AWS::SES::EmailIdentity", "EmailSenderIdentity")
    sender = os.environ.get("ROSTER_EMAIL_FROM") or template["Parameters"]["EmailSender"]["Default"]
    ses = session.client("sesv2", endpoint_url=endpoint)
    existing = [i["IdentityName"] for i in ses.list_email_identities().get("EmailIdentities", [])]
    if sender not in existing:
        ses.create_email_identity(EmailIdentity=sender)

    queue = one(template, "AWS::SQS::Queue", "ImportContinuationQueue")
    sqs = session.client("sqs", endpoint_url=endpoint)
    queue_url = sqs.create_queue(
        QueueName=os.environ["ROSTER_IMPORT_QUEUE_NAME"],
        Attributes={"VisibilityTimeout": str(queue["VisibilityTimeout"])},
    )["QueueUrl"]

    one(template, "AWS::SNS::Topic", "ActivationTopic")
    topic = session.client("sns", endpoint_url=endpoint).create_topic(
        Name=os.environ["ROSTER_TOPIC_NAME"]
    )
    print(topic["TopicArn"])
    print(queue_url)


if __name__ == "__main__":
    main()
