namespace EgressGuard.Configuration;

/// <summary>
/// The configuration's sources, in order of precedence: the JSON file, then <c>EGRESSGUARD__</c>
/// environment variables, then <c>--Section:Key=value</c> arguments. Defined once so that a SIGHUP
/// re-read builds a fresh configuration exactly like the start did, without touching the host's own.
/// </summary>
internal sealed class ConfigurationReader(string? file, string[] overrides)
{
    public void AddSources(IConfigurationBuilder builder)
    {
        if (file is not null)
        {
            builder.AddJsonFile(file, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables("EGRESSGUARD__");
        builder.AddCommandLine(overrides);
    }

    /// <summary>Reads everything again; throws <see cref="InvalidDataException"/> for a file that is not JSON.</summary>
    public IConfigurationRoot Read()
    {
        var builder = new ConfigurationBuilder();
        AddSources(builder);
        return builder.Build();
    }
}
