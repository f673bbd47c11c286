using System.Globalization;
using System.Net;
using System.Text.Json;
using EgressGuard.Lists;
using EgressGuard.Policy;

namespace EgressGuard.Telemetry;

/// <summary>Turns a <see cref="ProxyExchange"/> into one JSON object with the <see cref="LogFields"/> names.</summary>
internal static class DecisionLogFormatter
{
    public static void Write(Utf8JsonWriter json, ProxyExchange x)
    {
        var d = x.Decision;
        json.WriteStartObject();
        json.WriteString(LogFields.Time, x.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        json.WriteString(LogFields.Event, "decision");
        json.WriteString(LogFields.TraceId, x.TraceId.ToHexString());
        if (x.Client is { } client)
        {
            json.WriteString(LogFields.ClientAddress, client.Address.ToString());
            json.WriteNumber(LogFields.ClientPort, client.Port);
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

        if (x.Path is not null)
        {
            json.WriteString(LogFields.UrlPath, x.Path);
        }

        if (x.UserAgent is not null)
        {
            json.WriteString(LogFields.UserAgent, x.UserAgent);
        }

        json.WriteString(LogFields.Decision, d is null ? "error" : ActionName(d.Action));
        json.WriteString(LogFields.Reason, d?.Reason ?? DecisionReasons.BadRequest);
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

        json.WriteNumber(LogFields.StatusCode, x.Status);
        WriteIfNotNull(json, LogFields.ErrorType, x.ErrorType);
        WriteIfNotNull(json, LogFields.Detail, d?.Detail);
        if (x.ClosedBy is { } closedBy)
        {
            json.WriteString(LogFields.ClosedByReason, closedBy.Reason);
            WriteIfNotNull(json, LogFields.ClosedByRule, closedBy.Rule);
            WriteIfNotNull(json, LogFields.ClosedByEntry, closedBy.Entry);
        }

        json.WriteNumber(LogFields.BytesUp, x.BytesUp);
        json.WriteNumber(LogFields.BytesDown, x.BytesDown);
        json.WriteNumber(LogFields.DurationMs, Math.Round(x.Duration.TotalMilliseconds, 3));
        json.WriteEndObject();
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
