using EgressGuard.Files;
using EgressGuard.Lists;

namespace EgressGuard.Dialing;

/// <summary>
/// Checks <c>Upstream</c> at start and builds the <see cref="ParentRoutes"/>: for the default
/// parent and each of <c>Upstream:Parents</c>, the endpoint (a host
/// name resolved now, once), the credentials file (one <c>user:password</c> line, owner-only), the
/// <c>Direct</c> entries. Every mistake is reported with its key and value.
/// </summary>
internal static class UpstreamValidation
{
    public static ParentRoutes Validate(UpstreamOptions options, ConfigPaths paths, List<string> errors)
    {
        var count = errors.Count;
        var named = new Dictionary<string, ParentProxy>(StringComparer.Ordinal);
        foreach (var (name, parent) in options.Parents)
        {
            var key = $"Upstream:Parents:{name}";
            // "Direct" too: a parent whose name differs from the keyword only in case would read as no parent.
            if (string.Equals(name, ParentProxy.DirectName, StringComparison.OrdinalIgnoreCase) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                errors.Add($"{key}: a parent's name may contain only letters, digits, '-', '_' and '.', and may not be '{ParentProxy.DirectName}' (rules use it for no parent)");
                continue;
            }

            if (string.IsNullOrWhiteSpace(parent.Address))
            {
                errors.Add($"{key}:Address is required (host:port of an HTTP CONNECT proxy)");
                continue;
            }

            var endpointText = ParseEndpoint(parent.Address.Trim(), $"{key}:Address", $"{key}:CredentialsFile", errors, out var endpoint);
            var authorization = ReadCredentials(parent.CredentialsFile, $"{key}:CredentialsFile", paths, errors);
            if (endpointText is not null)
            {
                named[name] = new ParentProxy(name, endpoint!, authorization, DestinationList.Empty);
            }
        }

        ParentProxy? defaultParent = null;
        if (string.IsNullOrWhiteSpace(options.Proxy))
        {
            if (!string.IsNullOrEmpty(options.ProxyCredentialsFile) || options.Direct.Count > 0)
            {
                errors.Add("Upstream:ProxyCredentialsFile and Upstream:Direct need Upstream:Proxy (the parent proxy, host:port)");
            }
        }
        else
        {
            var name = ParseEndpoint(options.Proxy.Trim(), "Upstream:Proxy", "Upstream:ProxyCredentialsFile", errors, out var endpoint);
            var authorization = ReadCredentials(options.ProxyCredentialsFile, "Upstream:ProxyCredentialsFile", paths, errors);
            var direct = DestinationList.Parse(options.Direct, i => $"Upstream:Direct:{i}", errors);
            defaultParent = name is null ? null : new ParentProxy(name, endpoint!, authorization, direct);
        }

        return errors.Count > count ? ParentRoutes.None : new ParentRoutes(defaultParent, named);
    }

    private static string? ParseEndpoint(string value, string key, string credentialsKey, List<string> errors, out IPEndPoint? endpoint)
    {
        endpoint = null;
        var text = value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? value[7..].TrimEnd('/') : value;
        if (text.Contains("://", StringComparison.Ordinal) || text.Contains('/', StringComparison.Ordinal) || text.Contains('@', StringComparison.Ordinal))
        {
            // TLS to the parent and credentials in the URL are not supported: the latter would end up in logs and process listings.
            errors.Add($"{key} = '{value}': expected host:port or ip:port of an HTTP CONNECT proxy (http:// only; credentials go in {credentialsKey})");
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
            errors.Add($"{key} = '{value}': expected host:port or ip:port with a port from 1 to 65535, e.g. proxy.example.com:3128");
            return null;
        }

        try
        {
            // Resolved once, at start: the parent's address does not move with anything a client asks.
            var addresses = Dns.GetHostAddresses(text[..colon]);
            var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            if (address is null)
            {
                errors.Add($"{key} = '{value}': {text[..colon]} has no address");
                return null;
            }

            endpoint = new IPEndPoint(AddressNormalizer.Canonicalize(address), port);
            return text;
        }
        catch (SocketException ex)
        {
            errors.Add($"{key} = '{value}': cannot resolve {text[..colon]}: {ex.Message}");
            return null;
        }
    }

    private static string? ReadCredentials(string? file, string key, ConfigPaths paths, List<string> errors)
    {
        if (string.IsNullOrEmpty(file))
        {
            return null;
        }

        var path = paths.Resolve(file);
        if (!File.Exists(path))
        {
            errors.Add($"{key} = '{file}': file not found");
            return null;
        }

        if (PrivateFile.IsOpenToOthers(path, out var mode))
        {
            errors.Add($"{key}: {path} is readable by group or others (mode {PrivateFile.Octal(mode)}); make it the proxy user's only (chmod 600 {path})");
            return null;
        }

        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count != 1 || lines[0].Trim() is var line && (line.IndexOf(':', StringComparison.Ordinal) <= 0))
        {
            // The file's content is never echoed: it is a password.
            errors.Add($"{key}: {path}: expected one line user:password");
            return null;
        }

        return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(lines[0].Trim()));
    }
}
