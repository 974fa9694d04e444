"""The named cloud resources of one Doorman deployment.

The CDK stack emits each field as a CloudFormation output whose key is the field name in
CamelCase (`uploads_bucket` -> `UploadsBucket`); localcloud writes the same keys to
`resources.json` in its data directory. The CLI reads either, so it works unchanged
against AWS and against localcloud.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

DEFAULT_STACK_NAME = "Doorman"
# moto takes any keys: localcloud and the CLI use its well-known fake ones, so no real
# credential is ever involved locally. They are passed only through the environment.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def output_key(field_name: str) -> str:
    return "".join(part.capitalize() for part in field_name.split("_"))


class StackResources(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    uploads_bucket: str
    faces_bucket: str
    audit_bucket: str
    people_table: str
    events_table: str
    sightings_table: str
    state_table: str
    collection_id: str
    frames_queue_url: str
    enroll_queue_url: str
    alerts_queue_url: str
    alerts_topic_arn: str
    armed_parameter: str
    webhook_parameter: str
    # The alert rules document (core/rules.py); "" for stacks from before the rules.
    rules_parameter: str = ""
    # JSON object: edge device name -> the URL of its verdict queue ("" before verdicts).
    verdict_queue_urls: str = ""
    # The default device's edge role (no `devices` in the context); with `devices`, "".
    edge_role_arn: str = ""
    # JSON object: device name -> the ARN of its edge role (every deployment).
    edge_role_arns: str = ""
    # Comma-separated camera ids, in the order of `video_streams` and `stream_processor_name`.
    cameras: str = ""
    # streaming=true: processors, their video streams and the face-search data stream;
    # streaming=images: the video streams only. Comma-separated, in camera order.
    stream_processor_name: str = ""
    video_streams: str = ""
    face_search_stream: str = ""
    # The second collection, of remembered strangers (core.strangers); "" on a stack from
    # before it existed.
    strangers_collection_id: str = ""

    @classmethod
    def output_keys(cls) -> dict[str, str]:
        """Field name -> CloudFormation output key."""
        return {name: output_key(name) for name in cls.model_fields}

    @classmethod
    def from_outputs(cls, outputs: dict[str, str]) -> StackResources:
        by_key = {key: name for name, key in cls.output_keys().items()}
        return cls(**{by_key[k]: v for k, v in outputs.items() if k in by_key})

    @classmethod
    def from_file(cls, path: Path) -> StackResources:
        return cls.from_outputs(json.loads(Path(path).read_text()))

    def to_outputs(self) -> dict[str, str]:
        return {output_key(name): value for name, value in self.model_dump().items()}
