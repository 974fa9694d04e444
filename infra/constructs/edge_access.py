"""The roles edge devices assume: upload their frames, push their video, maybe read the gallery."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge, default_policy, wildcard_resource

DEFAULT_DEVICE = "default"


class EdgeAccess(Construct):
    """One role per device (`roles`, by device name).

    With `devices` empty (the default) there is one role, `default`, that may put any object
    under `frames/` (its cameras are whatever the agents call them). A device listed in
    `devices` may only put `frames/{camera}/*` for its own cameras and, with streaming, put
    media into its own cameras' video streams. With `read_gallery` (context
    `edge_recognition`), each role may also list the faces bucket and read its photos and
    their tags (gallery sync); without it, no edge role can read an enrollment photo.

    Each role trusts this account: give the device's IAM identity `sts:AssumeRole` on it and
    use a `role_arn` profile in ~/.aws/config, so no key ever sits in Doorman's config.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        uploads_bucket: s3.IBucket,
        faces_bucket: s3.IBucket,
        devices: Mapping[str, Sequence[str]] | None = None,
        read_gallery: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self._devices: dict[str, list[str]] = {k: list(v) for k, v in (devices or {}).items()}
        self.roles: dict[str, iam.Role] = {}
        if not self._devices:
            # Construct id "Role", as before devices existed: the role is not replaced.
            self.roles[DEFAULT_DEVICE] = self._role(
                "Role", "Doorman edge agent (default device): upload frames", uploads_bucket, ["*"]
            )
        for device, cameras in self._devices.items():
            self.roles[device] = self._role(
                f"Device-{device}",
                f"Doorman edge device {device}: upload frames of {', '.join(cameras)}",
                uploads_bucket,
                [f"{camera}/*" for camera in cameras],
            )
        if read_gallery:
            for role in self.roles.values():
                self._allow_gallery(role, faces_bucket)

    @property
    def role(self) -> iam.Role:
        """The only edge role (no `devices` configured)."""
        if len(self.roles) != 1:
            raise ValueError("several devices: use EdgeAccess.roles")
        return next(iter(self.roles.values()))

    def cameras(self, device: str) -> list[str] | None:
        """The cameras of `device`; None for the default device (every camera)."""
        return self._devices.get(device)

    def _role(
        self, construct_id: str, description: str, uploads: s3.IBucket, patterns: list[str]
    ) -> iam.Role:
        role = iam.Role(
            self,
            construct_id,
            description=description,
            assumed_by=iam.AccountRootPrincipal(),
            max_session_duration=Duration.hours(12),
        )
        # The bucket policy adds: only with If-None-Match (frames are write-once).
        role.add_to_policy(
            iam.PolicyStatement(
                sid="UploadFrames",
                actions=["s3:PutObject"],
                resources=[uploads.arn_for_objects(f"frames/{p}") for p in patterns],
            )
        )
        for pattern in patterns:
            acknowledge(
                default_policy(role),
                wildcard_resource(uploads, f"/frames/{pattern}"),
                "The edge writes new frame keys (frames/{camera}/{date}/...): only under "
                + ("frames/." if pattern == "*" else f"its camera's prefix frames/{pattern}."),
            )
        return role

    @staticmethod
    def _allow_gallery(role: iam.Role, faces_bucket: s3.IBucket) -> None:
        """Gallery sync lists the bucket and reads each photo and its tags (no versions, no
        writes)."""
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ListGallery", actions=["s3:ListBucket"], resources=[faces_bucket.bucket_arn]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadGallery",
                actions=["s3:GetObject", "s3:GetObjectTagging"],
                resources=[faces_bucket.arn_for_objects("*")],
            )
        )
        acknowledge(
            default_policy(role),
            wildcard_resource(faces_bucket, "/*"),
            "edge_recognition: gallery sync reads every enrollment photo and its tags; read-only.",
        )

    def allow_video_streams(self, stream_arns: Mapping[str, str]) -> None:
        """Streaming path: each device may put media into its own cameras' streams
        (`stream_arns`: camera -> stream ARN); the default device into all of them."""
        for device, role in self.roles.items():
            cameras = self.cameras(device)
            arns = [
                arn for camera, arn in stream_arns.items() if cameras is None or camera in cameras
            ]
            if not arns:
                continue
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="PushVideo",
                    actions=[
                        "kinesisvideo:PutMedia",
                        "kinesisvideo:DescribeStream",
                        "kinesisvideo:GetDataEndpoint",
                    ],
                    resources=arns,
                )
            )
