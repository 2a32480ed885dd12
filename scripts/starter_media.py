"""Writes the example media of the gallery's starter projects to static/starters/media/.

Run by hand from the project's root when a drawing, a sound or a clip changes:

    .venv/bin/python scripts/starter_media.py            # everything
    .venv/bin/python scripts/starter_media.py svg        # the drawings only

The drawings (SVG, exactly 800x600: the simulated crowd takes images it cannot read as that
size) and the music, alarm and rain sounds need nothing but Python. The spoken sentences need
`espeak-ng` and the video clips `ffmpeg` on the PATH (`apt-get install espeak-ng ffmpeg`).
Sounds are 8 kHz mono WAV (each under about 100 KB), clips a few seconds of VP9 WebM (each under
about 200 KB), so the repository stays small and every browser plays them.

Everything is drawn here, by us: simple scenes (streets, roads from the driver's seat, rooftops
seen from above, faces, animals, documents and receipts) whose objects are known exactly, which
is what lets a starter's example CSV carry right answers for its gold rows.
"""

from __future__ import annotations

import math
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT / "static" / "starters" / "media"
WIDTH, HEIGHT = 800, 600
RATE = 8000  # sounds' sample rate

# --- SVG building blocks ------------------------------------------------------------------


def el(tag: str, text: str = "", **attrs) -> str:
    """One element; `stroke_width=3` is written stroke-width="3", `class_` as class."""
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f'{name}="{escape(str(value), {chr(34): "&quot;"})}"')
    inner = " ".join([tag, *parts])
    return f"<{inner}>{escape(text)}</{tag}>" if text else f"<{inner}/>"


def group(*children: str, **attrs) -> str:
    opening = el("g", **attrs)[:-2] + ">"
    return opening + "".join(children) + "</g>"


def rect(x, y, w, h, fill, **attrs) -> str:
    return el("rect", x=_n(x), y=_n(y), width=_n(w), height=_n(h), fill=fill, **attrs)


def circle(cx, cy, r, fill, **attrs) -> str:
    return el("circle", cx=_n(cx), cy=_n(cy), r=_n(r), fill=fill, **attrs)


def ellipse(cx, cy, rx, ry, fill, **attrs) -> str:
    return el("ellipse", cx=_n(cx), cy=_n(cy), rx=_n(rx), ry=_n(ry), fill=fill, **attrs)


def polygon(points, fill, **attrs) -> str:
    return el("polygon", points=" ".join(f"{_n(x)},{_n(y)}" for x, y in points), fill=fill, **attrs)


def line(x1, y1, x2, y2, stroke, width=2, **attrs) -> str:
    return el(
        "line",
        x1=_n(x1),
        y1=_n(y1),
        x2=_n(x2),
        y2=_n(y2),
        stroke=stroke,
        stroke_width=_n(width),
        stroke_linecap="round",
        **attrs,
    )


def path(d: str, fill="none", **attrs) -> str:
    return el("path", d=d, fill=fill, **attrs)


def text(x, y, words: str, size=14, fill="#222", family="Helvetica, Arial, sans-serif", **attrs):
    return el(
        "text", words, x=_n(x), y=_n(y), font_size=_n(size), fill=fill, font_family=family, **attrs
    )


def _n(value) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def drawing(*parts: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">' + el("title", title) + "".join(parts) + "</svg>\n"
    )


def sky(top="#8ec5ff", bottom="#dcefff", height=HEIGHT, name="sky") -> str:
    gradient = (
        f'<defs><linearGradient id="{name}" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/>'
        "</linearGradient></defs>"
    )
    return gradient + rect(0, 0, WIDTH, height, f"url(#{name})")


def cloud(x, y, s=1.0) -> str:
    return group(
        ellipse(x, y, 46 * s, 20 * s, "#ffffff"),
        ellipse(x - 30 * s, y + 6 * s, 30 * s, 15 * s, "#ffffff"),
        ellipse(x + 32 * s, y + 5 * s, 34 * s, 16 * s, "#ffffff"),
        opacity="0.9",
    )


# --- things -----------------------------------------------------------------------------


def car_side(x, ground, color, facing="right", length=200) -> str:
    """A car seen from the side, its wheels on `ground`, from x to x + length."""
    s = length / 200
    body = [
        rect(0, -72, 200, 46, color, rx=14),
        polygon([(42, -70), (66, -108), (138, -108), (164, -70)], color),
        polygon([(56, -72), (74, -100), (98, -100), (98, -72)], "#cfe8ff"),
        polygon([(106, -72), (106, -100), (134, -100), (152, -72)], "#cfe8ff"),
        rect(190, -62, 10, 9, "#ffe680", rx=2),  # headlight
        rect(0, -62, 8, 9, "#d92d20", rx=2),  # tail light
        line(100, -70, 100, -30, "#00000033", 2),
        circle(46, -24, 24, "#222"),
        circle(46, -24, 10, "#aaa"),
        circle(156, -24, 24, "#222"),
        circle(156, -24, 10, "#aaa"),
    ]
    flip = "" if facing == "right" else " translate(200 0) scale(-1 1)"
    return group(*body, transform=f"translate({_n(x)} {_n(ground)}) scale({_n(s)}){flip}")


def car_rear(cx, ground, width, color) -> str:
    """A car seen from behind (on a road ahead), `width` wide, its wheels on `ground`."""
    s = width / 160
    parts = [
        rect(-70, -30, 22, 30, "#222", rx=4),
        rect(48, -30, 22, 30, "#222", rx=4),
        rect(-80, -86, 160, 64, color, rx=12),
        polygon([(-60, -86), (-46, -124), (46, -124), (60, -86)], color),
        polygon([(-50, -90), (-40, -118), (40, -118), (50, -90)], "#2b3a4a"),
        rect(-74, -70, 30, 12, "#d92d20", rx=3),
        rect(44, -70, 30, 12, "#d92d20", rx=3),
        rect(-24, -52, 48, 14, "#f2f2f2", rx=2),
    ]
    return group(*parts, transform=f"translate({_n(cx)} {_n(ground)}) scale({_n(s)})")


def person(
    x,
    ground,
    height=170,
    shirt="#2f6fb1",
    trousers="#333a45",
    skin="#e0ac82",
    hair="#3b2a1e",
    step=0.0,
):
    """A person standing (or walking: `step` spreads the legs), feet on `ground`, centred on x."""
    h = height
    r = h * 0.085
    head_y = ground - h + r
    shoulder = ground - h + 2.3 * r
    hip = ground - 0.47 * h
    limb = h * 0.06
    spread = h * (0.07 + step * 0.12)
    parts = [
        line(x - limb * 0.4, hip, x - spread, ground - limb * 0.3, trousers, limb),
        line(x + limb * 0.4, hip, x + spread, ground - limb * 0.3, trousers, limb),
        rect(
            x - h * 0.12,
            shoulder - limb * 0.3,
            h * 0.24,
            hip - shoulder + limb * 0.5,
            shirt,
            rx=h * 0.05,
        ),
        line(
            x - h * 0.11,
            shoulder + limb * 0.3,
            x - h * 0.17 - step * h * 0.05,
            hip + h * 0.02,
            shirt,
            limb * 0.85,
        ),
        line(
            x + h * 0.11,
            shoulder + limb * 0.3,
            x + h * 0.17 + step * h * 0.05,
            hip + h * 0.02,
            shirt,
            limb * 0.85,
        ),
        circle(x - h * 0.17 - step * h * 0.05, hip + h * 0.03, limb * 0.45, skin),
        circle(x + h * 0.17 + step * h * 0.05, hip + h * 0.03, limb * 0.45, skin),
        circle(x, head_y, r, skin),
        path(
            f"M{_n(x - r)},{_n(head_y)} a{_n(r)},{_n(r)} 0 0 1 {_n(2 * r)},0 "
            f"q{_n(-r)},{_n(-r * 0.5)} {_n(-2 * r)},0 z",
            hair,
        ),
    ]
    return group(*parts)


