using System.Diagnostics;
using EgressGuard.History;
using EgressGuard.Telemetry;

namespace EgressGuard.Exchange;

/// <summary>
/// The one tail of every exchange, whatever its outcome (relayed, denied, refused before a
/// target was known): its decision log line, its history row, its span and metrics. Nothing
/// that reached the proxy goes unrecorded.
/// </summary>
internal sealed class ExchangeCompletion
{
    private readonly DecisionLog _log;
    private readonly HistoryService _history;
    private readonly ProxyTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly RefusalLog _refusals;

    public ExchangeCompletion(DecisionLog log, HistoryService history, ProxyTelemetry telemetry, RefusalLog refusals, TimeProvider time)
    {
        _refusals = refusals;
        _log = log;
        _history = history;
        _telemetry = telemetry;
        _time = time;
    }

    public void Complete(Activity? activity, ProxyExchange exchange)
    {
        exchange.Duration = _time.GetElapsedTime(exchange.StartTimestamp);
        _log.Write(exchange);
        _history.Record(exchange);
        _telemetry.Finish(activity, exchange);
    }

    /// <summary>A refusal before anything was parsed: its line and row aggregated per client (<see cref="RefusalLog"/>), its span and metrics as always.</summary>
    public void CompleteRefusal(Activity? activity, ProxyExchange exchange)
    {
        exchange.Duration = _time.GetElapsedTime(exchange.StartTimestamp);
        _refusals.Record(exchange);
        _telemetry.Finish(activity, exchange);
    }
}
