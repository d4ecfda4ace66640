"""Calls AWS with boto3's default credential chain only, so the suite can watch a real Python
application use the agent. One session and one client per service for the whole run, as a
long-running application keeps them.

usage: client.py sts | put <bucket> <key> | loop <seconds> <count> <action...>
Each result is printed as one JSON line on stdout.
"""
import json
import sys
import time
from datetime import datetime, timezone

import boto3
from botocore.config import Config

session = boto3.session.Session()
signed = {"key": None}


def remember_key(request, **_):
    auth = request.headers.get("Authorization", b"")
    auth = auth.decode() if isinstance(auth, bytes) else auth
    if "Credential=" in auth:
        signed["key"] = auth.split("Credential=")[1].split("/")[0]


clients = {}


def client(name):
    if name not in clients:
        c = session.client(name, config=Config(s3={"addressing_style": "path"}))
        c.meta.events.register("before-send", remember_key)
        clients[name] = c
    return clients[name]


def run(action):
    line = {"sdk": "boto3", "action": action[0]}
    try:
        if action[0] == "sts":
            line["arn"] = client("sts").get_caller_identity()["Arn"]
        elif action[0] == "put":
            client("s3").put_object(Bucket=action[1], Key=action[2], Body=b"written by boto3")
        else:
            raise ValueError("unknown action %s" % action[0])
        line["ok"] = True
        line["accessKeyId"] = signed["key"]
    except Exception as e:  # what the application sees, whatever it is
        line["ok"] = False
        line["error"] = "%s: %s" % (type(e).__name__, e)
    line["at"] = datetime.now(timezone.utc).isoformat()
    print(json.dumps(line), flush=True)
    return line["ok"]


def main(args):
    if not args:
        sys.exit("usage: client.py sts | put <bucket> <key> | loop <seconds> <count> <action...>")
    if args[0] != "loop":
        sys.exit(0 if run(args) else 1)
    seconds, count = float(args[1]), int(args[2])
    for i in range(count):
        if i > 0:
            time.sleep(seconds)
        run(args[3:])


main(sys.argv[1:])
