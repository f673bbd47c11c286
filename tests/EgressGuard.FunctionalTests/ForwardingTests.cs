using System.Net;
using System.Security.Cryptography;
using System.Text;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>Absolute-form http:// requests through the real proxy to real upstreams.</summary>
public class ForwardingTests : IClassFixture<ProxyEnvironment>
{
    private readonly ProxyEnvironment _env;

    public ForwardingTests(ProxyEnvironment env) => _env = env;

    private string GoodUrl(string host, string path) => $"http://{host}:{_env.Good.Port}{path}";

    [Fact]
    public async Task Get_AllowedName_ReturnsUpstreamResponseAndLogsDecision()
    {
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync(GoodUrl("good.test", "/hello?secret=1"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello from 127.0.0.1", await response.Content.ReadAsStringAsync());

        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("server.address") == "good.test" && l.Str("url.path") == "/hello");
        Assert.Equal("allow", line.GetProperty("egressguard.decision").GetString());
        Assert.Equal("GET", line.GetProperty("http.request.method").GetString());
        Assert.Equal(_env.Good.Port, line.GetProperty("server.port").GetInt32());
        Assert.Equal("127.0.0.1", line.GetProperty("network.peer.address").GetString());
        Assert.Equal(200, line.GetProperty("http.response.status_code").GetInt32());
        Assert.Equal("127.0.0.1", line.GetProperty("client.address").GetString());
        Assert.True(line.GetProperty("client.port").GetInt32() > 0);
        Assert.Equal(["127.0.0.1"], line.GetProperty("egressguard.resolved_addresses").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("hello from 127.0.0.1".Length, line.GetProperty("egressguard.bytes_down").GetInt64());
        Assert.Equal(32, line.GetProperty("trace_id").GetString()!.Length);
        Assert.True(line.TryGetProperty("egressguard.duration_ms", out _));
        Assert.True(line.TryGetProperty("time", out _));
    }

    [Fact]
    public async Task Get_OriginSendsProxyHeaders_NotRelayedToClient()
    {
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync(GoodUrl("good.test", "/proxy-auth"));
        Assert.Equal("origin", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Proxy-Authenticate"));
        Assert.False(response.Headers.Contains("Proxy-Authentication-Info"));
        Assert.Equal("1", response.Headers.GetValues("X-Kept").Single());
    }

    [Fact]
    public async Task Post_TenMiBBody_ArrivesIntact()
    {
        var body = new byte[10 * 1024 * 1024];
        new Random(42).NextBytes(body);
        using var client = _env.Proxy.CreateClient();
        var response = await client.PostAsync(GoodUrl("good.test", "/echo-hash"), new ByteArrayContent(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{body.Length} {Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/echo-hash" && l.GetProperty("egressguard.bytes_up").GetInt64() == body.Length);
        Assert.Equal("POST", line.GetProperty("http.request.method").GetString());
    }

    [Fact]
    public async Task Post_ChunkedUpload_ArrivesIntact()
    {
        var body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789", 50_000)));
        using var client = _env.Proxy.CreateClient();
        var content = new StreamContent(new MemoryStream(body));
        var request = new HttpRequestMessage(HttpMethod.Post, GoodUrl("good.test", "/echo-hash")) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await client.SendAsync(request);
        Assert.Equal($"{body.Length} {Convert.ToHexString(SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_ChunkedResponse_StreamedThrough()
    {
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync(GoodUrl("good.test", "/chunked"));
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Equal("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_LargeResponse_ContentLengthKept()
    {
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync(GoodUrl("good.test", "/big?mb=8"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(8L * 1024 * 1024, response.Content.Headers.ContentLength);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(8 * 1024 * 1024, bytes.Length);
    }

    [Fact]
    public async Task Forward_Headers_HostKeptProxyAndConnectionHeadersDroppedOnlyViaAdded()
    {
        using var client = _env.Proxy.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, GoodUrl("good.test", "/headers"));
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic c2VjcmV0OnNlY3JldA==");
        request.Headers.TryAddWithoutValidation("X-Drop-Me", "1");
        request.Headers.TryAddWithoutValidation("Connection", "X-Drop-Me");
        request.Headers.TryAddWithoutValidation("X-Keep-Me", "2");
        var text = await (await client.SendAsync(request)).Content.ReadAsStringAsync();
        var headers = text.Split('\n').Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty, StringComparer.OrdinalIgnoreCase);

        Assert.Equal($"good.test:{_env.Good.Port}", headers["Host"]);
        Assert.Equal("2", headers["X-Keep-Me"]);
        Assert.DoesNotContain("X-Drop-Me", headers.Keys);
        Assert.DoesNotContain(headers.Keys, k => k.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(headers.Keys, k => k.StartsWith("X-Forwarded", StringComparison.OrdinalIgnoreCase));
        // Our Via entry is the one header added (Proxy:Via, on by default): loops through a NAT are seen by it.
        var node = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<EgressGuard.Configuration.NodeOptions>(_env.Proxy.Services).Name;
        Assert.Equal($"1.1 egressguard-{node}", headers["Via"]);
        Assert.DoesNotContain("traceparent", headers.Keys);
    }

    public static TheoryData<string, string, string, string> DeniedTargets => new()
    {
        // name,                       host,            reason,         entry
        { "listed literal",            "127.0.0.66",    "ip-list",      "127.0.0.66" },
        { "decimal literal",           "2130706498",    "ip-list",      "127.0.0.66" },
        { "hex short literal",         "0x7f.0.0.0x42", "ip-list",      "127.0.0.66" },
        { "mapped v6 literal",         "[::ffff:7f00:42]", "ip-list",   "127.0.0.66" },
        { "name to listed A",          "bad.test",      "ip-list",      "127.0.0.66" },
        { "one of two A listed",       "mixed.test",    "ip-list",      "127.0.0.66" },
        { "name on domain list",       "c2.test",       "domain-list",  "c2.test" },
        { "upper-case trailing dot",   "C2.TEST.",      "domain-list",  "c2.test" },
        { "cname on domain list",      "alias.test",    "domain-list",  "*.evil.test" },
        { "private address",           "private.test",  "non-public",   "10.0.0.0/8" },
        { "metadata literal",          "169.254.169.254", "non-public", "169.254.0.0/16" },
    };

    [Theory]
    [MemberData(nameof(DeniedTargets))]
    public async Task Get_DeniedDestination_403WithReasonAndNothingDialled(string name, string host, string reason, string entry)
    {
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync(GoodUrl(host, "/hello"));
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, name);
        Assert.Equal("deny", response.Headers.GetValues("X-EgressGuard-Decision").Single());
        Assert.Equal(reason, response.Headers.GetValues("X-EgressGuard-Reason").Single());
        Assert.Equal(entry, response.Headers.GetValues("X-EgressGuard-Entry").Single());
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("EgressGuard blocked GET", body);
        var reference = response.Headers.GetValues("X-EgressGuard-Reference").Single();

        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("trace_id") == reference);
        Assert.Equal("deny", line.GetProperty("egressguard.decision").GetString());
        Assert.Equal(reason, line.GetProperty("egressguard.reason").GetString());
        Assert.Equal(entry, line.GetProperty("egressguard.entry").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, line.GetProperty("network.peer.address").ValueKind);
        Assert.Equal(403, line.GetProperty("http.response.status_code").GetInt32());
        Assert.Equal(0, _env.Bad.Connections);
    }

    [Fact]
    public async Task Get_OneOfTwoAddressesListed_LogNamesListedAndAllResolved()
    {
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync(GoodUrl("mixed.test", "/hello"));
        var reference = response.Headers.GetValues("X-EgressGuard-Reference").Single();
        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("trace_id") == reference);
        Assert.Equal("127.0.0.66", line.GetProperty("egressguard.matched_address").GetString());
        Assert.Equal("list:test-bad-ips", line.GetProperty("egressguard.rule").GetString());
        Assert.Equal(["127.0.0.1", "127.0.0.66"], line.GetProperty("egressguard.resolved_addresses").EnumerateArray().Select(e => e.GetString()).Order());
    }

    [Fact]
    public async Task Get_CnameChainToAllowedName_Allowed()
    {
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync(GoodUrl("chain.test", "/whoami"));
        Assert.Equal("local=127.0.0.1", await response.Content.ReadAsStringAsync());
        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("server.address") == "chain.test");
        Assert.Equal(["good.test"], line.GetProperty("egressguard.cnames").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Get_DnsRebinding_DialsTheCheckedAddress()
    {
        // rebind.test answers 127.0.0.1 once (TTL 0), then the listed 127.0.0.66.
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync(GoodUrl("rebind.test", "/whoami"));
        Assert.Equal("local=127.0.0.1", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, _env.Bad.Connections);
        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("server.address") == "rebind.test");
        Assert.Equal("127.0.0.1", line.GetProperty("network.peer.address").GetString());
    }

    [Theory]
    [InlineData("nxdomain.test", "dns-nxdomain", 502)]
    [InlineData("servfail.test", "dns-servfail", 502)]
    public async Task Get_DnsFailure_502NamingTheError(string host, string reason, int status)
    {
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync(GoodUrl(host, "/hello"));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(reason, response.Headers.GetValues("X-EgressGuard-Reason").Single());
        Assert.Contains(host, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_UpstreamRefuses_502ConnectRefused()
    {
        var port = FreeTcpPort();
        using var client = _env.Proxy.CreateClient();
        var response = await client.GetAsync($"http://good.test:{port}/");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("connect-refused", response.Headers.GetValues("X-EgressGuard-Error").Single());
        var line = await _env.Proxy.WaitForDecisionAsync(l => l.Str("server.port") == port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("connect-refused", line.GetProperty("error.type").GetString());
        Assert.Equal(502, line.GetProperty("http.response.status_code").GetInt32());
    }

    [Fact]
    public async Task Get_OriginForm_400ExplainsHowToUseAProxy()
    {
        using var client = new HttpClient();
        var response = await client.GetAsync($"{_env.Proxy.Url}/something");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("configure it as your proxy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_Healthz_Ok()
    {
        using var client = new HttpClient();
        Assert.Equal("ok\n", await client.GetStringAsync($"{_env.Proxy.Url}/healthz"));
    }

    [Fact]
    public async Task Get_HttpsAbsoluteForm_400PointsAtConnect()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync("GET https://good.test/ HTTP/1.1\r\nHost: good.test\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 400", head);
    }

    [Fact]
    public async Task Get_UserinfoInUrl_400()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"GET http://user:pw@good.test:{_env.Good.Port}/ HTTP/1.1\r\nHost: good.test\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 400", head);
        Assert.Equal(0, _env.Bad.Connections);
    }

    [Fact]
    public async Task Get_HostHeaderDisagreesWithUrl_PolicyDecidesOnUrlAuthority()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync($"GET http://2130706498:{_env.Good.Port}/hello HTTP/1.1\r\nHost: good.test\r\n\r\n");
        var (head, _) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 403", head);
        Assert.Contains("X-EgressGuard-Reason: ip-list", head);
        Assert.Equal(0, _env.Bad.Connections);
    }

    internal static int FreeTcpPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task Post_ExpectContinue_Forwarded()
    {
        using var client = _env.Proxy.CreateClient();
        var body = new byte[200_000];
        var request = new HttpRequestMessage(HttpMethod.Post, GoodUrl("good.test", "/echo-hash")) { Content = new ByteArrayContent(body) };
        request.Headers.ExpectContinue = true;
        var response = await client.SendAsync(request);
        Assert.StartsWith("200000 ", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WebSocket_OverAbsoluteForm_UpgradedAndPiped()
    {
        using var raw = await RawClient.ConnectAsync(_env.Proxy.Port);
        await raw.SendAsync(
            $"GET http://good.test:{_env.Good.Port}/ws HTTP/1.1\r\nHost: good.test:{_env.Good.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        var (head, after) = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 101", head);

        // A masked text frame "hi"; the upstream echoes it back unmasked.
        byte[] mask = [1, 2, 3, 4];
        await raw.SendAsync([0x81, 0x82, .. mask, (byte)('h' ^ 1), (byte)('i' ^ 2)]);
        var frame = after.Length >= 4 ? after : [.. after, .. await raw.ReadExactlyAsync(4 - after.Length)];
        Assert.Equal(0x81, frame[0]);
        Assert.Equal(2, frame[1]);
        Assert.Equal("hi", Encoding.ASCII.GetString(frame, 2, 2));
    }

    /// <summary>A client whose connections to the proxy come from <paramref name="source"/> (a loopback address of its own).</summary>
    private HttpClient ClientFrom(string source)
    {
        var handler = new SocketsHttpHandler
        {
            Proxy = new WebProxy(_env.Proxy.Url),
            UseProxy = true,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                await socket.ConnectAsync(IPAddress.Loopback, _env.Proxy.Port, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
    }

    [Fact]
    public async Task Get_TwoClientAddresses_UpstreamConnectionsNotSharedButReusedPerClient()
    {
        // The upstream answers with the port of the connection each request came on: one port, one connection.
        using var first = ClientFrom("127.0.0.2");
        using var second = ClientFrom("127.0.0.3");
        var url = GoodUrl("good.test", "/peer-port");
        var firstPorts = new[] { await first.GetStringAsync(url), await first.GetStringAsync(url) };
        var secondPorts = new[] { await second.GetStringAsync(url), await second.GetStringAsync(url) };
        var againFirst = await first.GetStringAsync(url);

        Assert.Equal(firstPorts[0], firstPorts[1]);
        Assert.Equal(firstPorts[0], againFirst);
        Assert.Equal(secondPorts[0], secondPorts[1]);
        Assert.NotEqual(firstPorts[0], secondPorts[0]);
    }
}
