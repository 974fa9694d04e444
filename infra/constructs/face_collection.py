"""The single Rekognition face collection. Each face's ExternalImageId is its person_id."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_rekognition as rekognition
from constructs import Construct


class FaceCollection(Construct):
    """`collection_id` and `collection_arn` for grants, environments and the processors.

    With `existing=True` the collection is adopted, not created: a collection kept by an
    earlier `cdk destroy` (removal_policy=retain) still holds its id, so creating it again
    would fail with ResourceAlreadyExists. Then `resource` is None and the stack neither
    creates nor deletes it. Resources that must wait for the collection depend on this
    construct (`node.add_dependency(collection)`), which works either way.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        collection_id: str,
        removal_policy: RemovalPolicy,
        existing: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.collection_id = collection_id
        self.resource: rekognition.CfnCollection | None = None
        if existing:
            # arn:{partition}:rekognition:{region}:{account}:collection/{id}, the collection
            # resource type of https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html
            reference = rekognition.CfnCollection.from_collection_id(
                self, "Existing", collection_id
            ).collection_ref
            self.collection_arn = reference.collection_arn
            return
        self.resource = rekognition.CfnCollection(self, "Collection", collection_id=collection_id)
        self.resource.apply_removal_policy(removal_policy)
        self.collection_arn = self.resource.attr_arn