def bicycle(x, ground, size=1.0, color="#d92d20") -> str:
    r = 34 * size
    back, front = x, x + 110 * size
    axle = ground - r
    seat = (x + 38 * size, axle - 58 * size)
    bars = (x + 92 * size, axle - 66 * size)
    crank = (x + 52 * size, axle)
    w = 5 * size
    return group(
        circle(back, axle, r, "none", stroke="#222", stroke_width=_n(5 * size)),
        circle(front, axle, r, "none", stroke="#222", stroke_width=_n(5 * size)),
        line(back, axle, crank[0], crank[1], color, w),
        line(back, axle, seat[0], seat[1], color, w),
        line(seat[0], seat[1], crank[0], crank[1], color, w),
        line(crank[0], crank[1], bars[0] - 6 * size, bars[1] + 10 * size, color, w),
        line(seat[0], seat[1] + 4 * size, bars[0] - 6 * size, bars[1] + 10 * size, color, w),
        line(bars[0] - 6 * size, bars[1] + 10 * size, front, axle, color, w),
        line(
            seat[0] - 12 * size,
            seat[1] - 4 * size,
            seat[0] + 10 * size,
            seat[1] - 4 * size,
            "#222",
            6 * size,
        ),
        line(
            bars[0] - 10 * size, bars[1], bars[0] + 8 * size, bars[1] - 4 * size, "#222", 5 * size
        ),
    )


def cyclist(
    x, ground, size=1.0, shirt="#f1c40f", trousers="#1f2d3d", skin="#f0c8a0", color="#d92d20"
):
    """A person riding a bicycle to the right, the bicycle's back wheel at x."""
    s = size
    axle = ground - 34 * s
    hip = (x + 40 * s, axle - 66 * s)
    knee = (x + 70 * s, axle - 42 * s)
    crank = (x + 56 * s, axle - 4 * s)
    shoulder = (x + 70 * s, axle - 118 * s)
    bars = (x + 88 * s, axle - 68 * s)
    limb = 10 * s
    return group(
        bicycle(x, ground, s, color),
        line(hip[0], hip[1], knee[0], knee[1], trousers, limb),
        line(knee[0], knee[1], crank[0], crank[1], trousers, limb),
        line(hip[0], hip[1] + 2 * s, shoulder[0], shoulder[1], shirt, 22 * s),
        line(shoulder[0], shoulder[1] + 4 * s, bars[0], bars[1], shirt, 8 * s),
        circle(bars[0], bars[1], 4.5 * s, skin),
        circle(shoulder[0] + 10 * s, shoulder[1] - 20 * s, 14 * s, skin),
        path(
            f"M{_n(shoulder[0] - 4 * s)},{_n(shoulder[1] - 22 * s)} a{_n(14 * s)},{_n(14 * s)} 0 0 1 "
            f"{_n(28 * s)},0 z",
            "#3b2a1e",
        ),
    )


def tree(x, ground, height=200, leaves="#3f8f3a") -> str:
    h = height
    return group(
        rect(x - h * 0.05, ground - h * 0.45, h * 0.1, h * 0.45, "#7a5230"),
        circle(x, ground - h * 0.7, h * 0.26, leaves),
        circle(x - h * 0.18, ground - h * 0.55, h * 0.18, leaves),
        circle(x + h * 0.18, ground - h * 0.56, h * 0.19, leaves),
    )


def pine(x, ground, height=160, leaves="#2e6b3a") -> str:
    h = height
    return group(
        rect(x - h * 0.04, ground - h * 0.18, h * 0.08, h * 0.18, "#6b4526"),
        polygon(
            [(x, ground - h), (x - h * 0.22, ground - h * 0.5), (x + h * 0.22, ground - h * 0.5)],
            leaves,
        ),
        polygon(
            [
                (x, ground - h * 0.78),
                (x - h * 0.3, ground - h * 0.16),
                (x + h * 0.3, ground - h * 0.16),
            ],
            leaves,
        ),
    )


