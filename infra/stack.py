"""The Doorman stack: composes the constructs, grants each function what it calls, and
emits the outputs the `doorman` CLI reads (core.resources.StackResources)."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from core.records import FRAME_PREFIXES, video_stream_name
from core.settings import (
    ALERT_RATE_SECONDS,
    CAPTURED_AT_MAX_AGE_SECONDS,
    PARAMETER_MAX_AGE_SECONDS,
)
from core.strangers import CROPS_PREFIX
from infra.config import DoormanConfig
from infra.constructs.alerts import Alerts
from infra.constructs.analysis import Analysis
from infra.constructs.edge_access import EdgeAccess
from infra.constructs.enrollment import Enrollment
from infra.constructs.face_collection import FaceCollection
from infra.constructs.function import FunctionDefaults
from infra.constructs.image_generation import ImageGeneration
from infra.constructs.image_polling import ImagePolling
from infra.constructs.layers import FunctionLayers
from infra.constructs.monitoring import Monitoring
from infra.constructs.storage import Storage
from infra.constructs.stranger_expiry import StrangerExpiry
from infra.constructs.streaming import Streaming
from infra.constructs.tables import Tables
from infra.constructs.verdicts import Verdicts
from infra.grants import (
    IDEMPOTENCY_ACTIONS,
    grant_listing,
    grant_objects,
    grant_parameter,
    grant_rekognition,
)
from infra.nag import acknowledge, acknowledge_cdk_providers, default_policy

# processed JSON, raw responses, and the blurred copies of frames (core/blur.py).
AUDIT_PREFIXES = ("processed/", "rekognition/", "blurred/")
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
    def __init__(
        self, scope: Construct, construct_id: str, *, config: DoormanConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        removal = (
            RemovalPolicy.DESTROY if config.removal_policy == "destroy" else RemovalPolicy.RETAIN
        )

        self.storage = Storage(
            self,
            "Storage",
            frame_retention_days=config.frame_retention_days,
            quiet_retention_days=config.quiet_retention_days,
            audit_retention_days=config.event_retention_days,
            removal_policy=removal,
        )
        self.tables = Tables(self, "Tables", removal_policy=removal)
        self.collection = FaceCollection(
            self,
            "Faces",
            collection_id=config.collection_id,
            existing=bool(config.existing_collection_id),
            removal_policy=removal,
        )
        # Remembered strangers (core.strangers): a second collection, never the watchlists'.
        self.strangers = FaceCollection(
            self,
            "Strangers",
            collection_id=config.strangers_collection_id,
            existing=bool(config.existing_strangers_collection_id),
            removal_policy=removal,
        )
        defaults = FunctionDefaults(
            layers=FunctionLayers(self, "Layers").all,
            log_retention_days=config.log_retention_days,
            removal_policy=removal,
        )
        self._defaults = defaults
        self.alerts = self._alerts(defaults)
        self.enrollment = self._enrollment(defaults)
        self.analysis = self._analysis(defaults)
        self.stranger_expiry = self._stranger_expiry(defaults)
        self.edge = EdgeAccess(
            self,
            "Edge",
            uploads_bucket=self.storage.uploads,
            faces_bucket=self.storage.faces,
            devices=config.devices,
            read_gallery=config.edge_recognition,
        )
        # Each device's verdict queue: the alerts of its own cameras (item 5 of issue 14).
        self.verdicts = Verdicts(
            self,
            "Verdicts",
            topic=self.alerts.topic,
            roles=self.edge.roles,
            cameras={d: self.edge.cameras(d) or config.cameras for d in self.edge.roles},
        )
        self.streaming: Streaming | None = None
        self.image_generation: ImageGeneration | None = None
        self.image_polling: ImagePolling | None = None
        if config.stream_processors:
            self.streaming = self._stream_processors()
        elif config.image_generation:
            self.image_generation = self._image_generation()

        self._grant_enroll()
        self._grant_analyze()
        self._grant_stranger_expiry()
        self._grant_notify()
        self.monitoring = self._monitoring()
        self.alerts.allow_alarms(self.monitoring.alarm_arns)
        self._outputs()
        acknowledge_cdk_providers(self)

    def _alerts(self, defaults: FunctionDefaults) -> Alerts:
        config = self.config
        return Alerts(
            self,
            "Alerts",
            owner_email=config.owner_email,
            addresses=config.new_ses_identities,
            verified_addresses=config.existing_ses_identities,
            webhook_parameter=config.webhook_parameter,
            environment=environment(
                state_table=self.tables.state.table_name,
                owner_email=config.owner_email,
                sender_email=config.sender_email,
                authorities_emails=config.authorities_emails,
                presign_seconds=config.presign_seconds,
                parameter_max_age_seconds=PARAMETER_MAX_AGE_SECONDS,
            ),
            defaults=defaults,
        )

    def _enrollment(self, defaults: FunctionDefaults) -> Enrollment:
        return Enrollment(
            self,
            "Enrollment",
            faces_bucket=self.storage.faces,
            environment=environment(
                people_table=self.tables.people.table_name,
                state_table=self.tables.state.table_name,
                collection_id=self.collection.collection_id,
            ),
            defaults=defaults,
        )

    def _analysis(self, defaults: FunctionDefaults) -> Analysis:
        config = self.config
        # Both streaming modes name one video stream per camera; analyze maps them back.
        stream_cameras = (
            {video_stream_name(config.stack_name, camera): camera for camera in config.cameras}
            if config.stream_processors or config.image_generation
            else {}
        )
        return Analysis(
            self,
            "Analysis",
            uploads_bucket=self.storage.uploads,
            environment=environment(
                audit_bucket=self.storage.audit.bucket_name,
                events_table=self.tables.events.table_name,
                sightings_table=self.tables.sightings.table_name,
                people_table=self.tables.people.table_name,
                state_table=self.tables.state.table_name,
                collection_id=self.collection.collection_id,
                alerts_queue_url=self.alerts.work.queue.queue_url,
                armed_parameter=self.alerts.armed.parameter_name,
                rules_parameter=self.alerts.rules.parameter_name,
                known_threshold=config.known_threshold,
                barred_threshold=config.barred_threshold,
                possible_match_threshold=config.possible_match_threshold,
                cooldown_seconds=config.cooldown_seconds,
                alarm_labels=config.alarm_labels,
                labels_on_every_image=config.labels_on_every_image,
                event_retention_days=config.event_retention_days,
                parameter_max_age_seconds=PARAMETER_MAX_AGE_SECONDS,
                captured_at_max_age_seconds=CAPTURED_AT_MAX_AGE_SECONDS,
                stream_cameras=json.dumps(stream_cameras, sort_keys=True),
                cameras=config.cameras,
                alert_rate_seconds=ALERT_RATE_SECONDS,
                privacy_blur=config.privacy_blur,
                strangers_collection_id=self.strangers.collection_id,
                stranger_threshold=config.stranger_threshold,
                stranger_crops=config.stranger_crops,
            ),
            defaults=defaults,
        )

    def _stranger_expiry(self, defaults: FunctionDefaults) -> StrangerExpiry:
        return StrangerExpiry(
            self,
            "StrangerExpiry",
            environment=environment(
                state_table=self.tables.state.table_name,
                sightings_table=self.tables.sightings.table_name,
                audit_bucket=self.storage.audit.bucket_name,
                strangers_collection_id=self.strangers.collection_id,
                stranger_retention_days=self.config.stranger_retention_days,
            ),
            defaults=defaults,
        )

    def _stream_processors(self) -> Streaming:
        """streaming=true: video streams, face-search processors, the stream analyze reads."""
        config = self.config
        streaming = Streaming(
            self,
            "Streaming",
            name_prefix=config.stack_name,
            cameras=config.cameras,
            collection=self.collection,
            face_match_threshold=config.possible_match_threshold,
        )
        self.analysis.consume(streaming.face_search_stream)
        self.edge.allow_video_streams(
            {camera: stream.attr_arn for camera, stream in streaming.video_streams.items()}
        )
        return streaming

    def _image_generation(self) -> ImageGeneration:
        """streaming=images: video streams whose images KVS writes under kvs/{camera}/."""
        config = self.config
        generate_to_s3 = config.kvs_image_delivery == "generation"
        images = ImageGeneration(
            self,
            "ImageGeneration",
            stack_name=config.stack_name,
            cameras=config.cameras,
            uploads_bucket=self.storage.uploads,
            interval_seconds=config.image_interval_seconds,
            generate_to_s3=generate_to_s3,
        )
        self.edge.allow_video_streams(
            {camera: stream.attr_arn for camera, stream in images.video_streams.items()}
        )
        if generate_to_s3:
            for device, edge_role in self.edge.roles.items():
                images.allow_uploader(edge_role, self.edge.cameras(device))
        else:
            self.image_polling = ImagePolling(
                self,
                "ImagePolling",
                video_streams=images.video_streams,
                stream_names=dict(zip(config.cameras, images.video_stream_names, strict=True)),
                uploads_bucket=self.storage.uploads,
                state_table=self.tables.state,
                interval_seconds=config.image_interval_seconds,
                defaults=self._defaults,
            )
        return images

    # Each grant below names the exact API calls of functions/<name>/ and functions/shared/
    # adapters (boto3 operation -> IAM action); tests/infra/test_iam.py holds the same list.

    def _grant_enroll(self) -> None:
        """Read photos and their tags, write the outcome tag, manage the collection."""
        role = self.enrollment.handler.role
        # PeopleTable.get/save/delete; StateTable.get_photo/put_photo/delete_photo.
        for table in (self.tables.people, self.tables.state):
            table.grant(role, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem")
        grant_objects(
            role,
            self.storage.faces,
            actions=[
                "s3:GetObject",  # HeadObject and GetObject of the current version
                # Photos over 5 MB go to Rekognition as S3Object with their VersionId, and
                # Rekognition reads them with the caller's permissions.
                "s3:GetObjectVersion",
                "s3:GetObjectTagging",
                "s3:PutObjectTagging",  # the enrollment=<outcome> tag
            ],
            prefixes=[""],
            reason="Enrollment photos may sit under any key (watchlist/name/file or tagged); "
            "enroll reads them and writes the enrollment tag back.",
        )
        # A removed photo must read as 404 (forget its faces), not 403 (retry, then DLQ).
        grant_listing(role, self.storage.faces)
        grant_rekognition(
            role,
            self.collection.collection_arn,
            collection_actions=[
                "rekognition:IndexFaces",
                "rekognition:DeleteFaces",
                # Each person's Rekognition user (UserId = person_id): created on their first
                # photo, given each photo's faces, emptied before a face is deleted, and
                # deleted with their last photo. The resource is the collection:
                # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html
                "rekognition:CreateUser",
                "rekognition:AssociateFaces",
                "rekognition:DisassociateFaces",
                "rekognition:DeleteUser",
            ],
            image_actions=["rekognition:DetectFaces"],
        )

    def _grant_analyze(self) -> None:
        """Frames in; events, sightings, audit files and frame tags out; alerts queued."""
        role = self.analysis.handler.role
        tables = self.tables
        tables.people.grant(role, "dynamodb:BatchGetItem")  # PeopleTable.get_many
        tables.events.grant(role, "dynamodb:PutItem")
        tables.sightings.grant(role, "dynamodb:BatchWriteItem")
        # Cooldowns and the stranger creation lease (conditional PutItem, DeleteItem), and
        # Powertools idempotency records.
        tables.state.grant(role, *IDEMPOTENCY_ACTIONS)
        grant_objects(
            role,
            self.storage.uploads,
            # GetObject also covers frames over 5 MB that Rekognition reads as S3Object.
            actions=["s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging"],
            prefixes=FRAME_PREFIXES,
            reason="analyze reads each new frame under its prefix and tags its classification.",
        )
        # A frame deleted or expired before analysis must read as 404 ("gone"), not 403.
        grant_listing(role, self.storage.uploads, prefixes=FRAME_PREFIXES)
        grant_objects(
            role,
            self.storage.audit,
            actions=["s3:PutObject"],
            prefixes=AUDIT_PREFIXES,
            reason="analyze writes one processed JSON and the raw responses per frame.",
        )
        grant_rekognition(
            role,
            self.collection.collection_arn,
            # SearchUsersByImage: a borderline face against each person's user vector.
            collection_actions=["rekognition:SearchFacesByImage", "rekognition:SearchUsersByImage"],
            image_actions=["rekognition:DetectFaces", "rekognition:DetectLabels"],
        )
        # Remembered strangers (functions/analyze/strangers.py): search, index a best crop,
        # delete the crop it replaces; the record is a State item (GetItem/PutItem above).
        grant_rekognition(
            role,
            self.strangers.collection_arn,
            collection_actions=[
                "rekognition:SearchFacesByImage",
                "rekognition:IndexFaces",
                "rekognition:DeleteFaces",
            ],
        )
        grant_objects(
            role,
            self.storage.audit,
            actions=["s3:PutObject", "s3:DeleteObject"],
            prefixes=[CROPS_PREFIX],
            reason="analyze stores each stranger's best face crops under strangers/ and "
            "deletes the one a better crop replaces.",
        )
        self.alerts.work.queue.grant(role, "sqs:SendMessage")
        grant_parameter(role, self.alerts.armed)
        grant_parameter(role, self.alerts.rules)

    def _grant_stranger_expiry(self) -> None:
        """List the stranger records, erase the expired: faces, crops, sightings, record."""
        role = self.stranger_expiry.handler.role
        # StrangerTable.all (a Scan of `stranger#` items) and erase.
        self.tables.state.grant(role, "dynamodb:Scan", "dynamodb:DeleteItem")
        # StrangerSightings.of_stranger (Query) and erase (BatchWriteItem deletes).
        self.tables.sightings.grant(role, "dynamodb:Query", "dynamodb:BatchWriteItem")
        grant_rekognition(
            role,
            self.strangers.collection_arn,
            collection_actions=["rekognition:ListFaces", "rekognition:DeleteFaces"],
        )
        grant_objects(
            role,
            self.storage.audit,
            actions=["s3:DeleteObject"],
            prefixes=[CROPS_PREFIX],
            reason="The expiry deletes the crops of each expired stranger, under strangers/.",
        )
        # Crops the record lost track of are found by listing the stranger's prefix.
        grant_listing(role, self.storage.audit, prefixes=[CROPS_PREFIX])

    def _grant_notify(self) -> None:
        """Mail, topic, webhook, a presigned link to the frame, and idempotency records."""
        role = self.alerts.handler.role
        self.tables.state.grant(role, *IDEMPOTENCY_ACTIONS)
        # SES authorizes SendEmail against the sender identity and, in the sandbox, the
        # verified recipient identities too: all of them are the stack's identities.
        for identity in self.alerts.identities:
            identity.grant(role, "ses:SendEmail")
        self.alerts.topic.grant_publish(role)
        acknowledge(
            default_policy(role),
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "Publishing to the encrypted topic needs a data key from the alerts key; the "
            "grant is on that one key ARN (CDK's Topic.grant_publish).",
        )
        # A SecureString under the AWS managed aws/ssm key: its key policy lets account
        # principals decrypt through SSM, so no kms:Decrypt grant is needed.
        grant_parameter(role, self.alerts.webhook)
        grant_objects(
            role,
            self.storage.uploads,
            actions=["s3:GetObject"],
            prefixes=FRAME_PREFIXES,
            reason="notify presigns a GET link to the alerted frame, under its prefix; the "
            "link works with the signer's permissions.",
        )
        grant_objects(
            role,
            self.storage.audit,
            actions=["s3:GetObject"],
            prefixes=["blurred/"],
            reason="with privacy_blur, the alerted frame is the blurred copy analyze stores "
            "under blurred/ in the audit bucket: notify presigns a GET link to it.",
        )

    def _monitoring(self) -> Monitoring:
        dead_letter_queues = {
            "Enroll": self.enrollment.work.dlq,
            "Frames": self.analysis.work.dlq,
            "Alerts": self.alerts.work.dlq,
        }
        if self.analysis.stream_failures is not None:
            dead_letter_queues["StreamFailures"] = self.analysis.stream_failures
        functions = {
            "Enroll": self.enrollment.handler.function,
            "Analyze": self.analysis.handler.function,
            "Notify": self.alerts.handler.function,
            "ExpireStrangers": self.stranger_expiry.handler.function,
        }
        if self.image_polling is not None:
            functions["KvsImages"] = self.image_polling.handler.function
        return Monitoring(
            self,
            "Monitoring",
            dashboard_name=self.config.stack_name,
            alarm_name_prefix=self.config.stack_name,
            functions=functions,
            dead_letter_queues=dead_letter_queues,
            topic=self.alerts.topic,
            images_polled=self.image_polling is not None,
        )

    def _outputs(self) -> None:
        """Keys = core.resources.StackResources fields in CamelCase, plus HUMAN_OUTPUTS."""
        config, storage, tables = self.config, self.storage, self.tables
        outputs = {
            "UploadsBucket": storage.uploads.bucket_name,
            "FacesBucket": storage.faces.bucket_name,
            "AuditBucket": storage.audit.bucket_name,
            "PeopleTable": tables.people.table_name,
            "EventsTable": tables.events.table_name,
            "SightingsTable": tables.sightings.table_name,
            "StateTable": tables.state.table_name,
            "CollectionId": self.collection.collection_id,
            "StrangersCollectionId": self.strangers.collection_id,
            "FramesQueueUrl": self.analysis.work.queue.queue_url,
            "EnrollQueueUrl": self.enrollment.work.queue.queue_url,
            "AlertsQueueUrl": self.alerts.work.queue.queue_url,
            "AlertsTopicArn": self.alerts.topic.topic_arn,
            "ArmedParameter": self.alerts.armed.parameter_name,
            "RulesParameter": self.alerts.rules.parameter_name,
            # Device name -> the URL of its verdict queue (JSON; edge_agent/verdicts.py).
            "VerdictQueueUrls": self.to_json_string(
                {device: queue.queue_url for device, queue in self.verdicts.queues.items()}
            ),
            "WebhookParameter": config.webhook_parameter,
            # Device name -> its edge role ARN (JSON); EdgeRoleArn below without devices.
            "EdgeRoleArns": self.to_json_string(
                {device: role.role_arn for device, role in self.edge.roles.items()}
            ),
            # The camera order of VideoStreams and StreamProcessorName (ops/control.py).
            "Cameras": ",".join(config.cameras),
            "DashboardUrl": self.monitoring.dashboard_url,
            "SesVerification": "Each of these addresses must click the link SES mailed it "
            "before mail can flow (sandbox accounts): "
            + (", ".join(config.new_ses_identities) or "none (all were verified already)"),
        }
        if self.streaming is not None:
            streaming = self.streaming
            outputs |= {
                "StreamProcessorName": ",".join(streaming.processor_names),
                "VideoStreams": ",".join(streaming.video_stream_names),
                "FaceSearchStream": streaming.face_search_stream.stream_name,
                "StartStreamProcessorCommand": streaming.processor_command("start"),
                "StopStreamProcessorCommand": streaming.processor_command("stop"),
            }
        if self.image_generation is not None:
            outputs["VideoStreams"] = ",".join(self.image_generation.video_stream_names)
        if not config.devices:
            outputs["EdgeRoleArn"] = self.edge.role.role_arn
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)
