"""Fetch one URL through an HTTP proxy with Python's standard library only (urllib.request + ProxyHandler).

usage: fetch.py URL PROXY [CAFILE]
Prints "STATUS <code>" and the body, or "ERROR <message>" (exit 2) when no HTTP response came back,
as for a CONNECT the proxy refused ("Tunnel connection failed: 403 Forbidden").
"""
import ssl
import sys
import urllib.error
import urllib.request

url, proxy = sys.argv[1], sys.argv[2]
cafile = sys.argv[3] if len(sys.argv) > 3 else None
context = ssl.create_default_context(cafile=cafile)
opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({"http": proxy, "https": proxy}),
    urllib.request.HTTPSHandler(context=context),
)
try:
    with opener.open(url, timeout=20) as response:
        print("STATUS", response.status)
        print(response.read().decode("utf-8", "replace"))
except urllib.error.HTTPError as error:
    print("STATUS", error.code)
    print(error.read().decode("utf-8", "replace"))
except Exception as error:  # URLError / OSError: no HTTP response from the origin
    print("ERROR", error)
    sys.exit(2)
