#!/bin/sh
# Regenerates the key fixtures (OpenSSL 3.0). Passphrase of the encrypted ones: test-pass.
# Every file holds the same 2048-bit RSA key, so they all share one fingerprint.
set -eu
cd "$(dirname "$0")"
openssl genrsa -traditional -out pkcs1.pem 2048
openssl pkcs8 -topk8 -nocrypt -in pkcs1.pem -out pkcs8.pem
openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -passout pass:test-pass -in pkcs1.pem -out pkcs8-aes256.pem
openssl pkcs8 -topk8 -v2 des3 -v2prf hmacWithSHA1 -passout pass:test-pass -in pkcs1.pem -out pkcs8-des3-sha1.pem
openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES -passout pass:test-pass -in pkcs1.pem -out pkcs8-pbes1.pem
openssl rsa -traditional -aes128 -passout pass:test-pass -in pkcs1.pem -out legacy-aes128.pem
openssl rsa -traditional -des3 -passout pass:test-pass -in pkcs1.pem -out legacy-des3.pem
openssl rsa -in pkcs1.pem -pubout -out public.pem
openssl rsa -in pkcs1.pem -pubout -outform DER | openssl md5 -c | sed 's/^.*= //' > fingerprint.txt
openssl ecparam -name prime256v1 -genkey -noout -out ec.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem

# PBKDF2 with 2,000,000 iterations: over the cap of 1,000,000, refused before any work.
openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 2000000 -in pkcs8.pem -passout pass:pw -out pbkdf2-2m-iterations.pem
