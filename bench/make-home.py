#!/usr/bin/env python3
"""Creates a benchmark OCI home: profile `bench` with a session laid out as
`oci session authenticate` leaves it. The token expires in 30 minutes (outside the 15-minute
refresh window, so `get` takes the fast path; a refresh extends it to 60 minutes).
Usage: make-home.py HOME_DIR"""
import base64
import json
import os
import shutil
import subprocess
import sys
import time

home = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
keys = os.path.join(here, "..", "tests", "data", "keys")
sess = os.path.join(home, ".oci", "sessions", "bench")
os.makedirs(sess, exist_ok=True)
key = os.path.join(sess, "oci_api_key.pem")
shutil.copy(os.path.join(keys, "pkcs8.pem"), key)
with open(key, "a") as f:
    f.write("OCI_API_KEY")


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


modulus = subprocess.run(["openssl", "rsa", "-in", os.path.join(keys, "pkcs8.pem"), "-noout", "-modulus"],
                         capture_output=True, text=True, check=True).stdout.strip().split("=", 1)[1]
now = int(time.time())
jwk = json.dumps({"kid": "bench", "n": b64(bytes.fromhex(modulus)), "e": "AQAB", "kty": "RSA", "alg": "RS256", "use": "sig"})
claims = {
    "sub": "ocid1.user.oc1..aaaaaaaabench", "iss": "authService.oracle.com", "ptype": "user",
    "sess_exp": time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime(now + 20 * 3600)),
    "aud": "oci", "pstype": "natv", "ttype": "login", "exp": now + 1800, "iat": now, "jti": "bench",
    "tenant": "ocid1.tenancy.oc1..aaaaaaaabench", "jwk": jwk,
}
token = ".".join([b64(b'{"alg":"RS256","typ":"JWT","kid":"bench"}'), b64(json.dumps(claims).encode()), b64(b"\x07" * 256)])
with open(os.path.join(sess, "token"), "w") as f:
    f.write(token)
fingerprint = open(os.path.join(keys, "fingerprint.txt")).read().strip()
with open(os.path.join(home, ".oci", "config"), "w") as f:
    f.write(f"[bench]\nfingerprint={fingerprint}\nkey_file={key}\ntenancy={claims['tenant']}\n"
            f"region=us-ashburn-1\nsecurity_token_file={os.path.join(sess, 'token')}\n")
for p in (key, os.path.join(sess, "token"), os.path.join(home, ".oci", "config")):
    os.chmod(p, 0o600)

# The same profile at the end of a config with 10,000 other profiles (parsing must stay linear).
with open(os.path.join(home, ".oci", "config-10k"), "w") as f:
    for i in range(10000):
        f.write(f"[profile{i}]\nuser=ocid1.user.oc1..u{i}\nfingerprint={fingerprint}\n"
                f"key_file=~/.oci/k{i}.pem\ntenancy=ocid1.tenancy.oc1..t\nregion=us-ashburn-1\n\n")
    f.write(open(os.path.join(home, ".oci", "config")).read())
os.chmod(os.path.join(home, ".oci", "config-10k"), 0o600)
