using EgressGuard.Identity;
using EgressGuard.Proxy;

namespace EgressGuard.Hosting;

/// <summary>
/// Reads <c>Proxy:Listen</c> in either form: one string (<c>"127.0.0.1:3128"</c>, as before) or an
/// array whose entries are strings or objects <c>{ "Address": "[::]:3129", "Tls": { ... } }</c>. An
/// entry without its own <c>Tls</c> takes <c>Proxy:Tls</c>, so a single string with <c>Proxy:Tls</c>
/// means what it always meant. When layered sources give both (an array in the file, a string on
/// the command line), the array wins: configuration cannot tell which source came last per key.
/// </summary>
internal static class ListenValidation
{
    public static List<ProxyListener> Read(IConfiguration configuration, ProxyOptions proxy, ConfigPaths paths, List<string> errors)
    {
        var section = configuration.GetSection(ProxyOptions.Section).GetSection(nameof(ProxyOptions.Listen));
        var entries = section.GetChildren().ToList();
        var listeners = new List<ProxyListener>();
        if (entries.Count == 0)
        {
            listeners.Add(new ProxyListener("Proxy:Listen", Parse("Proxy:Listen", proxy.Listen, errors), proxy.Tls));
            return listeners;
        }

        foreach (var entry in entries.OrderBy(e => int.TryParse(e.Key, out var n) ? n : int.MaxValue))
        {
            var key = "Proxy:Listen:" + entry.Key;
            var address = entry.Value ?? entry["Address"];
            var tls = proxy.Tls;
            if (entry.Value is null && entry.GetSection("Tls").Exists())
            {
                tls = new ProxyTlsOptions();
                try
                {
                    entry.GetSection("Tls").Bind(tls);
                }
                catch (InvalidOperationException ex)
                {
                    errors.Add($"{key}:Tls: {ex.Message}");
                }

                ClientCertificates.Validate(tls, paths, errors, key + ":Tls");
            }

            listeners.Add(new ProxyListener(key, Parse(key, address, errors), tls));
        }

        var duplicates = listeners.GroupBy(l => l.Endpoint).Where(g => g.Count() > 1).Select(g => string.Join(", ", g.Select(l => l.Key)) + " = " + g.Key);
        errors.AddRange(duplicates.Select(d => $"{d}: the same address twice"));
        return listeners;
    }

    private static IPEndPoint Parse(string key, string? value, List<string> errors)
    {
        if (value is null || !IPEndPoint.TryParse(value, out var listen) || listen.Port == 0 && !value.EndsWith(":0", StringComparison.Ordinal))
        {
            errors.Add($"{key} = '{value}': expected ip:port, e.g. 127.0.0.1:3128 or [::]:3128 (or an object with Address and Tls)");
            return new IPEndPoint(IPAddress.Loopback, 3128);
        }

        return listen;
    }
}