def building(x, base, w, h, color, window="#d8e6f2") -> str:
    parts = [rect(x, base - h, w, h, color)]
    for row in range(int((h - 30) // 44)):
        for col in range(int((w - 16) // 34)):
            parts.append(rect(x + 14 + col * 34, base - h + 18 + row * 44, 20, 26, window))
    return group(*parts)


def dog_side(x, ground, size=1.0, coat="#a8703c", facing="right") -> str:
    s = size
    parts = [
        line(30, -42, 28, 0, coat, 11),
        line(46, -42, 50, 0, coat, 11),
        line(104, -42, 100, 0, coat, 11),
        line(118, -42, 122, 0, coat, 11),
        ellipse(76, -58, 60, 26, coat),
        path("M18,-66 q-22,-18 -14,-44", stroke=coat, stroke_width="9", stroke_linecap="round"),
        ellipse(144, -92, 28, 24, coat),
        ellipse(166, -84, 18, 12, coat),
        circle(182, -88, 6, "#111"),
        circle(148, -98, 4, "#111"),
        ellipse(130, -86, 10, 22, "#6e4322", transform="rotate(15 130 -86)"),
    ]
    flip = "" if facing == "right" else " translate(190 0) scale(-1 1)"
    return group(*parts, transform=f"translate({_n(x)} {_n(ground)}) scale({_n(s)}){flip}")


# --- animals ------------------------------------------------------------------------------


def cat_picture() -> str:
    room = [
        rect(0, 0, WIDTH, 420, "#efe3cf"),
        rect(0, 420, WIDTH, 180, "#b98a5a"),
        *[line(0, 440 + i * 40, WIDTH, 440 + i * 40, "#a67a4d", 3) for i in range(4)],
        ellipse(400, 520, 260, 50, "#7c9cbf"),
        rect(590, 120, 140, 110, "#ffffff", stroke="#8a6d4a", stroke_width="8"),
        rect(604, 134, 112, 82, "#a9d4f5"),
    ]
    cat = [
        path(
            "M470,500 q90,-10 70,-120 q-10,-40 -40,-30",
            stroke="#d9823b",
            stroke_width="22",
            stroke_linecap="round",
        ),
        ellipse(400, 430, 100, 110, "#e08e45"),
        ellipse(400, 460, 55, 70, "#f6d2a8"),
        polygon([(330, 250), (345, 175), (385, 230)], "#e08e45"),
        polygon([(470, 250), (455, 175), (415, 230)], "#e08e45"),
        polygon([(342, 240), (350, 195), (375, 232)], "#f2a5a0"),
        polygon([(458, 240), (450, 195), (425, 232)], "#f2a5a0"),
        circle(400, 290, 78, "#e08e45"),
        ellipse(370, 280, 14, 18, "#9acd32"),
        ellipse(430, 280, 14, 18, "#9acd32"),
        ellipse(370, 280, 4, 15, "#111"),
        ellipse(430, 280, 4, 15, "#111"),
        polygon([(390, 310), (410, 310), (400, 322)], "#e36d7a"),
        path("M400,322 q-10,14 -22,6 M400,322 q10,14 22,6", stroke="#6b3b1f", stroke_width="3"),
        *[line(385, 318 + d, 320, 306 + d * 2, "#5a3a22", 2) for d in (0, 8)],
        *[line(415, 318 + d, 480, 306 + d * 2, "#5a3a22", 2) for d in (0, 8)],
        ellipse(360, 535, 30, 14, "#e08e45"),
        ellipse(440, 535, 30, 14, "#e08e45"),
    ]
    return drawing(*room, *cat, title="An orange cat sitting on a rug in a living room")


def dog_picture() -> str:
    return drawing(
        sky(),
        cloud(160, 90),
        cloud(600, 130, 0.8),
        rect(0, 380, WIDTH, 220, "#7cbf5a"),
        tree(680, 400, 260),
        rect(0, 372, 800, 12, "#c9b48a"),
        *[rect(20 + i * 60, 300, 14, 84, "#e8d7b0") for i in range(8)],
        rect(0, 318, 470, 10, "#e8d7b0"),
        dog_side(230, 520, 1.7),
        title="A brown dog standing on a lawn in front of a fence",
    )


def bird_picture() -> str:
    return drawing(
        sky("#6fb6f2", "#cfe9ff"),
        cloud(130, 120, 1.2),
        cloud(650, 80),
        path(
            "M0,430 q300,-40 800,-10", stroke="#6b4526", stroke_width="26", stroke_linecap="round"
        ),
        ellipse(620, 412, 40, 14, "#4f9a3c", transform="rotate(-20 620 412)"),
        ellipse(140, 432, 40, 14, "#4f9a3c", transform="rotate(25 140 432)"),
        line(385, 395, 378, 420, "#d18b2c", 5),
        line(415, 395, 420, 420, "#d18b2c", 5),
        polygon([(300, 330), (230, 300), (236, 350)], "#2c5f9e"),
        ellipse(380, 340, 95, 62, "#3d7cc9", transform="rotate(-12 380 340)"),
        ellipse(395, 360, 60, 38, "#f2f2f2", transform="rotate(-12 395 360)"),
        ellipse(360, 330, 60, 34, "#2c5f9e", transform="rotate(-20 360 330)"),
        circle(470, 270, 48, "#3d7cc9"),
        circle(486, 262, 9, "#ffffff"),
        circle(489, 262, 5, "#111"),
        polygon([(512, 268), (556, 280), (512, 290)], "#f0a830"),
        title="A small blue bird perched on a branch",
    )


def fish_picture() -> str:
    parts = [
        sky("#2f86c9", "#a4d8f5", name="water"),
        rect(0, 520, WIDTH, 80, "#d8c39a"),
        *[circle(30 + i * 37, 540 + (i * 13) % 40, 10, "#bfa87c") for i in range(21)],
        path("M120,530 q-30,-80 10,-160 q20,-40 0,-90", stroke="#3f8f3a", stroke_width="14"),
        path("M160,530 q30,-70 0,-140", stroke="#57a84a", stroke_width="12"),
        path("M690,530 q-20,-60 20,-120 q20,-40 -10,-90", stroke="#3f8f3a", stroke_width="14"),
        *[
            circle(520 + i * 9, 200 - i * 40, 6 + i * 2, "none", stroke="#e6f6ff", stroke_width="3")
            for i in range(4)
        ],
        polygon([(250, 300), (170, 230), (190, 300), (170, 370)], "#f28c28"),
        polygon([(360, 240), (420, 190), (450, 240)], "#f28c28"),
        polygon([(360, 360), (400, 400), (420, 358)], "#f28c28"),
        ellipse(390, 300, 150, 72, "#f79a3a"),
        path("M470,250 q-30,50 0,100", stroke="#e0731a", stroke_width="5"),
        circle(490, 284, 16, "#ffffff"),
        circle(494, 284, 8, "#111"),
        path("M520,318 q10,6 18,0", stroke="#a04a10", stroke_width="4"),
    ]
    return drawing(*parts, title="A goldfish swimming in an aquarium")


# --- scenes ---------------------------------------------------------------------------------


def street(objects: list[str], title: str, buildings=None) -> str:
    back = buildings or [
        building(0, 360, 170, 230, "#c57b57"),
        building(180, 360, 150, 300, "#8c9db5"),
        building(340, 360, 200, 200, "#d9b26f"),
        building(550, 360, 130, 280, "#9a7fa6"),
        building(690, 360, 110, 210, "#7fa69a"),
    ]
    ground = [
        rect(0, 360, WIDTH, 50, "#cfcfc9"),
        rect(0, 406, WIDTH, 8, "#9d9d96"),
        rect(0, 414, WIDTH, 186, "#55585d"),
        *[rect(20 + i * 110, 505, 60, 8, "#f2f2f2") for i in range(8)],
    ]
    return drawing(sky(), *back, *ground, *objects, title=title)


def street_1() -> str:
    return street(
        [
            tree(120, 400, 220),
            person(300, 402, 150, shirt="#c0392b"),
            person(450, 404, 160, shirt="#2f6fb1", trousers="#5b4636", skin="#8d5a3b", step=0.6),
            car_side(90, 590, "#2a7bd6"),
            car_side(560, 490, "#e0a526", facing="left"),
        ],
        "A city street with a blue car and a yellow car, two people on the pavement and a tree",
    )


def street_2() -> str:
    return street(
        [
            tree(60, 400, 190),
            tree(740, 400, 210),
            person(220, 402, 155, shirt="#3b8f5a", step=0.5),
            person(268, 402, 120, shirt="#e67e22", trousers="#2c3e50"),
            person(480, 404, 165, shirt="#6c3483", skin="#c68642"),
            cyclist(540, 565, 1.1),
            car_side(100, 590, "#c0392b"),
        ],
        "A street with a red car, a cyclist on the road, three people on the pavement and two trees",
    )


def street_3() -> str:
    return street(
        [
            person(420, 402, 160, shirt="#34495e", skin="#8d5a3b"),
            car_side(20, 500, "#7f8c8d"),
            car_side(300, 590, "#16a085", facing="left"),
            car_side(660, 590, "#8e44ad", length=210),
        ],
        "A busy street with three cars, one of them half out of the picture, and a person",
    )


def park_picture() -> str:
    return drawing(
        sky(),
        cloud(620, 90),
        rect(0, 300, WIDTH, 300, "#86c463"),
        path("M0,520 q400,-120 800,-60 l0,80 q-400,-60 -800,60 z", "#d9c79e"),
        tree(110, 330, 240),
        tree(330, 320, 170, "#4e9f43"),
        tree(700, 330, 230),
        rect(480, 330, 150, 14, "#8a5a33"),
        rect(490, 344, 10, 30, "#5d3d22"),
        rect(610, 344, 10, 30, "#5d3d22"),
        rect(480, 300, 150, 10, "#8a5a33"),
        person(250, 520, 170, shirt="#d35400", step=0.5),
        line(270, 448, 330, 482, "#222", 2),
        dog_side(300, 540, 0.75, coat="#3b3b3b"),
        cyclist(
            540, 580, 1.0, shirt="#1abc9c", trousers="#34495e", skin="#c68642", color="#2a7bd6"
        ),
        title="A park with a person walking a dog, a cyclist on the path, a bench and trees",
    )


def beach_picture() -> str:
    return drawing(
        sky("#5fb4f0", "#d6f0ff"),
        circle(680, 90, 50, "#ffd54a"),
        rect(0, 260, WIDTH, 130, "#2b8cc4"),
        *[
            path(f"M{x},{y} q15,-8 30,0", stroke="#e6f6ff", stroke_width="3")
            for x, y in ((80, 300), (300, 330), (520, 290), (640, 350))
        ],
        polygon([(150, 250), (250, 250), (235, 268), (165, 268)], "#8a5a33"),
        line(200, 250, 200, 170, "#5d3d22", 4),
        polygon([(204, 172), (204, 240), (260, 240)], "#ffffff"),
        path("M0,390 q400,-30 800,0 l0,210 l-800,0 z", "#f2d59a"),
        line(560, 560, 560, 370, "#6b4526", 6),
        path("M470,400 Q560,300 650,400 Z", "#e74c3c"),
        path("M530,400 Q560,318 590,400 Z", "#f1c40f"),
        rect(400, 520, 130, 46, "#3498db", rx=6, transform="rotate(-6 465 543)"),
        person(320, 560, 170, shirt="#f39c12", trousers="#2980b9", skin="#8d5a3b"),
        path("M560,150 q15,-15 30,0 q15,-15 30,0", stroke="#333", stroke_width="3"),
        title="A sunny beach with a person, a parasol, a towel and a sailing boat on the sea",
    )


def mountain_lake_picture() -> str:
    return drawing(
        sky("#7cb8e8", "#e1f1fb"),
        polygon([(0, 340), (170, 120), (330, 340)], "#7d8ea3"),
        polygon(
            [(120, 186), (170, 120), (215, 180), (190, 170), (165, 190), (145, 176)], "#ffffff"
        ),
        polygon([(220, 340), (450, 70), (680, 340)], "#6b7d93"),
        polygon([(390, 140), (450, 70), (505, 135), (470, 125), (450, 145), (420, 130)], "#ffffff"),
        polygon([(560, 340), (700, 160), (800, 300), (800, 340)], "#8698ad"),
        rect(0, 330, WIDTH, 120, "#3c88b8"),
        path("M0,330 l800,0 l0,12 q-400,-10 -800,0 z", "#2f6f98"),
        rect(0, 440, WIDTH, 160, "#5f9f4a"),
        *[pine(x, 470 + (x % 3) * 10, 150 + (x % 50)) for x in (40, 95, 690, 750)],
        path("M360,380 q60,22 120,0 z", "#c0392b"),
        line(380, 360, 440, 395, "#6b4526", 4),
        polygon([(520, 520), (600, 420), (680, 520)], "#f39c12"),
        polygon([(585, 520), (600, 470), (615, 520)], "#7a4a12"),
        title="A lake below snowy mountains, with a canoe on the water, a tent and pine trees",
    )


# --- faces for keypoints ------------------------------------------------------------------


def face(cx, cy, size, skin, hair, eyes="#4a3222", tilt=0, glasses=False, title="") -> str:
    s = size / 200
    parts = [
        ellipse(-118, 10, 20, 32, skin),
        ellipse(118, 10, 20, 32, skin),
        ellipse(0, 0, 118, 150, skin),
        path(
            "M-120,-20 q-10,-150 120,-140 q130,-10 120,140 q-20,-80 -120,-86 q-100,4 -120,86 z",
            hair,
        ),
        ellipse(-45, -10, 22, 13, "#ffffff"),
        ellipse(45, -10, 22, 13, "#ffffff"),
        circle(-45, -10, 9, eyes),
        circle(45, -10, 9, eyes),
        path(
            "M-70,-40 q25,-12 50,-2 M70,-40 q-25,-12 -50,-2",
            stroke=hair,
            stroke_width="7",
            stroke_linecap="round",
        ),
        path("M0,-4 q-6,40 -18,52 q18,8 36,0", stroke="#00000055", stroke_width="4"),
        path("M-44,78 q44,30 88,0", stroke="#9b3b3b", stroke_width="7", stroke_linecap="round"),
    ]
    if glasses:
        parts += [
            circle(-45, -10, 32, "none", stroke="#222", stroke_width="5"),
            circle(45, -10, 32, "none", stroke="#222", stroke_width="5"),
            line(-13, -12, 13, -12, "#222", 5),
        ]
    body = group(
        *parts, transform=f"translate({_n(cx)} {_n(cy)}) rotate({tilt}) scale({_n(s * 1.0)})"
    )
    shoulders = path(
        f"M{_n(cx - 190 * s)},600 q{_n(10 * s)},{_n(-150 * s)} {_n(190 * s)},{_n(-160 * s)} "
        f"q{_n(180 * s)},{_n(10 * s)} {_n(190 * s)},{_n(160 * s)} z",
        "#5d6d7e",
    )
    return shoulders + body


def face_picture(number: int) -> str:
    if number == 1:
        scene = [rect(0, 0, WIDTH, HEIGHT, "#dfe7ee"), face(400, 280, 230, "#e8b896", "#4b2e1a")]
        title = "A person facing the camera"
    elif number == 2:
        scene = [
            rect(0, 0, WIDTH, HEIGHT, "#f3e6d8"),
            rect(40, 60, 200, 260, "#ffffff", stroke="#c9b8a6", stroke_width="10"),
            face(530, 300, 190, "#8d5a3b", "#1b1b1b", tilt=-12, glasses=True),
        ]
        title = "A person with glasses, head tilted, to the right of a picture frame"
    else:
        scene = [
            rect(0, 0, WIDTH, HEIGHT, "#d9eadf"),
            face(300, 250, 160, "#f1cfb0", "#c98b3b", eyes="#2e6da4", tilt=8),
        ]
        title = "A person with fair hair, small in the frame, head slightly tilted"
    return drawing(*scene, title=title)


# --- aerial views for polygons ----------------------------------------------------------------


def house_roof(points, roof="#b0573a") -> str:
    return polygon(points, roof, stroke="#6e3322", stroke_width="3")


def pool(x, y, w, h, angle=0) -> str:
    return rect(
        x,
        y,
        w,
        h,
        "#49b6e0",
        rx=10,
        stroke="#e8f6fb",
        stroke_width="6",
        transform=f"rotate({angle} {x + w / 2} {y + h / 2})",
    )


def aerial_picture(number: int) -> str:
    grass = rect(0, 0, WIDTH, HEIGHT, "#93bf6c")

    def trees(spots):
        return [circle(x, y, r, "#3f7f34", stroke="#2f6126", stroke_width="3") for x, y, r in spots]

    if number == 1:
        parts = [
            grass,
            rect(0, 270, WIDTH, 70, "#7d7d7d"),
            *[rect(20 + i * 90, 302, 50, 6, "#f2f2f2") for i in range(9)],
            rect(150, 190, 40, 80, "#b7b7b7"),
            house_roof([(90, 60), (260, 60), (260, 190), (90, 190)]),
            pool(300, 90, 110, 60),
            rect(560, 340, 40, 70, "#b7b7b7"),
            house_roof(
                [(480, 410), (690, 410), (690, 560), (600, 560), (600, 500), (480, 500)], "#5f6f82"
            ),
            pool(190, 420, 140, 70, -8),
            *trees([(470, 120, 34), (720, 120, 40), (60, 470, 44), (380, 540, 30)]),
        ]
        title = "Two houses seen from above, two swimming pools, a road and trees"
    elif number == 2:
        parts = [
            grass,
            rect(360, 0, 80, HEIGHT, "#7d7d7d"),
            *[rect(396, 20 + i * 80, 8, 44, "#f2f2f2") for i in range(8)],
            house_roof([(60, 70), (250, 50), (265, 190), (75, 210)], "#8c4b3a"),
            house_roof([(80, 320), (290, 320), (290, 480), (80, 480)], "#6a7c5a"),
            rect(290, 380, 70, 40, "#b7b7b7"),
            house_roof(
                [(520, 60), (700, 60), (700, 160), (620, 160), (620, 260), (520, 260)], "#a8643e"
            ),
            house_roof([(500, 380), (730, 380), (730, 540), (500, 540)], "#4f5d6e"),
            pool(560, 290, 120, 50),
            *trees([(180, 260, 26), (730, 260, 34), (40, 560, 36), (300, 560, 30)]),
        ]
        title = "Four houses along a road seen from above, with a swimming pool"
    else:
        parts = [
            grass,
            path("M0,470 q400,-160 800,-60 l0,80 q-400,-100 -800,60 z", "#7d7d7d"),
            house_roof([(120, 90), (330, 120), (310, 270), (100, 240)], "#b0573a"),
            pool(380, 140, 90, 150, 12),
            house_roof(
                [(520, 80), (720, 80), (720, 300), (640, 300), (640, 200), (520, 200)], "#66768a"
            ),
            *trees([(80, 350, 40), (230, 340, 30), (560, 280, 26), (700, 540, 44), (200, 560, 34)]),
        ]
        title = "Two houses seen from above beside a curving road, with a swimming pool"
    return drawing(*parts, title=title)


# --- roads from the driver's seat: segmentation and lane lines -------------------------------------

VANISH = (400, 250)


def _along(bottom_x, t) -> tuple[float, float]:
    """The point a fraction t of the way from the vanishing point to (bottom_x, 600)."""
    vx, vy = VANISH
    return vx + (bottom_x - vx) * t, vy + (HEIGHT - vy) * t


def lane_dashes(bottom_x, color="#f5f5f5") -> list[str]:
    """Dashes along a straight lane line, longer and wider as they come nearer."""
    out = []
    t = 0.08
    while t < 1:
        end = min(1.0, t * 1.22)
        (x1, y1), (x2, y2) = _along(bottom_x, t), _along(bottom_x, end)
        w1, w2 = 14 * t, 14 * end
        out.append(
            polygon(
                [(x1 - w1 / 2, y1), (x1 + w1 / 2, y1), (x2 + w2 / 2, y2), (x2 - w2 / 2, y2)], color
            )
        )
        t = end * 1.2
    return out


def lane_solid(bottom_x, color="#f5f5f5") -> str:
    (x1, y1), (x2, y2) = _along(bottom_x, 0.02), _along(bottom_x, 1.0)
    return polygon([(x1 - 0.5, y1), (x1 + 0.5, y1), (x2 + 8, y2), (x2 - 8, y2)], color)


def road_straight(cars: list[str], title: str, extra=()) -> str:
    return drawing(
        sky(height=260),
        cloud(140, 80),
        cloud(560, 60, 0.7),
        rect(0, 250, WIDTH, 350, "#7cb25a"),
        building(520, 252, 90, 70, "#a9a9b5"),
        building(615, 252, 60, 100, "#c2b49a"),
        polygon([(VANISH[0] - 4, 250), (VANISH[0] + 4, 250), (800, 600), (0, 600)], "#5a5d62"),
        lane_solid(40),
        lane_solid(760),
        *lane_dashes(280),
        *lane_dashes(520),
        *extra,
        *cars,
        title=title,
    )


def road_picture(number: int) -> str:
    if number == 1:
        return road_straight(
            [car_rear(455, 420, 120, "#c0392b")],
            "A three-lane road ahead seen from a car, with a red car in the right lane",
            [tree(60, 330, 160), tree(170, 290, 90), tree(740, 340, 180)],
        )
    if number == 3:
        return road_straight(
            [car_rear(350, 360, 70, "#2980b9"), car_rear(600, 520, 190, "#f1c40f")],
            "A three-lane road with a blue car far ahead and a yellow car close on the right",
            [tree(90, 320, 140), pine(720, 330, 150), pine(770, 360, 170)],
        )
    # A road curving to the right.
    edge_left = "M396,250 C380,330 180,420 0,560 L0,600"
    edge_right = "M404,250 C430,330 700,400 800,420"
    return drawing(
        sky(height=260, top="#9ccdf5"),
        cloud(300, 90, 0.9),
        rect(0, 250, WIDTH, 350, "#84b763"),
        path(
            "M396,250 C380,330 180,420 0,560 L0,600 L800,600 L800,420 C700,400 430,330 404,250 Z",
            "#5a5d62",
        ),
        path(edge_left, stroke="#f5f5f5", stroke_width="8"),
        path(edge_right, stroke="#f5f5f5", stroke_width="8"),
        path(
            "M400,250 C410,340 420,460 420,600",
            stroke="#f4c20d",
            stroke_width="7",
            stroke_dasharray="40 30",
        ),
        tree(120, 330, 170),
        pine(650, 300, 120),
        pine(700, 310, 140),
        car_rear(470, 330, 60, "#ecf0f1"),
        title="A two-lane road curving to the right, with a white car far ahead",
    )


# --- moderation -----------------------------------------------------------------------------------


def picnic_picture() -> str:
    checks = [
        rect(200 + c * 50, 400 + r * 30, 50, 30, "#d9534f" if (r + c) % 2 else "#ffffff")
        for r in range(5)
        for c in range(8)
    ]
    return drawing(
        sky(),
        rect(0, 300, WIDTH, 300, "#86c463"),
        tree(680, 340, 260),
        *checks,
        rect(420, 340, 100, 70, "#b5834a", rx=8),
        path("M430,345 q40,-50 80,0", stroke="#8a5a33", stroke_width="6"),
        person(260, 470, 150, shirt="#2980b9", skin="#c68642"),
        person(560, 480, 160, shirt="#8e44ad"),
        ellipse(350, 470, 30, 12, "#f5deb3"),
        title="Two people having a picnic on a checked blanket in a park",
    )


def handgun_picture() -> str:
    return drawing(
        rect(0, 0, WIDTH, HEIGHT, "#8b6a4e"),
        *[line(0, 60 + i * 90, WIDTH, 40 + i * 90, "#7a5b41", 4) for i in range(7)],
        polygon(
            [
                (200, 230),
                (560, 230),
                (560, 300),
                (360, 300),
                (330, 420),
                (250, 420),
                (270, 300),
                (200, 300),
            ],
            "#2b2b2b",
        ),
        rect(200, 220, 370, 22, "#3a3a3a"),
        path("M362,300 C362,356 426,356 426,300", stroke="#2b2b2b", stroke_width="9"),
        line(384, 302, 378, 330, "#2b2b2b", 6),
        rect(540, 212, 20, 12, "#3a3a3a"),
        *[rect(600 + i * 30, 360, 14, 40, "#c9a227", rx=6) for i in range(3)],
        title="A handgun and three bullets lying on a wooden table",
    )


def bar_picture() -> str:
    bottles = []
    for i, color in enumerate(("#5b3a1a", "#2e6b3a", "#5b3a1a")):
        x = 220 + i * 90
        bottles += [
            rect(x, 240, 50, 160, color, rx=12),
            rect(x + 17, 180, 16, 70, color),
            rect(x + 8, 290, 34, 50, "#f2e3b3"),
        ]
    return drawing(
        rect(0, 0, WIDTH, HEIGHT, "#3b2b24"),
        rect(0, 400, WIDTH, 200, "#7a4b2a"),
        *bottles,
        rect(500, 300, 70, 100, "#f2c14e", rx=4, opacity="0.9"),
        rect(500, 290, 70, 20, "#ffffff"),
        ellipse(650, 400, 60, 14, "#9a9a9a"),
        rect(610, 380, 80, 8, "#f5f5f5"),
        rect(682, 380, 10, 8, "#e67e22"),
        path("M692,378 q20,-30 0,-60 q-20,-30 10,-70", stroke="#cfcfcf", stroke_width="4"),
        title="Beer bottles, a glass of beer and a lit cigarette in an ashtray on a bar",
    )


def kitchen_picture() -> str:
    return drawing(
        rect(0, 0, WIDTH, 330, "#e8eef2"),
        *[line(0, 40 + i * 60, WIDTH, 40 + i * 60, "#d5dde3", 2) for i in range(6)],
        rect(0, 330, WIDTH, 270, "#c9b08a"),
        rect(140, 360, 420, 200, "#d9a86c", rx=12),
        *[
            group(
                ellipse(0, 0, 60, 14, "#f08a24"),
                polygon([(-60, -6), (-86, -20), (-84, 8)], "#4caf50"),
                transform=f"translate({x} {y}) rotate({a})",
            )
            for x, y, a in ((260, 420, -10), (300, 470, 5))
        ],
        *[ellipse(420 + i * 22, 500, 10, 6, "#f08a24") for i in range(4)],
        circle(650, 430, 46, "#e74c3c"),
        circle(690, 500, 36, "#e74c3c"),
        polygon([(330, 520), (520, 470), (524, 486), (336, 536)], "#d0d4d8"),
        rect(520, 462, 110, 30, "#2b2b2b", rx=8, transform="rotate(-15 575 477)"),
        title="Carrots being chopped with a kitchen knife on a cutting board, beside tomatoes",
    )


# --- documents and receipts -------------------------------------------------------------------

MONO = "Courier New, Courier, monospace"


def page(lines: list[str], title: str, angle=0) -> str:
    """A portrait page on a desk; `lines` are its drawn contents, in page coordinates."""
    return drawing(
        rect(0, 0, WIDTH, HEIGHT, "#9aa5b1"),
        group(
            rect(6, 8, 380, 560, "#00000033"),
            rect(0, 0, 380, 560, "#ffffff"),
            *lines,
            transform=f"translate(210 18) rotate({angle} 190 280)",
        ),
        title=title,
    )


def bars(x, y, widths, gap=16, color="#b8bec6") -> list[str]:
    """Lines of body text drawn as grey bars: the shape of text, not its words."""
    return [rect(x, y + i * gap, w, 6, color, rx=3) for i, w in enumerate(widths)]


def invoice_picture() -> str:
    rows = [
        ("Website hosting, March", "1", "45.00"),
        ("Domain renewal", "1", "18.00"),
        ("Support hours", "3", "180.00"),
    ]
    content = [
        text(30, 50, "INVOICE", 28, "#1f3a5f", font_weight="bold"),
        text(250, 40, "Northwind Web Ltd.", 12),
        text(250, 56, "12 Harbour Road, Leeds", 10, "#555"),
        text(30, 90, "Invoice no. 2025-0142", 11),
        text(30, 106, "Date: 3 April 2025", 11),
        text(30, 140, "Bill to:", 11, font_weight="bold"),
        text(30, 156, "Fernhill Garden Centre", 11),
        text(30, 172, "4 Mill Lane, York", 11),
        rect(30, 200, 320, 22, "#1f3a5f"),
        text(38, 215, "Description", 11, "#fff"),
        text(240, 215, "Qty", 11, "#fff"),
        text(290, 215, "Amount", 11, "#fff"),
    ]
    for i, (what, qty, amount) in enumerate(rows):
        y = 244 + i * 26
        content += [
            text(38, y, what, 11),
            text(246, y, qty, 11),
            text(292, y, amount, 11),
            line(30, y + 8, 350, y + 8, "#ddd", 1),
        ]
    content += [
        text(200, 350, "Total due:", 13, font_weight="bold"),
        text(286, 350, "£243.00", 13, font_weight="bold"),
        text(30, 420, "Payment within 30 days to account 40-11-29 / 7765 1203.", 9, "#555"),
        *bars(30, 440, [300, 260]),
    ]
    return page(content, "An invoice from a web company to a garden centre", angle=-1)


def letter_picture() -> str:
    content = [
        circle(52, 48, 18, "#2e7d5b"),
        text(80, 44, "Riverside Public Library", 14, "#2e7d5b", font_weight="bold"),
        text(80, 60, "88 Water Street · Springfield", 9, "#555"),
        text(260, 110, "9 May 2025", 11),
        text(30, 150, "Dear Ms. Alvarez,", 12),
        text(30, 178, "Thank you for volunteering at our summer", 11),
        text(30, 194, "reading programme. We are delighted to", 11),
        text(30, 210, "confirm your place for the weeks below.", 11),
        *bars(30, 232, [310, 290, 320, 200]),
        *bars(30, 310, [300, 320, 250]),
        text(30, 390, "With our thanks,", 11),
        path("M30,430 q20,-30 40,0 q20,20 40,-10 q10,-10 30,5", stroke="#1f3a5f", stroke_width="2"),
        text(30, 460, "Jordan Ellis, Volunteer Coordinator", 11),
    ]
    return page(content, "A letter from a public library to a volunteer")


def resume_picture() -> str:
    content = [
        text(30, 56, "Priya Raman", 26, "#1f3a5f", font_weight="bold"),
        text(30, 78, "Data analyst · priya.raman@example.com · Austin, TX", 9, "#555"),
        line(30, 92, 350, 92, "#1f3a5f", 2),
        text(30, 120, "EXPERIENCE", 12, "#1f3a5f", font_weight="bold"),
        text(30, 140, "Senior Analyst, Lakeside Health (2021-now)", 10),
        *bars(40, 150, [280, 250]),
        text(30, 196, "Analyst, Brightline Retail (2018-2021)", 10),
        *bars(40, 206, [270, 230]),
        text(30, 262, "EDUCATION", 12, "#1f3a5f", font_weight="bold"),
        text(30, 282, "B.S. Statistics, University of Texas, 2018", 10),
        text(30, 320, "SKILLS", 12, "#1f3a5f", font_weight="bold"),
        text(30, 340, "SQL · Python · Tableau · A/B testing", 10),
        *bars(30, 370, [310, 280, 300]),
    ]
    return page(content, "A one-page résumé of a data analyst")


def form_picture() -> str:
    fields = ["Full name", "Old address", "New address", "Moving date", "Phone"]
    content = [
        text(30, 46, "CHANGE OF ADDRESS", 18, "#7a1f1f", font_weight="bold"),
        text(30, 64, "Form CA-2 · Please write in capital letters", 9, "#555"),
    ]
    for i, label in enumerate(fields):
        y = 100 + i * 52
        content += [
            text(30, y, label, 10, "#333"),
            rect(30, y + 6, 320, 26, "none", stroke="#777", stroke_width="1.5"),
        ]
    content += [
        text(30, 380, "Forward my mail:", 10),
        rect(140, 370, 12, 12, "none", stroke="#333"),
        text(158, 380, "Yes", 10),
        rect(200, 370, 12, 12, "none", stroke="#333"),
        text(218, 380, "No", 10),
        line(30, 470, 220, 470, "#333", 1),
        text(30, 486, "Signature", 9, "#555"),
        line(250, 470, 350, 470, "#333", 1),
        text(250, 486, "Date", 9, "#555"),
    ]
    return page(content, "A blank change of address form")


def receipt_picture(merchant, address, when, items, tax, card, angle, title) -> str:
    subtotal = sum(price for _, price in items)
    total = subtotal + tax
    lines = [
        text(150, 50, merchant, 20, "#111", MONO, text_anchor="middle", font_weight="bold"),
        text(150, 72, address, 11, "#333", MONO, text_anchor="middle"),
        text(20, 104, when, 12, "#111", MONO),
        line(20, 116, 280, 116, "#999", 1, stroke_dasharray="4 3"),
    ]
    y = 140
    for what, price in items:
        lines += [
            text(20, y, what, 12, "#111", MONO),
            text(280, y, f"{price:.2f}", 12, "#111", MONO, text_anchor="end"),
        ]
        y += 22
    lines += [
        line(20, y - 8, 280, y - 8, "#999", 1, stroke_dasharray="4 3"),
        text(20, y + 12, "SUBTOTAL", 12, "#111", MONO),
        text(280, y + 12, f"{subtotal:.2f}", 12, "#111", MONO, text_anchor="end"),
        text(20, y + 34, "TAX", 12, "#111", MONO),
        text(280, y + 34, f"{tax:.2f}", 12, "#111", MONO, text_anchor="end"),
        text(20, y + 64, "TOTAL", 16, "#111", MONO, font_weight="bold"),
        text(280, y + 64, f"{total:.2f}", 16, "#111", MONO, text_anchor="end", font_weight="bold"),
        text(20, y + 94, card, 11, "#333", MONO),
        text(150, y + 130, "THANK YOU!", 12, "#333", MONO, text_anchor="middle"),
    ]
    height = y + 160
    return drawing(
        rect(0, 0, WIDTH, HEIGHT, "#5b6b7a"),
        group(
            rect(5, 6, 300, height, "#00000040"),
            rect(0, 0, 300, height, "#fbfaf5"),
            *lines,
            transform=f"translate(250 {_n((HEIGHT - height) / 2)}) rotate({angle} 150 {_n(height / 2)})",
        ),
        title=title,
    )


def receipts() -> dict[str, str]:
    return {
        "receipt-1.svg": receipt_picture(
            "GREEN LEAF MARKET",
            "214 Alder St, Portland OR",
            "03/14/2025  17:42",
            [
                ("Bananas 1.2 lb", 0.83),
                ("Oat milk", 4.49),
                ("Sourdough loaf", 5.99),
                ("Eggs, dozen", 3.79),
            ],
            0.0,
            "VISA ****4821",
            -2,
            "A grocery receipt from Green Leaf Market",
        ),
        "receipt-2.svg": receipt_picture(
            "CAFE MERIDIAN",
            "9 King St, Toronto ON",
            "2025-02-07  08:15",
            [("Flat white", 4.75), ("Almond croissant", 3.95), ("Orange juice", 3.50)],
            1.59,
            "DEBIT ****0937",
            1.5,
            "A café receipt from Cafe Meridian",
        ),
        "receipt-3.svg": receipt_picture(
            "HARBOR HARDWARE",
            "51 Pier Rd, Mystic CT",
            "11/30/2024  12:03",
            [
                ("Wood screws 100ct", 7.49),
                ("Paint roller", 8.99),
                ("Masking tape", 4.29),
                ("Sandpaper pack", 6.50),
                ("Work gloves", 12.99),
            ],
            2.52,
            "CASH",
            -1,
            "A hardware store receipt from Harbor Hardware",
        ),
    }


def drawings() -> dict[str, str]:
    out = {
        "cat.svg": cat_picture(),
        "dog.svg": dog_picture(),
        "bird.svg": bird_picture(),
        "fish.svg": fish_picture(),
        "street-1.svg": street_1(),
        "street-2.svg": street_2(),
        "street-3.svg": street_3(),
        "park.svg": park_picture(),
        "beach.svg": beach_picture(),
        "mountain-lake.svg": mountain_lake_picture(),
        "picnic.svg": picnic_picture(),
        "handgun.svg": handgun_picture(),
        "bar.svg": bar_picture(),
        "kitchen.svg": kitchen_picture(),
        "invoice.svg": invoice_picture(),
        "letter.svg": letter_picture(),
        "resume.svg": resume_picture(),
        "form.svg": form_picture(),
    }
    for number in (1, 2, 3):
        out[f"face-{number}.svg"] = face_picture(number)
        out[f"aerial-{number}.svg"] = aerial_picture(number)
        out[f"road-{number}.svg"] = road_picture(number)
    out.update(receipts())
    return out


# --- sounds ---------------------------------------------------------------------------------


def write_wav(target: Path, samples: list[float]) -> None:
    """16-bit mono PCM at RATE, samples in -1..1."""
    frames = b"".join(struct.pack("<h", int(max(-1.0, min(1.0, s)) * 32000)) for s in samples)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)


def _fade(samples: list[float], seconds=0.01) -> list[float]:
    n = max(1, int(RATE * seconds))
    for i in range(min(n, len(samples))):
        samples[i] *= i / n
        samples[-1 - i] *= i / n
    return samples


def tone(freq: float, seconds: float, volume=0.5, harmonics=(1.0, 0.4, 0.2)) -> list[float]:
    count = int(RATE * seconds)
    out = []
    for i in range(count):
        t = i / RATE
        decay = math.exp(-3.0 * t / seconds)
        value = sum(a * math.sin(2 * math.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))
        out.append(volume * decay * value / sum(harmonics))
    return _fade(out)


def music() -> list[float]:
    # A short tune on a plucked, piano-like tone: C E G E, F A C A, G B D B, C.
    notes = [262, 330, 392, 330, 349, 440, 523, 440, 392, 494, 587, 494, 523]
    samples: list[float] = []
    for n, freq in enumerate(notes):
        samples += tone(freq, 0.6 if n == len(notes) - 1 else 0.24, 0.6)
    return samples


def alarm() -> list[float]:
    # An alarm clock's beeping: four short beeps, a pause, again.
    samples: list[float] = []
    for _ in range(3):
        for _ in range(4):
            samples += _fade(
                [
                    0.45 * math.copysign(1, math.sin(2 * math.pi * 1000 * i / RATE))
                    for i in range(int(RATE * 0.09))
                ]
            )
            samples += [0.0] * int(RATE * 0.06)
        samples += [0.0] * int(RATE * 0.4)
    return samples


def rain() -> list[float]:
    rng = random.Random(17)
    samples, low = [], 0.0
    for _ in range(int(RATE * 3.5)):
        low += 0.25 * (rng.uniform(-1, 1) - low)  # noise, softened
        samples.append(0.35 * low)
    for _ in range(70):  # drops
        at = rng.randrange(len(samples) - 200)
        strength = rng.uniform(0.2, 0.6)
        for i in range(160):
            samples[at + i] += strength * math.exp(-i / 25) * rng.uniform(-1, 1)
    return _fade(samples, 0.2)


SPEECH = {
    "speech-1.wav": "Please leave the package at the side door, next to the blue recycling bin.",
    "speech-2.wav": "The team meeting has moved to Thursday at three thirty, in room two oh four.",
    "speech-3.wav": "This weekend the store is open from nine to six on Saturday, and closed on Sunday.",
    "sound-speech.wav": "Good morning everyone, and welcome aboard. We will be landing in about twenty minutes.",
}


def speak(target: Path, sentence: str) -> None:
    with tempfile.TemporaryDirectory() as work:
        raw = Path(work) / "raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(raw), sentence], check=True
        )
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(raw),
                "-ac",
                "1",
                "-ar",
                str(RATE),
                "-sample_fmt",
                "s16",
                str(target),
            ],
            check=True,
        )


