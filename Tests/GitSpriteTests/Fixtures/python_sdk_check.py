"""Drives sprite-host with the official Python SDK (sprites-py), unchanged.

Usage: python python_sdk_check.py BASE_URL TOKEN
Prints one line per check and exits non-zero on the first failure.
"""
import sys

import sprites

url, token = sys.argv[1], sys.argv[2]
client = sprites.SpritesClient(token=token, base_url=url)


def check(name, cond, detail=""):
    if not cond:
        print(f"FAIL {name} {detail}")
        sys.exit(1)
    print(f"ok {name}")


sprite = client.create_sprite("py-sdk")
check("create", sprite.name == "py-sdk")

info = client.get_sprite("py-sdk")
check("get", info.name == "py-sdk")

names = [s.name for s in client.list_sprites().sprites]
check("list", "py-sdk" in names, names)

result = sprite.run("sh", "-c", "printf out; printf err >&2; exit 3", capture_output=True)
check("exec exit code", result.returncode == 3, result)
check("exec stdout", result.stdout == b"out", result.stdout)
check("exec stderr", result.stderr == b"err", result.stderr)

fs = sprite.filesystem("/home/sprite")
(fs / "hello.txt").write_text("hello from python")
check("fs roundtrip", (fs / "hello.txt").read_text() == "hello from python")
entries = [e.name for e in (fs / ".").iterdir()]
check("fs list", "hello.txt" in entries, entries)

cat = sprite.run("cat", "/home/sprite/hello.txt", capture_output=True)
check("exec sees fs", cat.stdout == b"hello from python", cat.stdout)

client.delete_sprite("py-sdk")
gone = [s.name for s in client.list_sprites().sprites]
check("delete", "py-sdk" not in gone, gone)
print("ALL OK")
