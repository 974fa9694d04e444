"""The Doorman stack: composes the constructs, grants each function what it calls, and
emits the outputs the `doorman` CLI reads (edge_agent.resources.StackResources)."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import DoormanConfig
from infra.constructs.alerts import Alerts
from infra.constructs.analysis import Analysis
from infra.constructs.edge_access import EdgeAccess
from infra.constructs.enrollment import Enrollment
from infra.constructs.face_collection import FaceCollection
from infra.constructs.function import FunctionDefaults
from infra.constructs.layers import FunctionLayers
from infra.constructs.monitoring import Monitoring
from infra.constructs.storage import Storage
from infra.constructs.streaming import Streaming
from infra.constructs.tables import Tables
from infra.grants import grant_objects, grant_rekognition
from infra.nag import acknowledge, acknowledge_cdk_providers, default_policy

FRAME_PREFIXES = ("frames/", "kvs/")
# Outputs meant for people, not for the CLI.
HUMAN_OUTPUTS = (
    "DashboardUrl",
    "SesVerification",
    "StartStreamProcessorCommand",
    "StopStreamProcessorCommand",
)


def environment(**values: object) -> dict[str, str]:
    """Function environment: settings field names upper-cased, values as text."""
    def text(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list | tuple):
            return ",".join(str(item) for item in value)
        return str(value)

    return {name.upper(): text(value) for name, value in values.items()}


class DoormanStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: DoormanConfig, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        removal = (
            RemovalPolicy.DESTROY if config.removal_policy == "destroy" else RemovalPolicy.RETAIN
        )

        key = kms.Key(
            self,
            "Key",
            description="Doorman alerts topic (CloudWatch alarms publish to it too)",
            enable_key_rotation=True,
            # It only protects alert messages in flight: nothing to keep after a destroy.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # CloudWatch alarms publish to the encrypted alerts topic.
        key.grant(
            iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey"
        )
        storage = Storage(
            self,
            "Storage",
            frame_retention_days=config.frame_retention_days,
            quiet_retention_days=config.quiet_retention_days,
            audit_retention_days=config.event_retention_days,
            removal_policy=removal,
        )
        tables = Tables(self, "Tables", removal_policy=removal)
        collection = FaceCollection(
            self, "Faces", collection_id=f"{config.stack_name}-faces", removal_policy=removal
        )
        layers = FunctionLayers(
            self, "Layers", powertools_version=config.powertools_layer_version
        )
        defaults = FunctionDefaults(
            layers=layers.all,
            log_retention_days=config.log_retention_days,
            removal_policy=removal,
        )

        alerts = Alerts(
            self,
            "Alerts",
            key=key,
            owner_email=config.owner_email,
            addresses=config.recipient_emails,
            webhook_parameter=config.webhook_parameter,
            environment=environment(
                state_table=tables.state.table_name,
                owner_email=config.owner_email,
                sender_email=config.sender_email,
                authorities_emails=config.authorities_emails,
                presign_seconds=config.presign_seconds,
            ),
            defaults=defaults,
        )
        enrollment = Enrollment(
            self,
            "Enrollment",
            faces_bucket=storage.faces,
            environment=environment(
                people_table=tables.people.table_name,
                state_table=tables.state.table_name,
                collection_id=collection.collection_id,
            ),
            defaults=defaults,
        )
        analysis = Analysis(
            self,
            "Analysis",
            uploads_bucket=storage.uploads,
            environment=environment(
                audit_bucket=storage.audit.bucket_name,
                events_table=tables.events.table_name,
                sightings_table=tables.sightings.table_name,
                people_table=tables.people.table_name,
                state_table=tables.state.table_name,
                collection_id=collection.collection_id,
                alerts_queue_url=alerts.work.queue.queue_url,
                armed_parameter=alerts.armed.parameter_name,
                known_threshold=config.known_threshold,
                barred_threshold=config.barred_threshold,
                possible_match_threshold=config.possible_match_threshold,
                cooldown_seconds=config.cooldown_seconds,
                alarm_labels=config.alarm_labels,
                labels_on_every_image=config.labels_on_every_image,
                event_retention_days=config.event_retention_days,
            ),
            defaults=defaults,
        )
        edge = EdgeAccess(
            self, "Edge", uploads_bucket=storage.uploads, faces_bucket=storage.faces
        )

        streaming = None
        if config.streaming:
            streaming = Streaming(
                self,
                "Streaming",
                name_prefix=config.stack_name,
                cameras=config.cameras,
                collection=collection,
                face_match_threshold=config.possible_match_threshold,
            )
            analysis.consume(streaming.face_search_stream)
            edge.allow_video_streams(streaming.video_stream_arns)

        # enroll: read photos and their tags, write the outcome tag, manage the collection.
        enroll = enrollment.handler.role
        tables.people.grant_read_write_data(enroll)
        tables.state.grant_read_write_data(enroll)
        grant_objects(
            enroll,
            storage.faces,
            actions=[
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:GetObjectTagging",
                "s3:GetObjectVersionTagging",
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
            ],
            prefixes=[""],
            reason="Enrollment photos may sit under any key (watchlist/name/file or tagged); "
            "enroll reads them and writes the enrollment tag back.",
        )
        grant_rekognition(
            enroll,
            collection.collection_arn,
            collection_actions=[
                "rekognition:IndexFaces",
                "rekognition:DeleteFaces",
                "rekognition:ListFaces",
                "rekognition:SearchFaces",
            ],
            image_actions=["rekognition:DetectFaces"],
        )

        # analyze: frames in, events/sightings/audit out, alerts onto the queue.
        analyze = analysis.handler.role
        for table in (tables.events, tables.sightings, tables.state):
            table.grant_read_write_data(analyze)
        tables.people.grant_read_data(analyze)
        grant_objects(
            analyze,
            storage.uploads,
            actions=["s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging"],
            prefixes=FRAME_PREFIXES,
            reason="analyze reads each new frame under its prefix and tags its classification.",
        )
        grant_objects(
            analyze,
            storage.audit,
            actions=["s3:PutObject"],
            prefixes=["processed/", "rekognition/"],
            reason="analyze writes one processed JSON and the raw responses per frame.",
        )
        grant_rekognition(
            analyze,
            collection.collection_arn,
            collection_actions=["rekognition:SearchFacesByImage"],
            image_actions=["rekognition:DetectFaces", "rekognition:DetectLabels"],
        )
        alerts.work.queue.grant_send_messages(analyze)
        alerts.armed.grant_read(analyze)

        # notify: mail, topic, webhook, and a presigned link to the frame.
        notify = alerts.handler.role
        tables.state.grant_read_write_data(notify)
        for identity in alerts.identities:
            identity.grant_send_email(notify)
        alerts.topic.grant_publish(notify)
        acknowledge(
            default_policy(notify),
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "Publishing to the encrypted topic needs a data key from the alerts key; the "
            "grant is on that one key ARN (CDK's Topic.grant_publish).",
        )
        alerts.webhook.grant_read(notify)
        grant_objects(
            notify,
            storage.uploads,
            actions=["s3:GetObject"],
            prefixes=FRAME_PREFIXES,
            reason="notify presigns a GET link to the alerted frame, under its prefix.",
        )

        dead_letter_queues = {
            "Enroll": enrollment.work.dlq,
            "Frames": analysis.work.dlq,
            "Alerts": alerts.work.dlq,
        }
        if analysis.stream_failures is not None:
            dead_letter_queues["StreamFailures"] = analysis.stream_failures
        monitoring = Monitoring(
            self,
            "Monitoring",
            dashboard_name=config.stack_name,
            functions={
                "Enroll": enrollment.handler.function,
                "Analyze": analysis.handler.function,
                "Notify": alerts.handler.function,
            },
            dead_letter_queues=dead_letter_queues,
            topic=alerts.topic,
        )

        outputs = {
            "UploadsBucket": storage.uploads.bucket_name,
            "FacesBucket": storage.faces.bucket_name,
            "AuditBucket": storage.audit.bucket_name,
            "PeopleTable": tables.people.table_name,
            "EventsTable": tables.events.table_name,
            "SightingsTable": tables.sightings.table_name,
            "StateTable": tables.state.table_name,
            "CollectionId": collection.collection_id,
            "FramesQueueUrl": analysis.work.queue.queue_url,
            "EnrollQueueUrl": enrollment.work.queue.queue_url,
            "AlertsQueueUrl": alerts.work.queue.queue_url,
            "AlertsTopicArn": alerts.topic.topic_arn,
            "ArmedParameter": alerts.armed.parameter_name,
            "WebhookParameter": config.webhook_parameter,
            "EdgeRoleArn": edge.role.role_arn,
            "DashboardUrl": (
                f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region="
                f"{self.region}#dashboards:name={config.stack_name}"
            ),
            "SesVerification": "Each of these addresses must click the link SES mailed it "
            "before mail can flow (sandbox accounts): " + ", ".join(config.recipient_emails),
        }
        if streaming is not None:
            names = streaming.processor_names
            outputs |= {
                "StreamProcessorName": ",".join(names),
                "VideoStreams": ",".join(streaming.video_stream_names),
                "FaceSearchStream": streaming.face_search_stream.stream_name,
                "StartStreamProcessorCommand": _commands("start", names, self.region),
                "StopStreamProcessorCommand": _commands("stop", names, self.region),
            }
        for key_name, value in outputs.items():
            CfnOutput(self, key_name, value=value)
        self.monitoring = monitoring
        acknowledge_cdk_providers(self)


def _commands(verb: str, processor_names: list[str], region: str) -> str:
    return " && ".join(
        f"aws rekognition {verb}-stream-processor --name {name} --region {region}"
        for name in processor_names
    )
