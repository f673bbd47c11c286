namespace EgressGuard.Configuration;

/// <summary>
/// The configuration's sources, in order of precedence: the JSON file, then <c>EGRESSGUARD__</c>
/// environment variables, then <c>--Section:Key=value</c> arguments. Defined once so that a SIGHUP
/// re-read builds a fresh configuration exactly like the start did, without touching the host's own.
/// </summary>
internal sealed class ConfigurationReader
{
    private readonly string? _file;
    private readonly string[] _overrides;

    public ConfigurationReader(string? file, string[] overrides)
    {
        _file = file;
        _overrides = overrides;
    }

    public void AddSources(IConfigurationBuilder builder)
    {
        if (_file is not null)
        {
            builder.AddJsonFile(_file, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables("EGRESSGUARD__");
        builder.AddCommandLine(_overrides);
    }

    /// <summary>Reads everything again; throws <see cref="InvalidDataException"/> for a file that is not JSON.</summary>
    public IConfigurationRoot Read()
    {
        var builder = new ConfigurationBuilder();
        AddSources(builder);
        return builder.Build();
    }
}
