using System.Collections;

namespace EgressGuard.Telemetry;

/// <summary>
/// The standard <c>OTEL_*</c> environment variables, under their own names, for the host's
/// configuration: the OpenTelemetry SDK reads them from <see cref="IConfiguration"/>, and the
/// host's configuration otherwise holds only the file, <c>EGRESSGUARD__</c> and the command line.
/// </summary>
internal static class OtelEnvironment
{
    public static IEnumerable<KeyValuePair<string, string?>> Variables()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && name.StartsWith("OTEL_", StringComparison.Ordinal))
            {
                yield return new KeyValuePair<string, string?>(name, entry.Value as string);
            }
        }
    }
}
