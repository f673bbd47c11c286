using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>CONNECT tunnels through the real proxy: TLS end to end, raw TCP, refusals before any dial.</summary>
public sealed class ConnectTests : IClassFixture<ProxyEnvironment>
{
    private readonly ProxyEnvironment _env;

    public ConnectTests(ProxyEnvironment env) => _env = env;

    [Fact]
    public async Task Connect_TlsToAllowedHost_EndToEnd()
    {
        var expected = _env.TlsCertificate;
        using (var client = _env.Proxy.CreateClient((_, cert, _, _) => cert is not null && cert.Thumbprint == expected.Thumbprint))
        {
            var response = await client.GetAsync($"https://secure.test:{_env.Tls.Port}/hello");
            Assert.Equal("hello from 127.0.0.1", await response.Content.ReadAsStringAsync());
        }

        // A tunnel's line is written when it closes, with its byte counts.
        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT" && l.Str("server.address") == "secure.test");
        Assert.Equal("allow", line.GetProperty("egressguard.decision").GetString());
        Assert.Equal(200, line.GetProperty("http.response.status_code").GetInt32());
        Assert.Equal("127.0.0.1", line.GetProperty("network.peer.address").GetString());
        Assert.Equal(_env.Tls.Port, line.GetProperty("network.peer.port").GetInt32());
        Assert.True(line.GetProperty("egressguard.bytes_up").GetInt64() > 0);
        Assert.True(line.GetProperty("egressguard.bytes_down").GetInt64() > 0);
    }

