using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests.Kerberos;

/// <summary>
/// A real browser signing in to the proxy without a prompt: Debian's Chromium, headless, with a
/// ticket from the test KDC, the proxy in its Negotiate allowlist, fetching a page through it.
/// </summary>
[Collection(KerberosTestGroup.Name)]
public sealed class ChromiumNegotiateTests
{
    private readonly KerberosFixture _fixture;

    public ChromiumNegotiateTests(KerberosFixture fixture) => _fixture = fixture;

    [KerberosChromiumFact]
    public async Task Chromium_TicketAndAllowlist_PageThroughTheProxyAsThePrincipal()
    {
        await using var proxy = await TestProxy.StartAsync(_fixture.Dns.Endpoint, "", "", [
            "--Auth:Mode=negotiate",
            $"--Auth:Negotiate:Keytab={_fixture.Kdc.ServiceKeytab}",
            $"--Auth:Negotiate:ServicePrincipal={TestKdc.ServicePrincipal}"]);
        var cache = await _fixture.Kdc.KinitAsync("alice");
        var profile = Path.Combine(_fixture.Kdc.Directory, "chromium-" + Guid.NewGuid().ToString("N"));

        // The proxy by the name in its service principal (HTTP/localhost): Chromium asks for a
        // ticket for HTTP/<proxy host>, and without the CNAME lookup it keeps the name as given.
        var (exit, dom, err) = await ClientPrograms.RunAsync(ConsoleBrowser.Chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
            // Chromium's own update and time checks would go through the proxy too: not part of the test.
            "--disable-background-networking", "--disable-component-update",
            $"--user-data-dir={profile}",
            $"--proxy-server=http://{TestKdc.ServiceHost}:{proxy.Port}",
            $"--auth-server-allowlist={TestKdc.ServiceHost}",
            "--disable-auth-negotiate-cname-lookup",
            "--dump-dom", $"http://app.test:{_fixture.Upstream.Port}/hello"], _fixture.Kdc.ClientEnvironment(cache), timeout: TimeSpan.FromSeconds(90));

        Assert.True(exit == 0, err);
        // On a miss, say what Chromium showed (a proxy error page is rendered as plain text) and what
        // the proxy decided, so a failure in CI can be read without a rerun.
        Assert.True(dom.Contains("hello from", StringComparison.Ordinal),
            $"page: {dom}\nstderr: {err}\ndecisions:\n{string.Join("\n", proxy.ReadDecisions().Select(l => l.GetRawText()))}");
        var line = await proxy.WaitForDecisionAsync(l => l.Str("url.path") == "/hello" && l.Str("enduser.id") is not null);
        Assert.Equal("alice@" + TestKdc.Realm, line.Str("enduser.id"));
        Assert.Equal(("allow", 200), (line.Str("egressguard.decision"), line.GetProperty("http.response.status_code").GetInt32()));

        // Signed in without a prompt: the first try got the 407 challenge, the retry carried the token.
        var url = $"http://app.test:{_fixture.Upstream.Port}/hello";
        Assert.Contains(proxy.ReadDecisions(), l => l.Str("egressguard.request_target") == url && l.GetProperty("http.response.status_code").GetInt32() == 407);
    }
}

/// <summary>A <see cref="KerberosFactAttribute"/> that also needs Debian's Chromium.</summary>
public sealed class KerberosChromiumFactAttribute : FactAttribute
{
    public KerberosChromiumFactAttribute()
    {
        var missing = KerberosFactAttribute.MissingProgram() ?? (File.Exists(ConsoleBrowser.Chromium) ? null : ConsoleBrowser.Chromium);
        if (missing is not null && Environment.GetEnvironmentVariable("EGRESSGUARD_REQUIRE_CLIENTS") != "1")
        {
            Skip = $"SKIPPED: '{missing}' is not installed here (apt-get install chromium krb5-kdc krb5-admin-server krb5-user; .ci/run installs them)";
        }
    }
}
