#!/usr/bin/python3
import json
print(json.dumps({"changed": False}))
