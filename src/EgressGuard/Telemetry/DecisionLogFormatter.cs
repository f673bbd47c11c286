using EgressGuard.Lists;

namespace EgressGuard.Telemetry;

/// <summary>Turns a <see cref="ProxyExchange"/> into one JSON object with the <see cref="LogFields"/> names.</summary>
internal static class DecisionLogFormatter
{
    public static void Write(Utf8JsonWriter json, ProxyExchange x, string? node = null)
    {
        var d = x.Decision;
        json.WriteStartObject();
        json.WriteString(LogFields.Time, x.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        json.WriteString(LogFields.Event, "decision");
        if (node is not null)
        {
            json.WriteString(LogFields.Node, node);
        }

        json.WriteString(LogFields.TraceId, x.TraceId.ToHexString());
        if (x.Client is { } client)
        {
            json.WriteString(LogFields.ClientAddress, client.Address.ToString());
            json.WriteNumber(LogFields.ClientPort, client.Port);
        }

        if (x.Identity.Device is { } device)
        {
            json.WriteString(LogFields.ClientName, device);
        }

        if (x.Identity.User is { } user)
        {
            json.WriteString(LogFields.User, user);
            if (x.Identity.GroupList.Count > 0)
            {
                json.WriteStartArray(LogFields.Groups);
                foreach (var group in x.Identity.GroupList)
                {
                    json.WriteStringValue(group);
                }

                json.WriteEndArray();
            }
        }

        json.WriteString(LogFields.Method, x.Method);
        if (d?.Target is { } target)
        {
            json.WriteString(LogFields.ServerAddress, target.Host);
            json.WriteNumber(LogFields.ServerPort, target.Port);
        }
        else if (x.RawTarget is not null)
        {
            // Unparseable requests: what the client sent, printable and truncated.
            json.WriteString(LogFields.RequestTarget, x.RawTarget);
        }

        if (x.Scheme is not null)
        {
            json.WriteString(LogFields.UrlScheme, x.Scheme);
        }

        if (x.Path is not null)
        {
            json.WriteString(LogFields.UrlPath, x.Path);
        }

        if (x.UserAgent is not null)
        {
            json.WriteString(LogFields.UserAgent, x.UserAgent);
        }

        json.WriteString(LogFields.Decision, d is null ? "error" : ActionName(d.Action));
        json.WriteString(LogFields.Reason, x.ReasonText);
        WriteIfNotNull(json, LogFields.Rule, d?.Rule);
        WriteIfNotNull(json, LogFields.Entry, d?.Entry);
        WriteIfNotNull(json, LogFields.MatchedAddress, d?.MatchedAddress?.ToString());
        WriteIfNotNull(json, LogFields.MatchedName, d?.MatchedName);
        json.WriteStartArray(LogFields.ResolvedAddresses);
        foreach (var address in d?.ResolvedAddresses ?? [])
        {
            json.WriteStringValue(address.ToString());
        }

        json.WriteEndArray();
        if (d is { CanonicalNames.Count: > 0 })
        {
            json.WriteStartArray(LogFields.CanonicalNames);
            foreach (var name in d.CanonicalNames)
            {
                json.WriteStringValue(name);
            }

            json.WriteEndArray();
        }

        if (d is { Matches.Count: > 0 })
        {
            json.WriteStartArray(LogFields.Matches);
            foreach (var m in d.Matches)
            {
                json.WriteStartObject();
                json.WriteString("rule", m.Rule);
                json.WriteString("entry", m.Entry);
                json.WriteString("address", m.Matched);
                WriteIfNotNull(json, "category", m.Category);
                WriteIfNotNull(json, "version", m.Version);
                if (m.LoadedAt is { } loadedAt)
                {
                    json.WriteString("loaded_at", loadedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
                }

                json.WriteString("mode", m.Mode == EnforcementMode.Report ? "report" : "enforce");
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (d?.WouldDeny is { } wouldDeny)
        {
            json.WriteString(LogFields.WouldDeny, $"{wouldDeny.Rule} {wouldDeny.Entry}");
        }

        if (x.Dialed is { } dialed)
        {
            json.WriteString(LogFields.PeerAddress, dialed.Address.ToString());
            json.WriteNumber(LogFields.PeerPort, dialed.Port);
        }
        else
        {
            json.WriteNull(LogFields.PeerAddress);
        }

        if (x.TlsHello is { } hello)
        {
            WriteIfNotNull(json, LogFields.TlsServerName, hello.ServerName);
            json.WriteString(LogFields.TlsVersion, hello.Version);
            if (hello.Alpn.Count > 0)
            {
                json.WriteStartArray(LogFields.TlsAlpn);
                foreach (var protocol in hello.Alpn)
                {
                    json.WriteStringValue(protocol);
                }

                json.WriteEndArray();
            }
        }

        WriteIfNotNull(json, LogFields.TlsSniCheck, x.SniCheck);
        WriteIfNotNull(json, LogFields.TlsInterception, x.InterceptionText);
        if (x.TunnelTraceId is { } tunnel)
        {
            json.WriteString(LogFields.TunnelTraceId, tunnel.ToHexString());
        }

        json.WriteNumber(LogFields.StatusCode, x.Status);
        WriteIfNotNull(json, LogFields.ErrorType, x.ErrorType);
        WriteIfNotNull(json, LogFields.Detail, d?.Detail);
        if (x.ClosedBy is { } closedBy)
        {
            json.WriteString(LogFields.ClosedByReason, closedBy.Reason);
            WriteIfNotNull(json, LogFields.ClosedByRule, closedBy.Rule);
            WriteIfNotNull(json, LogFields.ClosedByEntry, closedBy.Entry);
        }

        if (x.Refusals > 0)
        {
            json.WriteNumber(LogFields.Refusals, x.Refusals);
        }

        json.WriteNumber(LogFields.BytesUp, x.BytesUp);
        json.WriteNumber(LogFields.BytesDown, x.BytesDown);
        WriteIfNotNull(json, LogFields.TunnelRelay, x.TunnelRelay);
        WriteIfNotNull(json, LogFields.Upstream, x.Upstream);
        json.WriteNumber(LogFields.DurationMs, Math.Round(x.Duration.TotalMilliseconds, 3));
        json.WriteEndObject();
    }

    /// <summary>The same fields as attributes, for the OpenTelemetry log record.</summary>
    public static List<KeyValuePair<string, object?>> Fields(ProxyExchange x)
    {
        var d = x.Decision;
        var fields = new List<KeyValuePair<string, object?>>(25)
        {
            new(LogFields.Event, "decision"),
            new(LogFields.TraceId, x.TraceId.ToHexString()),
            new(LogFields.ClientAddress, x.Client?.Address.ToString()),
            new(LogFields.ClientPort, x.Client?.Port),
            new(LogFields.User, x.Identity.User),
            new(LogFields.ClientName, x.Identity.Device),
            new(LogFields.Method, x.Method),
            new(LogFields.ServerAddress, d?.Target?.Host),
            new(LogFields.ServerPort, d?.Target?.Port),
            new(LogFields.UrlScheme, x.Scheme),
            new(LogFields.UrlPath, x.Path),
            new(LogFields.TlsInterception, x.InterceptionText),
            new(LogFields.Decision, d is null ? "error" : ActionName(d.Action)),
            new(LogFields.Reason, x.ReasonText),
            new(LogFields.Rule, d?.Rule),
            new(LogFields.Entry, d?.Entry),
            new(LogFields.Feed, EgressGuardMetrics.FeedOf(d)),
            new(LogFields.ResolvedAddresses, d is null ? null : string.Join(",", d.ResolvedAddresses)),
            new(LogFields.PeerAddress, x.Dialed?.Address.ToString()),
            new(LogFields.StatusCode, x.Status),
            new(LogFields.ErrorType, x.ErrorType),
            new(LogFields.Refusals, x.Refusals > 0 ? x.Refusals : null),
            new(LogFields.BytesUp, x.BytesUp),
            new(LogFields.BytesDown, x.BytesDown),
            new(LogFields.TunnelRelay, x.TunnelRelay),
            new(LogFields.Upstream, x.Upstream),
            new(LogFields.DurationMs, Math.Round(x.Duration.TotalMilliseconds, 3)),
        };
        fields.RemoveAll(f => f.Value is null);
        return fields;
    }

    public static string Summary(List<KeyValuePair<string, object?>> fields)
    {
        string? Get(string name) => fields.FirstOrDefault(f => f.Key == name).Value?.ToString();
        return $"{Get(LogFields.Decision)} {Get(LogFields.Method)} {Get(LogFields.ServerAddress)}:{Get(LogFields.ServerPort)} from {Get(LogFields.ClientAddress)}: {Get(LogFields.Reason)} {Get(LogFields.Rule)}";
    }

    public static string ActionName(DecisionAction action) => action switch
    {
        DecisionAction.Allow => "allow",
        DecisionAction.Deny => "deny",
        _ => "error",
    };

    private static void WriteIfNotNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
