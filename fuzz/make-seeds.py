#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into fuzz/seeds/<target>/ (committed).
INI and key seeds are not copied here: fuzz/run.sh adds tests/data/ini and tests/data/keys.
Run from anywhere: python3 fuzz/make-seeds.py (needs openssl for the certificate)."""
import base64, io, json, os, pathlib, subprocess, tempfile, zipfile

here = pathlib.Path(__file__).resolve().parent
data = here.parent / "tests" / "data"

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def jwt(claims, header={"alg": "RS256", "kid": "k"}):
    return ".".join([b64u(json.dumps(header).encode()), b64u(json.dumps(claims).encode()), b64u(b"signature")])

def put(target, name, content):
    d = here / "seeds" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(content if isinstance(content, bytes) else content.encode())

jwk = {"kty": "RSA", "n": "AQAB" * 8, "e": "AQAB", "kid": "Ignored"}
session = jwt({"sub": "ocid1.user.oc1..u", "tenant": "ocid1.tenancy.oc1..t", "iat": 1800000000,
               "exp": 1800003600, "sess_exp": "Thu, 16 Jan 2027 09:00:00 GMT", "jwk": json.dumps(jwk)})
put("jwt", "session", session)
put("jwt", "principal", jwt({"sub": "ocid1.instance.oc1..i", "res_tenant": "ocid1.tenancy.oc1..t",
                             "iat": 1800000000, "exp": 1800001200, "jwk": jwk, "ptype": "instance"}))
put("jwt", "service-account", jwt({"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:a:b",
                                   "exp": 1800003600}))
z = io.BytesIO()
with zipfile.ZipFile(z, "w") as f:
    f.writestr("config", "[x]\nkey_file = oci_api_key.pem\nsecurity_token_file = token\nregion = us-ashburn-1\n")
    f.writestr("token", session)
    f.writestr("oci_api_key.pem", (data / "keys" / "pkcs8.pem").read_text())
put("zip", "session.zip", z.getvalue())
put("kubeconfig", "oci", "apiVersion: v1\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      args:\n      - ce\n      - cluster\n      - generate-token\n      - --cluster-id\n      - ocid1.cluster.oc1.iad.aaaa\n      - --region\n      - us-ashburn-1\n      command: oci\n      env: []\n")
put("kubeconfig", "flow", "users:\n- name: u\n  user:\n    exec: # c\n      command: /usr/bin/oci\n      args: [\"ce\", cluster, 'generate-token', \"--cluster-id=x\", --auth, instance_principal]\n      env:\n      - name: OCI_CLI_PROFILE\n        value: sess\r\n")
put("exec_info", "v1", '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}')
put("exec_info", "v1beta1", '{"apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"server":"https://x"}}}')
put("query", "full", '{"profile":"p","region":"iad","min_valid":"5m","config_file":"~/.oci/config"}')
put("query", "empty", "{}")
put("registry", "host", "iad.ocir.io")
put("registry", "url", "https://ocir.us-ashburn-1.oci.oraclecloud.com/v2/")
put("registry", "docker-config", '{\n\t"auths": {},\n\t"credHelpers": {\n\t\t"gcr.io": "gcloud"\n\t}\n}')
put("registry", "duplicates", '{"credHelpers":{"a":"x","a":"y"},"auths":{}}')
put("oidc_state", "login", json.dumps({
    "version": 1, "issuer": "https://op", "client_id": "c", "client_secret_file": None, "scope": "openid",
    "token_endpoint": "https://op/token", "revocation_endpoint": None, "refresh_token": "rt",
    "access_token": "at", "id_token": jwt({"iss": "op", "sub": "alice", "exp": 1800000600}),
    "issued_at": 1800000000, "expires_at": 1800000600}))
with tempfile.TemporaryDirectory() as d:
    key, cert = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=ocid1.instance.oc1..i/OU=opc-certtype:instance/O=opc-tenant:ocid1.tenancy.oc1..t"],
                   check=True, capture_output=True)
    pem = pathlib.Path(cert).read_text()
    put("x509", "leaf.pem", pem)
    der = base64.b64decode("".join(l for l in pem.splitlines() if "-----" not in l))
    put("x509", "leaf.der", der)
