using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EgressGuard.TlsBench;

/// <summary>
/// The load: workers until the deadline, each tunnel validated against the given roots (the
/// upstream's certificate for blind tunnels and direct, the interception CA for intercepted ones:
/// the same client work either way). Prints one line: count, rate, errors.
/// </summary>
internal static class LoadClient
{
    private static long _bytes;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Validated = new();

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Args.Parse(args);
        var target = IPEndPoint.Parse(options["target"]);
        IPEndPoint? proxy = options.TryGetValue("proxy", out var p) ? IPEndPoint.Parse(p) : null;
        var roots = new X509Certificate2Collection();
        foreach (var file in options["trust"].Split(','))
        {
            roots.ImportFromPemFile(file);
        }

        var seconds = double.Parse(options.GetValueOrDefault("seconds", "10"), System.Globalization.CultureInfo.InvariantCulture);
        var concurrency = int.Parse(options.GetValueOrDefault("concurrency", "50"), System.Globalization.CultureInfo.InvariantCulture);
        var bulk = options.GetValueOrDefault("mode", "setup") == "bulk";
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        long done = 0, errors = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (bulk)
                    {
                        await BulkAsync(target, proxy, roots, stop.Token);
                    }
                    else
                    {
                        await SetupAsync(target, proxy, roots, stop.Token);
                        Interlocked.Increment(ref done);
                    }
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                }
                catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException or InvalidDataException)
                {
                    if (Interlocked.Increment(ref errors) <= 3)
                    {
                        Console.Error.WriteLine(ex.Message);
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine(bulk
            ? $"bulk {Interlocked.Read(ref _bytes) / 1048576.0 / elapsed:0.0} MiB/s errors {errors}"
            : $"setup {done / elapsed:0} tunnels/s count {done} errors {errors}");
        return 0;
    }

    private static async Task<SslStream> OpenAsync(IPEndPoint target, IPEndPoint? proxy, X509Certificate2Collection roots, CancellationToken cancel)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(proxy ?? target, cancel);
            var network = new NetworkStream(socket, ownsSocket: true);
            if (proxy is not null)
            {
                await network.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"), cancel);
                var head = await ReadHeadAsync(network, cancel);
                if (!head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
                {
                    throw new InvalidDataException("CONNECT refused: " + head.Split('\r')[0]);
                }
            }

            var tls = new SslStream(network, false, (_, cert, _, errors) =>
            {
                // A certificate validated once is remembered (as a browser's cache would): the load
                // measures the proxy, not the client's chain building.
                if (cert is X509Certificate2 seen && Validated.ContainsKey(seen.Thumbprint) && errors == SslPolicyErrors.RemoteCertificateChainErrors)
                {
                    return true;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                var valid = cert is X509Certificate2 c && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && chain.Build(c);
                if (valid)
                {
                    Validated[((X509Certificate2)cert!).Thumbprint] = true;
                }

                return valid;
            });
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = target.Address.ToString(), ApplicationProtocols = [SslApplicationProtocol.Http11] }, cancel);
            return tls;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task SetupAsync(IPEndPoint target, IPEndPoint? proxy, X509Certificate2Collection roots, CancellationToken cancel)
    {
        await using var tls = await OpenAsync(target, proxy, roots, cancel);
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /1k HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n"), cancel);
        var head = await ReadHeadAsync(tls, cancel);
        if (!head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
        {
            throw new InvalidDataException(head.Split('\r')[0]);
        }

        var buffer = new byte[4096];
        while (await tls.ReadAsync(buffer, cancel) > 0)
        {
        }
    }

    private static async Task BulkAsync(IPEndPoint target, IPEndPoint? proxy, X509Certificate2Collection roots, CancellationToken cancel)
    {
        await using var tls = await OpenAsync(target, proxy, roots, cancel);
        var buffer = new byte[256 * 1024];
        while (!cancel.IsCancellationRequested)
        {
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /stream?mb=16 HTTP/1.1\r\nHost: {target}\r\n\r\n"), cancel);
            var head = await ReadHeadAsync(tls, cancel);
            var length = long.Parse(head.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            while (length > 0)
            {
                var read = await tls.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), cancel);
                if (read == 0)
                {
                    throw new IOException("closed mid-body");
                }

                length -= read;
                Interlocked.Add(ref _bytes, read);
            }
        }
    }

    /// <summary>Reads byte by byte up to the blank line: never reads past the head.</summary>
    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancel)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancel) == 0)
            {
                throw new IOException("closed before the end of the head");
            }

            head.Append((char)one[0]);
            if (head.Length > 16384)
            {
                throw new InvalidDataException("head too large");
            }
        }

        return head.ToString();
    }
}
