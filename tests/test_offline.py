"""Every offline copy of Vega comes from qilab.offline, is built once per version, and never
points at a CDN (NHS networks block them)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CDNS = ("cdn.jsdelivr.net", "esm.sh", "unpkg.com", "cdnjs")


@pytest.mark.slow
def test_the_vega_bundle_is_built_once_then_read_from_the_cache(tmp_path):
    script = (
        "from qilab import offline; import hashlib; text = offline.vega_bundle();"
        "print(hashlib.sha256(text.encode()).hexdigest()); print(len(text));"
        "print(*sorted(p.name for p in offline.cache_dir().iterdir()))"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    built_hash, size, *files = run()
    assert int(size) > 500_000  # the whole of Vega, Vega-Lite and Vega-Embed
    [name] = files
    cached = tmp_path / "qilab" / name
    assert name.startswith("vega-embed-altair") and cached.is_file()
    os.utime(cached, (0, 0))  # mark it, to see it is read, not rebuilt
    assert run()[0] == built_hash
    assert cached.stat().st_mtime == 0


@pytest.mark.slow
def test_the_bundle_defines_vega_embed_and_reaches_for_no_cdn():
    from qilab.offline import inline_script, served_esm, vega_bundle

    bundle = vega_bundle()
    assert "vegaEmbed" in bundle
    assert not [cdn for cdn in CDNS if cdn in bundle]
    assert "</script" not in inline_script(bundle)
    esm = served_esm("/qilab/vega-embed.js")
    assert not [cdn for cdn in CDNS if cdn in esm]
