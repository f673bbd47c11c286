using System.Text;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests.Kerberos;

/// <summary>
/// Kerberos single sign-on against a real MIT KDC: real <c>kinit</c>, real
/// <c>curl --proxy-negotiate</c>, python3-gssapi tokens for exact-byte cases, through HTTP and CONNECT.
/// </summary>
[Collection(KerberosTestGroup.Name)]
public sealed class NegotiateTests
{
    private static readonly string NegotiateScript = Path.Combine(ClientPrograms.RepoRoot, "tests", "clients", "python", "negotiate.py");
    private readonly KerberosFixture _fixture;

    public NegotiateTests(KerberosFixture fixture) => _fixture = fixture;

    private string AppUrl(string path = "/hello") => $"http://app.test:{_fixture.Upstream.Port}{path}";

    private Task<TestProxy> StartAsync(string mode = "negotiate", params string[] extra) =>
        TestProxy.StartAsync(_fixture.Dns.Endpoint, "", "", [
            $"--Auth:Mode={mode}",
            $"--Auth:Negotiate:Keytab={_fixture.Kdc.ServiceKeytab}",
            $"--Auth:Negotiate:ServicePrincipal={TestKdc.ServicePrincipal}",
            .. extra]);

    /// <summary>curl through the proxy as <c>localhost</c> (the service principal's host), with Negotiate.</summary>
    private async Task<(int Exit, string Out, string Err)> CurlAsync(TestProxy proxy, string cache, params string[] args) =>
        await ClientPrograms.RunAsync("curl", ["-sS", "-v", "--max-time", "20", "-x", $"http://{TestKdc.ServiceHost}:{proxy.Port}", "--proxy-negotiate", "-U", ":", .. args], _fixture.Kdc.ClientEnvironment(cache));

    private async Task<string> TokenAsync(string cache)
    {
        var (exit, stdout, stderr) = await ClientPrograms.RunAsync(KerberosFactAttribute.SystemPython, [NegotiateScript, "token", TestKdc.ServiceHost], _fixture.Kdc.ClientEnvironment(cache));
        Assert.True(exit == 0, stderr);
        return stdout.Trim();
    }

