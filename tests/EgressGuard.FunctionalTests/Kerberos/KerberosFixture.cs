using System.Net;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests.Kerberos;

/// <summary>
/// One MIT KDC (and the upstream and DNS the proxy needs) for every Kerberos test: the proxy's
/// GSSAPI acceptor is process-wide (one keytab, one krb5.conf), so these tests share a collection
/// and never run beside each other.
/// </summary>
public sealed class KerberosFixture : IAsyncLifetime
{
    public TestDnsServer Dns { get; } = new();

    public TestUpstream Upstream { get; private set; } = null!;

    public TestKdc Kdc { get; private set; } = null!;

    public static bool Available => KerberosFactAttribute.MissingProgram() is null;

    public async Task InitializeAsync()
    {
        Dns.A("app.test", "127.0.0.1").A("other.test", "127.0.0.1");
        Upstream = await TestUpstream.StartAsync(IPAddress.Loopback);
        if (Available)
        {
            Kdc = await TestKdc.StartAsync("alice", "bob", "carol", "dave");
        }
    }

    public async Task DisposeAsync()
    {
        if (Kdc is not null)
        {
            await Kdc.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        Dns.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class KerberosTestGroup : ICollectionFixture<KerberosFixture>
{
    public const string Name = "kerberos";
}

/// <summary>
/// A fact that needs the Kerberos programs (krb5-kdc, krb5-admin-server, krb5-user), slapd, curl and
/// Debian's python3-gssapi: skipped with what to install when missing, failing under
/// <c>EGRESSGUARD_REQUIRE_CLIENTS=1</c> (.ci/run installs them).
/// </summary>
public sealed class KerberosFactAttribute : FactAttribute
{
    public const string SystemPython = "/usr/bin/python3";

    public KerberosFactAttribute()
    {
        if (MissingProgram() is { } missing && Environment.GetEnvironmentVariable("EGRESSGUARD_REQUIRE_CLIENTS") != "1")
        {
            Skip = $"SKIPPED: '{missing}' is not installed here (apt-get install krb5-kdc krb5-admin-server krb5-user slapd ldap-utils python3-gssapi curl; .ci/run installs them)";
        }
    }

    public static string? MissingProgram()
    {
        foreach (var program in TestKdc.Programs.Concat(TestSlapd.Programs).Append("curl"))
        {
            if (!ClientPrograms.IsAvailable(program))
            {
                return program;
            }
        }

        return File.Exists(SystemPython) && Directory.Exists("/usr/lib/python3/dist-packages/gssapi") ? null : "python3-gssapi";
    }
}
