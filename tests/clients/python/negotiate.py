"""Kerberos (SPNEGO) for the proxy tests, with python3-gssapi from Debian (run with /usr/bin/python3).

usage: negotiate.py token HOST            prints a base64 SPNEGO token for HTTP@HOST (from KRB5CCNAME)
       negotiate.py fetch URL PROXYHOST PROXYPORT
                                          GET URL through the proxy with Proxy-Authorization: Negotiate,
                                          built by gssapi as requests-gssapi would; prints "STATUS <code>" and the body
"""
import base64
import http.client
import sys

import gssapi

SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")


def token(host):
    name = gssapi.Name("HTTP@" + host, gssapi.NameType.hostbased_service)
    context = gssapi.SecurityContext(name=name, usage="initiate", mech=SPNEGO)
    return base64.b64encode(context.step()).decode()


if sys.argv[1] == "token":
    print(token(sys.argv[2]))
elif sys.argv[1] == "fetch":
    url, proxy_host, proxy_port = sys.argv[2], sys.argv[3], int(sys.argv[4])
    connection = http.client.HTTPConnection(proxy_host, proxy_port, timeout=20)
    connection.request("GET", url, headers={"Proxy-Authorization": "Negotiate " + token(proxy_host)})
    response = connection.getresponse()
    print("STATUS", response.status)
    print(response.read().decode(errors="replace"))
else:
    sys.exit("usage: negotiate.py token HOST | fetch URL PROXYHOST PROXYPORT")
