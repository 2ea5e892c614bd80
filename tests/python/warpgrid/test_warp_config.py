from pathlib import Path

import pytest

from warpgrid.config import ConfigError, WarpConfig, load_config, parse_config

VALID = """
[shims]
database_proxy = false
threading = true

[dns]
registry = { "api.prod.warp.local" = ["10.0.0.5", "10.0.0.6"] }
hosts = { "db.internal" = ["192.168.1.10"] }
ttl_seconds = 5
nameservers = ["10.0.0.2"]

[filesystem]
zoneinfo = true
files = { "/etc/app.conf" = "mode=prod\\n" }

[limits]
memory_mb = 64
request_timeout_ms = 1500

[http]
listen = "127.0.0.1:0"

[env]
APP_ENV = "prod"
"""


def test_valid_config_parses_every_section(tmp_path: Path) -> None:
    path = tmp_path / "warp.toml"
    path.write_text(VALID)
    config = load_config(path)
    assert config.source == str(path)
    assert config.shims.enabled() == ["filesystem", "dns", "signals", "threading", "http_client", "http_body"]
    assert config.dns.registry == {"api.prod.warp.local": ["10.0.0.5", "10.0.0.6"]}
    assert config.dns.ttl_seconds == 5
    assert config.filesystem.files == {"/etc/app.conf": "mode=prod\n"}
    assert (config.limits.memory_mb, config.limits.request_timeout_ms) == (64, 1500)
    assert config.http.listen == "127.0.0.1:0"
    assert config.env == {"APP_ENV": "prod"}


def test_defaults_are_valid() -> None:
    config = WarpConfig()
    assert config.shims.database_proxy is False
    assert config.limits.memory_mb == 128


def test_unknown_key_names_file_dotted_key_and_choices(tmp_path: Path) -> None:
    path = tmp_path / "warp.toml"
    path.write_text("[shims]\ndns = true\nbogus_key_17 = true\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message
    assert "shims.bogus_key_17" in message
    assert "filesystem, dns, signals, database_proxy, threading" in message


def test_unknown_section_is_named() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'shimz'; expected one of: shims, dns"):
        parse_config("[shimz]\ndns = true\n", source="w.toml")


def test_wrong_type_names_key_and_expectation() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config('[limits]\nmemory_mb = "lots"\n', source="w.toml")
    message = str(err.value)
    assert "w.toml: key 'limits.memory_mb'" in message
    assert "integer" in message and "'lots'" in message


def test_wrong_bool_type_in_shims() -> None:
    with pytest.raises(ConfigError, match=r"key 'shims.dns': .*boolean"):
        parse_config('[shims]\ndns = "maybe"\n', source="w.toml")


def test_registry_name_shape_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"key 'dns.registry'.*<name>.<namespace>.warp.local"):
        parse_config('[dns]\nregistry = { "api.warp.local" = ["10.0.0.1"] }\n', source="w.toml")


def test_bad_address_is_named() -> None:
    with pytest.raises(ConfigError, match=r"key 'dns.hosts'.*'10.0.0.999'"):
        parse_config('[dns]\nhosts = { "x" = ["10.0.0.999"] }\n', source="w.toml")


def test_listen_must_be_loopback() -> None:
    with pytest.raises(ConfigError, match=r"key 'http.listen'.*loopback"):
        parse_config('[http]\nlisten = "0.0.0.0:8080"\n', source="w.toml")


def test_toml_syntax_error_names_file() -> None:
    with pytest.raises(ConfigError, match=r"^w.toml: invalid TOML"):
        parse_config("[shims\n", source="w.toml")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.toml")


def test_errors_name_the_users_file_not_a_pants_sandbox_copy(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("WARPGRID_CONFIG_NAME", raising=False)
    copy = tmp_path / "pants-sandbox-abc" / "__warpgrid_run" / "test-apps" / "svc" / "warp.toml"
    copy.parent.mkdir(parents=True)
    copy.write_text("[shims]\nbogus = true\n")
    with pytest.raises(ConfigError) as err:
        load_config(copy)
    assert str(err.value).startswith("test-apps/svc/warp.toml: unknown key 'shims.bogus'")
    monkeypatch.setenv("WARPGRID_CONFIG_NAME", "svc/warp.toml")
    with pytest.raises(ConfigError, match=r"^svc/warp.toml: unknown key"):
        load_config(copy)


def test_warmup_request_must_be_method_and_path() -> None:
    assert parse_config('[http]\nwarmup_request = "GET /health"\n').http.warmup_request == "GET /health"
    with pytest.raises(ConfigError, match=r"key 'http.warmup_request': expected 'METHOD /path'"):
        parse_config('[http]\nwarmup_request = "/health"\n')
