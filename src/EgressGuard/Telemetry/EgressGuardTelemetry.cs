using System.Diagnostics;

namespace EgressGuard.Telemetry;

/// <summary>The ActivitySource all proxy spans come from.</summary>
internal static class EgressGuardTelemetry
{
    public const string Name = "EgressGuard";

    public static readonly ActivitySource Source = new(Name, typeof(EgressGuardTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts a root server span (never a child of a client-supplied trace context) and returns the
    /// trace id to log: the span's when it is sampled, a fresh one otherwise, so every log line has one.
    /// </summary>
    public static (Activity? Activity, ActivityTraceId TraceId) Start(string name)
    {
        var activity = Source.HasListeners()
            ? Source.StartActivity(name, ActivityKind.Server, parentContext: default)
            : null;
        return (activity, activity?.TraceId ?? ActivityTraceId.CreateRandom());
    }

    /// <summary>Copies the exchange's outcome onto its span and ends it.</summary>
    public static void Finish(Activity? activity, ProxyExchange exchange)
    {
        if (activity is null)
        {
            return;
        }

        var d = exchange.Decision;
        activity.SetTag(LogFields.Decision, d is null ? "error" : DecisionLogFormatter.ActionName(d.Action));
        activity.SetTag(LogFields.Reason, d?.Reason);
        activity.SetTag(LogFields.Rule, d?.Rule);
        activity.SetTag(LogFields.StatusCode, exchange.Status);
        activity.SetTag(LogFields.PeerAddress, exchange.Dialed?.Address.ToString());
        activity.SetTag(LogFields.ErrorType, exchange.ErrorType);
        if (exchange.Client is { } client)
        {
            activity.SetTag(LogFields.ClientAddress, client.Address.ToString());
            activity.SetTag(LogFields.ClientPort, client.Port);
        }

        activity.Dispose();
    }
}
