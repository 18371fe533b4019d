#!/usr/bin/python3
"""mkwheel.py DIR NAME VERSION: a pure-Python wheel with one module, offline"""
import base64, hashlib, sys, zipfile
d, name, ver = sys.argv[1:4]
mod = name.replace("-", "_")
files = {f"{mod}/__init__.py": f"VERSION = {ver!r}\n",
         f"{mod}-{ver}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\nSummary: playc test\n",
         f"{mod}-{ver}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: playc-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
rec = []
for p, t in files.items():
    h = base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b"=").decode()
    rec.append(f"{p},sha256={h},{len(t.encode())}")
rec.append(f"{mod}-{ver}.dist-info/RECORD,,")
files[f"{mod}-{ver}.dist-info/RECORD"] = "\n".join(rec) + "\n"
with zipfile.ZipFile(f"{d}/{mod}-{ver}-py3-none-any.whl", "w") as z:
    for p, t in files.items():
        z.writestr(p, t)
