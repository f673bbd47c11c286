using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EgressGuard.Cli;

namespace EgressGuard.FunctionalTests;

/// <summary><c>EgressGuard ca init|export</c> against a real folder.</summary>
public sealed class CaCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "egressguard-ca-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Init_WritesP256RootCaAndPrivateKeyMode0600_ExportPrintsSameCertificate()
    {
        var output = new StringWriter();
        Assert.Equal(0, CaCommand.Run(["init", "--out", _dir, "--name", "Corp Proxy CA", "--days", "30"], output, TextWriter.Null));

        var pem = File.ReadAllText(Path.Combine(_dir, CaCommand.CertificateFile));
        using var ca = X509Certificate2.CreateFromPem(pem, File.ReadAllText(Path.Combine(_dir, CaCommand.KeyFile)));
        Assert.Equal("CN=Corp Proxy CA, O=EgressGuard", ca.Subject);
        Assert.Equal(ca.Subject, ca.Issuer);
        Assert.True(ca.HasPrivateKey);
        Assert.Equal(256, ca.GetECDsaPublicKey()!.KeySize);
        var constraints = ca.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.CertificateAuthority && constraints.Critical);
        Assert.True(ca.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.InRange(ca.NotAfter, DateTime.Now.AddDays(29), DateTime.Now.AddDays(31));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, CaCommand.KeyFile)));
        }
        Assert.Contains("update-ca-certificates", output.ToString());
        Assert.Contains("certutil -addstore -f Root", output.ToString());

        var exported = new StringWriter();
        Assert.Equal(0, CaCommand.Run(["export", "--out", _dir], exported, TextWriter.Null));
        using var fromExport = X509Certificate2.CreateFromPem(exported.ToString());
        Assert.Equal(ca.Thumbprint, fromExport.Thumbprint);
        Assert.DoesNotContain("PRIVATE KEY", exported.ToString());
    }

    [Fact]
    public void Init_Existing_RefusedWithoutForce_ReplacedWithForce()
    {
        Assert.Equal(0, CaCommand.Run(["init", "--out", _dir], TextWriter.Null, TextWriter.Null));
        var first = File.ReadAllText(Path.Combine(_dir, CaCommand.CertificateFile));
        var error = new StringWriter();

        Assert.Equal(1, CaCommand.Run(["init", "--out", _dir], TextWriter.Null, error));
        Assert.Contains("already exists", error.ToString());
        Assert.Equal(first, File.ReadAllText(Path.Combine(_dir, CaCommand.CertificateFile)));

        Assert.Equal(0, CaCommand.Run(["init", "--out", _dir, "--force"], TextWriter.Null, TextWriter.Null));
        Assert.NotEqual(first, File.ReadAllText(Path.Combine(_dir, CaCommand.CertificateFile)));
    }

    [Fact]
    public void Export_NoCa_SaysHowToMakeOne()
    {
        var error = new StringWriter();

        Assert.Equal(1, CaCommand.Run(["export", "--out", _dir], TextWriter.Null, error));
        Assert.Contains("run 'EgressGuard ca init' first", error.ToString());
        Assert.Equal(2, CaCommand.Run(["init", "--out", _dir, "--days", "0"], TextWriter.Null, error));
    }
}
