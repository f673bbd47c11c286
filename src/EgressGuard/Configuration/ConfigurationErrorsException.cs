namespace EgressGuard.Configuration;

/// <summary>The configuration is invalid; <see cref="Errors"/> lists every problem found.</summary>
internal sealed class ConfigurationErrorsException : Exception
{
    public ConfigurationErrorsException(IReadOnlyList<string> errors)
        : base("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
    {
        Errors = errors;
    }

    public ConfigurationErrorsException()
    {
        Errors = [];
    }

    public ConfigurationErrorsException(string message)
        : base(message)
    {
        Errors = [message];
    }

    public ConfigurationErrorsException(string message, Exception inner)
        : base(message, inner)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; }
}
