using System.Diagnostics;
using EgressGuard.Resolution;

namespace EgressGuard.Telemetry;

/// <summary>A child span and a duration measurement around every resolution (cache hits included).</summary>
internal sealed class InstrumentedResolver : IResolver
{
    private readonly IResolver _inner;
    private readonly EgressGuardMetrics _metrics;
    private readonly TimeProvider _time;

    public InstrumentedResolver(IResolver inner, EgressGuardMetrics metrics, TimeProvider time)
    {
        _inner = inner;
        _metrics = metrics;
        _time = time;
    }

    public bool TryGetCached(string name, out Resolution.Resolution resolution) => _inner.TryGetCached(name, out resolution);

    public async ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        using var activity = EgressGuardTelemetry.Source.StartActivity("dns.lookup " + name, ActivityKind.Client);
        var start = _time.GetTimestamp();
        var result = await _inner.ResolveAsync(name, cancellationToken).ConfigureAwait(false);
        var outcome = result.Error == ResolutionError.None ? "ok" : result.Error.ToString().ToLowerInvariant();
        _metrics.DnsLookup(_time.GetElapsedTime(start), outcome);
        if (activity is not null)
        {
            activity.SetTag("dns.question.name", name);
            activity.SetTag(LogFields.ResolvedAddresses, result.Addresses.Select(a => a.ToString()).ToArray());
            if (result.CanonicalNames.Count > 0)
            {
                activity.SetTag(LogFields.CanonicalNames, result.CanonicalNames.ToArray());
            }

            if (!result.Succeeded)
            {
                activity.SetTag(LogFields.ErrorType, outcome);
                activity.SetStatus(ActivityStatusCode.Error, result.ErrorDetail);
            }
        }

        return result;
    }
}