# --- video clips ----------------------------------------------------------------------------

CLIP_W, CLIP_H, FPS, CLIP_SECONDS = 320, 180, 12, 4


class Frame:
    """An RGB frame drawn with filled rectangles and discs (enough for a roadside camera)."""

    def __init__(self, background: bytes) -> None:
        self.pixels = bytearray(background)

    def rect(self, x, y, w, h, color) -> None:
        x0, x1 = max(0, int(x)), min(CLIP_W, int(x + w))
        if x1 <= x0:
            return
        run = bytes(color) * (x1 - x0)
        for row in range(max(0, int(y)), min(CLIP_H, int(y + h))):
            at = (row * CLIP_W + x0) * 3
            self.pixels[at : at + len(run)] = run

    def disc(self, cx, cy, r, color) -> None:
        for row in range(max(0, int(cy - r)), min(CLIP_H, int(cy + r) + 1)):
            half = math.sqrt(max(0.0, r * r - (row - cy) ** 2))
            self.rect(cx - half, row, 2 * half, 1, color)


def clip_background() -> bytes:
    frame = Frame(bytes(CLIP_W * CLIP_H * 3))
    frame.rect(0, 0, CLIP_W, 90, (150, 200, 240))
    frame.rect(0, 90, CLIP_W, 40, (120, 180, 90))
    frame.rect(0, 130, CLIP_W, 40, (85, 88, 92))
    for x in range(0, CLIP_W, 40):
        frame.rect(x + 8, 149, 20, 2, (240, 240, 240))
    frame.rect(0, 170, CLIP_W, 10, (120, 180, 90))
    for x, h in ((30, 50), (250, 60)):
        frame.rect(x - 3, 90 - h * 0.4, 6, h * 0.4, (120, 82, 48))
        frame.disc(x, 90 - h * 0.55, h * 0.35, (60, 140, 58))
    return bytes(frame.pixels)


