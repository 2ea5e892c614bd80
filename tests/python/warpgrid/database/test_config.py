"""The [database] section of warp.toml: the allow-list and its error messages."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from warpgrid.shims.database.config import DatabaseConfig, SecretError


def _cfg(**endpoints) -> DatabaseConfig:
    return DatabaseConfig.model_validate({"endpoints": endpoints})


PG = {"protocol": "postgres", "host": "db", "port": 5432, "database": "app", "user": "u"}


def test_defaults_and_per_endpoint_overrides():
    cfg = DatabaseConfig.model_validate({"pool_size": 4, "endpoints": {"a": PG, "b": {**PG, "port": 5433, "pool_size": 20}}})
    assert cfg.idle_timeout == 60 and cfg.checkout_timeout == 5
    assert cfg.pool_size_for(cfg.endpoints["a"]) == 4
    assert cfg.pool_size_for(cfg.endpoints["b"]) == 20
    assert DatabaseConfig().pool_size == 10


def test_unknown_key_is_rejected_with_its_name():
    with pytest.raises(ValidationError, match=r"endpoints\.a\.passwd"):
        _cfg(a={**PG, "passwd": "x"})
    with pytest.raises(ValidationError, match="pool_sise"):
        DatabaseConfig.model_validate({"pool_sise": 3})


def test_endpoint_shape_errors_say_what_to_do():
    with pytest.raises(ValidationError, match="needs `user`"):
        _cfg(a={**PG, "user": None})
    with pytest.raises(ValidationError, match="redis `database` is a db number"):
        _cfg(r={"protocol": "redis", "host": "r", "port": 6379, "database": "cache"})
    with pytest.raises(ValidationError, match="only one of password_env and password_file"):
        _cfg(a={**PG, "password_env": "X", "password_file": "/x"})
    with pytest.raises(ValidationError, match="set tls = true"):
        _cfg(a={**PG, "tls_ca_file": "/ca.pem"})
    with pytest.raises(ValidationError, match="protocol"):
        _cfg(a={**PG, "protocol": "oracle"})


def test_ambiguous_endpoints_are_rejected():
    with pytest.raises(ValidationError, match="'a' and 'b' both target"):
        _cfg(a=PG, b={**PG, "user": "other"})


def test_password_sources(tmp_path, monkeypatch):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    cfg = _cfg(f={**PG, "password_file": str(secret)}, e={**PG, "port": 1, "password_env": "WG_TEST_PW"})
    assert cfg.endpoints["f"].password("f") == "s3cret"
    monkeypatch.setenv("WG_TEST_PW", "from-env")
    assert cfg.endpoints["e"].password("e") == "from-env"
    monkeypatch.delenv("WG_TEST_PW")
    with pytest.raises(SecretError, match=r"\[database.endpoints.e\] password_env: .*WG_TEST_PW is not set"):
        cfg.endpoints["e"].password("e")
    secret.unlink()
    with pytest.raises(SecretError, match="cannot read"):
        cfg.endpoints["f"].password("f")


def test_warp_toml_section_loads(tmp_path):
    from warpgrid.config import load_config

    toml = tmp_path / "warp.toml"
    toml.write_text(
        "[shims]\ndatabase_proxy = true\n\n[database]\nidle_timeout = 30\n\n"
        "[database.endpoints.orders]\nprotocol = \"postgres\"\nhost = \"db.internal\"\nport = 5432\n"
        "database = \"orders\"\nuser = \"orders_app\"\npassword_env = \"ORDERS_PW\"\n")
    cfg = load_config(toml)
    assert cfg.database.endpoints["orders"].host == "db.internal"
    assert cfg.database.idle_timeout == 30
