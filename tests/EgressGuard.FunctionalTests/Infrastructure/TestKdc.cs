using System.Globalization;
using System.Runtime.InteropServices;

namespace EgressGuard.FunctionalTests.Infrastructure;

/// <summary>
/// A real MIT Kerberos KDC (Debian's krb5-kdc) in a temp folder on a free loopback port: realm
/// created with <c>kdb5_util create -s</c>, principals with <c>kadmin.local</c>, the proxy's keytab
/// with <c>ktadd</c>. The proxy's service principal is <c>HTTP/localhost</c> (clients reach the
/// proxy as <c>localhost</c>; rdns and DNS canonicalisation are off in the test krb5.conf).
/// </summary>
public sealed class TestKdc : IAsyncDisposable
{
    public const string Realm = "EGRESSGUARD.TEST";
    public const string ServiceHost = "localhost";

    private ServerProcess? _kdc;

    private TestKdc(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }

    public int Port { get; }

    public string Krb5Config => Path.Combine(Directory, "krb5.conf");

    public string ServiceKeytab => Path.Combine(Directory, "http.keytab");

    public static string ServicePrincipal => $"HTTP/{ServiceHost}@{Realm}";

    /// <summary>The programs this needs, for the skip message.</summary>
    public static readonly string[] Programs = ["krb5kdc", "kdb5_util", "kadmin.local", "kinit"];

    public static async Task<TestKdc> StartAsync(params string[] users)
    {
        var directory = Path.Combine(Path.GetTempPath(), "egressguard-tests", "kdc-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var kdc = new TestKdc(directory, ServerProcess.FreePort());
        File.WriteAllText(kdc.Krb5Config, $"""
            [libdefaults]
             default_realm = {Realm}
             dns_lookup_kdc = false
             dns_lookup_realm = false
             rdns = false
             dns_canonicalize_hostname = false
             udp_preference_limit = 1
             clockskew = 3
            [realms]
             {Realm} = {"{"}
              kdc = 127.0.0.1:{kdc.Port}
             {"}"}
            [domain_realm]
             {ServiceHost} = {Realm}
            """);
        File.WriteAllText(Path.Combine(directory, "kdc.conf"), $"""
            [kdcdefaults]
             kdc_listen = 127.0.0.1:{kdc.Port}
             kdc_tcp_listen = 127.0.0.1:{kdc.Port}
            [realms]
             {Realm} = {"{"}
              database_name = {directory}/principal
              key_stash_file = {directory}/stash
              acl_file = {directory}/kadm5.acl
              kdc_listen = 127.0.0.1:{kdc.Port}
              kdc_tcp_listen = 127.0.0.1:{kdc.Port}
              max_life = 1h
             {"}"}
            [logging]
             kdc = FILE:{directory}/kdc.log
            """);
        var env = kdc.AdminEnvironment;
        await ServerProcess.RunAsync("kdb5_util", ["create", "-s", "-r", Realm, "-P", "master-" + Guid.NewGuid().ToString("N")], env);
        await kdc.AdminAsync("addprinc -randkey HTTP/" + ServiceHost);
        await kdc.AdminAsync($"ktadd -k {kdc.ServiceKeytab} HTTP/{ServiceHost}");
        foreach (var user in users)
        {
            await kdc.AdminAsync("addprinc -randkey " + user);
            await kdc.AdminAsync($"ktadd -k {kdc.UserKeytab(user)} {user}");
        }

        kdc._kdc = await ServerProcess.StartAsync("krb5kdc", ["-n", "-r", Realm, "-P", Path.Combine(directory, "kdc.pid")], env, kdc.Port);

        // The proxy under test runs in this process: its acceptor reads KRB5_CONFIG from the native
        // environment (clockskew = 3 s so that an expired ticket is expired seconds later, not 5 min, while a token built on a loaded machine is still fresh when it arrives).
        NativeEnvironment.Set("KRB5_CONFIG", kdc.Krb5Config);
        return kdc;
    }

    public string UserKeytab(string user) => Path.Combine(Directory, user + ".keytab");

    /// <summary>A fresh, empty ticket cache path.</summary>
    public string NewCache() => Path.Combine(Directory, "cc-" + Guid.NewGuid().ToString("N"));

    /// <summary>The environment a client needs: this realm's krb5.conf and <paramref name="cache"/>.</summary>
    public Dictionary<string, string> ClientEnvironment(string cache) => new()
    {
        ["KRB5_CONFIG"] = Krb5Config,
        ["KRB5CCNAME"] = "FILE:" + cache,
    };

    /// <summary>kinit <paramref name="user"/> from its keytab into a new cache; returns the cache path.</summary>
    public async Task<string> KinitAsync(string user, TimeSpan? lifetime = null)
    {
        var cache = NewCache();
        string[] life = lifetime is { } l ? ["-l", ((int)l.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s"] : [];
        await ServerProcess.RunAsync("kinit", [.. life, "-k", "-t", UserKeytab(user), user + "@" + Realm], ClientEnvironment(cache));
        return cache;
    }

    private Dictionary<string, string> AdminEnvironment => new()
    {
        ["KRB5_CONFIG"] = Krb5Config,
        ["KRB5_KDC_PROFILE"] = Path.Combine(Directory, "kdc.conf"),
    };

    private Task<string> AdminAsync(string query) => ServerProcess.RunAsync("kadmin.local", ["-r", Realm, "-q", query], AdminEnvironment);

    public ValueTask DisposeAsync()
    {
        _kdc?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Sets a variable in the process's native environment, where native libraries (libkrb5) read it;
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> only changes .NET's own copy on Unix.
/// </summary>
internal static class NativeEnvironment
{
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows())
        {
            _ = SetEnv(System.Text.Encoding.UTF8.GetBytes(name + "\0"), System.Text.Encoding.UTF8.GetBytes(value + "\0"), 1);
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(byte[] nameUtf8, byte[] valueUtf8, int overwrite);
}
