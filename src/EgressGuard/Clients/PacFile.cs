using EgressGuard.Lists;

namespace EgressGuard.Clients;

/// <summary>
/// Generates the proxy auto-config (PAC) file from <see cref="PacOptions"/>. There is deliberately
/// no <c>; DIRECT</c> fallback after the proxy: when EgressGuard is unreachable, clients fail closed
/// instead of silently bypassing the egress policy.
/// </summary>
internal sealed class PacFile
{
    public const string ContentType = "application/x-ns-proxy-autoconfig";

    private readonly PacOptions _options;
    private IPEndPoint _listen;
    private readonly bool _tls;
    private readonly List<DomainPattern> _domains = [];
    private readonly List<(IPAddress Network, IPAddress Mask)> _networks = [];

    public PacFile(PacOptions options, IPEndPoint listen, bool tls)
    {
        _options = options;
        _listen = listen;
        _tls = tls;
        foreach (var entry in options.Direct)
        {
            if (TryParseNetwork(entry, out var network, out var mask))
            {
                _networks.Add((network, mask));
            }
            else if (DomainPattern.TryParse(entry.Trim(), out var domain, out _))
            {
                _domains.Add(domain);
            }
        }
    }

    /// <summary>The proxy listener as bound (its port is only known after start when configured as 0).</summary>
    public void Listening(IPEndPoint bound) => _listen = new IPEndPoint(_listen.Address, bound.Port);

    /// <summary>Collects every bad entry with its key, for the start-up validation.</summary>
    public static void Validate(PacOptions options, List<string> errors)
    {
        for (var i = 0; i < options.Direct.Count; i++)
        {
            var entry = options.Direct[i];
            if (!TryParseNetwork(entry, out _, out _) && !DomainPattern.TryParse(entry.Trim(), out _, out _))
            {
                errors.Add($"Pac:Direct:{i} = '{entry}': expected a domain (corp.example, .corp.example, *.corp.example) or an IPv4 network (10.0.0.0/8)");
            }
        }

        foreach (var address in Addresses(options.ProxyAddress))
        {
            if (!TrySplitHostPort(address, out _, out _))
            {
                errors.Add($"Pac:ProxyAddress = '{address}': expected host:port, e.g. proxy.corp.example:3128 (several: a:3128, b:3128)");
            }
        }
    }

    /// <summary>The PAC script for a client that fetched it with <paramref name="requestHost"/> (its Host header, without port).</summary>
    public string Render(string? requestHost)
    {
        var proxy = ProxyAddress(requestHost);
        var js = new StringBuilder(1024);
        js.Append("// EgressGuard proxy auto-config. Generated from the Pac section of its configuration.\n")
            .Append("// No \"; DIRECT\" fallback: if the proxy is unreachable, requests fail instead of bypassing it.\n")
            .Append("function FindProxyForURL(url, host) {\n")
            .Append("  host = host.toLowerCase();\n");
        if (_options.DirectPlainHostNames)
        {
            js.Append("  if (isPlainHostName(host)) return \"DIRECT\";\n");
        }

        foreach (var domain in _domains)
        {
            var conditions = new List<string>(2);
            if (domain.MatchesApex)
            {
                conditions.Add($"host == \"{domain.Name}\"");
            }

            if (domain.MatchesSubdomains)
            {
                conditions.Add($"dnsDomainIs(host, \".{domain.Name}\")");
            }

            js.Append("  if (").Append(string.Join(" || ", conditions)).Append(") return \"DIRECT\";\n");
        }

        if (_networks.Count > 0)
        {
            js.Append("  if (/^\\d+\\.\\d+\\.\\d+\\.\\d+$/.test(host)) {\n");
            foreach (var (network, mask) in _networks)
            {
                js.Append("    if (isInNet(host, \"").Append(network).Append("\", \"").Append(mask).Append("\")) return \"DIRECT\";\n");
            }

            js.Append("  }\n");
        }

        // Several addresses: the browser tries them in order (failover between fleet nodes), never DIRECT.
        var scheme = _tls ? "HTTPS " : "PROXY ";
        js.Append("  return \"").Append(string.Join("; ", Addresses(proxy).Select(a => scheme + a))).Append("\";\n}\n");
        return js.ToString();
    }

    /// <summary><c>GET</c> or <c>HEAD</c> of <c>/proxy.pac</c> or <c>/wpad.dat</c> (the WPAD name browsers ask for), when enabled.</summary>
    public bool Serves(HttpRequest request) =>
        _options.Enabled
        && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && (request.Path.Equals("/proxy.pac", StringComparison.OrdinalIgnoreCase) || request.Path.Equals("/wpad.dat", StringComparison.OrdinalIgnoreCase));

    public Task WriteAsync(HttpContext context)
    {
        var body = Encoding.UTF8.GetBytes(Render(context.Request.Host.Host));
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = body.Length;
        // Browsers re-fetch PAC files rarely; a short max-age lets an edit reach them the same day.
        context.Response.Headers.CacheControl = "max-age=300";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(body).AsTask();
    }

    /// <summary><c>Pac:ProxyAddress</c> split into its addresses (comma, semicolon or space separated), in order.</summary>
    private static string[] Addresses(string? configured) =>
        (configured ?? string.Empty).Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private string ProxyAddress(string? requestHost)
    {
        if (_options.ProxyAddress is { Length: > 0 } configured)
        {
            return configured;
        }

        var port = _listen.Port.ToString(CultureInfo.InvariantCulture);
        if (!_listen.Address.Equals(IPAddress.Any) && !_listen.Address.Equals(IPAddress.IPv6Any))
        {
            return _listen.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{_listen.Address}]:{port}" : $"{_listen.Address}:{port}";
        }

        // Only a plain host name or IP literal from the client's Host header goes into the script.
        if (requestHost is { Length: > 0 } && requestHost.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']'))
        {
            return $"{requestHost}:{port}";
        }

        return $"{Dns.GetHostName()}:{port}";
    }

    private static bool TryParseNetwork(string text, out IPAddress network, out IPAddress mask)
    {
        network = IPAddress.None;
        mask = IPAddress.None;
        var parts = text.Trim().Split('/');
        var prefix = 32;
        if (parts.Length > 2
            || !IPAddress.TryParse(parts[0], out var address)
            || address.AddressFamily != AddressFamily.InterNetwork
            || parts[0].Count(c => c == '.') != 3
            || (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 32)))
        {
            return false;
        }

        var maskBits = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        var value = (uint)IPAddress.NetworkToHostOrder(BitConverter.ToInt32(address.GetAddressBytes())) & maskBits;
        network = new IPAddress(BitConverter.GetBytes(IPAddress.HostToNetworkOrder((int)value)));
        mask = new IPAddress(BitConverter.GetBytes(IPAddress.HostToNetworkOrder((int)maskBits)));
        return true;
    }

    private static bool TrySplitHostPort(string text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = text[..colon];
        return host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']');
    }
}
