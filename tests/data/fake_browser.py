#!/usr/bin/env python3
"""A stand-in for the browser in `oci-token login` tests (used as $BROWSER, URL as argv[1]).

It does what a person's browser does with the login flow: loads the login URL, takes the
redirect to the loopback `redirect_uri` with the token in the fragment, loads the hand-back
page, checks it is the page that posts the fragment back, and requests `/token?<fragment>` as
that page's script does. It runs detached, so it writes what happened to $FAKE_BROWSER_LOG."""
import os
import sys
import urllib.error
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    log = open(os.environ.get("FAKE_BROWSER_LOG", os.devnull), "a")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(sys.argv[1], timeout=10)
        print("no redirect", file=log)
        return
    except urllib.error.HTTPError as e:
        location = e.headers["Location"]
    base, _, fragment = location.partition("#")
    page = urllib.request.urlopen(base, timeout=10).read().decode()
    print("page", "XMLHttpRequest" in page and "window.location.hash" in page, file=log)
    answer = urllib.request.urlopen(base.rstrip("/") + "/token?" + fragment, timeout=10)
    print("token", answer.status, file=log)


main()
