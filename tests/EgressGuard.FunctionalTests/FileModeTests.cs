using System.Net;
using System.Net.Http.Json;
using EgressGuard.Admin;
using EgressGuard.Cli;
using EgressGuard.Configuration;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// Files with secrets or personal data are created owner-only (0600; logs 0640 with
/// <c>Log:GroupReadable</c>) by the real host, and a CA key others can read stops the start
/// (issue 16, item 10). Unix only: Windows has no file modes.
/// </summary>
public sealed class FileModeTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly string SampleConfig = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../config/egressguard.json"));

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-modes-" + Guid.NewGuid().ToString("N"));
    private readonly TestDnsServer _dns = new();

    public FileModeTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        _dns.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Host_DecisionAccessAuditQuarantineHistory_CreatedMode0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "listed.test\n", "--Log:AccessLogFile=access.log");
        var data = Path.Combine(proxy.Directory, "data");
        await UseAsync(proxy);

        foreach (var file in new[] { proxy.DecisionLogPath, Path.Combine(proxy.Directory, "access.log"), Path.Combine(data, "audit.jsonl"), Path.Combine(data, "quarantine.json"), Path.Combine(data, "history.db") })
        {
            await Eventually.UntilAsync(() => File.Exists(file), file + " written");
            Assert.True(File.GetUnixFileMode(file) == OwnerOnly, $"{file}: {File.GetUnixFileMode(file)}");
        }
    }

    [Fact]
    public async Task Host_FilesLeftWorldReadableByAnOlderVersion_NarrowedTo0600AtStart()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // As an older version (or a hand-made copy) left them: 0644, with content to keep.
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        var access = Path.Combine(_dir, "access.log");
        var history = Path.Combine(data, "history.db");
        File.WriteAllText(access, "an older line\n");
        File.WriteAllBytes(history, []);
        foreach (var file in new[] { access, history })
        {
            File.SetUnixFileMode(file, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "listed.test\n", $"--Log:AccessLogFile={access}", $"--Data:Directory={data}");
        await UseAsync(proxy);

        await Eventually.UntilAsync(() => File.ReadAllText(access).Contains("listed.test", StringComparison.Ordinal), "the access line appended");
        foreach (var file in new[] { access, history })
        {
            Assert.True(File.GetUnixFileMode(file) == OwnerOnly, $"{file}: {File.GetUnixFileMode(file)}");
        }

        Assert.StartsWith("an older line\n", File.ReadAllText(access), StringComparison.Ordinal);
        Assert.Contains($"{access}: 0644 → 0600", EgressGuard.Files.PrivateFile.Narrowed);
    }

    [Fact]
    public async Task Host_LogGroupReadable_LogFilesMode0640()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var proxy = await TestProxy.StartAsync(_dns.Endpoint, "", "listed.test\n", "--Log:AccessLogFile=access.log", "--Log:GroupReadable=true");
        var data = Path.Combine(proxy.Directory, "data");
        await UseAsync(proxy);

        foreach (var file in new[] { proxy.DecisionLogPath, Path.Combine(proxy.Directory, "access.log"), Path.Combine(data, "audit.jsonl") })
        {
            await Eventually.UntilAsync(() => File.Exists(file), file + " written");
            Assert.True(File.GetUnixFileMode(file) == (OwnerOnly | UnixFileMode.GroupRead), $"{file}: {File.GetUnixFileMode(file)}");
        }

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(data, "quarantine.json")));
    }

    [Fact]
    public void AdminTokens_NoneConfigured_GeneratedTokenFileMode0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var tokens = new AdminTokens(new AdminOptions(), new ConfigPaths(null, _dir), Path.Combine(_dir, "data"));

        Assert.Equal(Path.Combine(_dir, "data", "admin-token"), tokens.GeneratedFile);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(tokens.GeneratedFile!));
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "data"), "*.tmp"));
    }

    [Fact]
    public async Task Program_CaKeyReadableByOthers_OneLineNamingFileAndExit2()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Assert.Equal(0, CaCommand.Run(["init", "--out", _dir], TextWriter.Null, TextWriter.Null));
        var key = Path.Combine(_dir, CaCommand.KeyFile);
        File.SetUnixFileMode(key, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var (exit, text) = await ProgramRun.UntilExitAsync(
            "--config", SampleConfig, "--Proxy:Listen=127.0.0.1:0", "--Admin:Listen=127.0.0.1:0",
            $"--Data:Directory={Path.Combine(_dir, "data")}", "--Tls:Intercept:Mode=all",
            $"--Tls:Intercept:CaCertificate={Path.Combine(_dir, CaCommand.CertificateFile)}", $"--Tls:Intercept:CaKey={key}");

        Assert.Equal(2, exit);
        Assert.Contains($"Tls:Intercept:CaKey: {key} is readable by group or others (mode 0644); make it the proxy user's only (chmod 600 {key})", text, StringComparison.Ordinal);
        Assert.Contains("1 configuration error(s)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ProxyTlsKeyReadableByOthers_ErrorNamingKeyAndFile()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var certs = TestCertificates.WriteMtlsSet(Path.Combine(_dir, "tls"), "unused");
        var tls = new EgressGuard.Identity.ProxyTlsOptions { Certificate = certs.ServerCert, Key = certs.ServerKey };
        var errors = new List<string>();
        EgressGuard.Identity.ClientCertificates.Validate(tls, new ConfigPaths(null, _dir), errors);
        Assert.Empty(errors);

        File.SetUnixFileMode(certs.ServerKey, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        EgressGuard.Identity.ClientCertificates.Validate(tls, new ConfigPaths(null, _dir), errors);
        Assert.Equal($"Proxy:Tls:Key: {certs.ServerKey} is readable by group or others (mode 0644); make it the proxy user's only (chmod 600 {certs.ServerKey}), and replace the certificate if others may have read it", Assert.Single(errors));
    }

    /// <summary>A decision (and access) line, and a quarantine through the admin API (an audit line and the quarantine file).</summary>
    private static async Task UseAsync(TestProxy proxy)
    {
        using var client = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("http://listed.test/")).StatusCode);
        using var admin = proxy.CreateAdminClient();
        (await admin.PostAsJsonAsync("/quarantine", new { address = "10.9.9.9", duration = "1h", reason = "file modes" })).EnsureSuccessStatusCode();
    }
}
