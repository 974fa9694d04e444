"""The cost model against sums worked out by hand from the dated price table."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from core.cost import PRICES, Usage, compare, estimate, tiered


def line(est, service: str, item: str):
    (found,) = [x for x in est.lines if x.service == service and x.item == item]
    return found


def test_price_table_is_dated_and_has_the_published_image_and_face_prices():
    assert isinstance(PRICES.as_of, date)
    assert PRICES.region == "us-east-1"
    assert PRICES.rekognition_group1[0].price == 0.001
    assert PRICES.rekognition_group1[0].up_to == 1_000_000
    assert PRICES.rekognition_face_month == 0.00001


def test_two_cameras_ten_frames_a_day_by_hand():
    est = estimate(
        Usage(
            cameras=2,
            events_per_day=10,
            faces_per_event=1.5,
            enrolled=4,
            remember_strangers=False,
            borderline_share=0,
        )
    )
    # 2 cameras x 10 frames x 30 days = 600 frames; 900 face searches; 660 detect calls.
    assert line(est, "Rekognition", "SearchFacesByImage").monthly_usd == pytest.approx(0.90)
    assert line(est, "Rekognition", "DetectFaces + DetectLabels").monthly_usd == pytest.approx(0.66)
    # 4 people x 3 photos = 12 stored faces.
    assert line(est, "Rekognition", "stored faces").monthly_usd == pytest.approx(0.00012)
    assert line(est, "S3", "PUT requests").quantity == 2400
    assert line(est, "S3", "PUT requests").monthly_usd == pytest.approx(0.012)
    assert line(est, "S3", "GET requests").monthly_usd == pytest.approx(0.00024)
    # 600 frames kept x 128 KB = 0.0768 GB.
    assert line(est, "S3", "storage").monthly_usd == pytest.approx(0.0768 * 0.023)
    # 600 frames + 120 alerts, 3 requests each.
    assert line(est, "SQS", "requests").monthly_usd == pytest.approx(2160 * 0.4e-6)
    assert line(est, "DynamoDB", "write request units").quantity == pytest.approx(3420)
    # 600 x 1.5 s x 1 GB + 120 x 0.5 s x 0.25 GB = 915 GB-s.
    assert line(est, "Lambda", "compute").quantity == pytest.approx(915)
    assert line(est, "Lambda", "compute").monthly_usd == pytest.approx(915 * 0.0000166667)
    assert line(est, "SES", "alert emails").monthly_usd == pytest.approx(0.012)
    assert line(est, "SNS", "alert publishes").monthly_usd == pytest.approx(0.00006)
    assert est.total == pytest.approx(sum(x.monthly_usd for x in est.lines))
    assert est.by_service()["Rekognition"] == pytest.approx(0.90 + 0.66 + 0.00012)
    assert not [x for x in est.lines if x.service.startswith("Kinesis")]


def test_image_prices_fall_by_tier():
    assert tiered(1_500_000, PRICES.rekognition_group1) == pytest.approx(1000 + 400)
    assert tiered(40_000_000, PRICES.rekognition_group1) == pytest.approx(
        1000 + 3200 + 18000 + 2000
    )
    assert tiered(0, PRICES.rekognition_group1) == 0


def test_an_hour_of_streaming_a_day_by_hand():
    est = estimate(
        Usage(
            cameras=1,
            events_per_day=0,
            enrolled=0,
            streaming_minutes=60,
            remember_strangers=False,
            borderline_share=0,
        )
    )
    assert line(est, "Rekognition", "streaming face search").monthly_usd == pytest.approx(216.0)
    # 1800 min x 60 s x 1 Mbit/s / 8 = 13.5 GB ingested; 24 h of 720 h kept.
    assert line(est, "Kinesis Video Streams", "ingestion").quantity == pytest.approx(13.5)
    assert line(est, "Kinesis Video Streams", "storage").quantity == pytest.approx(0.45)
    assert line(est, "Kinesis Data Streams", "result shard").monthly_usd == pytest.approx(10.8)
    assert est.total == pytest.approx(216 + 13.5 * 0.0085 + 0.45 * 0.023 + 10.8)


def test_edge_filter_is_far_cheaper_than_every_frame_and_streaming():
    cmp = compare(
        Usage(cameras=1, events_per_day=20, remember_strangers=False, borderline_share=0),
        motion_frames_per_day=350,
    )
    assert cmp.every_motion_frame.usage.events_per_day == 350
    # 350 frames a day: 10,500 searches and 11,550 detect calls, about $22 a month.
    assert cmp.every_motion_frame.by_service()["Rekognition"] == pytest.approx(
        10.5 + 11.55 + 0.0003
    )
    # 24/7 streaming: 43,200 minutes at $0.12.
    assert line(cmp.streaming_24_7, "Rekognition", "streaming face search").quantity == 43200
    assert cmp.edge_filtered.total < cmp.every_motion_frame.total < cmp.streaming_24_7.total


def test_nonsense_usage_is_refused():
    with pytest.raises(ValueError, match="events_per_day"):
        Usage(events_per_day=-1)
    with pytest.raises(ValueError, match="alert_share"):
        Usage(alert_share=2)


def test_an_hour_a_day_of_kvs_image_generation_by_hand():
    est = estimate(
        Usage(
            events_per_day=0,
            enrolled=0,
            image_minutes=60,
            faces_per_image=0.5,
            remember_strangers=False,
            borderline_share=0,
        )
    )
    # 60 min x 60 s / 2 s = 1,800 images a day, 54,000 a month; half of them with a face.
    assert line(est, "Kinesis Video Streams", "GetImages images").quantity == 54_000
    # The poller: 50 s of every minute of the month at 256 MB, whatever the camera count.
    assert line(est, "Lambda", "images poller compute").quantity == pytest.approx(
        43_200 * 50 * 0.25
    )
    assert line(est, "Lambda", "images poller requests").quantity == 43_200
    assert line(est, "Rekognition", "DetectFaces + DetectLabels").quantity == 54_000
    assert line(est, "Rekognition", "DetectFaces + DetectLabels").monthly_usd == pytest.approx(54)
    assert line(est, "Rekognition", "SearchFacesByImage").monthly_usd == pytest.approx(27)
    # The video itself: 13.5 GB ingested, 24 h of 720 h kept (as for the streaming path).
    assert line(est, "Kinesis Video Streams", "ingestion").quantity == pytest.approx(13.5)
    assert line(est, "Kinesis Video Streams", "storage").quantity == pytest.approx(0.45)
    assert not [x for x in est.lines if x.service == "Kinesis Data Streams"]
    assert not [x for x in est.lines if x.item == "streaming face search"]
    # Each image is a frame for analyze: 4 PUTs (the image KVS writes, processed JSON, raw
    # responses, tag), 1 GET, 3 SQS requests, 1.5 s of a 1 GB Lambda, 4 WRU + 1 per face.
    assert line(est, "S3", "PUT requests").monthly_usd == pytest.approx(216_000 * 0.005 / 1000)
    assert line(est, "S3", "GET requests").quantity == 54_000
    # A face ends in an alert as often as an edge frame does: 27,000 x 0.2 = 5,400 alerts.
    assert line(est, "SES", "alert emails").quantity == pytest.approx(5_400)
    assert line(est, "SQS", "requests").quantity == pytest.approx((54_000 + 5_400) * 3)
    assert line(est, "Lambda", "compute").quantity == pytest.approx(81_000 + 675)
    assert line(est, "Lambda", "requests").quantity == pytest.approx(59_400)
    assert line(est, "DynamoDB", "write request units").quantity == pytest.approx(248_400)
    assert line(est, "DynamoDB", "read request units").quantity == pytest.approx(27_000)
    # Alarm images stay 30 days (180 a day), quiet ones 1 day (1,620): 7,020 x 128 KB.
    assert line(est, "S3", "storage").quantity == pytest.approx(7_020 * 128_000 / 1e9)


def test_image_generation_is_priced_per_image_only_when_the_price_is_known():
    usage = Usage(events_per_day=0, enrolled=0, image_minutes=60)
    unknown = estimate(usage, replace(PRICES, kvs_image_1000=None))
    assert line(unknown, "Kinesis Video Streams", "GetImages images").monthly_usd == 0
    assert unknown.unpriced == ("Kinesis Video Streams GetImages",)
    known = estimate(usage, replace(PRICES, kvs_image_1000=0.01))
    assert line(known, "Kinesis Video Streams", "GetImages images").monthly_usd == (
        pytest.approx(54_000 * 0.01 / 1000)
    )
    assert known.unpriced == ()


def test_images_every_2_s_all_day_costs_a_tiered_million_detect_calls():
    cmp = compare(Usage(cameras=1, events_per_day=20), motion_frames_per_day=350)
    images = cmp.images_24_7
    assert images.usage.image_interval_seconds == 2
    # 43,200 images a day, 1,296,000 a month: 1 M at $0.001 and 296,000 at $0.0008.
    detect = line(images, "Rekognition", "DetectFaces + DetectLabels")
    assert detect.quantity == 1_296_000
    assert detect.monthly_usd == pytest.approx(1000 + 236.8)
    # One face in 100 images: 12,960 searches.
    assert line(images, "Rekognition", "SearchFacesByImage").quantity == pytest.approx(12_960)
    assert line(images, "Kinesis Video Streams", "ingestion").quantity == pytest.approx(324)
    assert cmp.every_motion_frame.total < images.total < cmp.streaming_24_7.total


def test_kvs_cannot_sample_faster_than_every_200_ms():
    with pytest.raises(ValueError, match="image_interval_seconds"):
        Usage(image_minutes=60, image_interval_seconds=0.1)


def test_strangers_by_hand_with_one_search_more_per_new_stranger():
    """600 frames x 1.5 faces = 900 searches; half are strangers (450 stranger searches),
    one in five of those indexes a crop (90); each of the 20 new strangers of the month is
    searched once more under the creation lease (20), which is also two writes."""
    usage = Usage(
        cameras=2,
        events_per_day=10,
        faces_per_event=1.5,
        enrolled=4,
        borderline_share=0,
        stranger_share=0.5,
        stranger_index_share=0.2,
        strangers_per_month=10,
    )
    est = estimate(usage)
    searches = line(est, "Rekognition", "strangers: SearchFacesByImage")
    assert searches.quantity == pytest.approx(450 + 2 * 10)
    assert line(est, "Rekognition", "strangers: IndexFaces").quantity == pytest.approx(90)
    assert line(est, "Rekognition", "strangers: stored faces").quantity == 2 * 10 * 3
    without = estimate(replace(usage, remember_strangers=False))
    wru = line(est, "DynamoDB", "write request units").quantity
    # each stranger sighting: record write (2 WRU); each new stranger: the lease (2)
    assert wru - line(without, "DynamoDB", "write request units").quantity == pytest.approx(
        2 * 450 + 2 * 20
    )
