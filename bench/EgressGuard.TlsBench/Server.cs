using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EgressGuard.TlsBench;

/// <summary>The TLS upstream: Kestrel on loopback, a certificate made at start, bounded lifetime.</summary>
internal static class Server
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Args.Parse(args);
        var ports = options["ports"].Split(',').Select(int.Parse).ToArray();
        var certificate = CreateCertificate();
        File.WriteAllText(options["cert-out"], certificate.ExportCertificatePem());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var port in ports)
            {
                k.Listen(IPAddress.Loopback, port, l => l.UseHttps(certificate));
            }
        });
        var app = builder.Build();
        var kilobyte = new byte[1024];
        Array.Fill(kilobyte, (byte)'k');
        var block = new byte[1024 * 1024];
        Array.Fill(block, (byte)'m');
        app.MapGet("/1k", (HttpContext c) =>
        {
            c.Response.ContentLength = kilobyte.Length;
            return c.Response.Body.WriteAsync(kilobyte).AsTask();
        });
        app.MapGet("/stream", async (HttpContext c) =>
        {
            var mb = int.Parse(c.Request.Query["mb"].ToString() is { Length: > 0 } s ? s : "64", System.Globalization.CultureInfo.InvariantCulture);
            c.Response.ContentLength = (long)mb * block.Length;
            for (var i = 0; i < mb; i++)
            {
                await c.Response.Body.WriteAsync(block);
            }
        });
        var lifetime = TimeSpan.FromSeconds(int.Parse(options.GetValueOrDefault("max-seconds", "3600"), System.Globalization.CultureInfo.InvariantCulture));
        await app.StartAsync();
        Console.WriteLine($"listening on {string.Join(", ", ports)}");
        await Task.Delay(lifetime, app.Lifetime.ApplicationStopping).ContinueWith(_ => { });
        await app.StopAsync();
        return 0;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=tlsbench upstream", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
