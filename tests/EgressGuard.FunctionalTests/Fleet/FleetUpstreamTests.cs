using System.Net;
using System.Text.Json;
using EgressGuard.FunctionalTests.Infrastructure;
using Npgsql;

namespace EgressGuard.FunctionalTests.Fleet;

/// <summary><c>egressguard.upstream</c> in the shared history: a row written by a node with a parent, read on another node.</summary>
public sealed class FleetUpstreamTests : IAsyncLifetime
{
    private readonly TestDnsServer _dns = new();
    private readonly TestParentProxy _parent = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-fleet", Guid.NewGuid().ToString("N"));
    private readonly List<TestProxy> _nodes = [];
    private PostgresServer? _postgres;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _postgres = await PostgresServer.StartIfAvailableAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        _parent.Dispose();
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<TestProxy> StartNodeAsync(string name, params string[] extra)
    {
        var node = await TestProxy.StartAsync(_dns.Endpoint, "", "", [
            $"--Store:Postgres={_postgres!.ConnectionString}", $"--Node:Name={name}", "--History:FlushInterval=00:00:00.100",
            $"--Data:Directory={Path.Combine(_dir, name)}", .. extra]);
        _nodes.Add(node);
        return node;
    }

    [PostgresFact]
    public async Task ForwardThroughParentOnNodeA_HistoryOnNodeB_RowSaysWhichParent()
    {
        var a = await StartNodeAsync("node-a", $"--Upstream:Proxy={_parent.Endpoint}");
        var b = await StartNodeAsync("node-b");
        await using var upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        using (var client = a.CreateClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://127.0.0.1:{upstream.Port}/hello")).StatusCode);
        }

        using var adminB = b.CreateAdminClient();
        var row = (JsonElement)await Eventually.ValueAsync(async () =>
            JsonSerializer.Deserialize<JsonElement[]>(await adminB.GetStringAsync("/history/connections?destination=127.0.0.1"))!
                .FirstOrDefault(r => r.GetProperty("port").GetInt32() == upstream.Port) is { ValueKind: JsonValueKind.Object } r ? (object)r : null,
            "node A's row in the shared history");

        Assert.Equal(("allow", _parent.Endpoint), (row.GetProperty("decision").GetString(), row.GetProperty("upstream").GetString()));
        await using var connection = new NpgsqlConnection(_postgres!.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM eg_connections WHERE upstream = $1", connection) { Parameters = { new() { Value = _parent.Endpoint } } };
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }
}
