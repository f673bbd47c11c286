using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EgressGuard.Admin;
using EgressGuard.Audit;
using EgressGuard.Cli;
using EgressGuard.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// Pins the admin API's JSON shapes (property names, their order, and which are null) so that a change to the
/// response types cannot silently change what the CLI and scripts read.
/// </summary>
public sealed class AdminWireFormatTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-wire", Guid.NewGuid().ToString("N"));
    private readonly TestDnsServer _dns = new();
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "c2.txt"), "127.0.0.77\n");
        Assert.Equal(0, CaCommand.Run(["init", "--out", _dir, "--name", "EgressGuard Wire Test CA"], TextWriter.Null, TextWriter.Null));
        _dns.A("c2.test", "127.0.0.77").A("good.test", "127.0.0.1");
        _proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "",
        [
            "--Feeds:0:Name=feodo", "--Feeds:0:Format=plain", $"--Feeds:0:Source={Path.Combine(_dir, "c2.txt")}",
            "--Feeds:0:Interval=01:00:00", "--Feeds:0:Hygiene=false", "--Feeds:0:Category=c2",
            $"--Data:Directory={Path.Combine(_dir, "data")}",
            "--Alerts:Webhooks:0:Url=http://127.0.0.1:9/hook", "--Alerts:Webhooks:0:Secret=0123456789abcdef0123",
            "--History:FlushInterval=00:00:00.100",
            "--Tls:Intercept:Mode=rules",
            $"--Tls:Intercept:CaCertificate={Path.Combine(_dir, CaCommand.CertificateFile)}",
            $"--Tls:Intercept:CaKey={Path.Combine(_dir, CaCommand.KeyFile)}",
        ]);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A value's shape: objects as their property names in order, arrays as their first element, scalars by kind.</summary>
    private static string Shape(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", e.EnumerateObject().Select(p => p.Name + ":" + Shape(p.Value))) + "}",
        JsonValueKind.Array => e.GetArrayLength() == 0 ? "[]" : "[" + Shape(e[0]) + "]",
        JsonValueKind.String => "s",
        JsonValueKind.Number => "n",
        JsonValueKind.True or JsonValueKind.False => "b",
        _ => "null",
    };

    private static async Task<string> ShapeOfAsync(HttpClient admin, string path) =>
        Shape(JsonDocument.Parse(await admin.GetStringAsync(path)).RootElement);

    [Fact]
    public async Task StatusFeedsSinks_Shapes_Pinned()
    {
        using var admin = _proxy.CreateAdminClient();
        // A hunt has run, so retroHunt.last is an object, not null.
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/history/retro-hunt", null)).StatusCode);
        await Eventually.UntilAsync(async () => (await _proxy.StatusAsync()).GetProperty("retroHunt").GetProperty("last").ValueKind == JsonValueKind.Object, "a retro-hunt in /status");
        Assert.Equal(
            "{policyVersion:n,rulesVersion:n,openConnections:n,openTunnels:n,rssBytes:n,managedHeapBytes:n,gcCollections:[n],threads:n,openFiles:n,"
            + "decisionLinesDropped:n,alertSinksDown:[],historyRecordsWritten:n,historyRecordsDropped:n,"
            + "retroHunt:{runs:n,last:{at:s,mode:s,policyVersion:n,entries:n,connections:n,evaluated:n,raised:n,durationMs:n}},node:s,store:{kind:s,node:s,state:s},uptimeSeconds:n,"
            + "interception:{mode:s,ca:s,caExpires:s,certificatesMinted:n},"
            + "memory:{gcMode:s,gcConcurrent:b,heapBytes:n,committedBytes:n,fragmentedBytes:n,workingSetBytes:n,privateBytes:n,nativeBytes:n}}",
            await ShapeOfAsync(admin, "/status"));
        Assert.Equal(
            "[{name:s,source:s,format:s,mode:s,category:s,required:b,loaded:b,entries:n,version:null,loadedAt:s,ageSeconds:n,fromCache:b,"
            + "lastAttempt:s,lastSuccess:s,lastError:null,consecutiveFailures:n,hygiene:s,droppedKnownGood:n}]",
            await ShapeOfAsync(admin, "/feeds"));
        Assert.Equal("[{at:s,entries:n,dropped:n}]", await ShapeOfAsync(admin, "/feeds/feodo/history"));
        Assert.Equal(
            "[{name:s,up:b,delivered:n,failures:n,dropped:n,consecutiveFailures:n,lastDelivered:null,lastFailure:null,lastError:null}]",
            await ShapeOfAsync(admin, "/alerts/sinks"));
    }

    [Fact]
    public async Task RulesAndExplain_Shapes_Pinned()
    {
        using var admin = _proxy.CreateAdminClient();
        var created = await admin.PostAsync("/rules", new StringContent("""{"id":"allow-good","action":"allow","destinations":["good.test"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var rules = await ShapeOfAsync(admin, "/rules");
        Assert.StartsWith("{version:n,file:s,defaultAction:s,rules:[{position:n,expired:b,rule:{", rules);
        Assert.Equal("[{version:n,time:s}]", await ShapeOfAsync(admin, "/rules/history"));

        var explain = await admin.PostAsJsonAsync("/explain", new { client = "127.0.0.1", destination = "c2.test", port = 443 });
        var body = JsonDocument.Parse(await explain.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(
            "{decision:{action:s,reason:s,rule:s,upstream:null,entry:s,matchedAddress:s,matchedName:null,target:s,resolvedAddresses:[s],cnames:[],approved:[],"
            + "matches:[{rule:s,entry:s,address:s,category:s,version:null,mode:s}],wouldDeny:null,detail:s},"
            + "status:n,steps:[{subject:s,rule:s,action:s,result:s,detail:null}],rulesVersion:n}",
            Shape(body));
        Assert.Equal("feed:feodo", body.GetProperty("decision").GetProperty("rule").GetString());
        Assert.Equal("enforce", body.GetProperty("decision").GetProperty("matches")[0].GetProperty("mode").GetString());
    }

    [Fact]
    public async Task AlertsQuarantineReport_Shapes_Pinned()
    {
        using (var client = _proxy.CreateClient())
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("http://c2.test/gate.php")).StatusCode);
        }

        using var admin = _proxy.CreateAdminClient();
        Assert.Equal(
            "[{type:s,id:s,kind:s,source:{address:s,name:null,user:null,groups:[]},destination:{name:s,port:n,addresses:[s]},method:s,rule:s,entry:s,"
            + "feed:s,category:s,firstSeen:s,lastSeen:s,count:n,traceId:s,summary:s,node:s}]",
            await ShapeOfAsync(admin, "/alerts"));

        var added = await admin.PostAsJsonAsync("/quarantine", new { address = "127.0.0.5", duration = "30m", reason = "IR-1" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        const string Entry = "{address:s,reason:s,since:s,until:s,by:s,alertId:null}";
        Assert.Equal(Entry, Shape(JsonDocument.Parse(await added.Content.ReadAsStringAsync()).RootElement));
        Assert.Equal("[" + Entry + "]", await ShapeOfAsync(admin, "/quarantine"));
        var audited = JsonDocument.Parse(_proxy.Services.GetRequiredService<AuditLog>().ReadAll()[^1]).RootElement;
        Assert.Equal("quarantine.add", audited.GetProperty("action").GetString());
        Assert.Equal(Entry, Shape(audited.GetProperty("after")));

        // The report counts what the history holds: wait until the denied request is written.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await ShapeOfAsync(admin, "/history/connections?destination=c2.test") == "[]")
        {
            Assert.True(DateTime.UtcNow < deadline, "the denied request never reached the history");
            await Task.Delay(50);
        }

        const string Counts = "[{key:s,count:n}]";
        Assert.Equal(
            $"{{from:s,to:s,history:b,blocked:{{bySource:{Counts},byUser:{Counts},byDestination:{Counts},byFeed:{Counts},byRule:{Counts}}},"
            + "topTalkers:[{client:s,user:null,groups:[],denies:n,destinations:n,rules:s,first:s,last:s}],"
            + "alerts:[{type:s,id:s,kind:s,source:{address:s,name:null,user:null,groups:[]},destination:{name:s,port:n,addresses:[s]},method:s,rule:s,entry:s,"
            + "feed:s,category:s,firstSeen:s,lastSeen:s,count:n,traceId:s,summary:s,node:s}],"
            + "quarantined:[" + Entry + "],changes:[{time:s,actor:s,action:s,subject:s}]}",
            await ShapeOfAsync(admin, "/report?since=1d"));
    }
}
