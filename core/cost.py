"""What Doorman costs per month on AWS: one dated unit-price table and a small usage model.

`PRICES` is the only place unit prices live (us-east-1, on-demand, no free tier, no tax).
`estimate()` turns a `Usage` into per-service lines (the bench prices its measured uploads
with it); `compare()` sets the edge-filtered design against sending every motion frame,
against KVS image generation all day (`streaming=images`) and against 24/7 streaming
(`doorman cost`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

GB = 1_000_000_000
MILLION = 1_000_000


@dataclass(frozen=True)
class Tier:
    """`price` per unit for units up to `up_to` (cumulative per month); None means unlimited."""

    up_to: int | None
    price: float


@dataclass(frozen=True)
class PriceTable:
    as_of: date
    region: str
    # Rekognition Image, billed per image and tiered per API group per month.
    # Group 1: IndexFaces, SearchFacesByImage, SearchFaces, CompareFaces.
    rekognition_group1: tuple[Tier, ...]
    # Group 2: DetectFaces, DetectLabels.
    rekognition_group2: tuple[Tier, ...]
    rekognition_face_month: float  # per stored face (face metadata) per month
    # Rekognition Video streaming face search, per minute of video analysed. Closed to new
    # accounts since 2026-04-30 (accounts that used it in the previous 12 months keep it).
    rekognition_streaming_minute: float
    kvs_ingest_gb: float  # Kinesis Video Streams, per GB ingested
    kvs_storage_gb_month: float  # per GB-month stored
    # KVS image generation to S3, per 1000 images. None: not verified, so the line shows the
    # quantity at $0 and the estimate lists it in `unpriced`.
    kvs_image_1000: float | None
    kinesis_shard_hour: float  # Kinesis Data Streams, provisioned shard-hour
    kinesis_put_unit_million: float  # per million 25 KB PUT payload units
    s3_storage_gb_month: float  # S3 Standard, first 50 TB
    s3_put_1000: float  # PUT, COPY, POST, LIST (and PutObjectTagging)
    s3_get_1000: float  # GET and all other requests
    sqs_request_million: float  # standard queue, per million 64 KB requests
    dynamodb_write_million: float  # on-demand write request units
    dynamodb_read_million: float  # on-demand read request units
    dynamodb_storage_gb_month: float
    lambda_gb_second: float  # x86
    lambda_request_million: float
    ses_email_1000: float  # per 1000 emails (each recipient counts)
    sns_publish_million: float
    notes: tuple[str, ...] = field(default_factory=tuple)


PRICES = PriceTable(
    as_of=date(2026, 11, 21),
    region="us-east-1",
    rekognition_group1=(
        Tier(1_000_000, 0.001),
        Tier(5_000_000, 0.0008),
        Tier(35_000_000, 0.0006),
        Tier(None, 0.0004),
    ),
    rekognition_group2=(
        Tier(1_000_000, 0.001),
        Tier(5_000_000, 0.0008),
        Tier(35_000_000, 0.0006),
        Tier(None, 0.00025),
    ),
    rekognition_face_month=0.00001,
    rekognition_streaming_minute=0.12,
    kvs_ingest_gb=0.0085,
    kvs_storage_gb_month=0.023,
    # The stored copy of https://aws.amazon.com/kinesis/video-streams/pricing/ renders its
    # tables through price tokens that did not resolve, and no other source checked quotes
    # the image price: fill it in from the live page.
    kvs_image_1000=None,
    kinesis_shard_hour=0.015,
    kinesis_put_unit_million=0.014,
    s3_storage_gb_month=0.023,
    s3_put_1000=0.005,
    s3_get_1000=0.0004,
    sqs_request_million=0.40,
    dynamodb_write_million=0.625,
    dynamodb_read_million=0.125,
    dynamodb_storage_gb_month=0.25,
    lambda_gb_second=0.0000166667,
    lambda_request_million=0.20,
    ses_email_1000=0.10,
    sns_publish_million=0.50,
    notes=(
        "us-east-1 list prices, on-demand, without the free tier, taxes or data transfer.",
        "Rekognition streaming video analysis is closed to new AWS accounts since 2026-04-30.",
        "Check https://aws.amazon.com/pricing before relying on a number.",
    ),
)


@dataclass(frozen=True)
class Usage:
    """A month of Doorman. Rates are per camera per day unless the name says otherwise."""

    cameras: int = 1
    events_per_day: float = 20  # frames the edge uploads (after its filter)
    faces_per_event: float = 1.0  # faces searched per uploaded frame
    enrolled: int = 10  # people in the collection
    streaming_minutes: float = 0  # minutes streamed to KVS + stream processor
    image_minutes: float = 0  # minutes streamed to KVS with image generation (streaming=images)
    image_interval_seconds: float = 2.0  # KVS SamplingInterval (at least 0.2 s)
    faces_per_image: float = 0.01  # faces searched per generated image (most show no one)
    poller_seconds: float = 50  # streaming=images: the poller's polling time per minute
    poller_memory_mb: int = 256
    photos_per_person: int = 3  # faces stored per person
    # Remembered strangers (core.strangers): each searched face no watchlist names is also
    # searched in the strangers collection (SearchFacesByImage, Group 1), and a new
    # stranger's crop, or a better one, is indexed (IndexFaces, Group 1; DeleteFaces is not
    # billed). The strangers collection keeps `stranger_crops` faces per stranger.
    remember_strangers: bool = True
    stranger_share: float = 0.5  # share of searched faces that are strangers
    stranger_index_share: float = 0.2  # share of stranger faces whose crop is indexed
    strangers_per_month: float = 20  # distinct strangers per camera within the retention
    stranger_crops: int = 3
    # A face whose best match is borderline (at least "possible", under the watchlist's
    # threshold) also asks SearchUsersByImage (Group 1): each person's photos vote together.
    borderline_share: float = 0.05
    label_share: float = 0.1  # share of frames also sent to DetectLabels (motion snapshots)
    alert_share: float = 0.2  # share of frames that end in an alert
    recipients_per_alert: float = 1.0
    frame_kb: float = 120  # JPEG size
    audit_kb: float = 8  # processed JSON + raw responses per frame
    retention_days: int = 30  # how long frames and audit files stay (steady state)
    quiet_retention_days: int = 1  # generated images without an alert expire after a day
    s3_puts_per_event: int = 4  # frame, processed JSON, raw responses, classification tag
    s3_gets_per_event: int = 1  # analyze reads the frame
    sqs_requests_per_message: int = 3  # send, receive, delete
    dynamodb_writes_per_event: float = 4  # Events item (2 WRU) + idempotency record (2)
    analyze_seconds: float = 1.5
    analyze_memory_mb: int = 1024
    notify_seconds: float = 0.5
    notify_memory_mb: int = 256
    stream_mbps: float = 1.0  # camera bitrate pushed to KVS
    kvs_retention_hours: float = 24
    days_per_month: int = 30

    def __post_init__(self) -> None:
        numbers = {k: v for k, v in self.__dict__.items() if isinstance(v, int | float)}
        negative = [k for k, v in numbers.items() if v < 0]
        if negative:
            raise ValueError(f"must not be negative: {', '.join(sorted(negative))}")
        for share in (
            "label_share",
            "alert_share",
            "stranger_share",
            "stranger_index_share",
            "borderline_share",
        ):
            if getattr(self, share) > 1:
                raise ValueError(f"{share} is a share between 0 and 1")
        if self.days_per_month < 1:
            raise ValueError("days_per_month must be at least 1")
        if self.image_minutes and self.image_interval_seconds < 0.2:
            raise ValueError("image_interval_seconds must be at least 0.2 (KVS's minimum)")


@dataclass(frozen=True)
class CostLine:
    service: str
    item: str
    quantity: float
    unit: str
    unit_price: float  # effective price per unit (tiered items: average)
    monthly_usd: float


@dataclass(frozen=True)
class CostEstimate:
    usage: Usage
    lines: tuple[CostLine, ...]
    prices: PriceTable = PRICES
    unpriced: tuple[str, ...] = ()  # billed items with a quantity but no verified price

    @property
    def total(self) -> float:
        return sum(line.monthly_usd for line in self.lines)

    def by_service(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for line in self.lines:
            totals[line.service] = totals.get(line.service, 0.0) + line.monthly_usd
        return totals


def tiered(quantity: float, tiers: Sequence[Tier]) -> float:
    """Cost of `quantity` units under cumulative monthly tiers."""
    cost, floor = 0.0, 0
    for tier in tiers:
        ceiling = quantity if tier.up_to is None else min(quantity, tier.up_to)
        if ceiling > floor:
            cost += (ceiling - floor) * tier.price
        if tier.up_to is None or quantity <= tier.up_to:
            break
        floor = tier.up_to
    return cost


def _line(service: str, item: str, quantity: float, unit: str, cost: float) -> CostLine:
    return CostLine(service, item, quantity, unit, cost / quantity if quantity else 0.0, cost)


def estimate(usage: Usage, prices: PriceTable = PRICES) -> CostEstimate:
    """Monthly cost of `usage`, one line per billed item (items with no quantity left out)."""
    rows = [
        *_recognition(usage, prices),
        *_streaming(usage, prices),
        *_image_generation(usage, prices),
        *_frame_pipeline(usage, prices),
        *_alerts(usage, prices),
    ]
    lines = tuple(_line(*row) for row in rows if row[2] > 0)
    unpriced = (
        ("Kinesis Video Streams GetImages",)
        if _images(usage) and prices.kvs_image_1000 is None
        else ()
    )
    return CostEstimate(usage=usage, lines=lines, prices=prices, unpriced=unpriced)


Row = tuple[str, str, float, str, float]  # service, item, quantity, unit, cost


def _frames(u: Usage) -> float:
    """Frames the edge uploads in a month."""
    return u.cameras * u.events_per_day * u.days_per_month


def _images(u: Usage) -> float:
    """Images KVS generates in a month; analyze handles each like an edge frame."""
    return u.cameras * u.image_minutes * 60 / u.image_interval_seconds * u.days_per_month


def _analyzed(u: Usage) -> float:
    return _frames(u) + _images(u)


def _searches(u: Usage) -> float:
    return _frames(u) * u.faces_per_event + _images(u) * u.faces_per_image


def _alert_count(u: Usage) -> float:
    # A generated image with a face ends in an alert as often as an edge frame does.
    return _frames(u) * u.alert_share + _images(u) * u.faces_per_image * u.alert_share


def _stranger_searches(u: Usage) -> float:
    return _searches(u) * u.stranger_share if u.remember_strangers else 0.0


def _new_strangers(u: Usage) -> float:
    """New strangers a month: each is searched once more under the creation lease (and the
    lease is one PutItem and one DeleteItem), functions/analyze/strangers.py."""
    return u.cameras * u.strangers_per_month if u.remember_strangers else 0.0


def _recognition(u: Usage, p: PriceTable) -> list[Row]:
    # Tiers count every call in the month (both Group 1 lines share the tiers), so edge
    # frames, generated images and the strangers' searches add up.
    searches = _searches(u)
    stranger_indexes = _stranger_searches(u) * u.stranger_index_share
    stranger_searches = _stranger_searches(u) + _new_strangers(u)
    votes = searches * u.borderline_share
    group1 = searches + votes + stranger_searches + stranger_indexes
    group1_cost = tiered(group1, p.rekognition_group1)
    share = group1_cost / group1 if group1 else 0.0
    detections = _frames(u) * (1 + u.label_share) + _images(u)  # no DetectLabels on images
    faces = u.enrolled * u.photos_per_person
    stranger_faces = (
        u.cameras * u.strangers_per_month * u.stranger_crops if u.remember_strangers else 0.0
    )
    return [
        ("Rekognition", "SearchFacesByImage", searches, "images", searches * share),
        ("Rekognition", "SearchUsersByImage (borderline faces)", votes, "images", votes * share),
        ("Rekognition", "strangers: SearchFacesByImage", stranger_searches, "images",
         stranger_searches * share),
        ("Rekognition", "strangers: IndexFaces", stranger_indexes, "images",
         stranger_indexes * share),
        ("Rekognition", "DetectFaces + DetectLabels", detections, "images",
         tiered(detections, p.rekognition_group2)),
        ("Rekognition", "stored faces", faces, "face-months", faces * p.rekognition_face_month),
        ("Rekognition", "strangers: stored faces", stranger_faces, "face-months",
         stranger_faces * p.rekognition_face_month),
    ]  # fmt: skip


def _video(u: Usage, p: PriceTable) -> list[Row]:
    """Kinesis Video Streams ingestion and storage for every minute pushed by `doorman push`."""
    minutes = u.cameras * (u.streaming_minutes + u.image_minutes) * u.days_per_month
    if not minutes:
        return []
    ingest_gb = minutes * 60 * u.stream_mbps / 8 / 1000
    stored_gb = ingest_gb * min(u.kvs_retention_hours / (u.days_per_month * 24), 1.0)
    return [
        ("Kinesis Video Streams", "ingestion", ingest_gb, "GB", ingest_gb * p.kvs_ingest_gb),
        ("Kinesis Video Streams", "storage", stored_gb, "GB-months",
         stored_gb * p.kvs_storage_gb_month),
    ]  # fmt: skip


def _streaming(u: Usage, p: PriceTable) -> list[Row]:
    video = _video(u, p)
    if not u.streaming_minutes:
        return video
    hours = u.days_per_month * 24
    minutes = u.cameras * u.streaming_minutes * u.days_per_month
    return [
        ("Rekognition", "streaming face search", minutes, "minutes",
         minutes * p.rekognition_streaming_minute),
        *video,
        ("Kinesis Data Streams", "result shard", hours, "shard-hours",
         hours * p.kinesis_shard_hour),
    ]  # fmt: skip


def _image_generation(u: Usage, p: PriceTable) -> list[Row]:
    images = _images(u)
    price = p.kvs_image_1000 or 0.0
    if not images:
        return []
    # The images poller (functions/kvs_images) runs every minute of the month for the whole
    # stack, polling `poller_seconds` of each minute, at `poller_memory_mb`.
    runs = u.days_per_month * 24 * 60
    gb_seconds = runs * u.poller_seconds * u.poller_memory_mb / 1024
    return [
        ("Kinesis Video Streams", "GetImages images", images, "images", images * price / 1000),
        ("Lambda", "images poller compute", gb_seconds, "GB-seconds",
         gb_seconds * p.lambda_gb_second),
        ("Lambda", "images poller requests", runs, "requests",
         runs * p.lambda_request_million / MILLION),
    ]  # fmt: skip


def _kept_items(u: Usage) -> float:
    """Frames and images in the uploads bucket at steady state (with their audit files)."""
    edge = u.cameras * u.events_per_day * u.retention_days
    images_a_day = u.cameras * u.image_minutes * 60 / u.image_interval_seconds
    alarm_share = u.faces_per_image * u.alert_share
    # Lifecycle: alarm images stay `retention_days`, quiet ones `quiet_retention_days`.
    images = images_a_day * (
        alarm_share * u.retention_days + (1 - alarm_share) * u.quiet_retention_days
    )
    return edge + images


def _frame_pipeline(u: Usage, p: PriceTable) -> list[Row]:
    frames = _analyzed(u)  # S3 PutObject from the edge, or from KVS image generation
    alerts = _alert_count(u)
    strangers = _stranger_searches(u)
    crops = strangers * u.stranger_index_share  # each indexed crop is stored in S3
    puts, gets = frames * u.s3_puts_per_event + crops, frames * u.s3_gets_per_event
    stored_gb = _kept_items(u) * (u.frame_kb + u.audit_kb) * 1000 / GB
    sqs = (frames + alerts) * u.sqs_requests_per_message
    # A stranger's record: one consistent read and one write (up to 2 WRU) per sighting.
    writes = frames * u.dynamodb_writes_per_event + _searches(u) + alerts + 2 * strangers
    writes += 2 * _new_strangers(u)  # the creation lease: PutItem, DeleteItem
    reads = _searches(u) + strangers  # People lookup per searched face, stranger record
    gb_seconds = (
        frames * u.analyze_seconds * u.analyze_memory_mb
        + alerts * u.notify_seconds * u.notify_memory_mb
    ) / 1024
    invocations = frames + alerts
    return [
        ("S3", "PUT requests", puts, "requests", puts * p.s3_put_1000 / 1000),
        ("S3", "GET requests", gets, "requests", gets * p.s3_get_1000 / 1000),
        ("S3", "storage", stored_gb, "GB-months", stored_gb * p.s3_storage_gb_month),
        ("SQS", "requests", sqs, "requests", sqs * p.sqs_request_million / MILLION),
        ("DynamoDB", "write request units", writes, "WRU",
         writes * p.dynamodb_write_million / MILLION),
        ("DynamoDB", "read request units", reads, "RRU",
         reads * p.dynamodb_read_million / MILLION),
        ("Lambda", "compute", gb_seconds, "GB-seconds", gb_seconds * p.lambda_gb_second),
        ("Lambda", "requests", invocations, "requests",
         invocations * p.lambda_request_million / MILLION),
    ]  # fmt: skip


def _alerts(u: Usage, p: PriceTable) -> list[Row]:
    alerts = _alert_count(u)
    emails = alerts * u.recipients_per_alert
    return [
        ("SES", "alert emails", emails, "emails", emails * p.ses_email_1000 / 1000),
        ("SNS", "alert publishes", alerts, "publishes",
         alerts * p.sns_publish_million / MILLION),
    ]  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    edge_filtered: CostEstimate
    every_motion_frame: CostEstimate
    images_24_7: CostEstimate  # streaming=images: KVS image generation all day
    streaming_24_7: CostEstimate


def compare(
    usage: Usage, motion_frames_per_day: float = 350, prices: PriceTable = PRICES
) -> Comparison:
    """The given usage against uploading every motion frame, against KVS image generation
    all day (one image every `usage.image_interval_seconds`) and against 24/7 streaming.

    Streaming replaces the image APIs: the stream processor searches the faces itself.
    """
    alone = replace(usage, events_per_day=0, streaming_minutes=0, image_minutes=0)
    return Comparison(
        edge_filtered=estimate(usage, prices),
        every_motion_frame=estimate(replace(alone, events_per_day=motion_frames_per_day), prices),
        images_24_7=estimate(replace(alone, image_minutes=24 * 60), prices),
        # The stream processor searches the watchlists only: its strangers stay anonymous.
        streaming_24_7=estimate(
            replace(alone, streaming_minutes=24 * 60, remember_strangers=False), prices
        ),
    )
