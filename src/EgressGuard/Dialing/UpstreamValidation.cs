using System.Net;
using System.Net.Sockets;
using System.Text;
using EgressGuard.Addressing;
using EgressGuard.Configuration;
using EgressGuard.Files;
using EgressGuard.Lists;

namespace EgressGuard.Dialing;

/// <summary>
/// Checks <c>Upstream</c> at start and builds the <see cref="ParentProxy"/>: the endpoint (a host
/// name resolved now, once), the credentials file (one <c>user:password</c> line, owner-only), the
/// <c>Direct</c> entries. Every mistake is reported with its key and value.
/// </summary>
internal static class UpstreamValidation
{
    public static ParentProxy? Validate(UpstreamOptions options, ConfigPaths paths, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.Proxy))
        {
            if (!string.IsNullOrEmpty(options.ProxyCredentialsFile) || options.Direct.Count > 0)
            {
                errors.Add("Upstream:ProxyCredentialsFile and Upstream:Direct need Upstream:Proxy (the parent proxy, host:port)");
            }

            return null;
        }

        var count = errors.Count;
        var name = ParseEndpoint(options.Proxy.Trim(), errors, out var endpoint);
        var authorization = ReadCredentials(options.ProxyCredentialsFile, paths, errors);
        var direct = DestinationList.Parse(options.Direct, i => $"Upstream:Direct:{i}", errors);
        return errors.Count > count ? null : new ParentProxy(name!, endpoint!, authorization, direct);
    }

    private static string? ParseEndpoint(string value, List<string> errors, out IPEndPoint? endpoint)
    {
        endpoint = null;
        var text = value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? value[7..].TrimEnd('/') : value;
        if (text.Contains("://", StringComparison.Ordinal) || text.Contains('/', StringComparison.Ordinal) || text.Contains('@', StringComparison.Ordinal))
        {
            // TLS to the parent and credentials in the URL are not supported: the latter would end up in logs and process listings.
            errors.Add($"Upstream:Proxy = '{value}': expected host:port or ip:port of an HTTP CONNECT proxy (http:// only; credentials go in Upstream:ProxyCredentialsFile)");
            return null;
        }

        if (IPEndPoint.TryParse(text, out var literal) && literal.Port != 0 && (text.StartsWith('[') || !text.Contains("::", StringComparison.Ordinal)))
        {
            endpoint = new IPEndPoint(AddressNormalizer.Canonicalize(literal.Address), literal.Port);
            return text;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535
            || Uri.CheckHostName(text[..colon]) != UriHostNameType.Dns)
        {
            errors.Add($"Upstream:Proxy = '{value}': expected host:port or ip:port with a port from 1 to 65535, e.g. proxy.example.com:3128");
            return null;
        }

        try
        {
            // Resolved once, at start: the parent's address does not move with anything a client asks.
            var addresses = Dns.GetHostAddresses(text[..colon]);
            var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            if (address is null)
            {
                errors.Add($"Upstream:Proxy = '{value}': {text[..colon]} has no address");
                return null;
            }

            endpoint = new IPEndPoint(AddressNormalizer.Canonicalize(address), port);
            return text;
        }
        catch (SocketException ex)
        {
            errors.Add($"Upstream:Proxy = '{value}': cannot resolve {text[..colon]}: {ex.Message}");
            return null;
        }
    }

    private static string? ReadCredentials(string? file, ConfigPaths paths, List<string> errors)
    {
        if (string.IsNullOrEmpty(file))
        {
            return null;
        }

        var path = paths.Resolve(file);
        if (!File.Exists(path))
        {
            errors.Add($"Upstream:ProxyCredentialsFile = '{file}': file not found");
            return null;
        }

        if (PrivateFile.IsOpenToOthers(path, out var mode))
        {
            errors.Add($"Upstream:ProxyCredentialsFile: {path} is readable by group or others (mode {PrivateFile.Octal(mode)}); make it the proxy user's only (chmod 600 {path})");
            return null;
        }

        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count != 1 || lines[0].Trim() is var line && (line.IndexOf(':', StringComparison.Ordinal) <= 0))
        {
            // The file's content is never echoed: it is a password.
            errors.Add($"Upstream:ProxyCredentialsFile: {path}: expected one line user:password");
            return null;
        }

        return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(lines[0].Trim()));
    }
}