def clip_car(frame: Frame, x, lane_y, color, facing) -> None:
    frame.rect(x, lane_y - 16, 60, 12, color)
    frame.rect(x + 14, lane_y - 26, 30, 11, color)
    frame.rect(x + 18, lane_y - 24, 10, 8, (200, 225, 250))
    frame.rect(x + 31, lane_y - 24, 10, 8, (200, 225, 250))
    frame.disc(x + 14, lane_y - 3, 6, (30, 30, 30))
    frame.disc(x + 46, lane_y - 3, 6, (30, 30, 30))
    front = x + 56 if facing == "right" else x
    frame.rect(front, lane_y - 14, 4, 4, (255, 230, 120))


def clip_walker(frame: Frame, x, n) -> None:
    swing = 3 if (n // 3) % 2 else -3
    frame.rect(x - 2 + swing, 112, 3, 14, (50, 55, 70))
    frame.rect(x + 1 - swing, 112, 3, 14, (50, 55, 70))
    frame.rect(x - 4, 96, 9, 17, (200, 80, 60))
    frame.disc(x + 0.5, 91, 4.5, (225, 180, 140))


def clip_frames(kind: str) -> list[bytes]:
    background = clip_background()
    count = FPS * CLIP_SECONDS
    frames = []
    for n in range(count):
        t = n / (count - 1)
        frame = Frame(background)
        if kind in ("left-to-right", "both"):
            clip_car(frame, -70 + t * 460, 166, (40, 120, 215), "right")
        if kind in ("right-to-left", "both"):
            clip_car(
                frame,
                330 - t * (460 if kind == "right-to-left" else 420),
                146,
                (215, 160, 40) if kind == "both" else (200, 50, 45),
                "left",
            )
        if kind == "none":
            clip_walker(frame, 60 + t * 200, n)
        frames.append(bytes(frame.pixels))
    return frames


CLIPS = {
    "clip-1.webm": "left-to-right",
    "clip-2.webm": "right-to-left",
    "clip-3.webm": "none",
    "clip-4.webm": "both",
}


def encode_clip(target: Path, frames: list[bytes]) -> None:
    command = [
        "ffmpeg", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{CLIP_W}x{CLIP_H}", "-r", str(FPS), "-i", "-",
        "-c:v", "libvpx-vp9", "-b:v", "150k", "-pix_fmt", "yuv420p", "-an", str(target),
    ]  # fmt: skip
    subprocess.run(command, input=b"".join(frames), check=True)


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    what = set(argv) or {"svg", "sound", "video"}
    MEDIA.mkdir(parents=True, exist_ok=True)
    if "svg" in what:
        for name, markup in drawings().items():
            (MEDIA / name).write_text(markup, encoding="utf-8")
    if "sound" in what:
        write_wav(MEDIA / "sound-music.wav", music())
        write_wav(MEDIA / "sound-alarm.wav", alarm())
        write_wav(MEDIA / "sound-rain.wav", rain())
        if not shutil.which("espeak-ng") or not shutil.which("ffmpeg"):
            sys.exit(
                "The spoken sentences need espeak-ng and ffmpeg: apt-get install espeak-ng ffmpeg"
            )
        for name, sentence in SPEECH.items():
            speak(MEDIA / name, sentence)
    if "video" in what:
        if not shutil.which("ffmpeg"):
            sys.exit("The clips need ffmpeg: apt-get install ffmpeg")
        for name, kind in CLIPS.items():
            encode_clip(MEDIA / name, clip_frames(kind))
    for target in sorted(MEDIA.iterdir()):
        print(f"{target.stat().st_size:>8,}  {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
