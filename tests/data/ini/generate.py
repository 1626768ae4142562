#!/usr/bin/env python3
"""Records what Python's configparser (as the OCI SDK uses it: ConfigParser(interpolation=None),
read as UTF-8 text) makes of every *.ini here, as <case>.json. Run with Python 3.11."""
import configparser
import glob
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

for path in sorted(glob.glob(os.path.join(HERE, "*.ini"))):
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
        result = {
            "ok": True,
            "defaults": dict(parser.defaults()),
            "sections": [{"name": s, "items": dict(parser[s].items())} for s in parser.sections()],
        }
    except configparser.Error as e:
        result = {"ok": False, "error": type(e).__name__}
    with open(path[:-4] + ".json", "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