    private static async Task<string> GetAsync(RawClient raw, string url, string? authorization)
    {
        await raw.SendAsync($"GET {url} HTTP/1.1\r\nHost: app.test\r\n" + (authorization is null ? string.Empty : $"Proxy-Authorization: {authorization}\r\n") + "\r\n");
        var (head, after) = await raw.ReadHeadAsync();
        var length = System.Text.RegularExpressions.Regex.Match(head, @"Content-Length: (\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        var body = new List<byte>(after);
        var chunk = new byte[4096];
        while (length.Success && body.Count < int.Parse(length.Groups[1].Value))
        {
            var read = await raw.Socket.ReceiveAsync(chunk);
            if (read == 0)
            {
                break;
            }

            body.AddRange(chunk.AsSpan(0, read).ToArray());
        }

        // A chunked body ends with its last chunk, which may arrive in a later segment than the
        // head: read it all, or the next response on this kept-alive connection starts with it.
        var chunked = head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase);
        while (chunked && !Encoding.ASCII.GetString(body.ToArray()).EndsWith("0\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await raw.Socket.ReceiveAsync(chunk);
            if (read == 0)
            {
                break;
            }

            body.AddRange(chunk.AsSpan(0, read).ToArray());
        }

        return head + Encoding.UTF8.GetString(body.ToArray());
    }

    /// <summary>No SPNEGO token (they start "YII", base64 of the GSSAPI framing) and no given secret in any log.</summary>
    private static void AssertNoTokenLogged(TestProxy proxy, params string[] secrets)
    {
        var everything = string.Join("\n", proxy.Logs.Lines) + "\n" + (File.Exists(proxy.DecisionLogPath) ? File.ReadAllText(proxy.DecisionLogPath) : string.Empty);
        Assert.DoesNotContain("Negotiate YII", everything);
        Assert.DoesNotContain("YIIC", everything);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, everything);
            Assert.DoesNotContain(secret[..Math.Min(40, secret.Length)], everything);
        }
    }

    [KerberosFact]
    public async Task Curl_NoTicket_407WithNegotiateChallenge()
    {
        await using var proxy = await StartAsync();
        var (exit, _, err) = await CurlAsync(proxy, _fixture.Kdc.NewCache(), AppUrl());
        Assert.Equal(0, exit);
        Assert.Contains("< HTTP/1.1 407", err);
        Assert.Contains("< Proxy-Authenticate: Negotiate", err);
        Assert.DoesNotContain("Basic", err.Split('\n').Where(l => l.StartsWith("< Proxy-Authenticate", StringComparison.Ordinal)).FirstOrDefault() ?? "");
        var line = await proxy.WaitForDecisionAsync(_ => true);
        Assert.Null(line.Str("enduser.id"));
    }

    [KerberosFact]
    public async Task Curl_GoodTicket_HttpAndConnect_200AsThePrincipal()
    {
        await using var proxy = await StartAsync();
        var cache = await _fixture.Kdc.KinitAsync("alice");

        var http = await CurlAsync(proxy, cache, AppUrl());
        Assert.True(http.Exit == 0, http.Err);
        Assert.StartsWith("hello from", http.Out);
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "GET");
        Assert.Equal("alice@" + TestKdc.Realm, line.Str("enduser.id"));

        // CONNECT (-p): the tunnel authenticates once; two requests ride it.
        var tunnel = await CurlAsync(proxy, cache, "-p", AppUrl(), AppUrl("/whoami"));
        Assert.True(tunnel.Exit == 0, tunnel.Err);
        Assert.Contains("hello from", tunnel.Out);
        Assert.Contains("local=", tunnel.Out);
        var connect = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "CONNECT");
        Assert.Equal("alice@" + TestKdc.Realm, connect.Str("enduser.id"));
        Assert.Equal("allow", connect.Str("egressguard.decision"));
        Assert.Single(proxy.ReadDecisions(), l => l.Str("http.request.method") == "CONNECT");
        AssertNoTokenLogged(proxy);
    }

    [KerberosFact]
    public async Task KeepAlive_AfterNegotiate_LaterRequestsNeedNoToken_NewConnectionDoes()
    {
        await using var proxy = await StartAsync();
        var token = await TokenAsync(await _fixture.Kdc.KinitAsync("bob"));

        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            Assert.StartsWith("HTTP/1.1 200", await GetAsync(raw, AppUrl(), "Negotiate " + token));
            var second = await GetAsync(raw, AppUrl("/whoami"), null);
            Assert.StartsWith("HTTP/1.1 200", second);
            Assert.Contains("local=", second);
        }

        var lines = await WaitForCountAsync(proxy, 2);
        Assert.All(lines, l => Assert.Equal("bob@" + TestKdc.Realm, l.Str("enduser.id")));

        using var fresh = await RawClient.ConnectAsync(proxy.Port);
        Assert.StartsWith("HTTP/1.1 407", await GetAsync(fresh, AppUrl(), null));
        AssertNoTokenLogged(proxy, token);
    }

    [KerberosFact]
    public async Task ForgedAndReplayedTokens_407_LoggedWithoutTheToken()
    {
        await using var proxy = await StartAsync();
        var token = await TokenAsync(await _fixture.Kdc.KinitAsync("alice"));

        // Forged: the ticket's encrypted part altered (the integrity check fails).
        var bytes = Convert.FromBase64String(token);
        bytes[bytes.Length / 2] ^= 0x5A;
        var forged = Convert.ToBase64String(bytes);
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            var response = await GetAsync(raw, AppUrl(), "Negotiate " + forged);
            Assert.StartsWith("HTTP/1.1 407", response);
            Assert.Contains("Proxy-Authenticate: Negotiate", response);
        }

        // Accepted once, then replayed on another connection: the replay cache refuses it.
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            Assert.StartsWith("HTTP/1.1 200", await GetAsync(raw, AppUrl(), "Negotiate " + token));
        }

        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            Assert.StartsWith("HTTP/1.1 407", await GetAsync(raw, AppUrl(), "Negotiate " + token));
        }

        await WaitForLogAsync(proxy, "Negotiate (Kerberos) proxy authentication failed from 127.0.0.1", 2);
        AssertNoTokenLogged(proxy, token, forged);
    }

    [KerberosFact]
    public async Task ExpiredTicket_Token407_ClearLogLine()
    {
        await using var proxy = await StartAsync();
        // Long enough that building two tokens and the first request fit in it on a loaded machine
        // (3 s did not: the "fresh" token was sometimes already expired).
        var lifetime = TimeSpan.FromSeconds(8);
        var cache = await _fixture.Kdc.KinitAsync("carol", lifetime);
        var expired = DateTime.UtcNow + lifetime + TimeSpan.FromSeconds(3 + 1); // lifetime + clockskew (3 s) + margin
        // The stale one first: krb5.conf's clockskew is 3 s, so a token's authenticator must reach
        // the proxy within seconds of being made, and building a token takes a python process
        // (the fresh token built first was sometimes rejected for skew on a loaded machine).
        var stale = await TokenAsync(cache);
        var fresh = await TokenAsync(cache);

        // The same ticket, while valid: accepted (so the 407 below is the expiry, nothing else).
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            var head = await GetAsync(raw, AppUrl(), "Negotiate " + fresh);
            Assert.True(head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), head + "\n" + string.Join("\n", proxy.Logs.Lines.Where(l => l.Contains("Negotiate (Kerberos)", StringComparison.Ordinal))));
        }

        while (DateTime.UtcNow < expired)
        {
            await Task.Delay(100);
        }

        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            Assert.StartsWith("HTTP/1.1 407", await GetAsync(raw, AppUrl(), "Negotiate " + stale));
        }

        await WaitForLogAsync(proxy, "Negotiate (Kerberos) proxy authentication failed from 127.0.0.1: Rejected", 1);
        AssertNoTokenLogged(proxy, fresh, stale);
    }

    [KerberosFact]
    public async Task Ntlm_Refused_WithAClearLogLine_NoFallback()
    {
        await using var proxy = await StartAsync();
        const string NtlmNegotiate = "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==";
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            var response = await GetAsync(raw, AppUrl(), "NTLM " + NtlmNegotiate);
            Assert.StartsWith("HTTP/1.1 407", response);
            Assert.DoesNotContain("NTLM", response.Split("\r\n\r\n")[0]);
        }

        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            Assert.StartsWith("HTTP/1.1 407", await GetAsync(raw, AppUrl(), "Negotiate " + NtlmNegotiate));
        }

        await WaitForLogAsync(proxy, "NTLM proxy authentication refused from 127.0.0.1", 2);
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("NTLM is deprecated and never accepted", StringComparison.Ordinal));
    }

    [KerberosFact]
    public async Task NegotiateAndBasic_TwoChallengeHeadersNegotiateFirst_EitherSignsIn()
    {
        var usersFile = Path.Combine(_fixture.Kdc.Directory, "users-" + Guid.NewGuid().ToString("N") + ".json");
        using (var output = new StringWriter())
        using (var error = new StringWriter())
        {
            Assert.Equal(0, EgressGuard.Cli.UsersCommand.Run(["add", "build-bot", "--groups", "ci", "--password-stdin", "--iterations", "10000", "--file", usersFile], new StringReader("bot password\n"), output, error, interactive: false));
        }

        await using var proxy = await StartAsync("negotiate,basic", $"--Auth:UsersFile={usersFile}");

        // Two Proxy-Authenticate headers, Negotiate first, on a forwarded request and on a CONNECT.
        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            var challenge = await GetAsync(raw, AppUrl(), null);
            Assert.StartsWith("HTTP/1.1 407", challenge);
            Assert.Equal(["Negotiate", "Basic realm=\"EgressGuard\""], ChallengesOf(challenge));
        }

        using (var raw = await RawClient.ConnectAsync(proxy.Port))
        {
            await raw.SendAsync($"CONNECT app.test:{_fixture.Upstream.Port} HTTP/1.1\r\nHost: app.test:{_fixture.Upstream.Port}\r\n\r\n");
            var (head, _) = await raw.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 407", head);
            Assert.Equal(["Negotiate", "Basic realm=\"EgressGuard\""], ChallengesOf(head));
        }

        var kerberos = await CurlAsync(proxy, await _fixture.Kdc.KinitAsync("alice"), AppUrl());
        Assert.True(kerberos.Exit == 0 && kerberos.Out.StartsWith("hello from", StringComparison.Ordinal), kerberos.Err);

        var basic = await ClientPrograms.RunAsync("curl", ["-sS", "--max-time", "20", "-x", $"http://127.0.0.1:{proxy.Port}", "--proxy-basic", "-U", "build-bot:bot password", AppUrl()]);
        Assert.True(basic.Exit == 0 && basic.Out.StartsWith("hello from", StringComparison.Ordinal), basic.Err);
        await proxy.WaitForDecisionAsync(l => l.Str("enduser.id") == "alice@" + TestKdc.Realm);
        await proxy.WaitForDecisionAsync(l => l.Str("enduser.id") == "build-bot");
    }

    [KerberosFact]
    public async Task Python_GssapiNegotiateHeader_200AsThePrincipal()
    {
        await using var proxy = await StartAsync();
        var cache = await _fixture.Kdc.KinitAsync("dave");
        var (exit, stdout, stderr) = await ClientPrograms.RunAsync(KerberosFactAttribute.SystemPython, [NegotiateScript, "fetch", AppUrl(), TestKdc.ServiceHost, proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], _fixture.Kdc.ClientEnvironment(cache));
        Assert.True(exit == 0, stderr);
        Assert.StartsWith("STATUS 200", stdout);
        var line = await proxy.WaitForDecisionAsync(l => l.Str("http.request.method") == "GET");
        Assert.Equal("dave@" + TestKdc.Realm, line.Str("enduser.id"));
    }

    [KerberosFact]
    public async Task Start_ServicePrincipalNotInKeytab_RefusedListingWhatTheKeytabHolds()
    {
        var error = await Assert.ThrowsAsync<EgressGuard.Configuration.ConfigurationErrorsException>(() => TestProxy.StartAsync(_fixture.Dns.Endpoint, "", "", [
            "--Auth:Mode=negotiate",
            $"--Auth:Negotiate:Keytab={_fixture.Kdc.ServiceKeytab}",
            "--Auth:Negotiate:ServicePrincipal=HTTP/proxy.elsewhere@" + TestKdc.Realm]));
        Assert.Contains("not in the keytab", error.Message);
        Assert.Contains(TestKdc.ServicePrincipal, error.Message);
    }

    /// <summary>The values of every <c>Proxy-Authenticate</c> header in a response head, in order.</summary>
    private static string[] ChallengesOf(string response) =>
        [.. response.Split("\r\n\r\n")[0].Split("\r\n")
            .Where(l => l.StartsWith("Proxy-Authenticate:", StringComparison.OrdinalIgnoreCase))
            .Select(l => l["Proxy-Authenticate:".Length..].Trim())];

    private static async Task<List<System.Text.Json.JsonElement>> WaitForCountAsync(TestProxy proxy, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (proxy.ReadDecisions().Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(25);
        }

        var lines = proxy.ReadDecisions();
        Assert.Equal(count, lines.Count);
        return lines;
    }

    private static async Task WaitForLogAsync(TestProxy proxy, string text, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (proxy.Logs.Lines.Count(l => l.Contains(text, StringComparison.Ordinal)) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"fewer than {count} log lines with '{text}':\n" + string.Join("\n", proxy.Logs.Lines));
            await Task.Delay(25);
        }
    }
}