    [Fact]
    public async Task Connect_RawTcpWithBytesInSamePacket_TunnelledInOrder()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"CONNECT good.test:{_env.Echo.Port} HTTP/1.1\r\nHost: good.test:{_env.Echo.Port}\r\n\r\nhello, tunnel");
        var (head, after) = await raw.ReadHeadAsync();
        Assert.Equal("HTTP/1.1 200 Connection established\r\n\r\n", head);
        var echoed = after.Length >= 13 ? after : [.. after, .. await raw.ReadExactlyAsync(13 - after.Length)];
        Assert.Equal("hello, tunnel", Encoding.ASCII.GetString(echoed));

        await raw.SendAsync("second write");
        Assert.Equal("second write", Encoding.ASCII.GetString(await raw.ReadExactlyAsync(12)));
    }

    [Fact]
    public async Task Connect_ClientHalfClose_PropagatedToUpstream()
    {
        using var counter = new TcpTestServer(IPAddress.Loopback, countUntilEof: true);
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"CONNECT 127.0.0.1:{counter.Port} HTTP/1.1\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 200", head);
        await raw.SendAsync(new byte[100_000]);
        raw.Socket.Shutdown(SocketShutdown.Send);

        // The server only answers after it saw our FIN through the tunnel.
        var answer = Encoding.ASCII.GetString(await raw.ReadToEndAsync());
        Assert.Equal("received 100000 bytes", answer);
    }

    [Fact]
    public async Task Connect_Bulk_BothDirectionsIntact()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"CONNECT good.test:{_env.Echo.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
        var payload = new byte[4 * 1024 * 1024];
        new Random(7).NextBytes(payload);
        var send = raw.SendAsync(payload);
        var received = await raw.ReadExactlyAsync(payload.Length, TimeSpan.FromSeconds(30));
        await send;
        Assert.True(payload.AsSpan().SequenceEqual(received));
    }

    public static TheoryData<string, string, string> DeniedTargets => new()
    {
        // name,                   target,                 reason
        { "listed literal",        "127.0.0.66",           "ip-list" },
        { "decimal literal",       "2130706498",           "ip-list" },
        { "octal literal",         "0177.0.0.0102",        "ip-list" },
        { "mapped v6 literal",     "[::ffff:127.0.0.66]",  "ip-list" },
        { "nat64 literal",         "[64:ff9b::7f00:42]",   "ip-list" },
        { "6to4 literal",          "[2002:7f00:42::1]",    "ip-list" },
        { "teredo server literal", "[2001:0:7f00:42::1]",  "ip-list" },
        { "siit translated literal", "[::ffff:0:7f00:42]", "ip-list" },
        { "unspecified v6",        "[::]",                 "non-public" },
        { "zero address",          "0.0.0.0",              "non-public" },
        { "name to listed A",      "bad.test",             "ip-list" },
        { "one of two A listed",   "mixed.test",           "ip-list" },
        { "name on domain list",   "c2.test",              "domain-list" },
        { "subdomain wildcard",    "x.evil.test",          "domain-list" },
        { "cname on domain list",  "alias.test",           "domain-list" },
        { "private address",       "private.test",         "non-public" },
    };

    [Theory]
    [MemberData(nameof(DeniedTargets))]
    public async Task Connect_DeniedDestination_403InsteadOf200AndNothingDialled(string name, string host, string reason)
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"CONNECT {host}:{_env.BadEcho.Port} HTTP/1.1\r\nHost: {host}:{_env.BadEcho.Port}\r\n\r\nearly bytes");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.True(head.StartsWith("HTTP/1.1 403 Forbidden\r\n", StringComparison.Ordinal), $"{name}: {head}");
        Assert.Contains("X-EgressGuard-Decision: deny\r\n", head);
        Assert.Contains($"X-EgressGuard-Reason: {reason}\r\n", head);
        Assert.Contains("X-EgressGuard-Rule: ", head);
        Assert.Contains("Connection: close\r\n", head);
        Assert.Equal(0, _env.BadEcho.Connections);
        Assert.Equal(0, _env.Bad.Connections);
    }

    public static TheoryData<string, string, int> MalformedHeads => new()
    {
        { "no port",            "CONNECT good.test HTTP/1.1\r\n\r\n", 400 },
        { "port zero",          "CONNECT good.test:0 HTTP/1.1\r\n\r\n", 400 },
        { "port too large",     "CONNECT good.test:99999 HTTP/1.1\r\n\r\n", 400 },
        { "extra colon",        "CONNECT good.test:443:1 HTTP/1.1\r\n\r\n", 400 },
        { "userinfo",           "CONNECT u:p@good.test:443 HTTP/1.1\r\n\r\n", 400 },
        { "v6 without brackets","CONNECT ::1:443 HTTP/1.1\r\n\r\n", 400 },
        { "zone id",            "CONNECT [fe80::1%eth0]:443 HTTP/1.1\r\n\r\n", 400 },
        { "bad version",        "CONNECT good.test:443 HTTP/2.0\r\n\r\n", 400 },
        { "garbage target",     "CONNECT \u0001\u0002\u0003 HTTP/1.1\r\n\r\n", 400 },
        { "bare LF",            "CONNECT good.test:443 HTTP/1.1\nHost: x\r\n\r\n", 400 },
        { "obs-fold",           "CONNECT good.test:443 HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n", 400 },
        { "two spaces",         "CONNECT  good.test:443 HTTP/1.1\r\n\r\n", 400 },
        { "label over 63",      "CONNECT " + new string('a', 64) + ".test:443 HTTP/1.1\r\n\r\n", 400 },
        { "name over 253",      "CONNECT " + string.Join('.', Enumerable.Repeat(new string('b', 60), 5)) + ":443 HTTP/1.1\r\n\r\n", 400 },
        { "CR inside target",   "CONNECT good\r.test:443 HTTP/1.1\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(MalformedHeads))]
    public async Task Connect_MalformedHead_RefusedAndNothingDialled(string name, string request, int status)
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync(request);
        var (head, _) = await raw.ReadHeadAsync();
        Assert.True(head.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), $"{name}: {head}");
        Assert.Equal(0, _env.BadEcho.Connections);
    }

    [Fact]
    public async Task Connect_HeadOverCap_400()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        var padding = new string('a', 17 * 1024);
        await raw.SendAsync($"CONNECT good.test:{_env.Echo.Port} HTTP/1.1\r\nX-Pad: {padding}\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 400 ", head);
        var before = _env.Echo.Connections;
        Assert.Equal(before, _env.Echo.Connections);
    }

    [Fact]
    public async Task Connect_HeadSplitIntoSingleBytes_Works()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        foreach (var b in Encoding.ASCII.GetBytes($"CONNECT good.test:{_env.Echo.Port} HTTP/1.1\r\n\r\n"))
        {
            await raw.SendAsync([b]);
        }

        Assert.StartsWith("HTTP/1.1 200", (await raw.ReadHeadAsync()).Head);
    }

    [Fact]
    public async Task Connect_SlowHead_408AfterTimeout()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync("CONNECT good.test:443 HTTP/1.1\r\nHost: go");
        var (head, _) = await raw.ReadHeadAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 408 ", head);
    }

    [Fact]
    public async Task Connect_UpstreamRefuses_502()
    {
        var port = ForwardingTests.FreeTcpPort();
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"CONNECT good.test:{port} HTTP/1.1\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 502 ", head);
        Assert.Contains("X-EgressGuard-Error: connect-refused", head);
    }

    [Fact]
    public async Task Connect_DnsNxDomain_502NamesDnsError()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync("CONNECT nowhere.test:443 HTTP/1.1\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 502 ", head);
        Assert.Contains("X-EgressGuard-Reason: dns-nxdomain", head);
    }

    [Fact]
    public async Task Connect_DnsRebinding_TunnelGoesToCheckedAddress()
    {
        _env.Dns.Changing("rebind-connect.test", n => n == 1 ? IPAddress.Loopback : IPAddress.Parse("127.0.0.66"));
        var expected = _env.TlsCertificate;
        using var client = _env.Proxy.CreateClient((_, cert, _, _) => cert?.Thumbprint == expected.Thumbprint);
        var response = await client.GetAsync($"https://rebind-connect.test:{_env.Tls.Port}/whoami");
        Assert.Equal("local=127.0.0.1", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, _env.Bad.Connections);
    }

    [Fact]
    public async Task Connect_NonConnectOnSameListener_HandledByHttpPipeline()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync("C");
        await Task.Delay(50);
        await raw.SendAsync($"OPY http://good.test:{_env.Good.Port}/ HTTP/1.1\r\nHost: good.test\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        // "COPY" shares a prefix with "CONNECT" but is not one: it must reach Kestrel intact.
        Assert.StartsWith("HTTP/1.1 ", head);
        Assert.DoesNotContain("X-EgressGuard-Reason: bad-request", head);
    }

    [Fact]
    public async Task Connect_AfterForwardedRequestOnSameConnection_400AndClosed()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"GET http://good.test:{_env.Good.Port}/hello HTTP/1.1\r\nHost: good.test\r\n\r\n");
        var (first, after) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 200", first);
        Assert.Contains("Transfer-Encoding: chunked", first);
        var body = Encoding.ASCII.GetString(after);
        while (!body.EndsWith("0\r\n\r\n", StringComparison.Ordinal))
        {
            body += Encoding.ASCII.GetString(await raw.ReadExactlyAsync(1));
        }

        await raw.SendAsync($"CONNECT good.test:{_env.Echo.Port} HTTP/1.1\r\nHost: good.test\r\n\r\n");
        // The gate only sees a connection's first request; Kestrel refuses a later CONNECT and closes.
        var (second, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 400", second);
        Assert.Contains("Connection: close", second);
        Assert.Empty(await raw.ReadToEndAsync());
    }

    [Fact]
    public async Task Connect_UpstreamHalfClose_PropagatedToClientWhoCanStillSend()
    {
        // The upstream greets, shuts down its sending side, then keeps reading until our FIN.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await socket.SendAsync("hello"u8.ToArray());
            socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[65536];
            long total = 0;
            int read;
            while ((read = await socket.ReceiveAsync(buffer)) > 0)
            {
                total += read;
            }

            return total;
        });

        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n");
        var (head, after) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 200", head);
        var greeting = Encoding.ASCII.GetString([.. after, .. await raw.ReadToEndAsync()]);
        Assert.Equal("hello", greeting);

        // The client saw the upstream's FIN, and its own direction is still open.
        await raw.SendAsync(new byte[50_000]);
        raw.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(50_000, await server.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Connect_CnameLoop_502Bounded()
    {
        _env.Dns.Cname("loop1.test", "loop2.test").Cname("loop2.test", "loop1.test");
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync("CONNECT loop1.test:443 HTTP/1.1\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 502", head);
        Assert.Contains("X-EgressGuard-Reason: dns-cname-chain", head);
    }

    [Fact]
    public async Task Connect_VeryLongCnameChain_502Bounded()
    {
        for (var i = 0; i < 12; i++)
        {
            _env.Dns.Cname($"chain{i}.long.test", $"chain{i + 1}.long.test");
        }

        _env.Dns.A("chain12.long.test", "127.0.0.1");
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync("CONNECT chain0.long.test:443 HTTP/1.1\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 502", head);
        Assert.Contains("X-EgressGuard-Reason: dns-cname-chain", head);
    }

    [Fact]
    public async Task Connect_InternationalisedName_MatchedAsPunycode()
    {
        // "*.evil.test" is listed; the client writes the name with a non-ASCII label.
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync(Encoding.UTF8.GetBytes("CONNECT bücher.evil.test:443 HTTP/1.1\r\n\r\n"));
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 403", head);
        Assert.Contains("X-EgressGuard-Entry: *.evil.test", head);

        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync("http://xn--bcher-kva.evil.test/"); // what clients send
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("*.evil.test", response.Headers.GetValues("X-EgressGuard-Entry").Single());
    }
}
