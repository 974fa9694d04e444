"""Create in moto (and the face service) the resources the CDK stack creates, with the
same roles: three buckets with their S3 -> SQS notifications, three work queues with
DLQs, four tables, the alerts topic, SES identities, the SSM switches and the collection;
with streaming, one Kinesis video stream per camera (`{prefix}-{camera}`, as the stack's
`{stack_name}-{camera}`) and, for streaming=True, the face-search data stream. moto has no
KVS image generation (streaming="images"): tests put the images under kvs/ as KVS would.

`provision()` returns the `StackResources` the CLI reads, and `write_resources()` stores
them as resources.json (the same keys as the stack's CloudFormation outputs).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import boto3
from botocore.exceptions import ClientError

from core.records import video_stream_name
from core.resources import StackResources
from core.rules import DEFAULT_RULES
from core.settings import ALERT_RATE_SECONDS, CAPTURED_AT_MAX_AGE_SECONDS
from core.strangers import MAX_CROPS, STRANGER_RETENTION_DAYS, STRANGER_THRESHOLD

from .router import DEFAULT_CONCURRENCY

if TYPE_CHECKING:  # the stubs are a dev dependency
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.literals import KeyTypeType
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_kinesisvideo import KinesisVideoClient
    from mypy_boto3_rekognition import RekognitionClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

RESOURCES_FILE = "resources.json"
ENDPOINTS_FILE = "endpoints.json"  # read by the doorman CLI (adapters/discovery.py)
MAX_RECEIVE_COUNT = 3
STREAM_POLL_SECONDS = 0.2
STREAM_POLL_ATTEMPTS = 50


# LocalConfig's default cameras (`doorman local up`): the demo's five, the edge agent's
# default `door` (`doorman watch` without --camera-id) and `front`.
LOCAL_CAMERAS = ("front-door", "garden", "side-gate", "street", "porch", "door", "front")


@dataclass(frozen=True)
class LocalConfig:
    """What cdk.json context sets in AWS, with local defaults."""

    prefix: str = "doorman"
    owner_email: str = "owner@example.com"
    sender_email: str = "doorman@example.com"
    authorities_emails: tuple[str, ...] = ("police@example.com",)
    known_threshold: float = 90.0
    barred_threshold: float = 95.0
    possible_match_threshold: float = 80.0
    cooldown_seconds: int = 300
    alarm_labels: tuple[str, ...] = ("Person", "Human")
    labels_on_every_image: bool = False
    event_retention_days: int = 30
    presign_seconds: int = 3600
    armed: str = "armed"
    webhook_url: str = ""  # when set, the webhook parameter is created (SecureString)
    # Short locally so failed records come back (and reach a DLQ) within seconds.
    visibility_timeout: int = 4
    # No SSM cache locally: `doorman arm|disarm` takes effect on the next frame.
    parameter_max_age_seconds: int = 0
    # The stack's `streaming` context: False, True (stream processors) or "images".
    streaming: bool | Literal["images"] = False
    # The stack's `cameras`: analyze rejects a frame from any other camera (and, with
    # streaming, each one gets a video stream). The demo and the test fixtures list theirs.
    cameras: tuple[str, ...] = field(default=LOCAL_CAMERAS)
    # At most one alert about one identity per this window across cameras (0: off).
    alert_rate_seconds: int = ALERT_RATE_SECONDS
    privacy_blur: str = "none"  # none | known | bystanders (core/blur.py)
    # The stack's `devices` (device -> its cameras); empty: one "default" device, every
    # camera. Each gets a verdict queue subscribed to the alerts topic (infra/constructs/
    # verdicts.py), filtered on its cameras, with raw delivery.
    devices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Remembered strangers (core.strangers): the same match threshold, best crops per
    # stranger and retention as the stack's defaults.
    stranger_threshold: float = STRANGER_THRESHOLD
    stranger_crops: int = MAX_CROPS
    stranger_retention_days: int = STRANGER_RETENTION_DAYS
    # How often the stranger expiry runs (the stack's rule: once a day).
    expiry_every_seconds: float = 86400.0
    # streaming="images": one image per camera this often (the poller's SamplingInterval).
    image_interval_seconds: float = 2.0
    # Lambda's concurrency: how many invocations of each function run at once (each in
    # its own execution environment, see localcloud.router).
    concurrency: int = DEFAULT_CONCURRENCY

    def name(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    @property
    def stream_cameras(self) -> dict[str, str]:
        """Video stream name -> camera, as the stack gives analyze (empty without streams)."""
        if self.streaming is False:
            return {}
        return {video_stream_name(self.prefix, camera): camera for camera in self.cameras}


@dataclass(frozen=True)
class _Clients:
    """Clients of moto and, for Rekognition, of the face service."""

    s3: S3Client
    sqs: SQSClient
    dynamodb: DynamoDBClient
    sns: SNSClient
    ses: SESClient
    ssm: SSMClient
    kinesis: KinesisClient
    kinesisvideo: KinesisVideoClient
    rekognition: RekognitionClient

    @classmethod
    def for_env(cls, env: dict[str, str]) -> _Clients:
        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_REGION"],
        )
        moto = env["AWS_ENDPOINT_URL"]
        return cls(
            s3=session.client("s3", endpoint_url=moto),
            sqs=session.client("sqs", endpoint_url=moto),
            dynamodb=session.client("dynamodb", endpoint_url=moto),
            sns=session.client("sns", endpoint_url=moto),
            ses=session.client("ses", endpoint_url=moto),
            ssm=session.client("ssm", endpoint_url=moto),
            kinesis=session.client("kinesis", endpoint_url=moto),
            kinesisvideo=session.client("kinesisvideo", endpoint_url=moto),
            rekognition=session.client(
                "rekognition", endpoint_url=env["AWS_ENDPOINT_URL_REKOGNITION"]
            ),
        )


def _exists_already(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in {
        "BucketAlreadyOwnedByYou",
        "ResourceInUseException",
        "ResourceAlreadyExistsException",
    }


def _bucket(s3: S3Client, name: str, *, versioned: bool = False) -> None:
    try:
        s3.create_bucket(Bucket=name)
    except ClientError as exc:
        if not _exists_already(exc):
            raise
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _queue(sqs: SQSClient, name: str, visibility: int) -> tuple[str, str]:
    """A work queue with its DLQ (maxReceiveCount 3); returns (url, arn)."""
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(visibility),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
            ),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def _allow_s3(sqs: SQSClient, queue_url: str, queue_arn: str, bucket: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})


def _table(
    dynamodb: DynamoDBClient,
    name: str,
    keys: list[tuple[str, KeyTypeType]],
    ttl: str | None = None,
) -> None:
    try:
        dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
            KeySchema=[{"AttributeName": k, "KeyType": kind} for k, kind in keys],
        )
    except ClientError as exc:
        if not _exists_already(exc):
            raise
    if ttl:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )


def _video_stream(kinesisvideo: KinesisVideoClient, name: str) -> None:
    """One camera's video stream, with the stack's retention (image generation needs one)."""
    try:
        kinesisvideo.create_stream(StreamName=name, DataRetentionInHours=24, MediaType="video/h264")
    except ClientError as exc:
        if not _exists_already(exc):
            raise


def _wait_until_active(kinesis: KinesisClient, stream: str) -> None:
    """What the `stream_exists` waiter does, polling every STREAM_POLL_SECONDS."""
    for _ in range(STREAM_POLL_ATTEMPTS):
        description = kinesis.describe_stream(StreamName=stream)["StreamDescription"]
        if description["StreamStatus"] == "ACTIVE":
            return
        time.sleep(STREAM_POLL_SECONDS)
    raise TimeoutError(f"Kinesis stream {stream} is not active after {STREAM_POLL_ATTEMPTS} polls")


def _buckets_and_queues(c: _Clients, config: LocalConfig) -> dict[str, str]:
    """The three buckets, the three work queues, and the bucket notifications that feed
    frames/ and kvs/ to the frames queue and every faces-bucket change to the enroll queue."""
    s3, sqs = c.s3, c.sqs
    uploads, faces, audit = (config.name(r) for r in ("uploads", "faces", "audit"))
    _bucket(s3, uploads)
    _bucket(s3, faces, versioned=True)
    _bucket(s3, audit)

    frames_url, frames_arn = _queue(sqs, config.name("frames"), config.visibility_timeout)
    enroll_url, enroll_arn = _queue(sqs, config.name("enroll"), config.visibility_timeout)
    alerts_url, _ = _queue(sqs, config.name("alerts"), config.visibility_timeout)
    _allow_s3(sqs, frames_url, frames_arn, uploads)
    _allow_s3(sqs, enroll_url, enroll_arn, faces)
    s3.put_bucket_notification_configuration(
        Bucket=uploads,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": f"frames-{prefix.rstrip('/')}",
                    "QueueArn": frames_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                }
                for prefix in ("frames/", "kvs/")
            ]
        },
    )
    s3.put_bucket_notification_configuration(
        Bucket=faces,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "enrollment",
                    "QueueArn": enroll_arn,
                    "Events": [
                        "s3:ObjectCreated:*",
                        "s3:ObjectRemoved:*",
                        "s3:ObjectTagging:Put",
                    ],
                }
            ]
        },
    )
    return {
        "uploads_bucket": uploads,
        "faces_bucket": faces,
        "audit_bucket": audit,
        "frames_queue_url": frames_url,
        "enroll_queue_url": enroll_url,
        "alerts_queue_url": alerts_url,
    }


def _tables(c: _Clients, config: LocalConfig) -> dict[str, str]:
    people, events, sightings, state = (
        config.name(r) for r in ("people", "events", "sightings", "state")
    )
    _table(c.dynamodb, people, [("person_id", "HASH")])
    _table(c.dynamodb, events, [("camera_id", "HASH"), ("event_time", "RANGE")], ttl="expires_at")
    _table(
        c.dynamodb, sightings, [("person_id", "HASH"), ("sighting_key", "RANGE")], ttl="expires_at"
    )
    _table(c.dynamodb, state, [("pk", "HASH")], ttl="expires_at")
    return {
        "people_table": people,
        "events_table": events,
        "sightings_table": sightings,
        "state_table": state,
    }


def _put_unless_set(ssm: SSMClient, name: str, value: str) -> None:
    """Create a String parameter; one that exists already (kept data) is left as it is."""
    try:
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=False)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ParameterAlreadyExists":
            raise


def _verdict_queues(c: _Clients, config: LocalConfig, topic_arn: str) -> dict[str, str]:
    """Device -> verdict queue URL: the stack's Verdicts construct (no DLQ, filter policy on
    the device's cameras, raw message delivery). Subscribing again is harmless: SNS returns
    the existing subscription."""
    devices = dict(config.devices) or {"default": config.cameras}
    urls = {}
    for device, cameras in devices.items():
        url = c.sqs.create_queue(QueueName=config.name(f"verdicts-{device}"))["QueueUrl"]
        arn = c.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        c.sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={
                "RawMessageDelivery": "true",
                "FilterPolicy": json.dumps({"camera_id": list(cameras)}),
            },
        )
        urls[device] = url
    return urls


def _alerting(c: _Clients, config: LocalConfig) -> dict[str, str]:
    """The alerts topic, the SES identities, and the armed and webhook parameters."""
    topic_arn = c.sns.create_topic(Name=config.name("alerts"))["TopicArn"]
    for address in {config.sender_email, config.owner_email, *config.authorities_emails}:
        c.ses.verify_email_identity(EmailAddress=address)
    armed_parameter, webhook_parameter = f"/{config.prefix}/armed", f"/{config.prefix}/webhook-url"
    _put_unless_set(c.ssm, armed_parameter, config.armed)  # a restart keeps `doorman disarm`
    # The alert rules: the defaults, unless a rules document is there already (a restarted
    # localcloud keeps what `doorman rules set` stored).
    rules_parameter = f"/{config.prefix}/rules"
    try:
        c.ssm.put_parameter(
            Name=rules_parameter, Value=DEFAULT_RULES.compact(), Type="String", Overwrite=False
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ParameterAlreadyExists":
            raise
    if config.webhook_url:
        c.ssm.put_parameter(
            Name=webhook_parameter, Value=config.webhook_url, Type="SecureString", Overwrite=True
        )
    return {
        "verdict_queue_urls": json.dumps(_verdict_queues(c, config, topic_arn), sort_keys=True),
        "alerts_topic_arn": topic_arn,
        "armed_parameter": armed_parameter,
        "webhook_parameter": webhook_parameter,
        "rules_parameter": rules_parameter,
    }


def _collection(c: _Clients, config: LocalConfig, role: str = "faces") -> str:
    collection_id = config.name(role)
    try:
        c.rekognition.create_collection(CollectionId=collection_id)
    except ClientError as exc:
        if not _exists_already(exc):
            raise
    return collection_id


def _streams(c: _Clients, config: LocalConfig) -> str:
    """The video streams of both streaming modes; the face-search stream (its name, or "")
    of the stream-processor mode."""
    for stream_name in config.stream_cameras:
        _video_stream(c.kinesisvideo, stream_name)
    if config.streaming is not True:
        return ""
    face_search_stream = config.name("face-search")
    try:
        c.kinesis.create_stream(StreamName=face_search_stream, ShardCount=1)
    except ClientError as exc:
        if not _exists_already(exc):
            raise
    _wait_until_active(c.kinesis, face_search_stream)
    return face_search_stream


def provision(env: dict[str, str], config: LocalConfig | None = None) -> StackResources:
    """Create everything (what exists already is kept); returns the resource names, the
    CloudFormation output equivalents. moto's state is per process: give each LocalCloud in
    one process its own `config.prefix`."""
    config = config or LocalConfig()
    c = _Clients.for_env(env)
    return StackResources(
        **_buckets_and_queues(c, config),
        **_tables(c, config),
        **_alerting(c, config),
        collection_id=_collection(c, config),
        strangers_collection_id=_collection(c, config, "strangers"),
        cameras=",".join(config.cameras),
        face_search_stream=_streams(c, config),
        video_streams=",".join(config.stream_cameras),
    )


def function_environments(
    resources: StackResources, config: LocalConfig
) -> dict[str, dict[str, str]]:
    """Each function's environment, exactly the variables its settings model reads."""
    csv = ",".join
    return {
        "enroll": {
            "PEOPLE_TABLE": resources.people_table,
            "STATE_TABLE": resources.state_table,
            "COLLECTION_ID": resources.collection_id,
        },
        "analyze": {
            "AUDIT_BUCKET": resources.audit_bucket,
            "EVENTS_TABLE": resources.events_table,
            "SIGHTINGS_TABLE": resources.sightings_table,
            "PEOPLE_TABLE": resources.people_table,
            "STATE_TABLE": resources.state_table,
            "COLLECTION_ID": resources.collection_id,
            "ALERTS_QUEUE_URL": resources.alerts_queue_url,
            "ARMED_PARAMETER": resources.armed_parameter,
            "RULES_PARAMETER": resources.rules_parameter,
            "PARAMETER_MAX_AGE_SECONDS": str(config.parameter_max_age_seconds),
            "CAPTURED_AT_MAX_AGE_SECONDS": str(CAPTURED_AT_MAX_AGE_SECONDS),
            "KNOWN_THRESHOLD": str(config.known_threshold),
            "BARRED_THRESHOLD": str(config.barred_threshold),
            "POSSIBLE_MATCH_THRESHOLD": str(config.possible_match_threshold),
            "COOLDOWN_SECONDS": str(config.cooldown_seconds),
            "ALARM_LABELS": csv(config.alarm_labels),
            "LABELS_ON_EVERY_IMAGE": str(config.labels_on_every_image).lower(),
            "EVENT_RETENTION_DAYS": str(config.event_retention_days),
            "STREAM_CAMERAS": json.dumps(config.stream_cameras, sort_keys=True),
            "CAMERAS": csv(config.cameras),
            "ALERT_RATE_SECONDS": str(config.alert_rate_seconds),
            "PRIVACY_BLUR": config.privacy_blur,
            "STRANGERS_COLLECTION_ID": resources.strangers_collection_id,
            "STRANGER_THRESHOLD": str(config.stranger_threshold),
            "STRANGER_CROPS": str(config.stranger_crops),
        },
        "notify": {
            "STATE_TABLE": resources.state_table,
            "OWNER_EMAIL": config.owner_email,
            "SENDER_EMAIL": config.sender_email,
            "AUTHORITIES_EMAILS": csv(config.authorities_emails),
            "ALERTS_TOPIC_ARN": resources.alerts_topic_arn,
            "WEBHOOK_PARAMETER": resources.webhook_parameter,
            "PARAMETER_MAX_AGE_SECONDS": str(config.parameter_max_age_seconds),
            "PRESIGN_SECONDS": str(config.presign_seconds),
        },
        # Scheduled daily in AWS (EventBridge); localcloud runs it on its clock.
        "expire_strangers": {
            "STATE_TABLE": resources.state_table,
            "SIGHTINGS_TABLE": resources.sightings_table,
            "AUDIT_BUCKET": resources.audit_bucket,
            "STRANGERS_COLLECTION_ID": resources.strangers_collection_id,
            "STRANGER_RETENTION_DAYS": str(config.stranger_retention_days),
        },
        # streaming="images" only (the stack creates the poller in that mode alone).
        "kvs_images": {
            "UPLOADS_BUCKET": resources.uploads_bucket,
            "STATE_TABLE": resources.state_table,
            "STREAM_CAMERAS": json.dumps(config.stream_cameras, sort_keys=True),
            "IMAGE_INTERVAL_SECONDS": str(config.image_interval_seconds),
            "POLL_SECONDS": "0",  # one pass per invocation: localcloud invokes it on its clock
        },
    }


def write_resources(resources: StackResources, env: dict[str, str], data_dir: Path) -> Path:
    """resources.json (stack output keys) and endpoints.json (no credentials) for the CLI."""
    directory = Path(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    endpoints = {k: v for k, v in env.items() if k.startswith("AWS_ENDPOINT_URL")}
    (directory / ENDPOINTS_FILE).write_text(json.dumps(endpoints, indent=2) + "\n")
    path = directory / RESOURCES_FILE
    path.write_text(json.dumps(resources.to_outputs(), indent=2) + "\n")
    return path
