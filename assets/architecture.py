"""Draws assets/architecture.svg and .png: `python assets/architecture.py`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

HERE = Path(__file__).resolve().parent
W, H = 1.9, 0.95  # default box size

COLOURS = {
    "edge": "#e8f1fb",
    "storage": "#eaf6ea",
    "queue": "#fdf3e1",
    "compute": "#fde8e4",
    "ai": "#efe9fb",
    "out": "#f2f2f2",
    "opt": "#ffffff",
}


class Diagram:
    def __init__(self) -> None:
        self.fig, self.ax = plt.subplots(figsize=(16, 9.6), dpi=100)
        self.ax.set_xlim(0, 16)
        self.ax.set_ylim(0, 9.6)
        self.ax.axis("off")
        self.boxes: dict[str, tuple[float, float, float, float]] = {}

    def box(self, name, x, y, text, kind, w=W, h=H, dashed=False):
        self.ax.add_patch(
            FancyBboxPatch(
                (x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                fc=COLOURS[kind], ec="#555", lw=1.2, ls="--" if dashed else "-",
            )
        )  # fmt: skip
        title, _, rest = text.partition("\n")
        self.ax.text(x + w / 2, y + h - 0.22, title, ha="center", va="top", fontsize=10.5,
                     fontweight="bold", color="#222")  # fmt: skip
        if rest:
            self.ax.text(x + w / 2, y + h - 0.47, rest, ha="center", va="top", fontsize=8.2,
                         color="#333", linespacing=1.25)  # fmt: skip
        self.boxes[name] = (x, y, w, h)

    def _anchor(self, name, side):
        x, y, w, h = self.boxes[name]
        return {
            "l": (x, y + h / 2), "r": (x + w, y + h / 2),
            "t": (x + w / 2, y + h), "b": (x + w / 2, y),
        }[side]  # fmt: skip

    def arrow(self, a, b, label="", sides="rl", dashed=False, rad=0.0, offset=(0, 0.12)):
        start, end = self._anchor(a, sides[0]), self._anchor(b, sides[1])
        self.ax.annotate(
            "", xy=end, xytext=start,
            arrowprops={"arrowstyle": "-|>", "color": "#444", "lw": 1.3,
                        "ls": "--" if dashed else "-", "connectionstyle": f"arc3,rad={rad}",
                        "shrinkA": 2, "shrinkB": 2},
        )  # fmt: skip
        if label:
            mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
            self.ax.text(mx, my, label, ha="center", va="bottom", fontsize=8, color="#333",
                         bbox={"fc": "white", "ec": "none", "pad": 0.5, "alpha": 0.85})  # fmt: skip

    def region(self, x, y, w, h, label):
        self.ax.add_patch(
            FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.15",
                           fc="none", ec="#f29100", lw=1.6, ls=(0, (6, 3)))
        )  # fmt: skip
        self.ax.text(x + 0.15, y + h - 0.12, label, ha="left", va="top", fontsize=10,
                     color="#c77700", fontweight="bold")  # fmt: skip


def draw() -> plt.Figure:
    d = Diagram()
    d.ax.text(0.2, 9.35, "Doorman: who is at the door", fontsize=16, fontweight="bold",
              va="top")  # fmt: skip
    d.ax.text(0.2, 8.9, "Default path: edge filter → S3 → Lambda → Rekognition image APIs. "
              "Dashed: optional streaming path (closed to new accounts since 2026-04-30).",
              fontsize=9.5, va="top", color="#444")  # fmt: skip

    # Home
    d.box("camera", 0.2, 5.6, "Camera\nRTSP · USB · file", "edge", w=1.6)
    d.box("edge", 2.3, 5.25, "doorman watch\nRaspberry Pi edge agent\nmotion gate → faces in\n"
          "motion → tracker → best\nframe → disk spool", "edge", w=2.3, h=1.65)  # fmt: skip
    d.box("cli", 0.2, 2.55, "doorman CLI\npeople · events · forget\nreport · arm · stream · cost",
          "out", w=2.4, h=1.1)  # fmt: skip
    d.box("you", 0.2, 0.9, "You\nS3 console tags or\ndoorman enroll", "out", w=2.4, h=1.1)

    # AWS
    d.region(5.2, 0.3, 10.6, 8.2, "AWS account (one CDK stack)")
    d.box("uploads", 5.6, 5.6, "S3 uploads\nframes/{camera}/…", "storage")
    d.box("frames_q", 5.6, 4.1, "SQS frames\nwith DLQ", "queue")
    d.box("analyze", 8.2, 4.85, "λ analyze\ncrop each face,\nsearch, decide", "compute", h=1.2)
    d.box("audit", 10.9, 6.35, "S3 audit\nprocessed/ · rekognition/", "storage", w=2.2)
    d.box("ddb", 10.9, 4.75, "DynamoDB\nEvents · Sightings\nPeople · State", "storage", w=2.2,
          h=1.2)  # fmt: skip
    d.box("rek", 10.9, 3.05, "Rekognition\none face collection\nDetect · Search · Index",
          "ai", w=2.2, h=1.2)  # fmt: skip
    d.box("ssm", 13.6, 4.9, "SSM\narmed · webhook", "out", w=1.9)
    d.box("alerts_q", 8.2, 2.0, "SQS alerts\ncooldown-checked", "queue")
    d.box("notify", 8.2, 0.6, "λ notify\nescaped email", "compute")
    d.box("ses", 10.9, 0.6, "SES email\nowner · authorities", "out", w=2.2)
    d.box("sns", 13.6, 0.6, "SNS topic\n+ Slack webhook", "out", w=1.9)
    d.box("faces", 5.6, 0.9, "S3 faces\nversioned, tagged", "storage")
    d.box("enroll", 5.6, 2.65, "λ enroll\nIndexFaces → People", "compute")
    d.box("kvs", 5.6, 7.15, "Kinesis Video\none stream per camera", "opt", dashed=True)
    d.box("sp", 8.2, 7.15, "Stream processor\nsearches the collection", "opt", dashed=True,
          w=2.2)  # fmt: skip
    d.boxes["aws_edge"] = (5.2, 3.1, 0.0, 0.0)  # a point on the AWS boundary

    d.arrow("camera", "edge", "frames")
    d.arrow("edge", "uploads", "PutObject\nbest frames", offset=(0, 0.1))
    d.arrow("uploads", "frames_q", "ObjectCreated", sides="bt", offset=(0.55, -0.1))
    d.arrow("frames_q", "analyze", sides="rl")
    d.arrow("analyze", "audit", sides="rl")
    d.arrow("analyze", "ddb", sides="rl")
    d.arrow("analyze", "rek", sides="rl")
    d.arrow("ssm", "ddb", "armed?", sides="lr", offset=(0, 0.02))
    d.arrow("analyze", "alerts_q", "severity", sides="bt", offset=(0.45, 0.15))
    d.arrow("alerts_q", "notify", sides="bt")
    d.arrow("notify", "ses", sides="rl")
    d.arrow("ses", "sns", sides="rl")
    d.arrow("you", "faces", "tagged photo", sides="rl", offset=(0, 0.03))
    d.arrow("faces", "enroll", "created / tagged /\nremoved (SQS)", sides="tb", offset=(0.95, -0.3))
    d.arrow("enroll", "rek", "IndexFaces", sides="rl", offset=(-0.2, 0.02))
    d.arrow("cli", "aws_edge", "boto3: DynamoDB, S3,\nSSM, Rekognition", sides="rl",
            offset=(0, 0.03))  # fmt: skip
    d.arrow("edge", "kvs", "doorman push", sides="tl", dashed=True, rad=-0.2, offset=(-0.1, 0.2))
    d.arrow("kvs", "sp", sides="rl", dashed=True)
    d.arrow("sp", "analyze", "face matches", sides="bt", dashed=True, offset=(0.65, -0.1))
    return d.fig


def main() -> None:
    fig = draw()
    # No date and fixed ids in the SVG: redrawing an unchanged diagram changes no file.
    plt.rcParams["svg.hashsalt"] = "doorman"
    fig.savefig(HERE / "architecture.svg", bbox_inches="tight", metadata={"Date": None})
    fig.savefig(HERE / "architecture.png", bbox_inches="tight", dpi=110)


if __name__ == "__main__":
    main()
