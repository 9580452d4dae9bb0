"""Tests of the browser checker (browser_check.py) on small hand-made sites: it passes a
good page and fails a missing image, a one-frame GIF and an error output. Needs Chromium
(setup.sh installs it); no kernel.

    kernel-setup/.venv/bin/python -m unittest discover -s kernel-setup -p 'test_browser_check.py'
"""

import base64
import os
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_check  # noqa: E402

# a 1 x 1 GIF: header, screen with a 2-colour table, one image, trailer
GIF_HEAD = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
GIF_FRAME = b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00"
GIF_LOOP = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
GIF_DELAY = b"!\xf9\x04\x04\x0a\x00\x00\x00"
ONE_FRAME = GIF_HEAD + GIF_FRAME + b";"
THREE_FRAMES = GIF_HEAD + GIF_LOOP + (GIF_DELAY + GIF_FRAME) * 3 + b";"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAQCAAAAACDjCb1AAAAV0lEQVR42mNgYOHgERCRkFFQ0dAxMLGwcXDx8AkI"
    "iYhJSMnIKSipqGlo6eiZMGXGnAVLVqzZsGXHngNHTpy5cOXGnQdPXrz58OXHH4ZRA0YNGDVguBgAAKrG+BCVYZYcAAAAAElFTkSuQmCC"
)


def site(folder, body):
    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    (folder / "picture.png").write_bytes(PNG)
    (folder / "anim.gif").write_bytes(THREE_FRAMES)
    (folder / "still.gif").write_bytes(ONE_FRAME)
    data_gif = base64.b64encode(THREE_FRAMES).decode()
    (folder / "index.html").write_text(
        f"<html><body><img src='picture.png'><img src='data:image/gif;base64,{data_gif}'></body></html>"
    )
    (folder / "notebooks" / "introduction.html").write_text(f"<html><body>{body}</body></html>")


class GifFrames(unittest.TestCase):
    def test_counts_frames(self):
        self.assertEqual(browser_check.gif_frames(ONE_FRAME), 1)
        self.assertEqual(browser_check.gif_frames(THREE_FRAMES), 3)
        with self.assertRaises(ValueError):
            browser_check.gif_frames(PNG)


@unittest.skipUnless(os.path.exists(browser_check.CHROMIUM), f"{browser_check.CHROMIUM} not installed")
class CheckSite(unittest.TestCase):
    def check(self, body):
        with tempfile.TemporaryDirectory() as d:
            site(Path(d), body)
            problems = browser_check.check_site(d)
            shot = Path(d) / "_screenshots" / "introduction.png"
            self.assertTrue(shot.exists() and shot.stat().st_size > 1000)
            return problems

    def test_good_site_passes(self):
        self.assertEqual(self.check("<img src='../picture.png'><img src='../anim.gif'><p>fine</p>"), [])

    def test_missing_image_fails(self):
        problems = self.check("<img src='../picture.png'><img src='../gone.png'>")
        self.assertEqual(len(problems), 1)
        self.assertIn("image not loaded: ../gone.png", problems[0])

    def test_still_gif_fails(self):
        problems = self.check("<img src='../still.gif'>")
        self.assertEqual(len(problems), 1)
        self.assertIn("1 frame", problems[0])

    def test_error_output_fails(self):
        problems = self.check("<div class='cell_output'><div class='output stderr'>thread panicked</div></div>")
        self.assertEqual(len(problems), 1)
        self.assertIn("thread panicked", problems[0])


if __name__ == "__main__":
    unittest.main()
