"""What tailor reads from sources: the world and run mode of C, the entry of a JS app."""

from __future__ import annotations

from warpgrid_pants.run.tailor import c_component_kind, is_bun_app, is_go_main, js_entry


def test_c_http_handler_is_recognised_by_its_header() -> None:
    source = b'#include <stdio.h>\n#include <warpgrid/http.h>\nvoid wg_handle(const struct wg_request *q, struct wg_response *r) {}\n'
    assert c_component_kind([source]) == "http"


def test_c_program_with_main_is_a_command() -> None:
    assert c_component_kind([b"int helper(void);", b"int main(int argc, char **argv) { return 0; }"]) == "command"


def test_c_sources_without_main_or_handler_are_no_component() -> None:
    assert c_component_kind([b"int add(int a, int b) { return a + b; }"]) is None


def test_js_entry_with_default_export() -> None:
    files = {"src/index.ts": b"import { Hono } from 'hono';\nconst app = new Hono();\nexport default app;\n"}
    assert js_entry(b'{"name": "web"}', files) == "src/index.ts"


def test_js_entry_declared_by_package_json() -> None:
    files = {"server.mjs": b"export const httpHandler = serve(app);\n", "src/index.ts": b"console.log(1)\n"}
    assert js_entry(b'{"module": "./server.mjs"}', files) == "server.mjs"


def test_js_without_a_fetch_style_export_is_not_proposed() -> None:
    assert js_entry(b"{}", {"index.js": b"module.exports = function () {};\n"}) is None


def test_bun_apps_are_left_to_the_bun_tailor() -> None:
    assert is_bun_app(b'{"devDependencies": {"@types/bun": "1.2.0"}}')
    assert not is_bun_app(b'{"dependencies": {"hono": "4.13.19"}}')


def test_go_main_package_is_a_component() -> None:
    files = {
        "main.go": b"// Package main serves.\n//go:build wasip1\n\npackage main\n\nimport \"net/http\"\n",
        "util.go": b"package main\n",
    }
    assert is_go_main(files)


def test_go_library_or_test_only_main_is_not_proposed() -> None:
    assert not is_go_main({"lib.go": b"package store\n\n// package main is a comment here\n"})
    assert not is_go_main({"main_test.go": b"package main\n", "lib.go": b"package lib\n"})
    assert not is_go_main({})
