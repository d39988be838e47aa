"""``symopt report``: an offline HTML page with decodable PNG plots, checked in a real headless browser."""

from __future__ import annotations

import html.parser
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from search_space.parser import parse
from search_space.program import format_statement
from symopt.cli import main
from symopt.inspect.report import series

from inspect_helpers import make_run
from needs import need

HOW_TO_RUN = ("apt-get install -y chromium (Debian's package; any chromium or chromium-browser on PATH), then "
              "pytest tests/test_inspect_report.py")


class _Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.refs, self.tags = [], [], set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a["src"])
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    r = make_run(tmp_path_factory.mktemp("report") / "run", n=120, truncate=True)
    assert main(["report", str(r["rundir"].path)]) == 0
    return r, r["rundir"].path / "report"


def test_page_is_offline_and_every_image_is_a_decodable_png(report):
    r, out = report
    page = (out / "index.html").read_text()
    refs = _Refs()
    refs.feed(page)
    assert len(refs.imgs) == 3
    assert not {"script", "link", "iframe"} & refs.tags
    assert not [u for u in refs.refs if re.match(r"[a-z]+:", u)]      # no http:, file:, data: ... assets
    for src in refs.imgs:
        img = Image.open(out / src)
        assert img.format == "PNG"
        px = np.asarray(img.convert("L"))
        assert px.shape[0] > 100 and px.std() > 5                    # drawn, not blank


def test_page_shows_best_programs_and_lineage(report):
    r, out = report
    page = (out / "index.html").read_text()
    best = r["hof"][0]
    assert best["hash"] in page
    for st in parse(best["program"]).statements:
        assert html.escape(format_statement(st)) in page
    assert "Lineage of the best program" in page and "mutations from the seed" in page
    summary = series.summary(r["records"])
    assert f"<td>{summary['candidates']}</td>" in page
    assert f"{summary['cache_hit_rate']:.3f}" in page


def test_series_best_so_far_and_hit_rate_match_the_log(report):
    r, _ = report
    recs = r["records"]
    s = series.stage_series(recs, "A", window=100)
    fa = [x["fitness"]["A"] for x in recs]
    expect = np.minimum.accumulate([np.inf if v is None else v for v in fa])
    np.testing.assert_allclose(s["best"], expect)
    c = series.cache_series(recs)
    assert c["hit_rate"][-1] == pytest.approx(sum(x["cached"] for x in recs) / len(recs))


def test_out_dir_and_empty_run(tmp_path, capsys):
    from symopt.rundir import RunDir

    rd = RunDir.create(tmp_path / "empty", "[search]\n")          # a run that has just started
    assert main(["report", str(rd.path), "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "o" / "index.html")
    assert "No program in the hall of fame yet" in (tmp_path / "o" / "index.html").read_text()


@pytest.fixture(scope="module")
def chromium():
    """The browser on PATH; the test skips (fails with SYMOPT_REQUIRE_EXTERNAL=1) before building a report."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    need("chromium", path is not None, HOW_TO_RUN)
    return path


def test_renders_in_headless_chromium_without_broken_images(chromium, report, tmp_path):
    _, out = report
    # A copy of the page with a probe that records, after load, every image that failed to decode.
    probe = out / "probe.html"
    probe.write_text((out / "index.html").read_text().replace("</body>", (
        "<script>window.addEventListener('load', () => { const bad = [...document.images]"
        ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'));"
        "document.body.setAttribute('data-images', document.images.length);"
        "document.body.setAttribute('data-broken', bad.join(',') || 'none'); });</script></body>")))
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'ud'}"]
    shot = tmp_path / "shot.png"
    try:
        subprocess.run([*flags, "--window-size=1200,2400", f"--screenshot={shot}", (out / "index.html").as_uri()],
                       capture_output=True, timeout=60)
        dom = subprocess.run([*flags, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                             capture_output=True, text=True, timeout=60).stdout
    finally:
        probe.unlink()
    img = np.asarray(Image.open(shot).convert("L"))
    assert img.shape == (2400, 1200) and img.std() > 5 and (img < 128).mean() > 0.005   # text and plots drawn
    assert 'data-images="3"' in dom and 'data-broken="none"' in dom, dom[-500:]
