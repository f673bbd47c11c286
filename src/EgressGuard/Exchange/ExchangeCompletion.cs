using EgressGuard.History;

namespace EgressGuard.Exchange;

/// <summary>
/// The one tail of every exchange, whatever its outcome (relayed, denied, refused before a
/// target was known): its decision log line, its history row, its span and metrics. Nothing
/// that reached the proxy goes unrecorded.
/// </summary>
internal sealed class ExchangeCompletion(DecisionLog log, HistoryService history, ProxyTelemetry telemetry, RefusalLog refusals, TimeProvider time)
{
    public void Complete(Activity? activity, ProxyExchange exchange)
    {
        exchange.Duration = time.GetElapsedTime(exchange.StartTimestamp);
        log.Write(exchange);
        history.Record(exchange);
        telemetry.Finish(activity, exchange);
    }

    /// <summary>A refusal before anything was parsed: its line and row aggregated per client (<see cref="RefusalLog"/>), its span and metrics as always.</summary>
    public void CompleteRefusal(Activity? activity, ProxyExchange exchange)
    {
        exchange.Duration = time.GetElapsedTime(exchange.StartTimestamp);
        refusals.Record(exchange);
        telemetry.Finish(activity, exchange);
    }
}
