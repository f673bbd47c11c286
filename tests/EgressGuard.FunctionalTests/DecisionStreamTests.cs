using System.Net;
using System.Text;
using System.Text.Json;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// The API the console added: <c>GET /decisions/stream</c> (Server-Sent Events) and
/// <c>GET /rules/history/{version}</c>, over real HTTP on loopback with real proxied requests.
/// </summary>
public sealed class DecisionStreamTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TcpTestServer _allowed = new(IPAddress.Parse("127.0.0.92"));
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _dns.A("denied.test", "127.0.0.99").A("allowed.test", "127.0.0.92");
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "");
        using var admin = _proxy.CreateAdminClient();
        (await admin.PostAsync("/rules", Json("""{"id":"block-denied","action":"deny","destinations":["denied.test"]}"""))).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _allowed.Dispose();
        _dns.Dispose();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task DecisionStream_NoToken_401()
    {
        using var anonymous = _proxy.CreateAdminClient(token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/decisions/stream", HttpCompletionOption.ResponseHeadersRead)).StatusCode);
    }

    [Fact]
    public async Task DecisionStream_DeniedRequest_EventWithDecisionLine()
    {
        using var admin = _proxy.CreateAdminClient();
        await using var events = await SseReader.OpenAsync(admin, "/decisions/stream");
        Assert.Equal("0", (await events.NextAsync("ready")).Data);

        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync("denied.test", 443));
        var line = JsonDocument.Parse((await events.NextAsync("decision")).Data).RootElement;
        Assert.Equal("deny", line.GetProperty("egressguard.decision").GetString());
        Assert.Equal("denied.test", line.GetProperty("server.address").GetString());
        Assert.Equal("rule:block-denied", line.GetProperty("egressguard.rule").GetString());
        Assert.Matches("^[0-9a-f]{32}$", line.GetProperty("trace_id").GetString());
    }

    [Fact]
    public async Task DecisionStream_Filtered_OnlyMatchingLines()
    {
        using var admin = _proxy.CreateAdminClient();
        await using var events = await SseReader.OpenAsync(admin, "/decisions/stream?decision=deny&destination=denied&client=127.0.0.1&reason=rule");
        await events.NextAsync("ready");

        Assert.StartsWith("HTTP/1.1 200", await ConnectAsync("allowed.test", _allowed.Port));
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync("denied.test", 443));
        var line = JsonDocument.Parse((await events.NextAsync("decision")).Data).RootElement;
        Assert.Equal("denied.test", line.GetProperty("server.address").GetString());
    }

    [Fact]
    public async Task DecisionStream_Backlog_OldestFirstThenReady()
    {
        // Refusals are logged at once (a tunnel's line only when it closes): their order is known.
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync("denied.test", 443));
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync("denied.test", 444));
        await _proxy.WaitForDecisionAsync(l => l.TryGetProperty("server.port", out var port) && port.GetInt32() == 444);
        using var admin = _proxy.CreateAdminClient();
        await using var events = await SseReader.OpenAsync(admin, "/decisions/stream?backlog=2");
        var first = JsonDocument.Parse((await events.NextAsync("decision")).Data).RootElement;
        var second = JsonDocument.Parse((await events.NextAsync("decision")).Data).RootElement;
        Assert.Equal(443, first.GetProperty("server.port").GetInt32());
        Assert.Equal(444, second.GetProperty("server.port").GetInt32());
        Assert.Equal("2", (await events.NextAsync("ready")).Data);
    }

    [Fact]
    public async Task RulesHistoryVersion_Stored_ReturnedAsDocument_UnknownIs404()
    {
        using var admin = _proxy.CreateAdminClient();
        (await admin.PostAsync("/rules", Json("""{"id":"second","action":"allow","destinations":["allowed.test"]}"""))).EnsureSuccessStatusCode();
        var history = JsonDocument.Parse(await admin.GetStringAsync("/rules/history")).RootElement;
        var versions = history.EnumerateArray().Select(v => v.GetProperty("version").GetInt64()).ToList();
        Assert.True(versions.Count >= 2, string.Join(",", versions));

        var newest = JsonDocument.Parse(await admin.GetStringAsync($"/rules/history/{versions[0]}")).RootElement;
        var older = JsonDocument.Parse(await admin.GetStringAsync($"/rules/history/{versions[1]}")).RootElement;
        Assert.Contains(newest.GetProperty("rules").EnumerateArray(), r => r.GetProperty("id").GetString() == "second");
        Assert.DoesNotContain(older.GetProperty("rules").EnumerateArray(), r => r.GetProperty("id").GetString() == "second");
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/rules/history/999999")).StatusCode);
    }

    [Fact]
    public async Task DecisionStream_ProgramStops_StreamEndsPromptly()
    {
        var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "");
        using var admin = proxy.CreateAdminClient();
        await using var events = await SseReader.OpenAsync(admin, "/decisions/stream");
        await events.NextAsync("ready");

        // An open stream must not hold the shutdown up to the host's timeout.
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        await proxy.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.InRange(stopped.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        await Assert.ThrowsAnyAsync<Exception>(() => events.NextAsync("decision", TimeSpan.FromSeconds(5)));
    }

    private async Task<string> ConnectAsync(string host, int port)
    {
        using var raw = await RawClient.ConnectAsync(_proxy.Port);
        await raw.SendAsync($"CONNECT {host}:{port} HTTP/1.1\r\n\r\n");
        return (await raw.ReadHeadAsync()).Head;
    }
}
