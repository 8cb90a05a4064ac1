"""The API documentation pages load everything from this server: no CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.config import Settings


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_use_only_local_assets(tmp_path: Path, page: str) -> None:
    settings = Settings(data_dir=tmp_path, passphrase="pw", scrypt_n=1024)
    with TestClient(create_app(settings)) as client:
        html = client.get(page)
        assert html.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', html.text)
        urls += re.findall(r"url: '([^']+)'", html.text)
        assert urls, html.text[:500]
        for url in urls:
            assert not re.match(r"^(https?:)?//", url), f"{page} loads {url} from outside"
            assert client.get(url).status_code == 200, url
