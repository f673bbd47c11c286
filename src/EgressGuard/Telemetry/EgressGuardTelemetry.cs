namespace EgressGuard.Telemetry;

/// <summary>The one ActivitySource all proxy spans come from, named like the meter.</summary>
internal static class EgressGuardTelemetry
{
    public const string Name = "EgressGuard";

    public static readonly ActivitySource Source = new(Name, typeof(EgressGuardTelemetry).Assembly.GetName().Version?.ToString());
}

/// <summary>
/// Spans and metrics for one request or tunnel: a server span per exchange (a root span, or a
/// child of the client's <c>traceparent</c> when configured), named <c>CONNECT host:port</c> or
/// <c>GET host</c>, carrying the decision's fields at close; the trace id is the reference the
/// client sees and the log line carries, whether or not the span is sampled.
/// </summary>
internal sealed class ProxyTelemetry(EgressGuardMetrics metrics, TelemetryOptions options, NodeOptions node)
{
    private readonly EgressGuardMetrics _metrics = metrics;
    private readonly bool _trustClientContext = options.TrustClientTraceContext;
    private readonly string _node = node.Name;

    public EgressGuardMetrics Metrics => _metrics;

    public (Activity? Activity, ActivityTraceId TraceId) Start(string name, string? traceparent = null)
    {
        Activity? activity = null;
        if (EgressGuardTelemetry.Source.HasListeners())
        {
            var parent = default(ActivityContext);
            if (_trustClientContext && traceparent is not null)
            {
                ActivityContext.TryParse(traceparent, null, out parent);
            }

            // Never a child of whatever is current (ASP.NET Core's request activity is built from the
            // client's traceparent): the parent is explicit or there is none.
            Activity.Current = null;
            activity = EgressGuardTelemetry.Source.StartActivity(name, ActivityKind.Server, parent);
        }

        return (activity, activity?.TraceId ?? ActivityTraceId.CreateRandom());
    }

    /// <summary>Names the span after its target once the request is parsed.</summary>
    public static void Name(Activity? activity, string method, Addressing.Target target)
    {
        if (activity is null)
        {
            return;
        }

        activity.DisplayName = method == "CONNECT" ? $"CONNECT {target.Host}:{target.Port}" : $"{method} {target.Host}";
        activity.SetTag(LogFields.Method, method);
        activity.SetTag(LogFields.ServerAddress, target.Host);
        activity.SetTag(LogFields.ServerPort, target.Port);
    }

    /// <summary>Copies the exchange's outcome onto its span, ends it, and records the metrics.</summary>
    public void Finish(Activity? activity, ProxyExchange exchange)
    {
        _metrics.Decided(exchange);
        if (activity is null)
        {
            return;
        }

        var d = exchange.Decision;
        activity.SetTag(LogFields.Node, _node);
        activity.SetTag(LogFields.Decision, d is null ? "error" : DecisionLogFormatter.ActionName(d.Action));
        activity.SetTag(LogFields.Reason, exchange.ReasonText);
        activity.SetTag(LogFields.Rule, d?.Rule);
        activity.SetTag(LogFields.Entry, d?.Entry);
        activity.SetTag(LogFields.Feed, EgressGuardMetrics.FeedOf(d));
        if (d is { ResolvedAddresses.Count: > 0 })
        {
            activity.SetTag(LogFields.ResolvedAddresses, d.ResolvedAddresses.Select(a => a.ToString()).ToArray());
        }

        if (exchange.TlsHello is { } hello)
        {
            activity.SetTag(LogFields.TlsServerName, hello.ServerName);
            activity.SetTag(LogFields.TlsVersion, hello.Version);
            activity.SetTag(LogFields.TlsAlpn, hello.Alpn.Count > 0 ? hello.Alpn.ToArray() : null);
        }

        activity.SetTag(LogFields.TlsSniCheck, exchange.SniCheck);
        activity.SetTag(LogFields.TlsInterception, exchange.InterceptionText);
        activity.SetTag(LogFields.UrlScheme, exchange.Scheme);
        activity.SetTag(LogFields.StatusCode, exchange.Status);
        activity.SetTag(LogFields.PeerAddress, exchange.Dialed?.Address.ToString());
        activity.SetTag(LogFields.PeerPort, exchange.Dialed?.Port);
        activity.SetTag(LogFields.Upstream, exchange.Upstream);
        activity.SetTag(LogFields.ErrorType, exchange.ErrorType);
        activity.SetTag(LogFields.BytesUp, exchange.BytesUp);
        activity.SetTag(LogFields.BytesDown, exchange.BytesDown);
        activity.SetTag(LogFields.User, exchange.Identity.User);
        activity.SetTag(LogFields.ClientName, exchange.Identity.Device);
        if (exchange.Client is { } client)
        {
            activity.SetTag(LogFields.ClientAddress, client.Address.ToString());
            activity.SetTag(LogFields.ClientPort, client.Port);
        }

        if (exchange.Status >= 500 || (exchange.ErrorType is not null && exchange.Status is 0 or >= 400))
        {
            activity.SetStatus(ActivityStatusCode.Error, exchange.ErrorType ?? d?.Reason);
        }

        activity.Dispose();
    }
}
