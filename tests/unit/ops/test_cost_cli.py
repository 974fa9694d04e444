"""`doorman cost`: the printed estimate is the hand-computed one, with its unit prices."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main

ARGS = [
    "cost",
    "--cameras",
    "2",
    "--events-per-day",
    "10",
    "--faces-per-event",
    "1.5",
    "--enrolled",
    "4",
    # The design before issue 13 (tests/unit/test_strangers.py prices what it adds).
    "--no-strangers",
    "--borderline-share",
    "0",
]
# 600 frames a month: searches, detect calls, stored faces, S3 PUT/GET/storage, SQS,
# DynamoDB writes/reads, Lambda GB-s/requests, SES, SNS (see test_cost.py for each line).
BY_HAND = (
    0.90
    + 0.66
    + 0.00012
    + 0.012
    + 0.00024
    + 0.0768 * 0.023
    + 2160 * 0.4e-6
    + 3420 * 0.625e-6
    + 900 * 0.125e-6
    + 915 * 0.0000166667
    + 720 * 0.2e-6
    + 0.012
    + 0.00006
)


def test_cost_json_total_is_the_hand_computed_sum():
    result = CliRunner().invoke(main, [*ARGS, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == pytest.approx(BY_HAND)
    assert data["region"] == "us-east-1" and data["prices_as_of"]
    searches = next(x for x in data["lines"] if x["item"] == "SearchFacesByImage")
    assert searches["quantity"] == 900 and searches["unit_price"] == 0.001
    # Every motion frame: 350 a day on each of 2 cameras, 1.5 faces each.
    every = data["comparison"]["every motion frame (350/day/camera)"]
    assert every > 20 * data["total"]
    assert data["comparison"]["24/7 streaming (face search)"] > 2 * 43200 * 0.12


def test_cost_table_shows_unit_prices_and_the_comparison():
    result = CliRunner().invoke(main, ARGS)
    assert result.exit_code == 0
    assert "SearchFacesByImage" in result.output and "$0.001" in result.output
    assert f"${BY_HAND:,.2f}" in result.output
    assert "every motion frame" in result.output and "24/7 streaming" in result.output
    assert "closed to new AWS accounts" in result.output


def test_cost_refuses_negative_numbers():
    result = CliRunner().invoke(main, ["cost", "--cameras", "-1"])
    assert result.exit_code == 2
    assert "--cameras" in result.output


def test_cost_prices_an_hour_a_day_of_kvs_images_and_says_what_is_unpriced():
    result = CliRunner().invoke(
        main,
        [
            "cost", "--events-per-day", "0", "--enrolled", "0",
            "--image-minutes", "60", "--image-interval", "2", "--faces-per-image", "0.5",
            "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    lines = {(x["service"], x["item"]): x for x in data["lines"]}
    # 1,800 images a day for 30 days; DetectFaces on each, a search per face (see test_cost).
    assert lines[("Kinesis Video Streams", "GetImages images")]["quantity"] == 54_000
    assert lines[("Rekognition", "DetectFaces + DetectLabels")]["monthly_usd"] == (
        pytest.approx(54)
    )
    assert lines[("Rekognition", "SearchFacesByImage")]["monthly_usd"] == pytest.approx(27)
    assert data["unpriced"] == ["Kinesis Video Streams GetImages"]


def test_cost_compares_with_kvs_images_every_interval_all_day():
    result = CliRunner().invoke(main, ["cost", "--json"])
    data = json.loads(result.output)
    images = data["comparison"]["KVS images every 2 s, 24/7 (streaming=images)"]
    # 1,296,000 DetectFaces calls a camera-month alone cost $1,236.80.
    assert 1236.8 < images < data["comparison"]["24/7 streaming (face search)"]
    table = CliRunner().invoke(main, ["cost"]).output
    assert "KVS images every 2 s, 24/7 (streaming=images)" in table
    assert "not priced: Kinesis Video Streams GetImages" in table


def test_cost_refuses_an_image_interval_kvs_cannot_do():
    result = CliRunner().invoke(main, ["cost", "--image-interval", "0.1"])
    assert result.exit_code == 2
    assert "--image-interval" in result.output and "x>=0.2" in result.output
