using EgressGuard.Resolution;

namespace EgressGuard.Telemetry;

/// <summary>A child span and a duration measurement around every resolution (cache hits included).</summary>
internal sealed class InstrumentedResolver(IResolver inner, EgressGuardMetrics metrics, TimeProvider time) : IResolver
{
    public bool TryGetCached(string name, out Resolution.Resolution resolution) => inner.TryGetCached(name, out resolution);

    public async ValueTask<Resolution.Resolution> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        using var activity = EgressGuardTelemetry.Source.StartActivity("dns.lookup " + name, ActivityKind.Client);
        var start = time.GetTimestamp();
        var result = await inner.ResolveAsync(name, cancellationToken).ConfigureAwait(false);
        var outcome = result.Error == ResolutionError.None ? "ok" : result.Error.ToString().ToLowerInvariant();
        metrics.DnsLookup(time.GetElapsedTime(start), outcome);
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
