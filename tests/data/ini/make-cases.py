#!/usr/bin/env python3
"""Writes the INI corpus cases (exact bytes: CRLF, BOM, tabs) into this folder.
Run once; then run generate.py to record what Python's configparser makes of each."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = {
    "basic": "[p]\nuser=ocid1.user.oc1..u\nregion=us-ashburn-1\n",
    "default_inheritance": "[DEFAULT]\nregion=us-phoenix-1\ntenancy=ocid1.tenancy.oc1..t\n\n[p]\nuser=u\n\n[q]\nuser=v\n",
    "default_override": "[DEFAULT]\nregion=us-phoenix-1\n[p]\nregion=eu-frankfurt-1\n",
    "key_case": "[p]\nUSER=u\nKey_File=/k.pem\nRegion = r\n",
    "section_case": "[p1]\na=lower\n[P1]\na=upper\n",
    "section_spaces": "[ P1 ]\na=1\n[P1]\na=2\n",
    "colon_delim": "[p]\nregion: us-ashburn-1\nuser :u\n",
    "first_delim_wins": "[p]\na=b=c\nd:e=f\ng=h:i\nurl = https://host:8443/x\n",
    "inline_comment_kept": "[p]\nregion=us-ashburn-1 ; comment\nuser=u # not a comment\n",
    "comments": "# top\n; also top\n[p]\n# c1\n  ; indented comment\nk=v\n#k2=v2\n",
    "continuation": "[p]\nkey = first\n  second\n\tthird\nnext=1\n",
    "continuation_empty_lines": "[p]\nkey = a\n\n  b\n\n\nother = c\n\n\n",
    "continuation_with_comment": "[p]\nkey = a\n  # hidden\n  b\n",
    "duplicate_key": "[p]\nuser=a\nuser=b\n",
    "duplicate_key_case": "[p]\nKEY=a\nkey=b\n",
    "duplicate_section": "[p]\na=1\n[q]\n[p]\nb=2\n",
    "duplicate_default_sections": "[DEFAULT]\na=1\n[p]\n[DEFAULT]\nb=2\n",
    "duplicate_key_in_default": "[DEFAULT]\na=1\n[DEFAULT]\na=2\n",
    "bom": "\ufeff[DEFAULT]\nregion=r\n",
    "no_header": "region=us-ashburn-1\n[p]\n",
    "windows_path": "[p]\nkey_file=C:\\Users\\new\\key.pem\nother: C:\\temp\\x\n",
    "quotes": "[p]\npass_phrase=\"secret\"\nuser='u'\n",
    "tilde": "[p]\nkey_file=~/.oci/k.pem\nsecurity_token_file=~user/t\n",
    "crlf": "[p]\r\nuser=u\r\nregion=r\r\n",
    "cr_only": "[p]\ruser=u\rregion=r\r",
    "empty_value": "[p]\nuser=\nregion =\n",
    "lowercase_default": "[default]\nregion=lower\n[DEFAULT]\nregion=upper\n",
    "junk_line": "[p]\nthis line has no delimiter\nuser=u\n",
    "section_header_trailing": "[a] trailing\nk=v\n[b]]\nk=w\n",
    "unicode": "[prøfile]\nÄBC=wert\nregion=ü\n",
    "whitespace_around": "  [p]\n   key   =   value with  spaces   \n",
    "equals_in_passphrase": "[p]\npass_phrase=abc=def==\n",
    "empty_key": "[p]\n=value\n",
    "empty_file": "",
    "only_comments": "# nothing\n; here\n",
    "oci_cli_written": "\n\n[peer]\nfingerprint = 56:08:75:8f:ed:de:30:4a:0c:c7:e6:e8:64:eb:8d:7c\nkey_file = /home/u/.oci/sessions/peer/oci_api_key.pem\ntenancy = ocid1.tenancy.oc1..t\nregion = us-ashburn-1\nsecurity_token_file = /home/u/.oci/sessions/peer/token\n\n\n\n[browser]\nfingerprint=50:5a:25:04:48:76:0e:38:ad:6a:88:4b:1b:e8:cf:fe\nkey_file=/home/u/.oci/sessions/browser/oci_api_key.pem\n",
    "indented_key_after_section": "[p]\n  k=v\n  j=w\n",
}

for name, text in CASES.items():
    with open(os.path.join(HERE, name + ".ini"), "w", encoding="utf-8", newline="") as f:
        f.write(text)
