"""The single Rekognition face collection. Each face's ExternalImageId is its person_id."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_rekognition as rekognition
from constructs import Construct


class FaceCollection(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        collection_id: str,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.resource = rekognition.CfnCollection(self, "Collection", collection_id=collection_id)
        self.resource.apply_removal_policy(removal_policy)
        self.collection_id = collection_id
        self.collection_arn = self.resource.attr_arn
